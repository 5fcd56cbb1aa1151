"""Finding and killing the engine process a test started through the Automation API."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path


def _parents() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command name) of every process."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command, _, rest = text.partition("(")[2].rpartition(")")
        table[int(stat.parent.name)] = (int(rest.split()[1]), command)
    return table


def child_pids(parent: int, name: str) -> list[int]:
    return [pid for pid, (ppid, command) in _parents().items() if ppid == parent and command == name]


def descendant_pids(ancestor: int) -> list[int]:
    table = _parents()
    found: list[int] = []
    frontier = [ancestor]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


@contextlib.contextmanager
def killed_engine() -> Iterator[int]:
    """SIGKILL the `pulumi` process this test process started, and only it, as when a runner's engine
    dies: the language host, the program and the provider it started live on, orphaned, while the
    test goes on. They are killed when the block ends, so that no test leaves processes behind."""
    [pid] = child_pids(os.getpid(), "pulumi")
    orphans = descendant_pids(pid)
    os.kill(pid, signal.SIGKILL)
    try:
        yield pid
    finally:
        for orphan in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(orphan, signal.SIGKILL)
