"""Each SDK workaround of _sdk_compat.py: the defect is still there on the installed SDK, and the
workaround corrects it. When a Pulumi release fixes a defect, its first test fails: delete the
workaround (and its section of tools/pulumi/UPSTREAM.md)."""

from __future__ import annotations

import asyncio
import functools
import inspect
import pickle
import types
from collections.abc import Awaitable, Coroutine
from importlib.metadata import version
from typing import Any, TypeVar

import pulumi
import pulumi.log
import pulumi.runtime.resource as sdk_resource
import pulumi.runtime.stack as sdk_stack
import pytest
import yaml
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.settings import SETTINGS

from fastpix_provider import _sdk_compat, output_wait, registration_logs, stack_traces
from fastpix_provider._sdk_compat import (
    BLOCKING_DEBUG_LINES,
    FULL_STACK_TRACES,
    PICKLER_CHAIN,
    QUADRATIC_OUTPUT_WAIT,
    WORKAROUNDS,
    let_registrations_start,
    registering_media,
    restore_pickler,
)
from fastpix_provider.catalog import parse_catalog
from fastpix_provider.provider import MediaProvider


def test_the_workarounds_were_measured_on_the_installed_sdk() -> None:
    installed = version("pulumi")
    stale = [w.name for w in WORKAROUNDS if w.measured_on != installed]
    assert not stale, (f"the Pulumi SDK is now {installed}: measure whether {', '.join(stale)} are still needed "
                       "(tests below), then update measured_on in fastpix_provider/_sdk_compat.py")
    assert all(w.applies() for w in WORKAROUNDS)


def test_serialize_provider_still_leaves_a_new_pickler_wrapper_behind_on_every_call() -> None:
    restore_pickler()
    try:
        serialize_provider(MediaProvider())
        after_one = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
        serialize_provider(MediaProvider())
        after_two = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
        assert after_one is not after_two, (
            f"the SDK no longer leaks a pickler wrapper per serialize_provider call: delete {PICKLER_CHAIN.name}")
    finally:
        restore_pickler()


def test_registering_media_keeps_the_pickler_chain_one_deep() -> None:
    for _ in range(1_500):  # without the workaround: RecursionError near 1,000
        with registering_media():
            serialize_provider(MediaProvider())
    assert pickle._Pickler._batch_setitems is _sdk_compat._ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]


def trace_of_a_registration(get_stack_trace):  # type: ignore[no-untyped-def]
    """What the SDK records for a resource constructed here: it looks for the resource's three __init__s
    (Resource, CustomResource, the concrete class) and records every frame from their caller outwards."""

    class Resource:
        def __init__(self) -> None:
            self.trace = get_stack_trace()

    class CustomResource(Resource):
        def __init__(self) -> None:
            super().__init__()

    class Concrete(CustomResource):
        def __init__(self) -> None:
            super().__init__()

    return Concrete().trace


def runner_frames(trace) -> list[str]:  # type: ignore[no-untyped-def]
    """Frames of whatever runs the program: no source file (runpy, exec), the SDK, the standard library."""
    return [f.pc.uri if f.HasField("pc") else "" for f in trace.frames
            if not f.HasField("pc") or stack_traces._is_runner(f.pc.uri)]


def sdk_get_stack_trace():  # type: ignore[no-untyped-def]
    return getattr(sdk_resource._get_stack_trace, "__wrapped__", sdk_resource._get_stack_trace)


def test_the_sdk_still_records_the_whole_interpreter_stack_with_each_resource() -> None:
    trace = trace_of_a_registration(sdk_get_stack_trace())
    assert trace.frames[0].pc.uri.endswith("test_sdk_compat.py")
    # Here the runner is pytest's; under `pulumi up` it is the SDK's, asyncio's and grpc's.
    assert runner_frames(trace), f"the SDK records only the program's frames now: delete {FULL_STACK_TRACES.name}"


def test_registering_media_makes_the_sdk_record_the_programs_frames_only() -> None:
    whole = trace_of_a_registration(sdk_get_stack_trace())
    with registering_media():
        trace = trace_of_a_registration(sdk_resource._get_stack_trace)
    assert trace.frames[0].pc.uri.endswith("test_sdk_compat.py")
    assert not runner_frames(trace) and len(trace.frames) < len(whole.frames)


def test_the_programs_frames_are_recorded_as_the_sdk_records_them_then_cuts_them() -> None:
    def recorded_and_cut():  # type: ignore[no-untyped-def]
        return sdk_resource._get_stack_trace(), stack_traces.program_frames(sdk_get_stack_trace()())

    with registering_media():
        recorded, cut = trace_of_a_registration(recorded_and_cut)
    assert recorded.frames and recorded == cut


# -- waiting for the program's outputs ---------------------------------------------------------------

