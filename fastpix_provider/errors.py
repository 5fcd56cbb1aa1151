"""Errors a FastPix user can act on, in one small tree.

    FastPixError                      anything that went wrong talking to FastPix
    ├── ConfigurationError            credentials or API URL missing or unusable (no request was sent)
    ├── TransportError                no answer: connection refused, reset, or timed out
    └── APIError                      FastPix answered with an error envelope
        ├── InvalidRequestError       400/422: FastPix rejected a field
        ├── AuthenticationError       401: wrong or missing Access Token ID / Secret Key
        ├── PermissionDeniedError     403: the token may not do this
        ├── NotFoundError             404: no such media (already deleted?)
        ├── RateLimitedError          429: too many requests; carries Retry-After
        └── ServerError               5xx: FastPix failed; worth retrying later

`error_for_status` is the one place that maps a status code to a class. Messages never include
credentials: they quote FastPix's own message and description and say what to do next.
"""

from __future__ import annotations

from typing import Any


class FastPixError(Exception):
    """Base class of every error this package raises about FastPix."""


class ConfigurationError(FastPixError):
    """The provider cannot talk to FastPix as configured."""


class TransportError(FastPixError):
    """The request got no HTTP answer."""

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


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
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.api_message = message
        self.description = description
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(self._render())

    def _render(self) -> str:
        said = ": ".join(part for part in (self.api_message, self.description) if part)
        text = f"FastPix answered {self.status} to {self.method} {self.path}"
        if said:
            text += f": {said}"
        if self.request_id:
            text += f" (request id {self.request_id})"
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
    hint = "FastPix failed to answer; the request is safe to retry. Run `pulumi up` again."


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
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(status, **details)
