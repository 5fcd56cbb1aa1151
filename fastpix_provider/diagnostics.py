"""Messages from the provider process to the person running `pulumi up`.

The engine starts a provider plugin with the address of its own gRPC endpoint as the first argument.
Sending `Log` there makes a message show in the CLI's output, next to the resource it is about, where
plain stderr would only reach the engine's debug logs. Outside the engine (unit tests), messages go to
Python logging.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

log = logging.getLogger("fastpix_provider")

_lock = threading.Lock()
_engine: Any = None
_engine_resolved = False


def _engine_stub() -> Any:
    global _engine, _engine_resolved
    with _lock:
        if not _engine_resolved:
            _engine_resolved = True
            in_provider_process = sys.argv[0].endswith(os.path.join("pulumi", "dynamic", "__main__.py"))
            address = sys.argv[1] if len(sys.argv) > 1 and ":" in sys.argv[1] else None
            if in_provider_process and address:
                import grpc
                from pulumi.runtime.proto import engine_pb2_grpc

                _engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))
        return _engine


def _send(severity_name: str, message: str, urn: str | None) -> None:
    stub = _engine_stub()
    if stub is None:
        getattr(log, severity_name.lower())(message)
        return
    from pulumi.runtime.proto import engine_pb2

    try:
        stub.Log(engine_pb2.LogRequest(severity=getattr(engine_pb2, severity_name), message=message, urn=urn or ""),
                 timeout=5)
    except Exception:
        getattr(log, severity_name.lower())(message)


def info(message: str, urn: str | None = None) -> None:
    _send("INFO", message, urn)


def warn(message: str, urn: str | None = None) -> None:
    _send("WARNING", message, urn)
