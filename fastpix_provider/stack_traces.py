"""Keep the stack trace the Pulumi SDK records with each resource to the frames of the program itself.

The Python SDK (3.260) sends the whole interpreter stack with every resource registration, and the
engine writes it into the stack state: for a `Media` that is ~25 frames of the SDK's program runner,
asyncio, grpc and threading, identical for every resource and about half of the resource's bytes in
the state. The file and object-store backends rewrite the whole state twice per changed resource, so
those bytes cost time that grows with the square of the catalog size (at N = 500, a third of the time
of a create). What is worth keeping is where in the program the media is declared: the trace now
starts at the caller of `Media(...)` (not inside its constructor) and ends before the first frame of
the runner, that is the first frame without a source file (runpy, exec'd code), inside the Pulumi SDK
or inside the standard library.

The replacement also records it more cheaply than the SDK does: the SDK formats the whole stack with
`traceback.extract_stack` (reading every frame's source line) and turns each file name into a URI;
here the frames are walked outwards only as far as the runner, and each file's URI is worked out once.
At 500 media that was a tenth of a no-change preview's program time.

This replaces a private SDK function, for the whole program once the first `Media` is declared, so
other resources declared after it (a bucket, a CDN) get the same shorter trace; what they lose is only
the runner's frames. On an SDK without the function nothing is patched and the state simply keeps the
longer traces. It is one of the SDK workarounds listed in _sdk_compat.py, which applies it.
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pulumi
import pulumi.runtime.resource as _sdk_resource
from pulumi.runtime.proto.source_pb2 import SourcePosition, StackFrame, StackTrace


def _uris(*paths: str | Path, folder: bool) -> tuple[str, ...]:
    """file:// URIs of `paths` as written and with symlinks resolved: a frame's file may use either."""
    resolved = {Path(os.path.abspath(path)) for path in paths} | {Path(path).resolve() for path in paths}
    return tuple(sorted(path.as_uri() + ("/" if folder else "") for path in resolved))


_PATHS = sysconfig.get_paths()
_SDK = _uris(Path(pulumi.__file__).parent, folder=True)
_STDLIB = _uris(_PATHS["stdlib"], folder=True)
# A Python without a virtualenv keeps site-packages inside the standard library's folder; what is
# installed there (this package among others) is not the runner.
_INSTALLED = _uris(_PATHS["purelib"], _PATHS["platlib"], folder=True)
_MEDIA_CONSTRUCTOR = _uris(Path(__file__).with_name("resource.py"), folder=False)
_PATCHED_MARK = "_fastpix_program_frames_only"


def _is_runner(uri: str) -> bool:
    return not uri or uri.startswith(_SDK) or (uri.startswith(_STDLIB) and not uri.startswith(_INSTALLED))


def program_frames(trace: StackTrace) -> StackTrace:
    """`trace` (innermost frame first) cut to the program's frames, in place, and returned."""
    uris = [frame.pc.uri if frame.HasField("pc") else "" for frame in trace.frames]
    start = 0
    while start < len(uris) and uris[start] in _MEDIA_CONSTRUCTOR:
        start += 1
    end = start
    while end < len(uris) and not _is_runner(uris[end]):
        end += 1
    del trace.frames[end:]
    del trace.frames[:start]
    return trace


# The SDK's registration is called from three constructors (Resource, CustomResource and the dynamic
# Resource); the frames outside the third are the resource class's own and its caller's.
_SDK_CONSTRUCTORS = 3


@functools.lru_cache(maxsize=4096)
def _uri_of(filename: str) -> str:
    """A frame's file as the SDK names it in a source position ("" where it gives none)."""
    if not filename:
        return ""
    try:
        return Path(filename).as_uri()
    except ValueError:  # a relative name (code exec'd from a string): the SDK records no position
        return ""


def _outside_the_sdk_constructors(frame: FrameType | None) -> FrameType | None:
    """The first frame outside the SDK's three resource constructors, as the SDK finds it."""
    constructors = 0
    while frame is not None and constructors < _SDK_CONSTRUCTORS:
        if frame.f_code.co_name == "__init__":
            constructors += 1
        frame = frame.f_back
    return frame


def program_stack_trace_from(frame: FrameType | None) -> StackTrace:
    """What `program_frames` keeps of the trace the SDK would record at `frame`, without recording it whole."""
    frame = _outside_the_sdk_constructors(frame)
    while frame is not None and _uri_of(frame.f_code.co_filename) in _MEDIA_CONSTRUCTOR:
        frame = frame.f_back
    frames = []
    while frame is not None:
        uri = _uri_of(frame.f_code.co_filename)
        if _is_runner(uri):
            break
        frames.append(StackFrame(pc=SourcePosition(uri=uri, line=frame.f_lineno)))
        frame = frame.f_back
    return StackTrace(frames=frames)


def record_program_frames_only() -> None:
    """Make the SDK record only the program's frames with each resource (once per process)."""
    original: Callable[[], StackTrace] | None = getattr(_sdk_resource, "_get_stack_trace", None)
    if original is None or getattr(original, _PATCHED_MARK, False):
        return

    def program_stack_trace() -> StackTrace:
        return program_stack_trace_from(sys._getframe(1))

    setattr(program_stack_trace, _PATCHED_MARK, True)
    program_stack_trace.__wrapped__ = original  # type: ignore[attr-defined]  # the SDK's own, for tests
    _sdk_resource._get_stack_trace = program_stack_trace
