"""Each SDK workaround of _sdk_compat.py: the defect is still there on the installed SDK, and the
workaround corrects it. When a Pulumi release fixes a defect, its first test fails: delete the
workaround (and its section of tools/pulumi/UPSTREAM.md)."""

from __future__ import annotations

import pickle
from importlib.metadata import version

import pulumi.runtime.resource as sdk_resource
from pulumi.dynamic.dynamic import serialize_provider

from fastpix_provider import _sdk_compat, stack_traces
from fastpix_provider._sdk_compat import FULL_STACK_TRACES, PICKLER_CHAIN, WORKAROUNDS, registering_media, restore_pickler
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
