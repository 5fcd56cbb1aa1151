"""Sample the CPU time and peak memory of a process's descendants, in a process of its own.

    python -m benchmarks.watch <pid>      # until SIGTERM, then one JSON line on stdout

A sampler thread inside the benchmark would share the GIL with the inline program, which keeps it busy:
reading /proc for hundreds of processes then takes seconds per sample, and short-lived processes are
missed. Each process keeps its last reading (at most its last 0.05 s of CPU is lost).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from pulumi_local.processes import descendant_pids, process_table

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def role_of(command: str) -> str:
    if "pulumi.dynamic" in command or "pulumi-resource-pulumi-python" in command:
        return "provider"
    if command.split(" ")[0].endswith("pulumi"):
        return "engine"
    return "other"  # the language host and its helpers


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> int:
    root = int(sys.argv[1])
    me = os.getpid()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    cpu: dict[int, tuple[str, float]] = {}
    # What processes already running (the emulator) had spent before this phase is not the phase's.
    before = {pid: cpu_seconds(pid) or 0.0 for pid in descendant_pids(root, process_table()) if pid != me}
    peaks = {"engine": 0, "provider": 0}
    while True:
        table = process_table()
        for pid in descendant_pids(root, table):
            if pid == me:
                continue
            # A process keeps the role it was first seen in with its own command: a zombie's command line
            # is empty, and one just forked still shows its parent's.
            seen = cpu.get(pid, ("other", 0.0))[0]
            role = role_of(table[pid].command) if seen == "other" else seen
            seconds = cpu_seconds(pid)
            if seconds is not None:
                cpu[pid] = (role, seconds)
            if role in peaks:
                peaks[role] = max(peaks[role], peak_kib(pid))
        if stop.wait(0.05):
            break
    totals = {"engine": 0.0, "provider": 0.0, "other": 0.0}
    for pid, (role, seconds) in cpu.items():
        totals[role] += seconds - before.get(pid, 0.0)
    print(json.dumps({"cpu": totals, "peaks": peaks}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
