"""Benchmark `pulumi up` of a media catalog at growing sizes, against the emulator with a fixed latency.

    make benchmark                                        # N = 100, 500, 2000; modes checkpointed and fast
    .venv/bin/python -m benchmarks.run --full             # adds N = 5000 (the fast mode only)
    .venv/bin/python -m benchmarks.run --sizes 10 50 --modes checkpointed fast no-backups --latency-ms 20

For each N and each mode, through the real engine (the Automation API, program inline; each `up` timed
to the end of its `pulumi` command, a preview to the return of the call, CPU over the whole call):
`pulumi up` creating N media, a no-change
`pulumi preview`, a no-change `pulumi up --refresh`, and the `pulumi up` that deletes all N once the
catalog is emptied. Modes (see MODES): `checkpointed` (the engine's default: a checkpoint of the whole
state per step, crash-safe as it is; up to N = 2,000), `fast` (PULUMI_SKIP_CHECKPOINTS: the state is
written once, at the end; what `fastpix-pipeline apply` runs by default, crash-safe with
`python -m fastpix_provider.cli.recover --reconcile`, whose no-op cost is timed as its own phase), and the
engine's own knobs one at a time (`no-backups`, `no-integrity`).

Each phase is set against its floor, the same HTTP calls from a plain concurrent httpx loop at
concurrency 4 (the Python dynamic provider serves at most 4 calls at once) and 16, and broken down
by where the time goes: CPU seconds of the engine, of the program (inline, in this process) and of
the provider process, and the summed wait on HTTP (each API call's duration at the emulator). Also:
bytes of `__provider` per resource, state bytes per media, peak memory. Prints a table, writes JSON
to benchmarks/results/ and a plot to benchmarks/pulumi-up-times.png.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from fastpix_emulator.process import EmulatorProcess
from pulumi_local import EngineToolchain, LocalStack, find_toolchain, program_file

ROOT = Path(__file__).resolve().parent.parent

AUTH = ("bench-token", "bench-secret")
URL = "https://static.fastpix.com/fp-sample-video.mp4"
ENGINE_PARALLEL = 8
PROVIDER_CONCURRENCY = 4
FLOOR_CONCURRENCY = (4, 16)
PHASES = ("create", "preview", "refresh", "delete")


@dataclass(frozen=True)
class Mode:
    """One way of running the engine: variables for it, and flags for every `pulumi` command."""

    name: str
    env: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    reconcile: bool = False  # time `recover --reconcile` (dry run) before each change, as the fast mode needs
    config: dict[str, str] = field(default_factory=dict)  # stack config beside fastpix:apiUrl
    parallel: int = ENGINE_PARALLEL
    max_n: int | None = None  # larger catalogs are skipped (a quadratic mode would take hours)


MODES = {
    # The engine's default: a checkpoint of the whole state per step. Quadratic: 5,000 would take hours.
    "checkpointed": Mode("checkpointed", max_n=2000),
    "fast": Mode("fast", {"PULUMI_SKIP_CHECKPOINTS": "true"}, reconcile=True),
    "no-backups": Mode("no-backups", {"PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS": "true"}),
    "no-integrity": Mode("no-integrity", flags=("--disable-integrity-checking",)),
    # The engine diffs resources in parallel (matters for previews).
    "parallel-diff": Mode("parallel-diff", {"PULUMI_PARALLEL_DIFF": "true"}),
    # Media spread over 4 explicit provider processes (fastpix_provider/spread.py), 16 calls in flight.
    "providers4": Mode("providers4", config={"fastpix:providers": "4"}, parallel=16),
    "fast+providers2": Mode("fast+providers2", {"PULUMI_SKIP_CHECKPOINTS": "true"}, reconcile=True,
                            config={"fastpix:providers": "2"}, parallel=16),
    "fast+providers4": Mode("fast+providers4", {"PULUMI_SKIP_CHECKPOINTS": "true"}, reconcile=True,
                            config={"fastpix:providers": "4"}, parallel=16),
    "no-backups+no-integrity": Mode("no-backups+no-integrity", {"PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS": "true"},
                                    flags=("--disable-integrity-checking",)),
}


# -- where the time goes: CPU and memory of the processes the engine starts --------------------------

class ProcessWatch:
    """CPU seconds and peak resident memory, per role, of the processes started during one phase.

    The engine, provider and language host are sampled by benchmarks/watch.py, a process of its own;
    this process's CPU (the inline program, and the Automation API's server) is read with getrusage.
    """

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.peaks: dict[str, int] = {"engine": 0, "provider": 0}
        self.program_cpu = 0.0
        self._self_started = 0.0
        self._watcher: subprocess.Popen[str] | None = None

    def __enter__(self) -> ProcessWatch:
        self._watcher = subprocess.Popen([sys.executable, "-m", "benchmarks.watch", str(os.getpid())], cwd=ROOT,
                                         stdout=subprocess.PIPE, text=True)
        time.sleep(0.2)  # its first sample before the engine starts
        self._self_started = _self_cpu()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.program_cpu = _self_cpu() - self._self_started
        assert self._watcher is not None
        self._watcher.terminate()
        out, _ = self._watcher.communicate(timeout=60)
        report = json.loads(out.strip().splitlines()[-1])
        self.cpu, self.peaks = report["cpu"], report["peaks"]

    def cpu_by_role(self) -> dict[str, float]:
        return {**self.cpu, "program": self.program_cpu}


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Journal:
    """The emulator's journal of API calls: how many a phase made, and how long they took in all."""

    def __init__(self, api_url: str) -> None:
        self.base = api_url.rsplit("/v1", 1)[0] + "/_emulator/journal"

    def clear(self) -> None:
        httpx.delete(self.base, timeout=30).raise_for_status()

    def calls(self) -> tuple[int, float]:
        entries = httpx.get(self.base, timeout=60).json()["data"]
        api = [e for e in entries if e["path"].startswith("/v1/")]
        return len(api), sum(e["durationMs"] for e in api) / 1000


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
class PhaseResult:
    seconds: float
    cpu: dict[str, float]  # engine, provider, program, other
    api_calls: int
    http_wait: float  # summed duration of the API calls at the emulator


