"""FastPix's REST API over httpx: Basic auth, the `{success, data}` envelope, retries, error mapping.

The client knows FastPix's wire format (camelCase JSON, paths of the OpenAPI spec) and nothing of
Pulumi. It takes an optional httpx transport so tests can run it against an in-process app.

Nothing an answer says is believed before it is checked. FastPix's envelope, as the live API sends it
(../shared/fastpix-api/captured/): success is `{"success": true, "data": ...}` (a DELETE answers
`{"success": true}` alone; a list adds `pagination: {totalRecords, currentOffset, offsetCount}`), an
error is `{"success": false, "error": {"code", "message", "description"}}`. Anything else - an HTML
page, a router's 404, `{"success": false}` with a 200, a media without an id - is a ProtocolError:
the API URL or a proxy is wrong, and for a change FastPix may or may not have acted. Every public
method returns a checked result or raises a FastPixError; no KeyError or httpx exception escapes.

Server text reaches a message only through `FastPixClient._quote`: scrubbed of credentials, then cut.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpcore
import httpx

from ._version import __version__
from .errors import (
    MAX_QUOTED,
    MAX_REQUEST_ID,
    APIError,
    ConfigurationError,
    InvalidIdError,
    InvalidRequestError,
    ProtocolError,
    TransportError,
    bounded,
    error_for_status,
)
from .retry import RetryPolicy, parse_retry_after

log = logging.getLogger("fastpix_provider")

USER_AGENT = f"fastpix-pulumi/{__version__} httpx/{httpx.__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)
DEFAULT_REQUEST_DEADLINE = 60.0
"""Seconds one HTTP attempt may take in all, however the server paces its bytes."""
PAGE_LIMIT = 50
MAX_BODY_BYTES = 8 * 1024 * 1024
"""An answer larger than this is not FastPix's (a page of 50 media is about 150 KB)."""
MAX_ID_LENGTH = 128
CLOCK_SKEW_MARGIN = timedelta(minutes=10)
"""How much older than the attempt a media may look and still be searched for by find_media.

FastPix stamps `createdAt` with its own clock, the caller measures `created_since` with this machine's.
CI runners and laptops drift by seconds to minutes (no NTP, a suspended VM); 10 minutes covers that
with room to spare and costs, at worst, one more page of the newest media.
"""

_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=8)


@dataclass(frozen=True)
class Credentials:
    access_token_id: str
    secret_key: str

    def __repr__(self) -> str:
        # Never let a secret reach a log line or a traceback through repr().
        return "Credentials(access_token_id=***, secret_key=***)"


# What a message refusing an id says an id is.
ID_RULE = f": an id is 1 to {MAX_ID_LENGTH} printable characters without '/'."


def looks_like_id(value: object) -> bool:
    """True for a string FastPix could use as an id: 1-128 printable characters, no '/', not a dot path."""
    return (isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and value.isprintable()
            and "/" not in value and value not in (".", ".."))


