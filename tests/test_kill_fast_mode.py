"""The fast mode is crash-safe: the engine killed at random moments of random catalog changes, then
`recover --reconcile --apply`, and FastPix holds exactly the catalog (no duplicate, orphan or lost media).

Fast mode: `PULUMI_SKIP_CHECKPOINTS=true`, so the engine writes the state only when a run ends and a
killed run leaves the state of the run before it. Each hypothesis example chains a few catalog changes
(creates, in-place updates, replaces, deletes mixed), each run killed after a random number of the
calls that change FastPix (or while the program starts), each kill followed by the recovery; after
every recovery the state and FastPix agree media for media, and at the end of the example a plain
`pulumi up` converges on the last catalog exactly.

The default run makes at least 30 kills; `make test-slow` makes many more (FASTPIX_SLOW_TESTS=1).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fastpix_emulator import EmulatorServer, FaultRule
from pulumi_local.processes import child_pids, descendant_pids
from tests.support.builders import SAMPLE_URL, entry

pytestmark = pytest.mark.engine

FAST = {"PULUMI_SKIP_CHECKPOINTS": "true"}
URLS = (SAMPLE_URL, "https://static.fastpix.com/fp-sample-video-2.mp4")
KEYS = tuple(f"clip-{i}" for i in range(8))
MUTATING = ("POST", "PATCH", "DELETE")


# -- driving and killing the engine ------------------------------------------------------------------

class KilledUp:
    """`pulumi up` on a thread, killed (the engine and every process under it, SIGKILL, as a CI runner
    kills a job) once FastPix has answered `after_calls` calls that change it."""

    def __init__(self, stack: Any, emulator: EmulatorServer) -> None:
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._emulator = emulator
        self._thread = threading.Thread(target=self._run, args=(stack,), daemon=True)

    def _run(self, stack: Any) -> None:
        try:
            stack.up(parallel=8)
        except BaseException as error:  # the test looks at it
            self.error = error
        finally:
            self.finished.set()

    def mutating_calls(self) -> int:
        return sum(1 for e in self._emulator.journal.entries() if e["method"] in MUTATING and e["path"].startswith("/v1/"))

    def run_and_kill(self, after_calls: int, extra_delay: float) -> bool:
        """True when the engine was killed mid-run; False when the run ended first."""
        self._emulator.journal.clear()
        self._thread.start()
        deadline = time.monotonic() + 120
        while not child_pids(os.getpid(), "pulumi") and not self.finished.is_set():
            assert time.monotonic() < deadline, "the engine did not start"
            time.sleep(0.01)
        while self.mutating_calls() < after_calls and not self.finished.is_set():
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.01)
        if extra_delay:
            self.finished.wait(extra_delay)
        killed = not self.finished.is_set() and kill_engine_tree()
        self._thread.join(timeout=120)
        assert not self._thread.is_alive(), "the run did not end"
        return killed


def kill_engine_tree() -> bool:
    """SIGKILL the `pulumi` process this test process started and everything under it, at once."""
    engines = child_pids(os.getpid(), "pulumi")
    if not engines:
        return False
    victims = [pid for engine in engines for pid in [engine, *descendant_pids(engine)]]
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return True


def recover(stack: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", "test", "--reconcile",
                             "--apply", "--unlock"], cwd=stack.work_dir, env=stack.env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


# -- catalogs ----------------------------------------------------------------------------------------

def catalogs() -> st.SearchStrategy[dict[str, dict[str, Any]]]:
    """A catalog over KEYS: each key absent or present with one of two URLs and one of four titles. Against
    the catalog before it, that mixes creates, in-place updates (title), replaces (url) and deletes."""
    slot = st.one_of(st.none(), st.tuples(st.sampled_from(URLS), st.integers(0, 3)))
    return st.tuples(*[slot] * len(KEYS)).map(
        lambda slots: {key: entry(url=url, title=f"{key} v{version}")
                       for key, choice in zip(KEYS, slots, strict=True) if choice is not None
                       for url, version in [choice]})


# A kill: after this fraction of the calls the change makes, then after this pause (a zero fraction with
# a pause: while the program runs and the engine plans).
kill_points = st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from((0.0, 0.0, 0.03, 0.3, 0.8, 1.5)))


def expected_calls(old: dict[str, Any], new: dict[str, Any]) -> int:
    """How many calls changing FastPix the change from `old` to `new` makes (a replace: create + delete)."""
    calls = 0
    for key in old.keys() | new.keys():
        before, after = old.get(key), new.get(key)
        if before is None or after is None:
            calls += 1
        elif before["url"] != after["url"]:
            calls += 2
        elif before != after:
            calls += 1
    return calls


# -- what must hold ------------------------------------------------------------------------------------

def state_media(stack: Any) -> dict[str, str]:
    """resource name -> media id, from the state."""
    return {r["urn"].rsplit("::", 1)[1]: r["id"] for r in stack.resources("fastpix:Media")}


def assert_state_matches_fastpix(stack: Any, emulator: EmulatorServer) -> None:
    recorded = state_media(stack)
    assert sorted(recorded.values()) == sorted(emulator.backend.media), (
        f"state {recorded} and FastPix {sorted(emulator.backend.media)} differ")


def assert_fastpix_holds_exactly(catalog: dict[str, dict[str, Any]], stack: Any, emulator: EmulatorServer) -> None:
    assert_state_matches_fastpix(stack, emulator)
    recorded = state_media(stack)
    assert set(recorded) == set(catalog), "one media per catalog entry, and none else"
    for key, declared in catalog.items():
        found = emulator.backend.media[recorded[key]]
        assert (found.input_url, found.title) == (declared["url"], declared.get("title")), key


# -- the test ------------------------------------------------------------------------------------------

def kill_and_recover(emulator: EmulatorServer, catalog_stack: Any, *, examples: int, kills_per_example: int) -> int:
    emulator.faults.add(FaultRule(kind="latency", latency_ms=60))
    stack, catalog = catalog_stack({key: entry(title=f"{key} v0") for key in KEYS[:4]})
    for name, value in FAST.items():
        stack.set_env(name, value)
    stack.up(parallel=8)
    kills: list[int] = []
    failures: list[AssertionError] = []
    steps: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()  # what the recoveries had to do, to show each kind of loss was met
    state = {"catalog": dict(catalog.entries)}

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(catalogs(), kill_points), min_size=kills_per_example + 4,
                    max_size=kills_per_example + 4))
    def chain(plan: list[tuple[dict[str, Any], tuple[float, float]]]) -> None:
        # Examples share one stack and one FastPix (a fresh stack per example would cost minutes), so a
        # failure cannot be replayed by hypothesis (a replay starts from another state): it is kept, with
        # the steps that led to it, and raised once the examples stop.
        if failures:
            return
        try:
            one_chain(plan)
        except Exception as error:  # an engine run that fails is a failure of the recovery too
            failures.append(AssertionError(f"{type(error).__name__}: {error}\nsteps: {steps}"))

    def one_chain(plan: list[tuple[dict[str, Any], tuple[float, float]]]) -> None:
        made = 0
        for new, (fraction, delay) in plan:
            if made == kills_per_example:
                break
            after = int(fraction * expected_calls(state["catalog"], new))
            steps.append({"catalog": new, "kill after calls": after, "then wait": delay})
            catalog.entries = new
            catalog.write()
            state["catalog"] = new
            if KilledUp(stack, emulator).run_and_kill(after, delay):
                made += 1
                time.sleep(0.2)  # calls the killed provider had on the wire land before the recovery lists
                said = recover(stack).stdout
                seen["orphan deleted"] += said.count("deleted orphan")
                seen["gone, refreshed"] += said.count("FastPix lists no media of that id")
                seen["drifted, refreshed"] += said.count("FastPix holds other values")
                assert_state_matches_fastpix(stack, emulator)
        kills.append(made)
        stack.up(parallel=8)
        assert_fastpix_holds_exactly(state["catalog"], stack, emulator)

    chain()
    if failures:
        raise failures[0]
    assert seen["orphan deleted"] and seen["gone, refreshed"] + seen["drifted, refreshed"], seen
    return sum(kills)


def test_killed_fast_runs_recover_to_exactly_the_catalog(emulator: EmulatorServer, catalog_stack) -> None:
    assert kill_and_recover(emulator, catalog_stack, examples=10, kills_per_example=3) >= 30


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("FASTPIX_SLOW_TESTS"), reason="slow: make test-slow (FASTPIX_SLOW_TESTS=1)")
def test_many_killed_fast_runs_recover_to_exactly_the_catalog(emulator: EmulatorServer, catalog_stack) -> None:
    assert kill_and_recover(emulator, catalog_stack, examples=60, kills_per_example=3) >= 150
