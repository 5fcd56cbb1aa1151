"""Thin request handlers: read parameters, call the backend, wrap the answer in `{success, data}`."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from .errors import InvalidRequest, NotFound, ValidationFailed
from .faults import FaultRule
from .models import RESUMABLE_CHUNK_QUANTUM, OnDemandBackend


def _backend(request: Request) -> OnDemandBackend:
    """The workspace of the request's credentials (the gateway put it there), else the default one."""
    backend = getattr(request.state, "backend", None) or request.app.state.backend
    assert isinstance(backend, OnDemandBackend)
    return backend


def ok(data: Any = None, status: int = 200, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"success": True}
    if data is not None:
        body["data"] = data
    body.update(extra)
    return JSONResponse(body, status_code=status)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise InvalidRequest("a JSON request body is required")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidRequest(f"the request body is not valid JSON: {exc}") from None


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _media_id(request: Request) -> str:
    return str(request.path_params["mediaId"])


# -- media ------------------------------------------------------------------------------------------

async def create_media(request: Request) -> Response:
    return ok(_backend(request).create_media(await json_body(request)), status=201)


async def list_media(request: Request) -> Response:
    data, pagination = _backend(request).list_media(_query(request))
    return ok(data, pagination=pagination)


async def get_media(request: Request) -> Response:
    return ok(_backend(request).get_media(_media_id(request)))


async def update_media(request: Request) -> Response:
    return ok(_backend(request).updated_media(_media_id(request), await json_body(request)))


async def delete_media(request: Request) -> Response:
    _backend(request).delete_media(_media_id(request))
    return ok()


async def update_source_access(request: Request) -> Response:
    return ok(_backend(request).updated_source_access(_media_id(request), await json_body(request)))


async def update_mp4_support(request: Request) -> Response:
    return ok(_backend(request).updated_mp4_support(_media_id(request), await json_body(request)))


async def input_info(request: Request) -> Response:
    return ok(_backend(request).retrieve_media_input_info(_media_id(request)))


# -- playback ids -----------------------------------------------------------------------------------

async def create_playback_id(request: Request) -> Response:
    body = await json_body(request)
    return ok(_backend(request).create_media_playback_id(_media_id(request), body), status=201)


async def list_playback_ids(request: Request) -> Response:
    return ok(_backend(request).list_playback_ids(_media_id(request)))


async def delete_playback_id(request: Request) -> Response:
    _backend(request).delete_media_playback_id(_media_id(request), request.query_params.get("playbackId"))
    return ok()


async def get_playback_id(request: Request) -> Response:
    playback_id = str(request.path_params["playbackId"])
    return ok(_backend(request).get_playback_id(_media_id(request), playback_id))


async def update_domain_restrictions(request: Request) -> Response:
    playback_id = str(request.path_params["playbackId"])
    body = await json_body(request)
    return ok(_backend(request).update_playback_restrictions(_media_id(request), playback_id, "domains", body))


async def update_user_agent_restrictions(request: Request) -> Response:
    playback_id = str(request.path_params["playbackId"])
    body = await json_body(request)
    return ok(_backend(request).update_playback_restrictions(_media_id(request), playback_id, "userAgents", body))


# -- tracks -----------------------------------------------------------------------------------------

async def add_track(request: Request) -> Response:
    return ok(_backend(request).add_media_track(_media_id(request), await json_body(request)), status=201)


async def update_track(request: Request) -> Response:
    track_id = str(request.path_params["trackId"])
    return ok(_backend(request).update_media_track(_media_id(request), track_id, await json_body(request)))


async def delete_track(request: Request) -> Response:
    _backend(request).delete_media_track(_media_id(request), str(request.path_params["trackId"]))
    return ok()


async def generate_subtitles(request: Request) -> Response:
    track_id = str(request.path_params["trackId"])
    return ok(_backend(request).generate_subtitle_track(_media_id(request), track_id, await json_body(request)))


# -- DRM configurations -----------------------------------------------------------------------------

async def list_drm_configurations(request: Request) -> Response:
    data, pagination = _backend(request).get_drm_configuration(_query(request))
    return ok(data, pagination=pagination)


async def get_drm_configuration(request: Request) -> Response:
    return ok(_backend(request).get_drm_configuration_by_id(str(request.path_params["drmConfigurationId"])))


# -- direct uploads ---------------------------------------------------------------------------------

async def create_upload(request: Request) -> Response:
    upload = _backend(request).direct_upload_video_media(await json_body(request))
    return ok(upload.view(), status=201)


async def list_uploads(request: Request) -> Response:
    uploads, pagination = _backend(request).list_uploads(_query(request))
    return ok(uploads, pagination=pagination)


async def cancel_upload(request: Request) -> Response:
    return ok(_backend(request).cancel_upload(str(request.path_params["uploadId"])))


