"""Benchmark `pulumi up` of a media catalog at growing sizes, against the emulator with a fixed latency.

    make benchmark                    # N = 10, 100, 500
    .venv/bin/python -m benchmarks.run --full          # adds N = 1000
    .venv/bin/python -m benchmarks.run --sizes 10 50 --latency-ms 20

For each N, through the real engine: `pulumi up` creating N media, a no-change `pulumi preview`, a
no-change `pulumi up --refresh`, and the `pulumi up` that deletes all N once the catalog is emptied.
Each phase is set against its floor: the same HTTP calls from a plain concurrent httpx loop, at
concurrency 4 (the Python dynamic provider serves at most 4 calls at once) and at the engine's
--parallel. Also: bytes of `__provider` per resource, state bytes per media, peak memory of the
engine, the provider process and the program. Prints a table, writes JSON to benchmarks/results/ and
a plot to benchmarks/pulumi-up-times.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from fastpix_emulator.process import EmulatorProcess
from pulumi_local import LocalStack, find_toolchain, program_file
from pulumi_local.processes import descendant_pids, process_table

ROOT = Path(__file__).resolve().parent.parent

AUTH = ("bench-token", "bench-secret")
URL = "https://static.fastpix.com/fp-sample-video.mp4"
ENGINE_PARALLEL = 8
PROVIDER_CONCURRENCY = 4
PHASES = ("create", "preview", "refresh", "delete")


# -- memory -----------------------------------------------------------------------------------------

class PeakMemory:
    """Peak resident memory (VmHWM) of the engine and provider processes this process starts."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {"engine": 0, "provider": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            table = process_table()
            for pid in descendant_pids(me, table):
                command = table[pid].command
                if "pulumi.dynamic" in command:
                    role = "provider"
                elif command.split(" ")[0].endswith("pulumi"):
                    role = "engine"
                else:
                    continue
                self.peaks[role] = max(self.peaks[role], _peak_kib(pid))


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- the floor: the same calls from a plain concurrent loop -----------------------------------------

def floor_seconds(api_url: str, n: int, concurrency: int) -> dict[str, float]:
    body = {"inputs": [{"type": "video", "url": URL}], "accessPolicy": "public"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=api_url, auth=AUTH, limits=limits, timeout=30) as client, \
            ThreadPoolExecutor(concurrency) as pool:
        def timed(fn: Any, items: list[Any]) -> tuple[float, list[Any]]:
            started = time.perf_counter()
            results = list(pool.map(fn, items))
            return time.perf_counter() - started, results

        create, ids = timed(lambda _: client.post("/on-demand", json=body).json()["data"]["id"], list(range(n)))
        refresh, _ = timed(lambda media_id: client.get(f"/on-demand/{media_id}").raise_for_status(), ids)
        delete, _ = timed(lambda media_id: client.delete(f"/on-demand/{media_id}").raise_for_status(), ids)
    return {"create": create, "preview": 0.0, "refresh": refresh, "delete": delete}


# -- the engine -------------------------------------------------------------------------------------

@dataclass
class SizeResult:
    n: int
    engine: dict[str, float] = field(default_factory=dict)
    floor_4: dict[str, float] = field(default_factory=dict)
    floor_parallel: dict[str, float] = field(default_factory=dict)
    preview_parallel_diff: float = 0.0
    provider_bytes_per_resource: float = 0.0
    state_bytes: int = 0
    state_bytes_per_media: float = 0.0
    peak_kib: dict[str, int] = field(default_factory=dict)

    def ratio(self, phase: str) -> float | None:
        floor = self.floor_4.get(phase, 0.0)
        return self.engine[phase] / floor if floor > 0 else None