class CountingFuture(asyncio.Future):  # type: ignore[type-arg]
    """A future that counts the callbacks hung on it: the work of whoever waits for it."""

    callbacks = 0

    def add_done_callback(self, fn, *, context=None) -> None:  # type: ignore[no-untyped-def,override]
        CountingFuture.callbacks += 1
        super().add_done_callback(fn, context=context)


def sdk_wait_for_rpcs():  # type: ignore[no-untyped-def]
    return getattr(sdk_stack.wait_for_rpcs, "__wrapped__", sdk_stack.wait_for_rpcs)


T = TypeVar("T")


def run_alone(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a scenario on an event loop of its own, with the SDK's set of pending outputs to itself."""
    saved = set(SETTINGS.outputs)
    SETTINGS.outputs.clear()
    try:
        return asyncio.run(scenario)
    finally:
        SETTINGS.outputs.clear()
        SETTINGS.outputs.update(saved)


async def raised_by(awaitable: Awaitable[Any]) -> str:
    """What awaiting it raised, as text ("nothing" if it returned)."""
    try:
        await awaitable
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return "nothing"


def wait_with(wait, outcomes: list[object], *, added_later: int = 0) -> tuple[str, list[int]]:  # type: ignore[no-untyped-def]
    """Run `wait` over pending outputs that finish one per loop pass, each with its outcome (a value or an
    exception); `added_later` more are created while it waits. What it raised, and the outputs awaited."""

    async def scenario() -> tuple[str, list[int]]:
        loop = asyncio.get_running_loop()
        outputs = [CountingFuture(loop=loop) for _ in outcomes]
        finished: list[int] = []
        for index, output in enumerate(outputs):
            output.add_done_callback(lambda _, index=index: finished.append(index))
        CountingFuture.callbacks = 0
        SETTINGS.outputs.update(outputs)

        async def finish_one_per_pass() -> None:
            for output, outcome in zip(outputs, outcomes, strict=True):
                await asyncio.sleep(0)
                if isinstance(outcome, BaseException):
                    output.set_exception(outcome)
                else:
                    output.set_result(outcome)
            for index in range(added_later):  # outputs created while the first ones resolve
                late: asyncio.Future[None] = loop.create_future()
                late.add_done_callback(functools.partial(lambda number, _: finished.append(number), 1000 + index))
                SETTINGS.outputs.add(late)
                await asyncio.sleep(0)
                late.set_result(None)

        resolving = asyncio.ensure_future(finish_one_per_pass())
        raised = await raised_by(wait())
        await resolving
        return raised, finished

    return run_alone(scenario())


def test_the_sdk_still_waits_for_outputs_with_work_quadratic_in_their_number() -> None:
    wait_with(sdk_wait_for_rpcs(), [None] * 300)
    assert CountingFuture.callbacks > 300 * 300 // 4, (
        f"the SDK's wait for outputs is no longer quadratic: delete {QUADRATIC_OUTPUT_WAIT.name}")


def test_the_linear_wait_hangs_one_callback_on_each_output() -> None:
    wait_with(output_wait.wait_for_outstanding_rpcs, [None] * 300)
    assert CountingFuture.callbacks <= 300


@pytest.mark.parametrize("outcomes, added_later", [
    ([None] * 20, 0),
    ([None] * 20, 5),
    ([None] * 5 + [ValueError("output 5 failed")] + [None] * 5, 0),
    ([None] * 5 + [sdk_stack.ResourceRegistrationFailed("registration failed")] + [None] * 5, 3),
], ids=["all-resolve", "outputs-added-while-waiting", "an-output-fails", "a-registration-failed"])
def test_the_linear_wait_keeps_the_sdks_contract(outcomes: list[object], added_later: int) -> None:
    assert wait_with(output_wait.wait_for_outstanding_rpcs, outcomes, added_later=added_later) == \
        wait_with(sdk_wait_for_rpcs(), outcomes, added_later=added_later)


def failure_of_a_late_output_while_an_older_one_is_pending(wait) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    """An output finishes and its `apply` makes a new output, which fails while an older output is still
    pending: what `wait` raised (or "hung"), and whether the older output was still pending then."""

    async def scenario() -> tuple[str, bool]:
        loop = asyncio.get_running_loop()
        slow: asyncio.Future[None] = loop.create_future()
        quick: asyncio.Future[None] = loop.create_future()
        SETTINGS.outputs.update([slow, quick])

        async def apply_makes_a_failing_output() -> None:
            await asyncio.sleep(0)
            quick.set_result(None)
            late: asyncio.Future[None] = loop.create_future()
            SETTINGS.outputs.add(late)
            await asyncio.sleep(0)
            late.set_exception(ValueError("the apply failed"))

        helper = asyncio.ensure_future(apply_makes_a_failing_output())
        raised = await raised_by(asyncio.wait_for(wait(), timeout=5))  # a guard against hanging, not a measure
        still_pending = not slow.done()
        slow.set_result(None)
        await helper
        return raised, still_pending

    return run_alone(scenario())