async def receive_upload(request: Request) -> Response:
    """The upload URL itself (a signed storage URL at FastPix), at the same path under /_emulator/storage.
    The signature in the query must be the one the emulator handed out.

    Without `Content-Range`, the body is the whole file. With it, the storage service's resumable
    protocol (see OnDemandBackend.upload_session): `bytes A-B/T` sends a chunk, `bytes */T` asks how
    much is held; 308 with `Range: bytes=0-N` until the last byte, then 200. Bytes are counted and
    digested as they arrive, never kept: a connection that dies mid-chunk leaves what arrived.
    """
    backend = request.app.state.workspaces.by_id(str(request.path_params["workspaceId"]))
    if backend is None:
        raise NotFound("No such bucket path")
    upload_id = str(request.path_params["uploadId"])
    signature = request.query_params.get("X-Goog-Signature", "")
    content_range = request.headers.get("content-range")
    if content_range is None:
        size = 0
        async for piece in request.stream():
            size += len(piece)
        media_id = backend.receive_upload(upload_id, signature, size)
        return ok({"mediaId": media_id})
    upload = backend.upload_session(upload_id, signature)
    start, end, total = _content_range(content_range)
    if start is not None and end is not None:
        declared = end - start + 1
        if total is not None and end + 1 < total and declared % RESUMABLE_CHUNK_QUANTUM:
            raise ValidationFailed("Content-Range", f"a chunk before the last must be a multiple of "
                                                    f"{RESUMABLE_CHUNK_QUANTUM} bytes, got {declared}")
        if upload.status == "waiting":
            position = start
            try:
                async for piece in request.stream():
                    if not piece:
                        continue
                    if position + len(piece) > end + 1:
                        raise ValidationFailed("Content-Range", "the body is longer than the range it declares")
                    backend.receive_chunk(upload_id, position, piece)
                    position += len(piece)
            except ClientDisconnect:
                return Response(status_code=499)  # nobody is listening; what arrived is held
            if position != end + 1:
                raise ValidationFailed("Content-Range", f"declares {declared} bytes, the body has {position - start}")
    held = upload.received_bytes
    media_id = backend.finish_session(upload_id, total) if total is not None else None
    if media_id is not None:
        return ok({"mediaId": media_id})
    headers = {"Range": f"bytes=0-{held - 1}"} if held else {}
    return Response(status_code=308, headers=headers)


_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def _content_range(value: str) -> tuple[int | None, int | None, int | None]:
    """(start, end, total) of `bytes A-B/T`, `bytes A-B/*`, `bytes */T` or `bytes */*` (None where `*`)."""
    match = _CONTENT_RANGE.match(value.strip())
    if match is None:
        raise ValidationFailed("Content-Range", "must be `bytes A-B/T`, `bytes A-B/*`, `bytes */T` or `bytes */*`")
    start, end, total = match.groups()
    if start is not None and int(end) < int(start):
        raise ValidationFailed("Content-Range", "ends before it starts")
    return (int(start) if start else None, int(end) if end else None, None if total == "*" else int(total))


# -- control ----------------------------------------------------------------------------------------

async def health(request: Request) -> Response:
    return ok({"media": len(_backend(request).media)})


async def reset(request: Request) -> Response:
    for backend in request.app.state.workspaces.backends():
        backend.reset()
    request.app.state.journal.clear()
    request.app.state.faults.clear()
    return ok()


async def journal(request: Request) -> Response:
    return ok(request.app.state.journal.entries())


async def clear_journal(request: Request) -> Response:
    request.app.state.journal.clear()
    return ok()


async def list_faults(request: Request) -> Response:
    return ok(request.app.state.faults.rules())


async def add_fault(request: Request) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidRequest("a fault rule is a JSON object")
    try:
        rule = FaultRule.from_json(body)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"invalid fault rule: {exc}") from None
    return ok(request.app.state.faults.add(rule).to_json(), status=201)


async def clear_faults(request: Request) -> Response:
    request.app.state.faults.clear()
    return ok()


async def set_processing_delay(request: Request) -> Response:
    body = await json_body(request)
    delay = body.get("seconds") if isinstance(body, dict) else None
    if not isinstance(delay, (int, float)) or delay < 0:
        raise InvalidRequest("seconds must be a number of seconds, 0 or more")
    request.app.state.backend.processing_delay = float(delay)
    return ok({"seconds": float(delay)})


async def seed(request: Request) -> Response:
    """`{"count": 10000, "createdAt": <epoch seconds>, "metadata": {...}, "accessTokenId": ...}`: that many
    Ready media at once, in the workspace of `accessTokenId` (default: the default workspace)."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidRequest("a seed request is a JSON object")
    count, created_at, metadata = body.get("count"), body.get("createdAt"), body.get("metadata")
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100_000:
        raise InvalidRequest("count must be an integer from 0 to 100000")
    if created_at is not None and (not isinstance(created_at, (int, float)) or isinstance(created_at, bool)):
        raise InvalidRequest("createdAt must be epoch seconds")
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise InvalidRequest("metadata must map strings to strings")
    token = body.get("accessTokenId")
    backend = request.app.state.backend if token is None else request.app.state.workspaces.by_token(str(token))
    if backend is None:
        raise InvalidRequest("no workspace has that accessTokenId")
    ids = backend.seed_media(count, created_at=None if created_at is None else float(created_at), metadata=metadata)
    return ok({"ids": ids}, status=201)


async def set_drm_configurations(request: Request) -> Response:
    """`{"count": 0}` leaves the default workspace without DRM configurations (as one where DRM was
    never set up); `{"count": 1}` gives it back its one."""
    body = await json_body(request)
    count = body.get("count") if isinstance(body, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 50:
        raise InvalidRequest("count must be an integer from 0 to 50")
    request.app.state.backend.set_drm_configurations(count)
    return ok({"ids": request.app.state.backend.drm_configuration_ids})