@dataclass
class SizeResult:
    n: int
    mode: str
    phases: dict[str, PhaseResult] = field(default_factory=dict)
    floors: dict[int, dict[str, float]] = field(default_factory=dict)
    reconcile_seconds: float | None = None
    provider_bytes_per_resource: float = 0.0
    state_bytes: int = 0
    state_bytes_per_media: float = 0.0
    state_bytes_by_part: dict[str, float] = field(default_factory=dict)
    peak_kib: dict[str, int] = field(default_factory=dict)

    def seconds(self, phase: str) -> float:
        return self.phases[phase].seconds

    def ratio(self, phase: str, concurrency: int = 4) -> float | None:
        floor = self.floors.get(concurrency, {}).get(phase, 0.0)
        return self.seconds(phase) / floor if floor > 0 else None


def flagged_toolchain(toolchain: EngineToolchain, flags: tuple[str, ...], work: Path) -> EngineToolchain:
    """The same engine, given `flags` on every command (the Automation API has no option for some)."""
    if not flags:
        return toolchain
    bin_dir = work / "flagged-pulumi" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "pulumi"
    wrapper.write_text(f"#!/bin/sh\nexec {toolchain.pulumi} {' '.join(flags)} \"$@\"\n")
    wrapper.chmod(0o755)
    for helper in toolchain.bin_dir.iterdir():
        if helper.name != "pulumi" and not (bin_dir / helper.name).exists():
            (bin_dir / helper.name).symlink_to(helper)
    return EngineToolchain(bin_dir)


def state_parts(media: list[dict[str, Any]]) -> dict[str, float]:
    """Bytes per media in the state, by part: what an engine checkpoint rewrites for each."""
    parts: dict[str, float] = {}
    for r in media:
        for key, value in r.items():
            parts[key] = parts.get(key, 0) + len(json.dumps(value))
        for key in ("inputs", "outputs"):
            provider = (r.get(key) or {}).get("__provider")
            if provider:
                parts[f"{key}.__provider"] = parts.get(f"{key}.__provider", 0) + len(json.dumps(provider))
    return {key: value / max(len(media), 1) for key, value in sorted(parts.items())}


