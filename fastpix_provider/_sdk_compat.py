"""Workarounds for defects of the Pulumi Python SDK, in one place.

Each workaround names the SDK release it was measured on and applies only where the SDK still has the
private hook it corrects (so a release that removes the hook gets no patch). tests/test_sdk_compat.py
shows each defect on the installed SDK *without* its workaround: when a release fixes one, that test
fails and says which workaround to delete. tools/pulumi/UPSTREAM.md has each defect written up for
Pulumi's issue tracker.

1. PICKLER_CHAIN (measured on 3.260.0): `pulumi.dynamic.serialize_provider` wraps
   `pickle._Pickler._batch_setitems` in a new closure on every call and never restores it, so each
   dynamic resource deepens a chain of wrappers; near 1,000 resources in one program the next
   registration fails with RecursionError. `registering_media()` restores the original around each
   registration, which keeps the chain one deep.
2. FULL_STACK_TRACES (measured on 3.260.0): the SDK records the whole interpreter stack with every
   resource registration (~25 frames of its runner, asyncio, grpc and threading, identical for every
   resource), and the engine writes it into the state: half of a Media's bytes in the state, rewritten
   twice per changed resource by the file and object-store backends, so a cost growing with the square
   of the catalog size. `record_program_frames_only()` keeps the program's frames (see stack_traces.py).
3. QUADRATIC_OUTPUT_WAIT (measured on 3.260.0): once the program's code has run, the SDK waits for its
   pending outputs with one `asyncio.wait(FIRST_COMPLETED)` pass per finished output over all those
   still pending: quadratic in the catalog size (at 2,000 media, 50 s of a 63 s create).
   `wait_linearly_for_outputs()` installs a wait with the same contract that is linear (output_wait.py).
4. BLOCKING_DEBUG_LINES (measured on 3.260.0): the SDK sends three routine debug lines per resource
   registration as blocking gRPC calls from the program's event loop.
   `leave_out_routine_registration_lines()` drops them for this package's resources (registration_logs.py).
5. LATE_REGISTRATIONS (measured on 3.260.0; the SDK's design rather than a defect): a resource's
   registration runs on the event loop, which turns only once the program's code has returned, so no
   registration reaches the engine before the whole catalog is declared (the first FastPix call of a
   500-media create came 2.0 s in, 0.6 s with one media). `let_registrations_start()` gives the loop a
   turn with the SDK's own re-entrant pump (the one its synchronous invokes use), so the engine creates
   the first media while the program declares the rest. Only on a running asyncio loop of the standard
   kind (the pump drives its private `_run_once`); anywhere else it does nothing.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi.runtime.resource as _sdk_resource
import pulumi.runtime.stack as _sdk_stack

from . import output_wait, registration_logs, stack_traces

try:
    import pulumi.runtime.sync_await as _sdk_sync_await
except ImportError:  # a release without the SDK's pump: registrations simply start when the program returns
    _sdk_sync_await = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Workaround:
    name: str
    measured_on: str  # the SDK release on which the defect was measured
    upstream: str  # the section of tools/pulumi/UPSTREAM.md that reports it

    def applies(self) -> bool:
        return _HOOKS[self.name]()


PICKLER_CHAIN = Workaround("pickler-chain", "3.260.0", "serialize_provider leaks a wrapper per call")
FULL_STACK_TRACES = Workaround("full-stack-traces", "3.260.0", "every resource records the whole interpreter stack")
QUADRATIC_OUTPUT_WAIT = Workaround("quadratic-output-wait", "3.260.0",
                                   "waiting for a program's outputs is quadratic in their number")
BLOCKING_DEBUG_LINES = Workaround("blocking-debug-lines", "3.260.0",
                                  "every resource registration waits for its debug lines to reach the engine")
LATE_REGISTRATIONS = Workaround("late-registrations", "3.260.0",
                                "no registration starts before the program's code returns")
WORKAROUNDS = (PICKLER_CHAIN, FULL_STACK_TRACES, QUADRATIC_OUTPUT_WAIT, BLOCKING_DEBUG_LINES, LATE_REGISTRATIONS)
# A timer, so that a turn of the loop with nothing ready returns instead of waiting on its sockets.
LOOP_TURN_SECONDS = 0.0005

_PICKLER: Any = getattr(pickle, "_Pickler", None)
_ORIGINAL_BATCH_SETITEMS = getattr(_PICKLER, "_batch_setitems", None)
_ORIGINAL_SAVE_DICT = getattr(_PICKLER, "save_dict", None)

_HOOKS: dict[str, Callable[[], bool]] = {
    PICKLER_CHAIN.name: lambda: _ORIGINAL_BATCH_SETITEMS is not None and _ORIGINAL_SAVE_DICT is not None,
    FULL_STACK_TRACES.name: lambda: callable(getattr(_sdk_resource, "_get_stack_trace", None)),
    QUADRATIC_OUTPUT_WAIT.name: lambda: callable(getattr(_sdk_stack, "wait_for_rpcs", None)),
    BLOCKING_DEBUG_LINES.name: lambda: callable(getattr(getattr(_sdk_resource, "log", None), "debug", None)),
    LATE_REGISTRATIONS.name: lambda: callable(getattr(_sdk_sync_await, "_sync_await", None)),
}


def restore_pickler() -> None:
    """Put back the pure-Python pickler's methods that serialize_provider replaced."""
    if PICKLER_CHAIN.applies():
        _PICKLER._batch_setitems = _ORIGINAL_BATCH_SETITEMS
        _PICKLER.save_dict = _ORIGINAL_SAVE_DICT


@contextmanager
def registering_media() -> Iterator[None]:
    """Around one Media registration: the SDK's process-wide patches stay one deep."""
    if FULL_STACK_TRACES.applies():
        stack_traces.record_program_frames_only()
    if QUADRATIC_OUTPUT_WAIT.applies():
        output_wait.wait_linearly_for_outputs()
    if BLOCKING_DEBUG_LINES.applies():
        registration_logs.leave_out_routine_registration_lines()
    restore_pickler()
    try:
        yield
    finally:
        restore_pickler()


def let_registrations_start() -> None:
    """Between declarations: let the registrations declared so far run up to their call to the engine.

    Only inside a Pulumi run, on the running asyncio loop the SDK's pump knows how to drive; outside one
    (tests, a loop that is not running, another loop implementation such as uvloop) nothing happens, and
    registrations start when the program's code returns, as without this.
    """
    if not LATE_REGISTRATIONS.applies():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if not isinstance(loop, asyncio.BaseEventLoop) or not hasattr(loop, "_run_once") or not hasattr(loop, "_ready"):
        return
    _sdk_sync_await._sync_await(asyncio.sleep(LOOP_TURN_SECONDS))
