"""The ASGI application: routes, Basic auth (one workspace per set of credentials), fault injection,
the journal and error rendering.

What is not under the API prefix `/v1` (nor the emulator's own `/_emulator`) is answered as the web
server in front of an API answers an unknown path: 404 with an HTML page, not FastPix's JSON envelope.
"""

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
from .faults import Decision, FaultInjector, Journal
from .models import OnDemandBackend
from .urls import API_PREFIX, API_ROUTES, CONTROL_PREFIX, CONTROL_ROUTES

log = logging.getLogger("fastpix_emulator")


@dataclass(frozen=True)
class Credentials:
    access_token_id: str
    secret_key: str

    def accepts(self, authorization: str | None) -> bool:
        return _accepts(authorization, self.access_token_id, self.secret_key)


def basic_credentials(authorization: str | None) -> tuple[bytes, bytes] | None:
    """(username, password) of a Basic Authorization header, as bytes; None when there is none."""
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:], validate=True)
    except (binascii.Error, ValueError):
        return None
    user, _, password = decoded.partition(b":")
    return user, password


def _accepts(authorization: str | None, access_token_id: str, secret_key: str) -> bool:
    # Bytes, not str: hmac.compare_digest refuses a str with non-ASCII characters (a 500 before).
    given = basic_credentials(authorization)
    if given is None:
        return False
    user, password = given
    return hmac.compare_digest(user, access_token_id.encode()) & hmac.compare_digest(password, secret_key.encode())


class Workspaces:
    """The workspaces the emulator serves, each behind its own credentials; the first is the default."""

    def __init__(self, default: Credentials, backend: OnDemandBackend) -> None:
        self._by_token: dict[str, tuple[Credentials, OnDemandBackend]] = {default.access_token_id: (default, backend)}

    def add(self, credentials: Credentials, backend: OnDemandBackend) -> None:
        if credentials.access_token_id in self._by_token:
            raise ValueError("a workspace with that Access Token ID exists already")
        self._by_token[credentials.access_token_id] = (credentials, backend)

    def rotate_secret_key(self, access_token_id: str, secret_key: str) -> None:
        """From now on the workspace takes only this secret key, as after a rotation in the dashboard."""
        _, backend = self._by_token[access_token_id]
        self._by_token[access_token_id] = (Credentials(access_token_id, secret_key), backend)

    def backends(self) -> list[OnDemandBackend]:
        return [backend for _, backend in self._by_token.values()]

    def by_id(self, workspace_id: str) -> OnDemandBackend | None:
        return next((b for b in self.backends() if b.workspace_id == workspace_id), None)

    def by_token(self, access_token_id: str) -> OnDemandBackend | None:
        entry = self._by_token.get(access_token_id)
        return entry[1] if entry else None

    def authenticate(self, authorization: str | None) -> OnDemandBackend | None:
        """The workspace whose credentials these are, or None."""
        given = basic_credentials(authorization)
        if given is None:
            return None
        try:
            token = given[0].decode()
        except UnicodeDecodeError:
            return None
        entry = self._by_token.get(token)
        if entry is None or not _accepts(authorization, entry[0].access_token_id, entry[0].secret_key):
            return None
        return entry[1]


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    await _send(send, status, _encode(body), b"application/json", headers)


