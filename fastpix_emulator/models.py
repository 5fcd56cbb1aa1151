"""The emulated FastPix workspace: media, playback ids, tracks and direct uploads, apart from HTTP.

`OnDemandBackend` holds the state in plain dicts and has one method per API operation, named after the
spec's operationId. Every method takes and returns plain JSON-ready values in the spec's casing, so the
request handlers stay thin. Media status is derived from time (see `MediaRecord.status_at`), which keeps
"wait until ready" deterministic: a processing delay of 0 makes a media Ready at its first read.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import schemas
from .errors import Conflict, InvalidRequest, NotFound
from .store import MemoryStore, Store

WORKSPACE_ID = "6dc2b4e0-0615-42fd-a580-1f4aad932dfe"
OPEN_RESTRICTIONS: dict[str, Any] = {
    "domains": {"defaultPolicy": "allow", "allow": [], "deny": []},
    "userAgents": {"defaultPolicy": "allow", "allow": [], "deny": []},
}
# Hosts under the reserved `.invalid` TLD can never be fetched: such media end Failed, which gives
# tests a deterministic failure path.
FAILING_HOST_SUFFIX = ".invalid"


def _timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id() -> str:
    return str(uuid.uuid4())


def require_uuid(value: str, name: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a valid UUID, got {value!r}") from None
    return value


def _restrictions(requested: dict[str, Any] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for kind, default in OPEN_RESTRICTIONS.items():
        merged[kind] = {**default, **((requested or {}).get(kind) or {})}
    return merged


@dataclass
class MediaRecord:
    id: str
    created_at: float
    updated_at: float
    ready_after: float
    inputs: list[dict[str, Any]]
    access_policy: str
    playback_ids: list[dict[str, Any]]
    metadata: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    creator_id: str | None = None
    max_resolution: str = "1080p"
    media_quality: str = "standard"
    source_access: bool = False
    mp4_support: str = "none"
    optimize_audio: bool = False
    tracks: list[dict[str, Any]] = field(default_factory=list)
    upload_id: str | None = None

    @property
    def input_url(self) -> str:
        return next((str(i.get("url", "")) for i in self.inputs if i.get("type") == "video"), "")

    @property
    def fails(self) -> bool:
        host = urlsplit(self.input_url).hostname or ""
        return host.endswith(FAILING_HOST_SUFFIX)

    def status_at(self, now: float) -> str:
        """Created for the first half of the processing delay, Processing for the second, then final."""
        elapsed = now - self.created_at
        if elapsed >= self.ready_after:
            return "Failed" if self.fails else "Ready"
        return "Processing" if elapsed >= self.ready_after / 2 else "Created"

    def created_view(self) -> dict[str, Any]:
        """The body of `POST /on-demand` (CreateMediaResponse)."""
        return {
            "id": self.id,
            "trial": False,
            "status": "Created",
            "createdAt": _timestamp(self.created_at),
            "updatedAt": _timestamp(self.updated_at),
            "playbackIds": self.playback_ids,
            "metadata": self.metadata,
            "mediaQuality": self.media_quality,
            "sourceAccess": self.source_access,
            "maxResolution": self.max_resolution,
            "inputs": [{"type": i.get("type"), "url": i.get("url")} for i in self.inputs if "url" in i],
            "optimizeAudio": self.optimize_audio,
        }

    def view(self, now: float) -> dict[str, Any]:
        """The media as `GET /on-demand/{mediaId}` shows it (GetMediaResponse)."""
        status = self.status_at(now)
        ready = status == "Ready"
        first_playback = self.playback_ids[0]["id"] if self.playback_ids else None
        data: dict[str, Any] = {
            "id": self.id,
            "workspaceId": WORKSPACE_ID,
            "metadata": self.metadata,
            "mediaQuality": self.media_quality,
            "maxResolution": self.max_resolution,
            "sourceResolution": self.max_resolution,
            "status": status,
            "mp4Support": self.mp4_support,
            "sourceAccess": self.source_access,
            "playbackIds": self.playback_ids,
            # Audio and subtitle tracks are listed as AudioTrack/SubtitleTrack show them (no url).
            # The spec's `oneOf` cannot tell an AudioTrack from a VideoTrack (VideoTrack constrains
            # nothing), so no validator accepts a media with such a track: a defect of the spec, see
            # tests/test_emulator_api.py::test_audio_tracks_hit_the_specs_ambiguous_one_of.
            "tracks": self.video_tracks(ready) + [{k: v for k, v in t.items() if k != "url"} for t in self.tracks],
            "generatedSubtitles": [],
            "isAudioOnly": False,
            "subtitleAvailable": any(t["type"] == "subtitle" for t in self.tracks),
            "createdAt": _timestamp(self.created_at),
            "updatedAt": _timestamp(self.updated_at),
        }
        # Absent rather than null: the PATCH answers' schemas (Update-Media, Media) do not allow null.
        if ready and first_playback:
            data["thumbnail"] = f"https://images.fastpix.com/{first_playback}/thumbnail.png"
        if self.title is not None:
            data["title"] = self.title
        if self.creator_id is not None:
            data["creatorId"] = self.creator_id
        if ready:
            data.update(duration="00:00:10", frameRate="30/1", aspectRatio="16:9")
        return data

    def video_tracks(self, ready: bool) -> list[dict[str, Any]]:
        if not ready:
            return []
        height = int(self.max_resolution.rstrip("p"))
        track_id = str(uuid.uuid5(uuid.NAMESPACE_URL, self.id + "/video"))
        return [
            {
                "id": track_id,
                "type": "video",
                "width": height * 16 // 9,
                "height": height,
                "frameRate": "30/1",
                "status": "available",
            }
        ]

    def to_row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MediaRecord:
        return cls(**row)


@dataclass
class UploadRecord:
    upload_id: str
    created_at: float
    cors_origin: str
    settings: dict[str, Any]
    playback_ids: list[dict[str, Any]]
    status: str = "waiting"
    media_id: str | None = None

    def view(self, upload_url: str) -> dict[str, Any]:
        settings = self.settings
        return {
            "uploadId": self.upload_id,
            "trial": False,
            "status": self.status,
            "url": upload_url,
            "timeout": 14400,
            "corsOrigin": self.cors_origin,
            "pushMediaSettings": {
                "playbackIds": self.playback_ids,
                "metadata": settings.get("metadata", {}),
                "mediaQuality": settings.get("mediaQuality", "standard"),
                "sourceAccess": settings.get("sourceAccess", False),
                "optimizeAudio": settings.get("optimizeAudio", False),
            },
        }

    def to_row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> UploadRecord:
        return cls(**row)


def _page(items: list[Any], query: dict[str, str]) -> tuple[list[Any], dict[str, int]]:
    """Slice `items` by the spec's `limit` (1..50), 1-based page `offset` and `orderBy`."""
    limit = _int_param(query, "limit", 10)
    offset = _int_param(query, "offset", 1)
    order = query.get("orderBy", "desc")
    if not 1 <= limit <= 50:
        raise InvalidRequest(f"limit must be between 1 and 50, got {limit}")
    if offset < 1:
        raise InvalidRequest(f"offset must be at least 1, got {offset}")
    if order not in ("asc", "desc"):
        raise InvalidRequest(f"orderBy must be one of: asc, desc, got {order!r}")
    ordered = items if order == "asc" else list(reversed(items))
    start = (offset - 1) * limit
    pagination = {
        "totalRecords": len(items),
        "currentOffset": offset,
        "offsetCount": max(1, math.ceil(len(items) / limit)),
    }
    return ordered[start : start + limit], pagination


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be an integer, got {raw!r}") from None


