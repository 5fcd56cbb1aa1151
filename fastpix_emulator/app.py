"""The ASGI application: routes, Basic auth, fault injection, the journal and error rendering."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import EmulatorError, error_envelope
from .faults import FaultInjector, Journal
from .models import OnDemandBackend
from .urls import API_PREFIX, API_ROUTES, CONTROL_PREFIX, CONTROL_ROUTES

log = logging.getLogger("fastpix_emulator")


@dataclass(frozen=True)
class Credentials:
    access_token_id: str
    secret_key: str

    def accepts(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return hmac.compare_digest(user, self.access_token_id) & hmac.compare_digest(password, self.secret_key)


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    payload = _encode(body)
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers],
    })
    await send({"type": "http.response.body", "body": payload})


class GatewayMiddleware:
    """What stands in front of FastPix's API: faults first (as a flaky network or gateway would), then
    Basic auth on every API route, then the route; every API request lands in the journal."""

    def __init__(self, app: ASGIApp, credentials: Credentials, faults: FaultInjector, journal: Journal) -> None:
        self.app = app
        self.credentials = credentials
        self.faults = faults
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or (path.startswith(CONTROL_PREFIX + "/") and not path.startswith(
            CONTROL_PREFIX + "/uploads/"
        )):
            await self.app(scope, receive, send)
            return
        started = time.time()
        method: str = scope["method"]
        status_seen = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = message["status"]
            await send(message)

        try:
            decision = self.faults.decide(method, path)
            if decision.delay:
                await asyncio.sleep(decision.delay)
            if decision.after and (decision.drop or decision.status is not None):
                # Act on the request, then lose the answer.
                async def swallow(message: Message) -> None:
                    pass

                await self.app(scope, receive, swallow)
            if decision.drop:
                if not decision.after:
                    # Read the whole request first, as a gateway would: closing a socket with request
                    # bytes still unread makes the kernel send a reset instead of a close, and which of
                    # the two a client saw would then depend on packet timing.
                    await _drain_request_body(receive)
                # Promise a body and never send it: the client sees the connection die mid-response.
                status_seen = 599
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-length", b"64"), (b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": b'{"success":', "more_body": True})
                raise ConnectionAbortedError("fault injection: connection dropped")
            if decision.status is not None:
                status_seen = decision.status
                headers: tuple[tuple[bytes, bytes], ...] = ()
                if decision.retry_after is not None:
                    headers = ((b"retry-after", str(decision.retry_after).encode()),)
                    body = error_envelope(429, "Too many requests", "Rate limit exceeded; retry after the Retry-After delay")
                else:
                    message = "Service unavailable" if decision.status == 503 else "Internal server error"
                    body = error_envelope(decision.status, message, "Injected fault: the emulator was told to fail this request")
                await _send_json(send, decision.status, body, headers)
                return
            if path.startswith(API_PREFIX + "/") and not self.credentials.accepts(_header(scope, b"authorization")):
                status_seen = 401
                await _send_json(send, 401, error_envelope(
                    401, "Unauthorized",
                    "Send the Access Token ID as the username and the Secret Key as the password (HTTP Basic)"))
                return
            await self.app(scope, receive, send_and_watch)
        finally:
            self.journal.record(method, path, status_seen, started)


async def _drain_request_body(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _emulator_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EmulatorError)
    return JSONResponse(exc.envelope(), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(error_envelope(exc.status_code, str(exc.detail), f"{request.method} {request.url.path}"),
                        status_code=exc.status_code)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return JSONResponse(error_envelope(500, "Internal server error", type(exc).__name__), status_code=500)


def create_app(
    credentials: Credentials,
    *,
    backend: OnDemandBackend | None = None,
    faults: FaultInjector | None = None,
    journal: Journal | None = None,
) -> ASGIApp:
    app = Starlette(
        routes=[Mount(API_PREFIX, routes=API_ROUTES), Mount(CONTROL_PREFIX, routes=CONTROL_ROUTES)],
        exception_handlers={EmulatorError: _emulator_error, HTTPException: _http_error, Exception: _unexpected_error},
    )
    app.state.backend = backend or OnDemandBackend()
    app.state.faults = faults or FaultInjector()
    app.state.journal = journal or Journal()
    return GatewayMiddleware(app, credentials, app.state.faults, app.state.journal)
