"""Media from local files through the real engine: uploaded once, replaced by new bytes only, resumed after a
dropped connection, recovered after a killed run, and a 2 GB file within 100 MB of provider memory."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer, FaultRule
from pulumi_local.processes import descendant_pids, process_table
from tests.support.builders import entry
from tests.support.journal import api_calls, media_ids
from tests.support.processes import killed_engine
from tests.test_faults import BackgroundUp, stack_media_ids, wait_until

pytestmark = pytest.mark.engine

MiB = 2**20
STORAGE = "^/_emulator/storage/"


@pytest.fixture
def project(emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The project folder (the program's working directory, where relative `file`s are read), with the
    emulator handing out upload URLs on itself."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    emulator.loopback_uploads = True
    try:
        yield folder
    finally:
        emulator.loopback_uploads = False


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def pattern(size: int, seed: int = 1) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 2048
    return (block * (size // len(block) + 1))[:size]


def uploads_made(emulator: EmulatorServer) -> list[tuple[str, str]]:
    return [call for call in api_calls(emulator, "POST") if call[1] == "/v1/on-demand/upload"]


def storage_statuses(emulator: EmulatorServer) -> list[int]:
    return [e["status"] for e in emulator.journal.entries() if e["path"].startswith("/_emulator/storage/")]


def test_a_file_is_uploaded_once_kept_when_moved_or_touched_and_replaced_when_its_bytes_change(
    emulator: EmulatorServer, catalog_stack: Callable[..., Any], project: Path
) -> None:
    video = write(project / "videos/intro.mp4", pattern(3 * MiB))
    stack, catalog = catalog_stack({"intro": {"file": "videos/intro.mp4", "title": "Intro"}, "other": entry()})
    lines: list[str] = []
    assert stack.up(on_output=lines.append).summary.resource_changes == {"create": 3}
    first = stack.outputs()["intro"]["id"]
    stored = emulator.backend.media[first]
    assert stored.title == "Intro"
    [upload] = emulator.backend.uploads.values()
    assert upload.media_id == first and upload.sha256 == hashlib.sha256(video.read_bytes()).hexdigest()
    assert len(uploads_made(emulator)) == 1
    shown = "\n".join(lines)
    assert "uploading videos/intro.mp4: 0%" in shown and "uploading videos/intro.mp4: 100%" in shown, shown

    emulator.journal.clear()
    assert stack.up().summary.resource_changes == {"same": 3}
    stat = video.stat()
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched
    moved = project / "renders/intro-final.mp4"
    moved.parent.mkdir()
    video.rename(moved)
    catalog.set("intro", {"file": "renders/intro-final.mp4", "title": "Intro"})
    assert stack.preview(diff=True).change_summary == {"same": 3}
    assert stack.up().summary.resource_changes == {"same": 3}
    assert uploads_made(emulator) == [] and storage_statuses(emulator) == []

    moved.write_bytes(pattern(3 * MiB, seed=2))  # new bytes, same size and name
    preview: list[str] = []
    stack.preview(diff=True, on_output=preview.append)
    assert "replace" in "\n".join(preview)
    assert stack.up().summary.resource_changes == {"same": 2, "replace": 1}
    second = stack.outputs()["intro"]["id"]
    assert second != first and first not in emulator.backend.media
    assert len(uploads_made(emulator)) == 1

    catalog.remove("intro")
    assert stack.up().summary.resource_changes == {"same": 2, "delete": 1}
    assert second not in emulator.backend.media and media_ids(emulator) == stack_media_ids(stack)


def test_a_connection_dropped_mid_upload_resumes_and_ends_with_exactly_one_media(
    emulator: EmulatorServer, catalog_stack: Callable[..., Any], project: Path
) -> None:
    data = pattern(20 * MiB)
    write(project / "intro.mp4", data)
    # The second 8 MiB chunk dies after 3 MiB: the provider asks what arrived and goes on from there.
    emulator.faults.add(FaultRule(kind="drop", method="PUT", path=STORAGE, after_bytes=3 * MiB, count=1))
    emulator.faults.add(FaultRule(kind="error", status=503, method="PUT", path=STORAGE, count=1))
    stack, _ = catalog_stack({"intro": {"file": "intro.mp4"}})
    lines: list[str] = []
    stack.up(on_output=lines.append)
    [media_id] = media_ids(emulator)
    assert stack_media_ids(stack) == {media_id}
    [upload] = emulator.backend.uploads.values()
    assert upload.media_id == media_id and upload.sha256 == hashlib.sha256(data).hexdigest()
    statuses = storage_statuses(emulator)
    assert 599 in statuses and 503 in statuses and 308 in statuses and statuses[-1] == 200, statuses
    assert len(uploads_made(emulator)) == 1
    assert "resuming in" in "\n".join(lines)


def test_a_run_killed_mid_upload_ends_after_recover_with_exactly_the_catalog(
    emulator: EmulatorServer, catalog_stack: Callable[..., Any], project: Path
) -> None:
    write(project / "intro.mp4", pattern(40 * MiB))
    emulator.faults.add(FaultRule(kind="latency", latency_ms=1500, method="PUT", path=STORAGE))
    stack, _ = catalog_stack({"intro": {"file": "intro.mp4"}, "other": entry()})
    run = BackgroundUp(stack)
    wait_until(lambda: len(storage_statuses(emulator)) >= 1, "the first chunk sent")
    with killed_engine():
        assert isinstance(run.outcome(), auto.CommandError)
    # The provider died with the engine (killed_engine ends the orphans): the upload waits, half sent.
    emulator.faults.clear()
    [abandoned] = emulator.backend.uploads.values()
    assert abandoned.status == "waiting" and 0 < abandoned.received_bytes < 40 * MiB

    result = subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", "test", "--apply",
                             "--delete-orphans", "--unlock"], cwd=stack.work_dir, env=stack.env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    stack.up()
    assert len(media_ids(emulator)) == 2 and media_ids(emulator) == stack_media_ids(stack)
    assert abandoned.status == "cancelled", "the upload the killed run left is cancelled, not left waiting"
    rerun = subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", "test"],
                           cwd=stack.work_dir, env=stack.env, capture_output=True, text=True, timeout=300)
    assert "nothing to recover" in rerun.stdout, rerun.stdout


class PeakMemory:
    """Samples the peak resident memory (VmHWM) of the dynamic-provider processes under this test process."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            table = process_table()
            for pid in descendant_pids(os.getpid(), table):
                if "pulumi.dynamic" in table[pid].command or "pulumi/dynamic/__main__.py" in table[pid].command:
                    try:
                        status = Path(f"/proc/{pid}/status").read_text()
                    except OSError:
                        continue
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            self.peaks[pid] = max(self.peaks.get(pid, 0), int(line.split()[1]) * 1024)
            self._stop.wait(0.2)


# About 15 s on this 2-core machine (the program hashes 2 GiB, the provider reads and sends it, the
# emulator counts and hashes it): not `slow`. Before the provider reused one buffer for its chunks,
# its peak was 316 MiB (see uploads._Reader).
def test_a_2_gb_sparse_file_uploads_with_provider_memory_under_100_mb(
    emulator: EmulatorServer, catalog_stack: Callable[..., Any], project: Path
) -> None:
    size = 2 * 2**30
    with (project / "big.mp4").open("wb") as handle:
        handle.truncate(size)  # sparse: no disk used, reads as zeros
    stack, _ = catalog_stack({"big": {"file": "big.mp4"}})
    started = time.monotonic()
    with PeakMemory() as memory:
        stack.up()
    elapsed = time.monotonic() - started
    [upload] = emulator.backend.uploads.values()
    assert upload.received_bytes == size and upload.status == "asset_created"
    assert memory.peaks, "the provider process was sampled"
    peak = max(memory.peaks.values())
    print(f"2 GiB upload: {elapsed:.1f}s, provider peak RSS {peak / MiB:.1f} MiB")
    assert peak < 100 * 10**6, f"provider peak RSS {peak / MiB:.1f} MiB"