class OnDemandBackend:
    """One FastPix workspace. Thread-safe: handlers may run on several threads in tests."""

    def __init__(self, *, processing_delay: float = 0.5, store: Store | None = None) -> None:
        self.processing_delay = processing_delay
        self._store = store or MemoryStore()
        self._lock = threading.RLock()
        self.media: dict[str, MediaRecord] = {}
        self.uploads: dict[str, UploadRecord] = {}
        for row in self._store.load("media"):
            record = MediaRecord.from_row(row)
            self.media[record.id] = record
        for row in self._store.load("uploads"):
            upload = UploadRecord.from_row(row)
            self.uploads[upload.upload_id] = upload

    # -- control ------------------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.media.clear()
            self.uploads.clear()
            self._store.clear()

    # -- media --------------------------------------------------------------------------------------

    def create_media(self, body: Any) -> dict[str, Any]:
        body = schemas.validate(body, schemas.CREATE_MEDIA)
        inputs = body["inputs"]
        videos = [i for i in inputs if i.get("type") == "video"]
        if not videos:
            raise InvalidRequest("inputs must contain one input of type video with a url")
        for index, item in enumerate(inputs):
            if item.get("type") == "video":
                schemas.validate(item, schemas.VIDEO_INPUT, prefix=f"inputs[{index}]")
                _require_fetchable_url(item["url"], f"inputs[{index}].url")
        record = self._new_media(body, inputs)
        return record.created_view()

    def _new_media(self, settings: dict[str, Any], inputs: list[dict[str, Any]], upload_id: str | None = None) -> MediaRecord:
        now = time.time()
        record = MediaRecord(
            id=_new_id(),
            created_at=now,
            updated_at=now,
            ready_after=self.processing_delay,
            inputs=inputs,
            access_policy=settings["accessPolicy"],
            playback_ids=[_new_playback_id(settings["accessPolicy"], settings.get("accessRestrictions"))],
            metadata=dict(settings.get("metadata") or {}),
            title=settings.get("title"),
            creator_id=settings.get("creatorId"),
            max_resolution=settings.get("maxResolution", "1080p"),
            media_quality=settings.get("mediaQuality", "standard"),
            source_access=settings.get("sourceAccess", False),
            mp4_support=settings.get("mp4Support", "none"),
            optimize_audio=settings.get("optimizeAudio", False),
            upload_id=upload_id,
        )
        with self._lock:
            self.media[record.id] = record
            self._store.put("media", record.id, record.to_row())
        return record

    def list_media(self, query: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        now = time.time()
        with self._lock:
            records = sorted(self.media.values(), key=lambda r: r.created_at)
        page, pagination = _page(records, query)
        return [record.view(now) for record in page], pagination

    def get_media(self, media_id: str) -> dict[str, Any]:
        return self._media(media_id).view(time.time())

    def updated_media(self, media_id: str, body: Any) -> dict[str, Any]:
        body = schemas.validate(body, schemas.UPDATE_MEDIA)
        with self._lock:
            record = self._media(media_id)
            if "metadata" in body:
                record.metadata = dict(body["metadata"])
            if "title" in body:
                record.title = body["title"]
            if "creatorId" in body:
                record.creator_id = body["creatorId"]
            return self._touch(record)

    def updated_source_access(self, media_id: str, body: Any) -> dict[str, Any]:
        body = schemas.validate(body, schemas.UPDATE_SOURCE_ACCESS)
        with self._lock:
            record = self._media(media_id)
            record.source_access = body["sourceAccess"]
            return self._touch(record)

    def updated_mp4_support(self, media_id: str, body: Any) -> dict[str, Any]:
        body = schemas.validate(body, schemas.UPDATE_MP4_SUPPORT_BODY)
        with self._lock:
            record = self._media(media_id)
            record.mp4_support = body["mp4Support"]
            return self._touch(record)

    def delete_media(self, media_id: str) -> None:
        """Delete by the media's id or by the id of the upload it came from."""
        with self._lock:
            record = self._media(media_id)
            del self.media[record.id]
            self._store.delete("media", record.id)

    def retrieve_media_input_info(self, media_id: str) -> dict[str, Any]:
        record = self._media(media_id)
        return {
            "configuration": {"url": record.input_url},
            "file": {"containerFormat": "mp4", "tracks": record.video_tracks(ready=True)},
        }

    # -- playback ids -------------------------------------------------------------------------------

    def create_media_playback_id(self, media_id: str, body: Any) -> dict[str, Any]:
        body = schemas.validate(body, schemas.CREATE_PLAYBACK_ID)
        playback = _new_playback_id(body["accessPolicy"], body.get("accessRestrictions"))
        if "resolution" in body:
            playback["resolution"] = body["resolution"]
        with self._lock:
            record = self._media(media_id)
            record.playback_ids.append(playback)
            self._touch(record)
        return playback

    def list_playback_ids(self, media_id: str) -> list[dict[str, Any]]:
        return [_playback_view(p) for p in self._media(media_id).playback_ids]

    def get_playback_id(self, media_id: str, playback_id: str) -> dict[str, Any]:
        require_uuid(playback_id, "playbackId")
        return _playback_view(self._playback(self._media(media_id), playback_id))

    def delete_media_playback_id(self, media_id: str, playback_id: str | None) -> None:
        if not playback_id:
            raise InvalidRequest("playbackId is required as a query parameter")
        require_uuid(playback_id, "playbackId")
        with self._lock:
            record = self._media(media_id)
            record.playback_ids.remove(self._playback(record, playback_id))
            self._touch(record)

    # -- tracks -------------------------------------------------------------------------------------

    def add_media_track(self, media_id: str, body: Any) -> dict[str, Any]:
        track = schemas.validate(body, schemas.ADD_TRACK)["tracks"]
        _require_fetchable_url(track["url"], "tracks.url")
        created = {"id": _new_id(), "type": track["type"], "url": track["url"],
                   "languageCode": track["languageCode"], "languageName": track["languageName"]}
        with self._lock:
            record = self._media(media_id)
            record.tracks.append({**created, "status": "available"})
            self._touch(record)
        return created

    def update_media_track(self, media_id: str, track_id: str, body: Any) -> dict[str, Any]:
        require_uuid(track_id, "trackId")
        body = schemas.validate(body, schemas.UPDATE_TRACK)
        _require_fetchable_url(body["url"], "url")
        with self._lock:
            record = self._media(media_id)
            track = self._track(record, track_id)
            track.update(url=body["url"], languageCode=body["languageCode"], languageName=body["languageName"])
            self._touch(record)
            return {k: track[k] for k in ("id", "type", "url", "languageCode", "languageName")}

    def delete_media_track(self, media_id: str, track_id: str) -> None:
        require_uuid(track_id, "trackId")
        with self._lock:
            record = self._media(media_id)
            record.tracks.remove(self._track(record, track_id))
            self._touch(record)

    # -- direct uploads -----------------------------------------------------------------------------

    def direct_upload_video_media(self, body: Any) -> UploadRecord:
        body = schemas.validate(body, schemas.DIRECT_UPLOAD)
        settings = body.get("pushMediaSettings") or {"accessPolicy": "public"}
        upload = UploadRecord(
            upload_id=_new_id(),
            created_at=time.time(),
            cors_origin=body["corsOrigin"],
            settings=settings,
            playback_ids=[_new_playback_id(settings["accessPolicy"], settings.get("accessRestrictions"))],
        )
        with self._lock:
            self.uploads[upload.upload_id] = upload
            self._store.put("uploads", upload.upload_id, upload.to_row())
        return upload

    def list_uploads(self, query: dict[str, str]) -> tuple[list[UploadRecord], dict[str, int]]:
        with self._lock:
            waiting = sorted((u for u in self.uploads.values() if u.status == "waiting"), key=lambda u: u.created_at)
        return _page(waiting, query)

    def cancel_upload(self, upload_id: str) -> dict[str, Any]:
        require_uuid(upload_id, "uploadId")
        with self._lock:
            upload = self.uploads.get(upload_id)
            if upload is None:
                raise NotFound(f"No upload with id {upload_id} exists in this workspace")
            if upload.status != "waiting":
                raise Conflict(f"Upload {upload_id} is {upload.status} and can no longer be cancelled")
            upload.status = "cancelled"
            self._store.put("uploads", upload.upload_id, upload.to_row())
        settings = upload.settings
        return {
            "uploadId": upload.upload_id,
            "trial": False,
            "status": upload.status,
            "url": "",
            "timeout": 14400,
            "corsOrigin": upload.cors_origin,
            "maxResolution": settings.get("maxResolution", "1080p"),
            "accessPolicy": settings["accessPolicy"],
            "metadata": settings.get("metadata", {}),
            "title": settings.get("title"),
            "creatorId": settings.get("creatorId"),
        }

    def receive_upload(self, upload_id: str, size: int) -> str:
        """Bytes arrived at an upload URL: the upload becomes a media. Returns the media id."""
        with self._lock:
            upload = self.uploads.get(upload_id)
            if upload is None or upload.status != "waiting":
                raise NotFound(f"No open upload with id {upload_id}")
            if size == 0:
                raise InvalidRequest("the uploaded file is empty")
            inputs = [{"type": "video", "url": f"upload://{upload_id}"}]
            record = self._new_media(upload.settings, inputs, upload_id=upload_id)
            record.playback_ids = upload.playback_ids
            self._store.put("media", record.id, record.to_row())
            upload.status = "asset_created"
            upload.media_id = record.id
            self._store.put("uploads", upload.upload_id, upload.to_row())
            return record.id

    # -- helpers ------------------------------------------------------------------------------------

    def _media(self, media_id: str) -> MediaRecord:
        require_uuid(media_id, "mediaId")
        with self._lock:
            record = self.media.get(media_id)
            if record is None:
                upload = self.uploads.get(media_id)
                if upload is not None and upload.media_id:
                    record = self.media.get(upload.media_id)
        if record is None:
            raise NotFound(f"No media with id {media_id} exists in this workspace")
        return record

    def _touch(self, record: MediaRecord) -> dict[str, Any]:
        record.updated_at = time.time()
        self._store.put("media", record.id, record.to_row())
        return record.view(record.updated_at)

    @staticmethod
    def _playback(record: MediaRecord, playback_id: str) -> dict[str, Any]:
        for playback in record.playback_ids:
            if playback["id"] == playback_id:
                return playback
        raise NotFound(f"Media {record.id} has no playback id {playback_id}")

    @staticmethod
    def _track(record: MediaRecord, track_id: str) -> dict[str, Any]:
        for track in record.tracks:
            if track["id"] == track_id:
                return track
        raise NotFound(f"Media {record.id} has no track {track_id}")


def _new_playback_id(access_policy: str, restrictions: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": _new_id(), "accessPolicy": access_policy, "accessRestrictions": _restrictions(restrictions)}


def _playback_view(playback: dict[str, Any]) -> dict[str, Any]:
    return {k: playback[k] for k in ("id", "accessPolicy", "accessRestrictions")}


def _require_fetchable_url(url: str, field_name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(f"{field_name} must be an http(s) URL that FastPix can fetch, got {url!r}")
