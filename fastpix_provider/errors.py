"""Errors a FastPix user can act on, in one small tree.

    FastPixError                      anything that went wrong talking to FastPix
    ├── ConfigurationError            credentials or API URL missing or unusable (no request was sent)
    ├── InvalidIdError                a media id that cannot be a FastPix id (no request was sent)
    ├── TransportError                no answer: connection refused, reset, timed out, or past the deadline
    ├── ProtocolError                 an answer that is not FastPix's (wrong API URL, a proxy in between);
    │                                 ambiguous: for a POST/PATCH/DELETE FastPix may have acted
    └── APIError                      FastPix answered with an error status
        ├── InvalidRequestError       400/422: FastPix rejected a field
        ├── AuthenticationError       401: wrong or missing Access Token ID / Secret Key
        ├── PermissionDeniedError     403: the token may not do this
        ├── NotFoundError             404 in FastPix's own error envelope: no such media
        ├── RateLimitedError          429: too many requests; carries Retry-After
        └── ServerError               5xx: FastPix (or a gateway before it) failed; worth retrying later

`error_for_status` is the one place that maps a status code to a class. Messages never include
credentials (the client scrubs every piece of server text before it gets here) and stay short: each
quoted piece of server text is cut at `MAX_QUOTED` characters, so a hostile or broken server cannot
flood a Pulumi run's output.
"""

from __future__ import annotations

import re
from typing import Any

MAX_QUOTED = 200
"""Characters of one piece of server text (a message, a description, a body excerpt) quoted in a message."""

MAX_REQUEST_ID = 100

_WHITESPACE = re.compile(r"\s+")


def bounded(text: str, limit: int = MAX_QUOTED) -> str:
    """`text` on one line, without control characters, cut at `limit` characters with an ellipsis."""
    # Cut generously first so that cleaning a 200 KB answer costs no more than cleaning a short one.
    text = text[: limit * 4 + 16]
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > limit:
        return text[: max(limit - 1, 0)] + "…"
    return text


class FastPixError(Exception):
    """Base class of every error this package raises about FastPix."""


class ConfigurationError(FastPixError):
    """The provider cannot talk to FastPix as configured."""


class InvalidIdError(FastPixError):
    """An id that cannot name a FastPix media (empty, too long, unprintable): refused before any request."""


class TransportError(FastPixError):
    """The request got no (complete) HTTP answer."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class ProtocolError(FastPixError):
    """An answer that is not FastPix's: not its JSON envelope, or not the shape FastPix gives.

    Usually the API URL is wrong (missing `/v1`, pointing at a web site) or a proxy answers in
    FastPix's place. It is ambiguous: for a call that changes something (anything but GET) FastPix
    may have acted on the request before the answer got lost or rewritten.
    """

    def __init__(self, reason: str, *, method: str, path: str, status: int | None = None) -> None:
        self.method = method
        self.path = bounded(path, 300)
        self.status = status
        self.reason = bounded(reason, 2 * MAX_QUOTED + 200)
        super().__init__(self._render())

    def _render(self) -> str:
        status = f" (status {self.status})" if self.status is not None else ""
        text = (f"The answer to {self.method} {self.path}{status} is not FastPix's: {self.reason}. "
                "Check that fastpix:apiUrl (or FASTPIX_API_URL) is FastPix's API, ending in /v1 "
                "(e.g. https://api.fastpix.com/v1), and that no proxy in between answers in its place.")
        if self.method.upper() != "GET":
            text += " FastPix may have acted on this request: check the media in the FastPix dashboard."
        return text


class APIError(FastPixError):
    hint = "If this persists, check https://status.fastpix.com or contact FastPix support."

    def __init__(
        self,
        status: int,
        *,
        method: str,
        path: str,
        message: str = "",
        description: str = "",
        request_id: str | None = None,
        retry_after: float | None = None,
        fastpix_envelope: bool = False,
    ) -> None:
        self.status = status
        self.method = method
        self.path = bounded(path, 300)
        self.api_message = bounded(message)
        self.description = bounded(description)
        self.request_id = bounded(request_id, MAX_REQUEST_ID) if request_id else None
        self.retry_after = retry_after
        # True when the body was FastPix's own error envelope ({"success": false, "error": {...}}):
        # only then is the status FastPix's word rather than a gateway's or a wrong URL's.
        self.fastpix_envelope = fastpix_envelope
        super().__init__(self._render())

    def _render(self) -> str:
        said = ": ".join(part for part in (self.api_message, self.description) if part)
        text = f"FastPix answered {self.status} to {self.method} {self.path}"
        if said:
            text += f": {said}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        if not self.fastpix_envelope:
            text += (" (not in FastPix's error format: a gateway or proxy may have answered, "
                     "or fastpix:apiUrl is not FastPix's API)")
        return f"{text}. {self.hint}"


class InvalidRequestError(APIError):
    hint = "Fix the property FastPix names above in the program or catalog and run again."


class AuthenticationError(APIError):
    hint = (
        "Check the credentials in FASTPIX_USERNAME (Access Token ID) and FASTPIX_PASSWORD (Secret Key), "
        "and that fastpix:apiUrl points at the workspace's API."
    )


class PermissionDeniedError(APIError):
    hint = "The access token lacks the permission for this call: give it read/write on Video in the FastPix dashboard."


class NotFoundError(APIError):
    hint = "The media no longer exists in this workspace; `pulumi refresh` drops it from the stack's state."


class RateLimitedError(APIError):
    hint = "FastPix is rate limiting this workspace: lower `--parallel` or retry later."


class ServerError(APIError):
    hint = "FastPix (or a gateway in front of it) failed to answer; run `pulumi up` again later."


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: InvalidRequestError,
    429: RateLimitedError,
}


def error_for_status(status: int, **details: Any) -> APIError:
    """The most specific APIError for an HTTP status."""
    cls = _BY_STATUS.get(status) or (ServerError if 500 <= status <= 599 else APIError)
    return cls(status, **details)
