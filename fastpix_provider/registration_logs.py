"""Leave out the SDK's routine debug lines about registering this provider's resources.

The Python SDK (3.260) sends three routine debug lines per resource it registers ("registering
resource: ty=...", "resource registration prepared: ...", "resource registration successful: ...") as
blocking gRPC calls, from the event loop that runs the whole program: the program stands still for
three round trips to the engine per resource, though the engine shows those lines only under
`--debug`, and its own log (`-v=9`) records every registration anyway. At 500 media they were 8 % of
a no-change preview's time. (Sending them without waiting, with the stub's `future()`, cost as much:
each call starts grpc's channel thread.)

The registration code's `log` becomes a stand-in that drops those three lines for the resources of
this package (type `pulumi-python:dynamic/fastpix:...`) and passes every other call, of any
severity, to the SDK's own `pulumi.log`: other resources' lines, and the lines about an exception
while registering a Media, are sent as before. It is one of the SDK workarounds of _sdk_compat.py.
"""

from __future__ import annotations

from typing import Any

import pulumi.log as _sdk_log
import pulumi.runtime.resource as _sdk_resource

OWN_TYPE_PREFIX = "ty=pulumi-python:dynamic/fastpix:"
ROUTINE_LINES = tuple(f"{start}: {OWN_TYPE_PREFIX}" for start in (
    "registering resource", "resource registration prepared", "resource registration successful"))


def debug(msg: str, *args: Any, **kwargs: Any) -> None:
    """`pulumi.log.debug`, except for the routine registration lines of this package's resources."""
    if not msg.startswith(ROUTINE_LINES):
        _sdk_log.debug(msg, *args, **kwargs)


class _RegistrationLog:
    """`pulumi.log` as the SDK's registration code sees it, with `debug` above."""

    debug = staticmethod(debug)

    def __getattr__(self, name: str) -> Any:
        return getattr(_sdk_log, name)


def leave_out_routine_registration_lines() -> None:
    """Give the SDK's registration code the stand-in `log` (once per process)."""
    if not isinstance(getattr(_sdk_resource, "log", None), _RegistrationLog):
        setattr(_sdk_resource, "log", _RegistrationLog())  # noqa: B010 - the SDK's module does not export it
