"""FastPix's REST API over httpx: Basic auth, the `{success, data}` envelope, retries, error mapping.

The client knows FastPix's wire format (camelCase JSON, paths of the OpenAPI spec) and nothing of
Pulumi. It takes an optional httpx transport so tests can run it against an in-process app.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from ._version import __version__
from .errors import APIError, TransportError, error_for_status
from .retry import RetryPolicy, parse_retry_after

log = logging.getLogger("fastpix_provider")

USER_AGENT = f"fastpix-pulumi/{__version__} httpx/{httpx.__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)
PAGE_LIMIT = 50


@dataclass(frozen=True)
class Credentials:
    access_token_id: str
    secret_key: str

    def __repr__(self) -> str:
        # Never let a secret reach a log line or a traceback through repr().
        return "Credentials(access_token_id=***, secret_key=***)"


class FastPixClient:
    """One connection pool per provider process; safe to share between the provider's threads."""

    def __init__(
        self,
        api_url: str,
        credentials: Credentials,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._on_retry = on_retry or (lambda message: log.warning(message))
        self._http = httpx.Client(
            base_url=self.api_url,
            auth=httpx.BasicAuth(credentials.access_token_id, credentials.secret_key),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            # The provider serves at most 4 calls at once; keep that many connections warm.
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        )

    def close(self) -> None:
        self._http.close()

    # -- media --------------------------------------------------------------------------------------

    def create_media(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /on-demand. Not retried once it may have reached FastPix: see retry.py."""
        return self._data("POST", "/on-demand", json=body)

    def get_media(self, media_id: str) -> dict[str, Any]:
        return self._data("GET", f"/on-demand/{_segment(media_id)}")

    def update_media(self, media_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._data("PATCH", f"/on-demand/{_segment(media_id)}", json=body)

    def update_source_access(self, media_id: str, source_access: bool) -> dict[str, Any]:
        return self._data("PATCH", f"/on-demand/{_segment(media_id)}/source-access", json={"sourceAccess": source_access})

    def update_mp4_support(self, media_id: str, mp4_support: str) -> dict[str, Any]:
        return self._data("PATCH", f"/on-demand/{_segment(media_id)}/update-mp4Support", json={"mp4Support": mp4_support})

    def delete_media(self, media_id: str) -> None:
        self._request("DELETE", f"/on-demand/{_segment(media_id)}")

    def get_input_info(self, media_id: str) -> dict[str, Any]:
        return self._data("GET", f"/on-demand/{_segment(media_id)}/input-info")

    def list_media(self, *, limit: int = PAGE_LIMIT, order_by: str = "asc") -> Iterator[dict[str, Any]]:
        """Every media of the workspace, following the spec's page-numbered pagination."""
        offset = 1
        while True:
            body = self._request("GET", "/on-demand", params={"limit": limit, "offset": offset, "orderBy": order_by})
            items = body.get("data") or []
            yield from items
            pages = int((body.get("pagination") or {}).get("offsetCount") or 0)
            if not items or offset >= pages:
                return
            offset += 1

    # -- transport ----------------------------------------------------------------------------------

    def _data(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = self._request(method, path, **kwargs).get("data")
        if not isinstance(data, dict):
            raise APIError(200, method=method, path=path, message="the answer carried no data object")
        return data

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        attempt = 1
        while True:
            try:
                with _translate_transport_errors(method, path):
                    response = self._http.request(method, path, **kwargs)
                if response.is_success:
                    return _json_object(response)
                error = _api_error(response, method, path)
            except TransportError as exc:
                if not self.policy.should_retry(method, attempt, request_sent=exc.request_sent):
                    raise
                wait = self.policy.delay(attempt)
                self._on_retry(f"{exc}; retrying in {wait:.1f}s (attempt {attempt + 1}/{self.policy.max_attempts})")
            else:
                if not self.policy.should_retry(method, attempt, status=error.status):
                    raise error
                wait = self.policy.delay(attempt, error.retry_after)
                self._on_retry(f"FastPix answered {error.status} to {method} {path}; retrying in {wait:.1f}s "
                               f"(attempt {attempt + 1}/{self.policy.max_attempts})")
            self._sleep(wait)
            attempt += 1


def _segment(value: str) -> str:
    return quote(value, safe="")


@contextmanager
def _translate_transport_errors(method: str, path: str) -> Iterator[None]:
    """The one place where httpx's exceptions become ours."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise TransportError(f"could not connect to FastPix for {method} {path}: {exc}", request_sent=False) from exc
    except httpx.PoolTimeout as exc:
        raise TransportError(f"no free connection to FastPix for {method} {path}", request_sent=False) from exc
    except httpx.TransportError as exc:
        # A timeout or a dropped connection after the request was written: FastPix may have acted on it.
        detail = str(exc) or type(exc).__name__
        raise TransportError(f"the connection to FastPix failed during {method} {path}: {detail}", request_sent=True) from exc


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return {}
    return body


def _api_error(response: httpx.Response, method: str, path: str) -> APIError:
    body = _json_object(response)
    raw_error = body.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    return error_for_status(
        response.status_code,
        method=method,
        path=path,
        message=str(error.get("message") or response.reason_phrase or ""),
        description=str(error.get("description") or ""),
        request_id=response.headers.get("x-request-id"),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
