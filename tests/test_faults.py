"""Through the real engine, against a misbehaving FastPix: no media duplicated, lost or orphaned."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer, FaultRule
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, entry
from tests.support.journal import media_ids
from tests.support.processes import kill_engine

pytestmark = pytest.mark.engine


def catalog_of(count: int) -> dict:
    return {f"clip-{i:02d}": entry(title=f"Clip {i}") for i in range(count)}


def stack_media_ids(stack) -> set[str]:
    return {r["id"] for r in stack.resources("fastpix:Media")}


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
    stack, catalog = catalog_stack(catalog_of(30))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            stack.up(parallel=8)
        except BaseException as error:  # noqa: BLE001 - the kill is expected to fail the run
            failure.append(error)

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + 60
    while sum(1 for e in emulator.journal.entries() if e["method"] == "POST") < 10:
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.02)
    kill_engine()
    runner.join(timeout=60)
    assert failure and isinstance(failure[0], auto.CommandError)
    emulator.faults.clear()
    time.sleep(1)  # creates already on the wire still land

    # The documented recovery: find the media behind pending creates, import them, then converge.
    result = subprocess.run([sys.executable, "-m", "fastpix_provider.recover", "--stack", "test", "--apply",
                             "--delete-orphans", "--unlock"], cwd=stack.work_dir, env=stack.env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "removed the lock" in result.stdout
    assert "importing it" in result.stdout, result.stdout
    assert stack_media_ids(stack) == media_ids(emulator), "every media that exists is in the state again"
    stack.up(parallel=8)
    assert len(media_ids(emulator)) == 30
    assert media_ids(emulator) == stack_media_ids(stack)
    rerun = subprocess.run([sys.executable, "-m", "fastpix_provider.recover", "--stack", "test"],
                           cwd=stack.work_dir, env=stack.env, capture_output=True, text=True, timeout=300)
    assert "nothing to recover" in rerun.stdout
