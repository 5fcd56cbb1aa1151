"""Through the real engine, against a misbehaving FastPix: no media duplicated, lost or orphaned."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_emulator.process import EmulatorProcess
from fastpix_provider.client import Credentials, FastPixClient
from pulumi_local import EngineToolchain, program_file
from tests.conftest import PROJECT_ROOT
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, CatalogFile, entry
from tests.support.journal import media_ids
from tests.support.processes import killed_engine

pytestmark = pytest.mark.engine


def catalog_of(count: int) -> dict:
    return {f"clip-{i:02d}": entry(title=f"Clip {i}") for i in range(count)}


def stack_media_ids(stack) -> set[str]:
    return {r["id"] for r in stack.resources("fastpix:Media")}


class BackgroundUp:
    """`pulumi up` on a thread of its own, for a test that cuts it short and then looks at what it raised."""

    def __init__(self, stack) -> None:
        self._raised: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(stack,))
        self._thread.start()

    def _run(self, stack) -> None:
        try:
            stack.up(parallel=8)
        except BaseException as error:  # the test asserts on it
            self._raised.append(error)

    def outcome(self, timeout: float = 120) -> BaseException | None:
        self._thread.join(timeout=timeout)
        assert not self._thread.is_alive(), "the run did not end"
        return self._raised[0] if self._raised else None


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.02)


def test_a_flaky_api_still_ends_with_exactly_the_catalog(emulator: EmulatorServer, catalog_stack) -> None:
    emulator.faults.add(FaultRule(kind="latency", latency_ms=200))
    emulator.faults.add(FaultRule(kind="error", status=503, rate=0.2))
    emulator.faults.add(FaultRule(kind="rate_limit", retry_after=1, count=5, method="POST"))
    # Answers lost after FastPix acted: the create happened, the provider must find it, not repeat it.
    emulator.faults.add(FaultRule(kind="error", status=504, method="POST", after=True, count=3))
    emulator.faults.add(FaultRule(kind="drop", method="POST", after=True, count=2))
    stack, catalog = catalog_stack(catalog_of(30))
    stack.up(parallel=8)
    assert len(media_ids(emulator)) == 30
    assert media_ids(emulator) == stack_media_ids(stack)
    statuses = [e["status"] for e in emulator.journal.entries()]
    assert statuses.count(503) > 5 and 429 in statuses and 504 in statuses

    emulator.faults.add(FaultRule(kind="rate_limit", retry_after=1, count=5, method="DELETE"))
    for key in list(catalog.entries):
        catalog.remove(key)
    stack.up(parallel=8)
    assert media_ids(emulator) == set()
    assert stack.resources("fastpix:Media") == []


def test_a_killed_engine_is_recovered_without_orphans(emulator: EmulatorServer, catalog_stack) -> None:
    emulator.faults.add(FaultRule(kind="latency", latency_ms=300))
    stack, _ = catalog_stack(catalog_of(30))
    run = BackgroundUp(stack)
    wait_until(lambda: sum(1 for e in emulator.journal.entries() if e["method"] == "POST") >= 10, "ten creates sent")
    with killed_engine():
        assert isinstance(run.outcome(), auto.CommandError)
        emulator.faults.clear()
        time.sleep(1)  # creates already on the wire still land

        # The documented recovery: find the media behind pending creates, import them, then converge.
        result = subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", "test", "--apply",
                                 "--delete-orphans", "--unlock"], cwd=stack.work_dir, env=stack.env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "removed the lock" in result.stdout
        assert "importing it" in result.stdout, result.stdout
        assert stack_media_ids(stack) == media_ids(emulator), "every media that exists is in the state again"
        stack.up(parallel=8)
        assert len(media_ids(emulator)) == 30
        assert media_ids(emulator) == stack_media_ids(stack)
        rerun = subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", "test"],
                               cwd=stack.work_dir, env=stack.env, capture_output=True, text=True, timeout=300)
        assert "nothing to recover" in rerun.stdout


def test_verbose_engine_logs_and_the_state_hold_no_credential(emulator: EmulatorServer, catalog_stack,
                                                              toolchain: EngineToolchain) -> None:
    stack, catalog = catalog_stack(catalog_of(3))
    emulator.faults.add(FaultRule(kind="error", status=503, count=2))
    result = stack.up(log_verbosity=9, log_to_std_err=True, log_flow=True)
    catalog.remove("clip-00")
    deleted = stack.up(log_verbosity=9, log_to_std_err=True, log_flow=True)
    logs = result.stdout + result.stderr + deleted.stdout + deleted.stderr
    assert "pulumi-resource-pulumi-python" in logs, "the log must be the engine's verbose log"
    exported = json.dumps(stack.export())
    automatic = automatic_logs(stack, toolchain)
    assert "pulumi-resource-pulumi-python" in automatic, "the engine's automatic logs must have been read"
    for credential in (SECRET_KEY, ACCESS_TOKEN_ID):
        assert credential not in logs
        assert credential not in exported
        assert credential not in automatic


def automatic_logs(stack, toolchain: EngineToolchain) -> str:
    """The engine's own logs of every run (kept, encrypted, under PULUMI_HOME/logs for a week, and what
    `pulumi logs share` sends to Pulumi support), decrypted."""
    files = sorted((stack.work_dir / "home" / "logs").glob("*.log"))
    assert files, "the engine writes automatic logs"
    texts = []
    for file in files:
        decrypted = subprocess.run([str(toolchain.pulumi), "logs", "decrypt", str(file)], cwd=stack.work_dir,
                                   env=stack.env, capture_output=True, text=True, timeout=120)
        assert decrypted.returncode == 0, decrypted.stderr
        texts.append(decrypted.stdout)
    return "\n".join(texts)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RestartableFastPix(EmulatorProcess):
    """The emulator on a fixed port with its workspace in SQLite: stopped mid-run, started again with
    everything it held."""

    def __init__(self, db: Path) -> None:
        self.port = free_port()
        super().__init__(ACCESS_TOKEN_ID, SECRET_KEY, "--port", str(self.port), "--db", str(db), "--processing-delay", "0")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        status = super().stop()
        assert status == 0
        return status

    def posts(self) -> int:
        entries = httpx.get(f"{self.base_url}/_emulator/journal").json()["data"]
        return sum(1 for e in entries if e["method"] == "POST")

    def media_ids(self) -> set[str]:
        client = FastPixClient(f"{self.base_url}/v1", Credentials(ACCESS_TOKEN_ID, SECRET_KEY))
        return {m["id"] for m in client.list_media()}


def test_fastpix_going_away_mid_run_fails_clearly_and_a_rerun_completes(make_stack, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fastpix = RestartableFastPix(tmp_path / "fastpix.db")
    fastpix.start("--latency-ms", "300")
    catalog = CatalogFile(tmp_path / "media.yaml", catalog_of(30))
    monkeypatch.setenv("FASTPIX_CATALOG", str(catalog.path))
    stack = make_stack(program_file(PROJECT_ROOT / "__main__.py"), config={"fastpix:apiUrl": f"{fastpix.base_url}/v1"},
                       env={"FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY})
    run = BackgroundUp(stack)
    try:
        wait_until(lambda: fastpix.posts() >= 10, "ten creates sent")
    finally:
        fastpix.stop()
    failure = run.outcome(timeout=180)
    assert isinstance(failure, auto.CommandError)
    assert "could not connect to FastPix" in str(failure)
    assert "Traceback" not in str(failure).split("could not connect to FastPix")[-1]

    fastpix.start()
    try:
        assert fastpix.media_ids() <= stack_media_ids(stack), "every media that exists is in the state"
        assert 0 < len(stack_media_ids(stack)) < 30
        stack.up(parallel=8)
        assert fastpix.media_ids() == stack_media_ids(stack)
        assert len(fastpix.media_ids()) == 30
    finally:
        fastpix.stop()
