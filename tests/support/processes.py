"""Finding and killing the engine process a test started through the Automation API."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def child_pids(parent: int, name: str) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent and command == name:
            found.append(int(stat.parent.name))
    return found


def kill_engine() -> int:
    """SIGKILL the `pulumi` process this test process started; returns its pid."""
    [pid] = child_pids(os.getpid(), "pulumi")
    os.kill(pid, signal.SIGKILL)
    return pid