async def _send(send: Send, status: int, payload: bytes, content_type: bytes | None,
                headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    start_headers = [(b"content-length", str(len(payload)).encode()), *headers]
    if content_type is not None:
        start_headers.insert(0, (b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": payload})


STATUS_MESSAGES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 408: "Request timeout",
    409: "Conflict", 422: "Unprocessable entity", 429: "Too many requests", 500: "Internal server error",
    502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout", 520: "Web server returned an unknown error",
    521: "Web server is down", 522: "Connection timed out", 523: "Origin is unreachable", 524: "A timeout occurred",
}


def status_message(status: int) -> str:
    return STATUS_MESSAGES.get(status, "Server error" if status >= 500 else "Client error")


def html_page(status: int) -> bytes:
    """The page a web server or gateway answers with, knowing nothing of FastPix's envelope."""
    title = f"{status} {status_message(status)}"
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>gateway</center>\r\n</body>\r\n</html>\r\n").encode()


async def _send_fault(send: Send, decision: Decision) -> None:
    status = decision.status
    assert status is not None
    headers: tuple[tuple[bytes, bytes], ...] = ()
    if decision.retry_after is not None:
        headers = ((b"retry-after", str(decision.retry_after).encode()),)
    if decision.body == "html":
        await _send(send, status, html_page(status), b"text/html", headers)
    elif decision.body == "empty":
        await _send(send, status, b"", None, headers)
    elif decision.retry_after is not None:
        await _send_json(send, status, error_envelope(
            status, "Too many requests", "Rate limit exceeded; retry after the Retry-After delay"), headers)
    else:
        await _send_json(send, status, error_envelope(
            status, status_message(status), "Injected fault: the emulator was told to fail this request"), headers)


class GatewayMiddleware:
    """What stands in front of FastPix's API: faults first (as a flaky network or gateway would), then
    Basic auth on every API route, then the route; every API request lands in the journal."""

    def __init__(self, app: ASGIApp, workspaces: Workspaces, faults: FaultInjector, journal: Journal) -> None:
        self.app = app
        self.workspaces = workspaces
        self.faults = faults
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or (path.startswith(CONTROL_PREFIX + "/") and not path.startswith(
            CONTROL_PREFIX + "/storage/"
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
            body_read = False
            if decision.drop and decision.after_bytes is not None:
                # The route sees the first `after_bytes` bytes, then a client that went away.
                cut = _CutBody(receive, decision.after_bytes)
                await self.app(scope, cut, _swallow)
                body_read = cut.body_read
            if decision.drop:
                if not decision.after and not body_read:
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
                await _send_fault(send, decision)
                return
            if not (path.startswith((API_PREFIX + "/", CONTROL_PREFIX + "/")) or path == API_PREFIX):
                # Not FastPix's API: the web server in front answers, in its own words.
                status_seen = 404
                await _drain_request_body(receive)
                await _send(send, 404, html_page(404), b"text/html")
                return
            if path.startswith(API_PREFIX + "/"):
                backend = self.workspaces.authenticate(_header(scope, b"authorization"))
                if backend is None:
                    status_seen = 401
                    await _send_json(send, 401, error_envelope(
                        401, "Unauthorized",
                        "Send the Access Token ID as the username and the Secret Key as the password (HTTP Basic)"))
                    return
                scope.setdefault("state", {})["backend"] = backend
            await self.app(scope, receive, send_and_watch)
        finally:
            self.journal.record(method, path, status_seen, started)


async def _swallow(message: Message) -> None:
    pass


class _CutBody:
    """A `receive` that passes on `limit` bytes of the request body, then says the client went away."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._left = limit
        self.cut = False
        self.body_read = False  # the real body was read to its end

    async def __call__(self) -> Message:
        if self.cut:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        body: bytes = message.get("body", b"")
        self.body_read = not message.get("more_body", False)
        if len(body) < self._left or (len(body) == self._left and self.body_read):
            self._left -= len(body)
            return message
        self.cut = True
        kept, self._left = body[: self._left], 0
        return {"type": "http.request", "body": kept, "more_body": True}


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
    workspaces: Workspaces | None = None,
) -> ASGIApp:
    """The emulator as an ASGI app. `workspaces`, when given, holds `credentials` and `backend` (the
    default workspace) and any others; otherwise the app serves that one workspace."""
    app = Starlette(
        routes=[Mount(API_PREFIX, routes=API_ROUTES), Mount(CONTROL_PREFIX, routes=CONTROL_ROUTES)],
        exception_handlers={EmulatorError: _emulator_error, HTTPException: _http_error, Exception: _unexpected_error},
    )
    app.state.backend = backend or OnDemandBackend()
    app.state.workspaces = workspaces or Workspaces(credentials, app.state.backend)
    app.state.faults = faults or FaultInjector()
    app.state.journal = journal or Journal()
    return GatewayMiddleware(app, app.state.workspaces, app.state.faults, app.state.journal)