def reconcile_dry_run(stack: LocalStack) -> float:
    """The no-op cost of the fast mode's crash safety: `recover --reconcile` on a healthy stack."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", stack.stack.name,
                             "--reconcile"], cwd=stack.work_dir, env=stack.env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"recover --reconcile failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


@contextmanager
def command_end(stack: LocalStack) -> Iterator[list[float]]:
    """When the `pulumi` command itself ended, for `up`.

    The Automation API's `up` follows the command with `pulumi stack output` (twice) and `pulumi stack
    history`, each loading the whole state again (about a second at 500 media): not part of the
    `pulumi up` a user runs, so not timed. The first call of `outputs()` marks the command's end.
    """
    ended: list[float] = []
    automation_stack = stack.stack
    original = automation_stack.outputs

    def outputs() -> Any:
        if not ended:
            ended.append(time.perf_counter())
        return original()

    automation_stack.outputs = outputs  # type: ignore[method-assign]
    try:
        yield ended
    finally:
        del automation_stack.outputs  # the class's own method again


def run_size(n: int, mode: Mode, api_url: str, work: Path, toolchain: EngineToolchain) -> SizeResult:
    result = SizeResult(n=n, mode=mode.name)
    journal = Journal(api_url)
    folder = work / f"pulumi-{mode.name}-{n}"
    catalog = work / f"media-{mode.name}-{n}.yaml"
    catalog.write_text(yaml.safe_dump({f"clip-{i:04d}": {"url": URL, "title": f"Clip {i}"} for i in range(n)}))
    os.environ["FASTPIX_CATALOG"] = str(catalog)
    stack = LocalStack.create(folder, program=program_file(ROOT / "__main__.py"), stack_name=f"bench{n}",
                              config={"fastpix:apiUrl": api_url, **mode.config},
                              toolchain=flagged_toolchain(toolchain, mode.flags, work),
                              env={"FASTPIX_USERNAME": AUTH[0], "FASTPIX_PASSWORD": AUTH[1], **mode.env})
    peaks = {"engine": 0, "provider": 0}

    def timed(phase: str, action: Any) -> None:
        journal.clear()
        # The program runs inline, in this process, whose own objects (earlier stacks, results, clients)
        # would otherwise be scanned by every garbage collection the program triggers: a user's program
        # runs in a fresh process (measured: 0.8 s more program CPU in a preview of 500 without this).
        gc.collect()
        gc.freeze()
        with ProcessWatch() as watch, command_end(stack) as ended:
            started = time.perf_counter()
            action()
            finished = time.perf_counter()
        gc.unfreeze()
        if phase != "preview" and not ended:  # preview() makes no follow-up query: timed to its return
            raise RuntimeError("the Automation API no longer calls outputs() after `up`: time the command another way")
        seconds = (ended[0] if ended else finished) - started
        calls, wait = journal.calls()
        result.phases[phase] = PhaseResult(seconds, watch.cpu_by_role(), calls, wait)
        for role, kib in watch.peaks.items():
            peaks[role] = max(peaks[role], kib)

    timed("create", lambda: stack.up(parallel=mode.parallel))
    state_files = list((folder / "state" / ".pulumi" / "stacks").glob("*/*.json"))
    result.state_bytes = sum(f.stat().st_size for f in state_files)
    result.state_bytes_per_media = result.state_bytes / n
    media = stack.resources("fastpix:Media")
    result.provider_bytes_per_resource = sum(len(r["inputs"]["__provider"]) for r in media) / len(media)
    result.state_bytes_by_part = state_parts(media)
    if mode.reconcile:
        result.reconcile_seconds = reconcile_dry_run(stack)
    timed("preview", lambda: stack.preview(parallel=mode.parallel))
    timed("refresh", lambda: stack.up(parallel=mode.parallel, refresh=True))
    catalog.write_text("{}\n")
    timed("delete", lambda: stack.up(parallel=mode.parallel))
    result.peak_kib = {**peaks, "program": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    stack.remove()
    shutil.rmtree(folder, ignore_errors=True)
    return result


# -- reporting --------------------------------------------------------------------------------------

def print_table(results: list[SizeResult]) -> None:
    print(f"\n{'N':>5} {'mode':<12} {'phase':<8} {'wall s':>7} {'floor@4':>8} {'floor@16':>9} {'x@4':>6} "
          f"{'ms/media':>9} {'engine':>7} {'program':>8} {'provider':>9} {'HTTP/4':>7} {'calls':>6}")
    for r in results:
        for phase in PHASES:
            p = r.phases[phase]
            ratio = r.ratio(phase)
            print(f"{r.n:>5} {r.mode:<12} {phase:<8} {p.seconds:>7.2f} {r.floors[4][phase]:>8.2f} "
                  f"{r.floors[16][phase]:>9.2f} {(f'{ratio:.2f}' if ratio else '-'):>6} {p.seconds / r.n * 1000:>9.1f} "
                  f"{p.cpu['engine']:>7.2f} {p.cpu['program']:>8.2f} {p.cpu['provider']:>9.2f} "
                  f"{p.http_wait / PROVIDER_CONCURRENCY:>7.2f} {p.api_calls:>6}")
    print("\n(engine, program, provider: CPU seconds; HTTP/4: summed API call time / 4, the provider's concurrency)")
    print(f"\n{'N':>5} {'mode':<12} {'reconcile s':>12} {'__provider B':>13} {'state B/media':>14} "
          f"{'engine MiB':>11} {'provider MiB':>13} {'program MiB':>12}")
    for r in results:
        reconcile = f"{r.reconcile_seconds:.2f}" if r.reconcile_seconds is not None else "-"
        print(f"{r.n:>5} {r.mode:<12} {reconcile:>12} {r.provider_bytes_per_resource:>13.0f} "
              f"{r.state_bytes_per_media:>14.0f} {r.peak_kib['engine'] / 1024:>11.0f} "
              f"{r.peak_kib['provider'] / 1024:>13.0f} {r.peak_kib['program'] / 1024:>12.0f}")
    if results:
        print("\nstate bytes per media, by part (" + results[-1].mode + f", N = {results[-1].n}):")
        for part, size in results[-1].state_bytes_by_part.items():
            print(f"  {part:<22} {size:>7.0f}")


def plot(results: list[SizeResult], path: Path, latency_ms: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    styles = {"checkpointed": "-", "fast": ":"}
    for axis, phase in zip(axes, ("create", "delete"), strict=True):
        modes = sorted({r.mode for r in results})
        for mode in modes:
            own = [r for r in results if r.mode == mode]
            axis.plot([r.n for r in own], [r.seconds(phase) for r in own], marker="o",
                      linestyle=styles.get(mode, "-."), label=f"pulumi up ({mode})")
        floors = {r.n: r.floors for r in results}  # one per N, whichever modes ran at it
        for concurrency in FLOOR_CONCURRENCY:
            axis.plot(sorted(floors), [floors[n][concurrency][phase] for n in sorted(floors)], linestyle="--",
                      color="grey", alpha=0.4 + concurrency / 40, label=f"floor@{concurrency} (httpx loop)")
        axis.set_title(f"{phase}, {latency_ms} ms per request")
        axis.set_xlabel("media in the catalog (N)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    axes[0].set_ylabel("wall time (s)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def machine() -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "pulumi": find_toolchain().version(), "commit": commit.stdout.strip(),
        "memory_kib": int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                               if line.startswith("MemTotal"))),
        "load_average": os.getloadavg(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--full", action="store_true", help="add N = 5000")
    parser.add_argument("--modes", nargs="+", default=["checkpointed", "fast"], choices=sorted(MODES))
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--no-plot", action="store_true", help="leave benchmarks/pulumi-up-times.png as it is")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes + ([5000] if args.full else [])))
    emulator = EmulatorProcess(*AUTH, "--processing-delay", "0", "--latency-ms", str(args.latency_ms)).start()
    api_url = emulator.api_url
    work = Path(tempfile.mkdtemp(prefix="fastpix-bench-"))
    toolchain = find_toolchain()
    results: list[SizeResult] = []
    try:
        for n in sizes:
            floors = {c: floor_seconds(api_url, n, c) for c in FLOOR_CONCURRENCY}
            for name in args.modes:
                if MODES[name].max_n is not None and n > MODES[name].max_n:
                    print(f"N = {n}, {name}: skipped (at most {MODES[name].max_n})", flush=True)
                    continue
                print(f"N = {n}, {name} ...", flush=True)
                result = run_size(n, MODES[name], api_url, work, toolchain)
                result.floors = floors
                results.append(result)
                print("  " + ", ".join(f"{p} {result.seconds(p):.1f}s" for p in PHASES), flush=True)
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {"machine": machine(), "latency_ms": args.latency_ms, "engine_parallel": ENGINE_PARALLEL,
              "provider_concurrency": PROVIDER_CONCURRENCY,
              "modes": {name: {"env": MODES[name].env, "flags": MODES[name].flags, "config": MODES[name].config,
                               "parallel": MODES[name].parallel} for name in args.modes},
              "results": [{**vars(r), "phases": {k: vars(v) for k, v in r.phases.items()},
                           "ratio_to_floor_4": {p: r.ratio(p) for p in PHASES}} for r in results]}
    for name in (f"bench-{stamp}.json", "latest.json"):
        (out_dir / name).write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_plot:
        plot(results, ROOT / "benchmarks" / "pulumi-up-times.png", args.latency_ms)
    print(f"\nwrote benchmarks/results/bench-{stamp}.json" + ("" if args.no_plot else " and benchmarks/pulumi-up-times.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
