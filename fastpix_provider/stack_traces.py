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

This replaces a private SDK function, for the whole program once the first `Media` is declared, so
other resources declared after it (a bucket, a CDN) get the same shorter trace; what they lose is only
the runner's frames. On an SDK without the function nothing is patched and the state simply keeps the
longer traces. It is one of the SDK workarounds listed in _sdk_compat.py, which applies it.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi.runtime.resource as _sdk_resource
from pulumi.runtime.proto.source_pb2 import StackTrace


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


def record_program_frames_only() -> None:
    """Make the SDK record only the program's frames with each resource (once per process)."""
    original: Callable[[], StackTrace] | None = getattr(_sdk_resource, "_get_stack_trace", None)
    if original is None or getattr(original, _PATCHED_MARK, False):
        return

    def program_stack_trace() -> StackTrace:
        return program_frames(original())

    setattr(program_stack_trace, _PATCHED_MARK, True)
    program_stack_trace.__wrapped__ = original  # type: ignore[attr-defined]  # the SDK's own, for tests
    _sdk_resource._get_stack_trace = program_stack_trace
