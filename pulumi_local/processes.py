"""The processes the engine starts, read from /proc: who runs, with which command, under which parent.

The engine starts a language host, the program and the dynamic-provider process; the benchmark samples
their memory and the fault tests kill the engine and then reap what it leaves behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    name: str  # the kernel's short name (comm): "pulumi", "python3.11", ...
    command: str  # the whole command line, arguments separated by spaces


def process_table() -> dict[int, ProcessInfo]:
    """Every process visible now; ones that exit while being read are left out."""
    table = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        name, _, rest = stat.partition("(")[2].rpartition(")")
        table[int(proc.name)] = ProcessInfo(int(proc.name), int(rest.split()[1]), name, command)
    return table


def child_pids(parent: int, name: str) -> list[int]:
    return [info.pid for info in process_table().values() if info.ppid == parent and info.name == name]


def descendant_pids(ancestor: int, table: dict[int, ProcessInfo] | None = None) -> list[int]:
    """Children, grandchildren, ... of `ancestor`."""
    table = process_table() if table is None else table
    found: list[int] = []
    frontier = [ancestor]
    while frontier:
        parent = frontier.pop()
        children = [info.pid for info in table.values() if info.ppid == parent]
        found += children
        frontier += children
    return found