def test_a_late_output_that_fails_is_reported_at_once_as_the_sdk_does() -> None:
    assert failure_of_a_late_output_while_an_older_one_is_pending(output_wait.wait_for_outstanding_rpcs) == \
        failure_of_a_late_output_while_an_older_one_is_pending(sdk_wait_for_rpcs()) == \
        ("ValueError: the apply failed", True)


def test_registering_media_installs_the_linear_wait_where_the_sdks_runner_calls_it() -> None:
    with registering_media():
        assert sdk_stack.wait_for_rpcs is output_wait.wait_for_outstanding_rpcs


# -- debug lines -------------------------------------------------------------------------------------

def test_the_sdk_still_sends_the_routine_registration_lines_the_workaround_leaves_out() -> None:
    source = inspect.getsource(sdk_resource.register_resource)
    for line in registration_logs.ROUTINE_LINES:
        start = line.split(": ", 1)[0]
        assert f'f"{start}: ty={{ty}}' in source, (
            f"the SDK no longer sends {start!r} per registration: revisit {BLOCKING_DEBUG_LINES.name}")


def test_only_this_packages_routine_registration_lines_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    monkeypatch.setattr(pulumi.log, "debug", lambda msg, *args, **kwargs: sent.append(msg))
    with registering_media():
        log = getattr(sdk_resource, "log")  # noqa: B009 - the SDK module does not export it
    media = "pulumi-python:dynamic/fastpix:Media"
    log.debug(f"registering resource: ty={media}, name=clip-1, custom=True, remote=False")
    log.debug(f"resource registration prepared: ty={media}, name=clip-1")
    log.debug(f"resource registration successful: ty={media}, urn=urn:pulumi:dev::p::{media}::clip-1")
    log.debug("registering resource: ty=aws:s3/bucket:Bucket, name=b, custom=True, remote=False")
    log.debug(f"exception when preparing or executing rpc for ty='{media}' name='clip-1': Traceback")
    assert sent == ["registering resource: ty=aws:s3/bucket:Bucket, name=b, custom=True, remote=False",
                    f"exception when preparing or executing rpc for ty='{media}' name='clip-1': Traceback"]
    assert log.warn is pulumi.log.warn and log.error is pulumi.log.error


# -- registrations start while the program declares ----------------------------------------------------

def test_a_turn_of_the_loop_lets_a_registration_declared_earlier_start() -> None:
    async def program() -> list[str]:
        started: list[str] = []

        async def registration() -> None:
            started.append("clip-1")

        pending = asyncio.ensure_future(registration())
        declared_so_far = list(started)  # the SDK's loop has not turned: nothing started
        let_registrations_start()  # as the program's own (synchronous) code calls it
        await pending
        return [*declared_so_far, "turn", *started]

    assert asyncio.run(program()) == ["turn", "clip-1"]


@pytest.mark.parametrize("dry_run, turns", [(False, 2), (True, 0)], ids=["up", "preview"])
def test_the_catalog_turns_the_loop_every_batch_of_media_except_in_a_preview(
        monkeypatch: pytest.MonkeyPatch, dry_run: bool, turns: int) -> None:
    from fastpix_provider import program
    from tests.support.builders import entry

    calls: list[int] = []
    declared: list[str] = []
    monkeypatch.setattr(program, "let_registrations_start", lambda: calls.append(len(declared)))
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: dry_run)

    def media(key: str, **_: object) -> types.SimpleNamespace:
        declared.append(key)
        return types.SimpleNamespace(id=key, status=None, playback_url=None)

    monkeypatch.setattr(program, "Media", media)
    monkeypatch.setattr(program, "declare_children", lambda *_: None)
    monkeypatch.setattr(pulumi, "export", lambda *_: None)
    entries = parse_catalog(yaml.safe_dump({f"clip-{i}": entry() for i in range(40)}), "media.yaml")
    program.declare_catalog(entries)
    assert calls == [16, 32][:turns]


def test_the_loop_turns_a_number_of_times_that_grows_with_the_log_of_the_catalog() -> None:
    from fastpix_provider.program import _turns_the_loop

    turns = {n: sum(_turns_the_loop(i) for i in range(n)) for n in (40, 500, 2_000, 5_000)}
    assert turns == {40: 2, 500: 16, 2_000: 18, 5_000: 20}


def test_outside_a_running_loop_a_turn_does_nothing() -> None:
    loop = asyncio.new_event_loop()
    try:
        started: list[str] = []

        async def registration() -> None:
            started.append("clip-1")

        pending = loop.create_task(registration())
        let_registrations_start()  # no loop is running here: registrations would have no engine to reach
        assert started == []
        loop.run_until_complete(pending)
    finally:
        loop.close()
