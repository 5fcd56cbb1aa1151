"""The stack trace recorded with each media: where the program declares it, not the SDK's runner."""

from __future__ import annotations

import asyncio
import json
import sysconfig
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime.proto.source_pb2 import SourcePosition, StackFrame, StackTrace

import fastpix_provider.resource
from fastpix_provider.stack_traces import program_frames
from tests.support.builders import entry

PROJECT = Path(__file__).resolve().parent.parent
SDK = Path(pulumi.__file__).parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])


def trace_of(*files: Path | None) -> StackTrace:
    """A trace, innermost frame first; None stands for a frame without a source file (runpy, exec)."""
    frames = [StackFrame(pc=SourcePosition(uri=f.as_uri(), line=7)) if f else StackFrame() for f in files]
    return StackTrace(frames=frames)


def files_of(trace: StackTrace) -> list[str]:
    return [frame.pc.uri.rsplit("/", 1)[-1] for frame in trace.frames]


def test_the_trace_starts_at_the_caller_of_media_and_ends_before_the_runner() -> None:
    trace = trace_of(Path(fastpix_provider.resource.__file__), PROJECT / "fastpix_provider" / "program.py",
                     PROJECT / "__main__.py", None, STDLIB / "runpy.py", SDK / "runtime" / "stack.py",
                     Path(asyncio.__file__).parent / "events.py")
    assert files_of(program_frames(trace)) == ["program.py", "__main__.py"]


def test_a_program_declaring_media_itself_keeps_its_own_frames() -> None:
    program = Path("/home/team/video-infra/__main__.py")
    helpers = Path("/home/team/video-infra/library.py")
    trace = trace_of(Path(fastpix_provider.resource.__file__), helpers, program, SDK / "runtime" / "stack.py")
    assert files_of(program_frames(trace)) == ["library.py", "__main__.py"]


def test_installed_packages_are_not_mistaken_for_the_standard_library() -> None:
    installed_helper = SITE_PACKAGES / "video_catalogs" / "declare.py"
    trace = trace_of(installed_helper, PROJECT / "__main__.py", STDLIB / "runpy.py")
    assert files_of(program_frames(trace)) == ["declare.py", "__main__.py"]


def test_a_trace_of_runner_frames_only_becomes_empty() -> None:
    assert files_of(program_frames(trace_of(None, SDK / "runtime" / "stack.py"))) == []
    assert files_of(program_frames(trace_of())) == []


@pytest.mark.engine
def test_the_state_records_where_each_media_is_declared(catalog_stack) -> None:
    stack, _ = catalog_stack({"intro": entry(title="Intro")})
    stack.up()
    [media] = stack.resources("fastpix:Media")
    recorded = [frame.get("sourcePosition", "") for frame in media["stackTrace"]]
    assert media["sourcePosition"] == recorded[0]
    assert recorded[0].startswith("project:///") and "fastpix_provider/program.py#" in recorded[0]
    assert recorded[-1].split("#")[0].endswith("/__main__.py")
    assert not any("site-packages" in frame or "asyncio" in frame for frame in recorded), recorded
    # What is left of a media in the state is its properties: about 2 KB, half of what the full
    # trace made it (3.96 KB at 0.1.0).
    assert len(json.dumps(media, separators=(",", ":"))) < 2500
