"""Wait for a program's outstanding outputs in time linear in their number.

Once the program's code has run, the Python SDK (3.260) waits for every output still pending
(`pulumi.runtime.stack.wait_for_rpcs`) with `asyncio.wait(pending, return_when=FIRST_COMPLETED)` in a
loop: each pass hangs a callback on every pending output and takes it off again, to learn of the one
or few that finished. With about 30 outputs per Media that is work proportional to the square of the
catalog: at 500 media a third of a no-change preview's program time, at 2,000 media 50 s of CPU.

`wait_for_outstanding_rpcs` below keeps the SDK's contract: the program's RPCs are awaited first (an
RPC's error re-raised with its cause), then every output, in the order they finish, each error
re-raised as soon as its output fails, except `ResourceRegistrationFailed`, which the SDK leaves to
`Output.recover`; outputs and RPCs created while waiting are waited for too. It only hangs one
callback on each output, which queues the output once it is done. It is one of the SDK workarounds of _sdk_compat.py,
which installs it for the whole program once the first `Media` is declared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pulumi.runtime.stack as _sdk_stack
from pulumi.runtime.settings import SETTINGS, _get_rpc_manager

_PATCHED_MARK = "_fastpix_linear_output_wait"

WaitForRpcs = Callable[..., Coroutine[Any, Any, None]]


async def _await_rpcs() -> None:
    rpc_manager = _get_rpc_manager()
    while rpc_manager.rpcs:
        await asyncio.sleep(0)  # let the RPCs just queued run, as the SDK does
        try:
            await rpc_manager.rpcs.pop()
        except Exception as error:
            if rpc_manager.unhandled_exception is not None:
                raise error from rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
            raise
    if rpc_manager.unhandled_exception is not None:
        raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)


def _take_pending_outputs() -> list[asyncio.Future[Any]]:
    with SETTINGS.lock:
        pending = list(SETTINGS.outputs)
        SETTINGS.outputs.clear()
    return pending


async def _await_outputs() -> None:
    """Every pending output, in the order they finish, taking in new ones after each (as the SDK does).

    Each output gets one callback, which queues it once done: the work is linear in the outputs, and an
    output created while waiting (in an `apply`) that fails is reported as soon as it fails, even while
    older outputs are still pending.
    """
    finished: asyncio.Queue[asyncio.Future[Any]] = asyncio.Queue()
    outstanding = 0

    def watch(outputs: list[asyncio.Future[Any]]) -> None:
        nonlocal outstanding
        for output in outputs:
            outstanding += 1
            output.add_done_callback(finished.put_nowait)

    watch(_take_pending_outputs())
    while outstanding:
        output = await finished.get()
        outstanding -= 1
        try:
            await output
        except _sdk_stack.ResourceRegistrationFailed:
            pass  # the SDK lets a failed registration's outputs fail where nobody reads them
        watch(_take_pending_outputs())


async def wait_for_outstanding_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """`pulumi.runtime.stack.wait_for_rpcs`, with one callback per output instead of one per output per pass."""
    rpc_manager = _get_rpc_manager()
    while True:
        await _await_rpcs()
        if await_all_outstanding_tasks:
            await _await_outputs()
        if not rpc_manager.rpcs:
            return


def wait_linearly_for_outputs() -> None:
    """Install `wait_for_outstanding_rpcs` where the SDK's program runner calls it (once per process)."""
    original: WaitForRpcs | None = getattr(_sdk_stack, "wait_for_rpcs", None)
    if original is None or getattr(original, _PATCHED_MARK, False):
        return
    setattr(wait_for_outstanding_rpcs, _PATCHED_MARK, True)
    wait_for_outstanding_rpcs.__wrapped__ = original  # type: ignore[attr-defined]  # the SDK's own, for tests
    _sdk_stack.wait_for_rpcs = wait_for_outstanding_rpcs
