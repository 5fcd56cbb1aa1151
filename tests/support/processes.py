"""Killing the engine process a test started through the Automation API."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

from pulumi_local.processes import child_pids, descendant_pids


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