def run_size(n: int, api_url: str, work: Path, engine_env: dict[str, str]) -> SizeResult:
    result = SizeResult(n=n)
    catalog = work / f"media-{n}.yaml"
    catalog.write_text(yaml.safe_dump({f"clip-{i:04d}": {"url": URL, "title": f"Clip {i}"} for i in range(n)}))
    os.environ["FASTPIX_CATALOG"] = str(catalog)
    stack = LocalStack.create(work / f"pulumi-{n}", program=program_file(ROOT / "__main__.py"), stack_name=f"bench{n}",
                              config={"fastpix:apiUrl": api_url},
                              env={"FASTPIX_USERNAME": AUTH[0], "FASTPIX_PASSWORD": AUTH[1], **engine_env})

    def timed(phase: str, action: Any) -> None:
        started = time.perf_counter()
        action()
        result.engine[phase] = time.perf_counter() - started

    with PeakMemory() as memory:
        timed("create", lambda: stack.up(parallel=ENGINE_PARALLEL))
        state_files = list((work / f"pulumi-{n}" / "state" / ".pulumi" / "stacks").glob("*/*.json"))
        result.state_bytes = sum(f.stat().st_size for f in state_files)
        result.state_bytes_per_media = result.state_bytes / n
        media = stack.resources("fastpix:Media")
        result.provider_bytes_per_resource = sum(len(r["inputs"]["__provider"]) for r in media) / len(media)
        timed("preview", lambda: stack.preview(parallel=ENGINE_PARALLEL))
        stack.set_env("PULUMI_PARALLEL_DIFF", "true")
        started = time.perf_counter()
        stack.preview(parallel=ENGINE_PARALLEL)
        result.preview_parallel_diff = time.perf_counter() - started
        stack.set_env("PULUMI_PARALLEL_DIFF", "false")
        timed("refresh", lambda: stack.up(parallel=ENGINE_PARALLEL, refresh=True))
        catalog.write_text("{}\n")
        timed("delete", lambda: stack.up(parallel=ENGINE_PARALLEL))
    result.peak_kib = {**memory.peaks, "program": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    stack.remove()
    result.floor_4 = floor_seconds(api_url, n, PROVIDER_CONCURRENCY)
    result.floor_parallel = floor_seconds(api_url, n, ENGINE_PARALLEL)
    return result


# -- reporting --------------------------------------------------------------------------------------

def print_table(results: list[SizeResult]) -> None:
    print(f"\n{'N':>5} {'phase':<8} {'engine s':>9} {'floor@4 s':>10} {'floor@' + str(ENGINE_PARALLEL) + ' s':>10} "
          f"{'engine/floor@4':>15} {'engine ms/media':>16}")
    for r in results:
        for phase in PHASES:
            ratio = r.ratio(phase)
            print(f"{r.n:>5} {phase:<8} {r.engine[phase]:>9.2f} {r.floor_4[phase]:>10.2f} {r.floor_parallel[phase]:>10.2f} "
                  f"{(f'{ratio:.2f}x' if ratio else '-'):>15} {r.engine[phase] / r.n * 1000:>16.1f}")
    print(f"\n{'N':>5} {'preview s':>10} {'+PARALLEL_DIFF s':>17} {'__provider B':>13} {'state B/media':>14} "
          f"{'engine MiB':>11} {'provider MiB':>13} {'program MiB':>12}")
    for r in results:
        print(f"{r.n:>5} {r.engine['preview']:>10.2f} {r.preview_parallel_diff:>17.2f} {r.provider_bytes_per_resource:>13.0f} "
              f"{r.state_bytes_per_media:>14.0f} {r.peak_kib['engine'] / 1024:>11.0f} "
              f"{r.peak_kib['provider'] / 1024:>13.0f} {r.peak_kib['program'] / 1024:>12.0f}")


def plot(results: list[SizeResult], path: Path, latency_ms: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r.n for r in results]
    figure, axes = plt.subplots(figsize=(8, 5))
    for phase, colour in zip(PHASES, ("tab:blue", "tab:green", "tab:orange", "tab:red"), strict=True):
        axes.plot(sizes, [r.engine[phase] for r in results], marker="o", color=colour, label=f"pulumi {phase}")
        if phase != "preview":
            axes.plot(sizes, [r.floor_4[phase] for r in results], linestyle="--", color=colour, alpha=0.6,
                      label=f"floor@{PROVIDER_CONCURRENCY} {phase}")
    axes.set_xlabel("media in the catalog (N)")
    axes.set_ylabel("wall time (s)")
    axes.set_title(f"pulumi up against the emulator, {latency_ms} ms per request")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "pulumi": find_toolchain().version(), "commit": commit.stdout.strip(),
        "memory_kib": int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                               if line.startswith("MemTotal"))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--full", action="store_true", help="add N = 1000")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--skip-checkpoints", action="store_true",
                        help="run the engine with PULUMI_SKIP_CHECKPOINTS=true (state written once, at the end)")
    args = parser.parse_args()
    engine_env = {"PULUMI_SKIP_CHECKPOINTS": "true"} if args.skip_checkpoints else {}
    sizes = sorted(set(args.sizes + ([1000] if args.full else [])))
    emulator = EmulatorProcess(*AUTH, "--processing-delay", "0", "--latency-ms", str(args.latency_ms)).start()
    api_url = emulator.api_url
    work = Path(tempfile.mkdtemp(prefix="fastpix-bench-"))
    results: list[SizeResult] = []
    try:
        for n in sizes:
            print(f"N = {n} ...", flush=True)
            results.append(run_size(n, api_url, work, engine_env))
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {"machine": machine(), "latency_ms": args.latency_ms, "engine_parallel": ENGINE_PARALLEL,
              "engine_env": engine_env,
              "provider_concurrency": PROVIDER_CONCURRENCY,
              "results": [{**vars(r), "ratio_to_floor_4": {p: r.ratio(p) for p in PHASES}} for r in results]}
    for name in (f"bench-{stamp}.json", "latest.json"):
        (out_dir / name).write_text(json.dumps(report, indent=2) + "\n")
    plot(results, ROOT / "benchmarks" / "pulumi-up-times.png", args.latency_ms)
    print(f"\nwrote benchmarks/results/bench-{stamp}.json and benchmarks/pulumi-up-times.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