class _Scrubber:
    """Removes credentials from text a server sent before any of it is quoted. Holds the secrets: no repr."""

    _HEADER = re.compile(r"""(authorization["']?\s*[:=]\s*["']?)[^\s"',;}<&]*(\s+[^\s"',;}<&]+)?""", re.IGNORECASE)
    _TOKEN = re.compile(r"\b(basic|bearer)(\s+|%20|\+)[A-Za-z0-9+/=._~%-]{4,}", re.IGNORECASE)

    def __init__(self, credentials: Credentials) -> None:
        token_id, key = credentials.access_token_id, credentials.secret_key
        secrets = {token_id, key}
        for raw in (f"{token_id}:{key}".encode(), key.encode()):
            for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
                text = encoded.decode("ascii")
                secrets.update({text, text.rstrip("=")})
        ordered = sorted((s for s in secrets if s), key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def __repr__(self) -> str:
        return "<scrubber>"

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub("***", text)
        text = self._HEADER.sub(r"\1***", text)
        return self._TOKEN.sub(r"\1 ***", text)


@dataclass(frozen=True)
class _Answer:
    """One HTTP answer, read whole (bounded by MAX_BODY_BYTES and the deadline)."""

    status: int
    headers: httpx.Headers
    body: bytes
    reason: str


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
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.request_deadline = request_deadline
        self._timeout = timeout
        self._sleep = sleep
        self._on_retry = on_retry or (lambda message: log.warning(message))
        self._scrub = _Scrubber(credentials)
        if transport is None:
            # Our own transport, so that every socket read and write is held to the request's deadline.
            transport = httpx.HTTPTransport(limits=_LIMITS)
            _hold_to_deadline(transport)
        try:
            self._http = httpx.Client(
                base_url=self.api_url,
                auth=httpx.BasicAuth(credentials.access_token_id, credentials.secret_key),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                timeout=timeout,
                transport=transport,
                # The provider serves at most 4 calls at once; keep that many connections warm.
                limits=_LIMITS,
            )
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise ConfigurationError(f"the API URL {self._quote(api_url, 120)!r} is not a usable URL: "
                                     f"{self._quote(str(exc), 120)}") from None
        for mounted in getattr(self._http, "_mounts", {}).values():  # proxies from the environment (HTTPS_PROXY)
            _hold_to_deadline(mounted)

    def close(self) -> None:
        self._http.close()

    # -- media --------------------------------------------------------------------------------------

    def create_media(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /on-demand. Not retried once it may have reached FastPix: see retry.py."""
        return self._data("POST", "/on-demand", media=True, json=body)

    def get_media(self, media_id: str) -> dict[str, Any]:
        return self._data("GET", self._media_path(media_id), media=True)

    def update_media(self, media_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._data("PATCH", self._media_path(media_id), media=True, json=body)

    def update_source_access(self, media_id: str, source_access: bool) -> dict[str, Any]:
        return self._data("PATCH", self._media_path(media_id, "/source-access"), media=True,
                          json={"sourceAccess": source_access})

    def update_mp4_support(self, media_id: str, mp4_support: str) -> dict[str, Any]:
        return self._data("PATCH", self._media_path(media_id, "/update-mp4Support"), media=True,
                          json={"mp4Support": mp4_support})

    def delete_media(self, media_id: str) -> None:
        """DELETE, believed only on FastPix's `{"success": true}`."""
        self._call("DELETE", self._media_path(media_id))

    def get_input_info(self, media_id: str) -> dict[str, Any]:
        return self._data("GET", self._media_path(media_id, "/input-info"), media=False)

    def list_media(self, *, limit: int = PAGE_LIMIT, order_by: str = "asc") -> Iterator[dict[str, Any]]:
        """Every media of the workspace, following the spec's page-numbered pagination.

        Each page is checked (a list of objects with valid ids, a whole `offsetCount`) before any of
        it is yielded: an answer that is not FastPix's raises ProtocolError, never "no more media".
        """
        offset = 1
        while True:
            items, pages = self._list_page(limit=limit, offset=offset, order_by=order_by)
            yield from items
            if not items or offset >= pages:
                return
            offset += 1

    def find_media(self, predicate: Callable[[dict[str, Any]], bool], *,
                   created_since: datetime) -> dict[str, Any] | None:
        """The newest media for which `predicate` is true, among those created since `created_since`.

        Reads the workspace newest first and stops at the first media created before `created_since`
        less CLOCK_SKEW_MARGIN (a media made by an attempt cannot be older than the attempt), or at
        the last page. Media without a readable `createdAt` do not stop the search. None means "looked,
        and it is not there"; a list call that fails raises, so "could not look" is never None.
        """
        if created_since.tzinfo is None or created_since.utcoffset() is None:
            raise ValueError("created_since must be a timezone-aware datetime (UTC)")
        oldest = created_since.astimezone(UTC) - CLOCK_SKEW_MARGIN
        for item in self.list_media(limit=PAGE_LIMIT, order_by="desc"):
            created = _created_at(item)
            if created is not None and created < oldest:
                return None
            if predicate(item):
                return item
        return None

    def workspace_id_of_credentials(self) -> str | None:
        """The `workspaceId` of the newest media these credentials see, or None if there is none to read.

        One GET of the list's first page (one item). Raises ProtocolError on an answer that is not
        FastPix's, and on a workspaceId that is a string but cannot be an id.
        """
        items, _ = self._list_page(limit=1, offset=1, order_by="desc")
        if not items:
            return None
        workspace_id = items[0].get("workspaceId")
        if not isinstance(workspace_id, str):
            return None
        if not looks_like_id(workspace_id):
            raise ProtocolError(f"the media's workspaceId {self._describe(workspace_id)} cannot be an id",
                                method="GET", path="/on-demand", status=200)
        return workspace_id

    def list_drm_configuration_ids(self) -> list[str]:
        """The ids of the workspace's DRM configurations (GET /on-demand/drm-configurations, first page).

        A workspace without any answers 400 "DRM ID does not exist" (captured getDrmConfiguration), not
        an empty list: that answer reads as none.
        """
        method, path = "GET", "/on-demand/drm-configurations"
        try:
            status, body = self._call(method, path, params={"limit": 50, "offset": 1})
        except InvalidRequestError as exc:
            if exc.status == 400 and exc.fastpix_envelope:
                return []
            raise
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(item, dict) and looks_like_id(item.get("id"))
                                                 for item in data):
            raise ProtocolError("the DRM configurations answer is not a list of objects with ids",
                                method=method, path=path, status=status)
        return [str(item["id"]) for item in data]

    # -- tracks and playback ids of a media ----------------------------------------------------------

    def add_track(self, media_id: str, track: dict[str, Any]) -> dict[str, Any]:
        """POST /on-demand/{mediaId}/tracks (Add-media-track). A create: not retried once it may have
        reached FastPix (the caller looks for the track first, see children.py)."""
        return self._child_data("POST", self._media_path(media_id, "/tracks"), "track", json={"tracks": track})

    def update_track(self, media_id: str, track_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /on-demand/{mediaId}/tracks/{trackId}: FastPix needs url, languageCode and languageName."""
        return self._child_data("PATCH", self._child_path(media_id, "tracks", track_id, "track"), "track", json=body)

    def delete_track(self, media_id: str, track_id: str) -> None:
        """DELETE /on-demand/{mediaId}/tracks/{trackId}, believed only on FastPix's `{"success": true}`."""
        self._call("DELETE", self._child_path(media_id, "tracks", track_id, "track"))

    def generate_subtitles(self, media_id: str, audio_track_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /on-demand/{mediaId}/tracks/{trackId}/generate-subtitles: a new subtitle track, from an audio
        track by speech recognition (Generate-subtitle-track). A create, like add_track."""
        path = self._child_path(media_id, "tracks", audio_track_id, "audio track", "/generate-subtitles")
        return self._child_data("POST", path, "track", json=body)

    def create_playback_id(self, media_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /on-demand/{mediaId}/playback-ids (create-media-playback-id). A create, like add_track."""
        return self._child_data("POST", self._media_path(media_id, "/playback-ids"), "playback id", json=body)

    def update_playback_id_domains(self, media_id: str, playback_id: str, rules: dict[str, Any]) -> dict[str, Any]:
        """PATCH .../playback-ids/{playbackId}/domains; the answer is the rule set alone."""
        path = self._child_path(media_id, "playback-ids", playback_id, "playback id", "/domains")
        return self._rules("PATCH", path, json=rules)

    def update_playback_id_user_agents(self, media_id: str, playback_id: str, rules: dict[str, Any]) -> dict[str, Any]:
        """PATCH .../playback-ids/{playbackId}/user-agents; the answer is the rule set alone."""
        path = self._child_path(media_id, "playback-ids", playback_id, "playback id", "/user-agents")
        return self._rules("PATCH", path, json=rules)

    def delete_playback_id(self, media_id: str, playback_id: str) -> None:
        """DELETE /on-demand/{mediaId}/playback-ids?playbackId=... (the spec puts the id in the query)."""
        self._child_path(media_id, "playback-ids", playback_id, "playback id")  # refuses an id that cannot be one
        self._call("DELETE", self._media_path(media_id, "/playback-ids"), params={"playbackId": playback_id})

    def _child_path(self, media_id: str, collection: str, child_id: str, what: str, suffix: str = "") -> str:
        child = self._segment(child_id, what, f"{ID_RULE} Check the id kept in the state.")
        return self._media_path(media_id, f"/{collection}/{child}{suffix}")

    def _child_data(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        data = self._data(method, path, media=False, **kwargs)
        if not looks_like_id(data.get("id")):
            raise ProtocolError(f"the {what} in the answer has no valid id ({self._describe(data.get('id'))})",
                                method=method, path=path, status=200)
        return data

    def _rules(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """An access rule set (update-domain-restrictions): defaultPolicy allow|deny, allow and deny lists of strings."""
        data = self._data(method, path, media=False, **kwargs)
        lists_ok = all(isinstance(data.get(k), list) and all(isinstance(v, str) for v in data[k]) for k in ("allow", "deny"))
        if data.get("defaultPolicy") not in ("allow", "deny") or not lists_ok:
            raise ProtocolError("the answer is not a rule set (defaultPolicy allow or deny, allow and deny lists)",
                                method=method, path=path, status=200)
        return data

    # -- direct uploads -----------------------------------------------------------------------------

    def create_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /on-demand/upload: an upload id and the signed URL its bytes go to. Not retried once it may
        have reached FastPix (as a create): the caller looks for the upload by its owner tag first."""
        method, path = "POST", "/on-demand/upload"
        status, answer = self._call(method, path, json=body)
        return self._checked_upload(answer.get("data"), method, path, status)

    def list_uploads(self, *, limit: int = PAGE_LIMIT) -> Iterator[dict[str, Any]]:
        """Every upload still waiting for its bytes (GET /on-demand/uploads, all pages)."""
        method, path = "GET", "/on-demand/uploads"
        offset = 1
        while True:
            status, answer = self._call(method, path, params={"limit": limit, "offset": offset})
            data = answer.get("data")
            if not isinstance(data, list):
                raise ProtocolError(f"the uploads answer carries {_kind(data)} where FastPix sends a data array",
                                    method=method, path=path, status=status)
            items = [self._checked_upload(item, method, path, status) for item in data]
            pagination = answer.get("pagination")
            pages = _whole_number(pagination.get("offsetCount") if isinstance(pagination, dict) else None)
            if pages is None:
                raise ProtocolError("the uploads answer has no whole pagination.offsetCount",
                                    method=method, path=path, status=status)
            yield from items
            if not items or offset >= pages:
                return
            offset += 1

    def cancel_upload(self, upload_id: str) -> dict[str, Any]:
        """PUT /on-demand/upload/{uploadId}/cancel: the upload stops taking bytes and never becomes a media."""
        path = self._id_path("/on-demand/upload/", upload_id, "/cancel", what="upload")
        return self._data("PUT", path, media=False)

    def _checked_upload(self, data: Any, method: str, path: str, status: int) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ProtocolError(f"the answer carries {_kind(data)} where FastPix sends an upload object",
                                method=method, path=path, status=status)
        if not looks_like_id(data.get("uploadId")):
            raise ProtocolError(f"the upload has no valid uploadId ({self._describe(data.get('uploadId'))})",
                                method=method, path=path, status=status)
        if not isinstance(data.get("url"), str) or not data["url"]:
            raise ProtocolError(f"the upload has no url ({self._describe(data.get('url'))})",
                                method=method, path=path, status=status)
        return data

    def _id_path(self, prefix: str, value: str, suffix: str, *, what: str) -> str:
        return f"{prefix}{self._segment(value, what)}{suffix}"

    def _segment(self, value: str, what: str, advice: str = "") -> str:
        """An id as one path segment; an id that cannot be one is refused before any request."""
        if not looks_like_id(value):
            raise InvalidIdError(f"{self._describe(value)} cannot be a FastPix {what} id{advice}")
        return quote(value, safe="")

    # -- checking answers ---------------------------------------------------------------------------

    def _media_path(self, media_id: str, suffix: str = "") -> str:
        advice = f"{ID_RULE} Check the id given to `pulumi import` or kept in the state."
        return f"/on-demand/{self._segment(media_id, 'media', advice)}{suffix}"

    def _data(self, method: str, path: str, *, media: bool, **kwargs: Any) -> dict[str, Any]:
        status, body = self._call(method, path, **kwargs)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProtocolError(f"the answer carries {_kind(data)} where FastPix sends a data object",
                                method=method, path=path, status=status)
        if media and not looks_like_id(data.get("id")):
            raise ProtocolError(f"the media in the answer has no valid id ({self._describe(data.get('id'))})",
                                method=method, path=path, status=status)
        return data

    def _list_page(self, *, limit: int, offset: int, order_by: str) -> tuple[list[dict[str, Any]], int]:
        method, path = "GET", "/on-demand"
        status, body = self._call(method, path, params={"limit": limit, "offset": offset, "orderBy": order_by})
        data = body.get("data")
        if not isinstance(data, list):
            raise ProtocolError(f"the list answer carries {_kind(data)} where FastPix sends a data array",
                                method=method, path=path, status=status)
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                raise ProtocolError(f"item {index} of the list is {_kind(item)}, not a media object",
                                    method=method, path=path, status=status)
            if not looks_like_id(item.get("id")):
                raise ProtocolError(f"item {index} of the list has no valid id ({self._describe(item.get('id'))})",
                                    method=method, path=path, status=status)
        pagination = body.get("pagination")
        raw_pages = pagination.get("offsetCount") if isinstance(pagination, dict) else None
        pages = _whole_number(raw_pages)
        if pages is None:
            raise ProtocolError(f"pagination.offsetCount is {self._describe(raw_pages)}, not a whole number",
                                method=method, path=path, status=status)
        return data, pages

    def _success_envelope(self, answer: _Answer, method: str, path: str) -> dict[str, Any]:
        body = _parse_json(answer.body)
        if body is _NOT_JSON:
            raise ProtocolError(f"the body is not JSON: {self._excerpt(answer)}",
                                method=method, path=path, status=answer.status)
        if not isinstance(body, dict):
            raise ProtocolError(f"the body is {_kind(body)}, not FastPix's envelope",
                                method=method, path=path, status=answer.status)
        if body.get("success") is not True:
            raise ProtocolError(f"the body does not say \"success\": true (it says {self._describe(body.get('success'))})",
                                method=method, path=path, status=answer.status)
        return body

    def _error(self, answer: _Answer, method: str, path: str) -> APIError:
        """The APIError for a 4xx/5xx answer; raises ProtocolError for any other status or a bare 404."""
        status = answer.status
        if not 400 <= status <= 599:
            if 300 <= status <= 399:
                reason = f"a redirect to {self._quote(answer.headers.get('location', ''), 120)!r}"
            else:
                reason = "a status FastPix does not answer with"
            raise ProtocolError(reason, method=method, path=path, status=status)
        body = _parse_json(answer.body)
        error = body.get("error") if isinstance(body, dict) else None
        is_envelope = isinstance(body, dict) and body.get("success") is False and isinstance(error, dict)
        if status == 404 and not is_envelope:
            # A router's or a web server's 404 says nothing about the media: only FastPix's own does.
            raise ProtocolError(f"a 404 outside FastPix's error envelope: {self._excerpt(answer)}",
                                method=method, path=path, status=status)
        if is_envelope and isinstance(error, dict):
            message = self._quote(_text(error.get("message")) or answer.reason)
            description = self._quote(_text(error.get("description")))
        else:
            message = self._quote(answer.reason)
            description = f"the body was {self._excerpt(answer)}" if answer.body.strip() else ""
        request_id = answer.headers.get("x-request-id")
        return error_for_status(
            status,
            method=method,
            path=path,
            message=message,
            description=description,
            request_id=self._quote(request_id, MAX_REQUEST_ID) if request_id else None,
            retry_after=parse_retry_after(answer.headers.get("retry-after")),
            fastpix_envelope=is_envelope,
        )

    # -- quoting server text: the one place it is scrubbed and cut ------------------------------------

    def _quote(self, text: str, limit: int = MAX_QUOTED) -> str:
        # Scrub before cutting (a secret must not be cut into a quotable prefix), and after cleaning
        # (removing control characters must not join a secret back together).
        return self._scrub(bounded(self._scrub(text[:16384]), limit))

    def _excerpt(self, answer: _Answer) -> str:
        text = answer.body[: 4 * MAX_QUOTED * 4].decode("utf-8", errors="replace")
        return repr(self._quote(text)) if text.strip() else "empty"

    def _describe(self, value: object) -> str:
        """A bounded description of a value that should have been an id or a number."""
        if value is None:
            return "missing"
        if isinstance(value, str):
            if len(value) > 60:
                return f"a string of {len(value)} characters starting {self._quote(value, 40)!r}"
            return repr(self._quote(value, 60)) if value else "an empty string"
        if isinstance(value, bool | int | float):
            return repr(value)
        return _kind(value)

    # -- transport ----------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """One API call with retries: the status and FastPix's success envelope, or a FastPixError."""
        attempt = 1
        while True:
            try:
                answer = self._send(method, path, **kwargs)
                if 200 <= answer.status <= 299:
                    return answer.status, self._success_envelope(answer, method, path)
                error = self._error(answer, method, path)
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

    def _send(self, method: str, path: str, **kwargs: Any) -> _Answer:
        """One HTTP attempt, read whole within `request_deadline` seconds."""
        deadline = time.monotonic() + self.request_deadline
        _deadline.at = deadline
        try:
            with _translate_transport_errors(method, path, self._quote):
                with self._http.stream(method, path, timeout=self._timeout_until(deadline), **kwargs) as response:
                    body = self._read_body(response, deadline, method, path)
                    return _Answer(response.status_code, response.headers, body, response.reason_phrase)
        except TransportError as exc:
            if time.monotonic() >= deadline:
                raise self._missed_deadline(method, path, request_sent=exc.request_sent) from None
            raise
        finally:
            _deadline.at = None

    def _read_body(self, response: httpx.Response, deadline: float, method: str, path: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise ProtocolError(f"the answer is larger than {MAX_BODY_BYTES // 2**20} MiB",
                                        method=method, path=path, status=response.status_code)
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise self._missed_deadline(method, path, request_sent=True)
        except httpx.DecodingError:
            raise ProtocolError("the body cannot be decoded as its Content-Encoding header says",
                                method=method, path=path, status=response.status_code) from None
        return b"".join(chunks)

    def _missed_deadline(self, method: str, path: str, *, request_sent: bool) -> TransportError:
        return TransportError(f"FastPix did not answer {method} {path} completely within the "
                              f"{self.request_deadline:g} s deadline", request_sent=request_sent)

    def _timeout_until(self, deadline: float) -> httpx.Timeout:
        remaining = max(deadline - time.monotonic(), 0.001)

        def capped(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        t = self._timeout
        return httpx.Timeout(connect=capped(t.connect), read=capped(t.read), write=capped(t.write), pool=capped(t.pool))


# -- the deadline, held at every socket read and write -------------------------------------------------
# httpx's timeouts bound each read, not a whole answer: a server sending one byte every few seconds
# (headers or body) would hold a call forever. The client sets the attempt's deadline for its thread
# (httpx's sync client does all I/O on the calling thread), and a wrapper around httpcore's network
# backend caps every read/write timeout to what is left. Measured on httpx 0.28.1 / httpcore 1.0.9,
# which keep the backend in `HTTPTransport._pool._network_backend`; if a later version moves it, the
# wrapper is skipped and the deadline is still checked between body chunks
# (tests/test_client_deadline.py then fails for the header trickle and says so).

_deadline = threading.local()


def _within_deadline(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    remaining = at - time.monotonic()
    if remaining <= 0:
        raise error("the request's deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _within_deadline(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _within_deadline(timeout, httpcore.ConnectTimeout),
                                         local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _within_deadline(timeout, httpcore.ConnectTimeout),
                                                 socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _hold_to_deadline(transport: object) -> bool:
    """Wrap an httpx.HTTPTransport's network backend; False when its internals are not the known ones."""
    pool: Any = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):
        return False
    if not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)
    return True


@contextmanager
def _translate_transport_errors(method: str, path: str, quote_text: Callable[[str], str]) -> Iterator[None]:
    """The one place where httpx's exceptions become ours."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise TransportError(f"could not connect to FastPix for {method} {path}: {quote_text(str(exc))}",
                             request_sent=False) from exc
    except httpx.PoolTimeout as exc:
        raise TransportError(f"no free connection to FastPix for {method} {path}", request_sent=False) from exc
    except httpx.UnsupportedProtocol:
        raise ConfigurationError("the API URL must start with https:// (fastpix:apiUrl or FASTPIX_API_URL, "
                                 "e.g. https://api.fastpix.com/v1)") from None
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"cannot build a URL for {method} {path}: {quote_text(str(exc))}. Check "
                                 "fastpix:apiUrl (or FASTPIX_API_URL), e.g. https://api.fastpix.com/v1") from None
    except httpx.HTTPError as exc:
        # A timeout or a dropped connection after the request was written: FastPix may have acted on it.
        detail = quote_text(str(exc)) or type(exc).__name__
        raise TransportError(f"the connection to FastPix failed during {method} {path}: {detail}",
                             request_sent=True) from exc


_NOT_JSON = object()


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers invalid JSON, bad UTF-8 and integers too long to convert.
        return _NOT_JSON


def _text(value: object) -> str:
    """FastPix's message and description are strings; a number is shown, anything else ignored."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _kind(value: object) -> str:
    if value is None:
        return "nothing (null or missing)"
    names = {dict: "a JSON object", list: "a JSON array", str: "a JSON string", bool: "a JSON boolean",
             int: "a JSON number", float: "a JSON number"}
    return names.get(type(value), "an unexpected value")


def _whole_number(value: object) -> int | None:
    """A whole number >= 0, given as an int or as digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and 0 < len(value) <= 12 and value.isascii() and value.isdigit():
        return int(value)
    return None


def _created_at(item: dict[str, Any]) -> datetime | None:
    """`createdAt` as an aware UTC datetime; None when absent or unreadable (it then stops nothing)."""
    value = item.get("createdAt")
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
