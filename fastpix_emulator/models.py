"""The emulated FastPix workspace: media, playback ids, tracks and direct uploads, apart from HTTP.

`OnDemandBackend` is one workspace: it holds the state in plain dicts and has one method per API
operation, named after the spec's operationId. Every method takes and returns plain JSON-ready values in
the spec's casing, so the request handlers stay thin. Media status is derived from time (see
`MediaRecord.status_at`), which keeps "wait until ready" deterministic: a processing delay of 0 makes a
media Ready at its first read.

Where the spec and the live API's captured answers (../shared/fastpix-api/captured) differ, the answers
follow the captures: see fastpix_emulator/README.md for the list and the evidence.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from . import schemas
from .errors import Conflict, DrmConfigurationMissing, EmulatorError, NotFound, ValidationFailed
from .store import MemoryStore, Store

WORKSPACE_ID = "6dc2b4e0-0615-42fd-a580-1f4aad932dfe"
"""The default workspace's id; other workspaces get one derived from their Access Token ID."""
_NAMESPACE = uuid.UUID("5d0c7a52-3f0e-4a0b-9a57-8f1c2d3e4b5a")
# The live API hands out signed URLs of a storage service for direct uploads (captured:
# direct-upload-video-media.raw.json). The emulator's have the same form; the bytes are received at
# the same path and query under `<emulator>/_emulator/storage` (see `loopback_upload_url`).
UPLOAD_HOST = "https://storage.googleapis.com"
UPLOAD_BUCKET = "fastpix-uploads-emulator"
UPLOAD_TIMEOUT = 14400
# The storage service's resumable uploads (Google Cloud Storage's, whose session URIs carry
# `upload_id=`, as the live URL does): every chunk but the last is a multiple of this many bytes.
RESUMABLE_CHUNK_QUANTUM = 256 * 1024
# The states FastPix reports while it fetches, checks and transcodes an input, in order (spec: the
# media `status` enum). Each lasts an equal share of the processing delay; then Ready (or Failed).
PROCESSING_STATES = ("Created", "Downloading", "Downloaded", "Validating", "In Queue", "Processing")
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


def workspace_id_for(access_token_id: str) -> str:
    """A stable workspace id for a set of credentials, so a restart with --db finds its media again."""
    return str(uuid.uuid5(_NAMESPACE, "workspace/" + access_token_id))


def require_uuid(value: str, name: str) -> str:
    """A path or query id that is not a UUID: 422 "is invalid", as the live API answers
    (captured: getDrmConfigurationById.api.json)."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(name, "is invalid") from None
    return value


def loopback_upload_url(upload_url: str, base_url: str) -> str:
    """Where the emulator at `base_url` receives the bytes of a direct upload whose (live-shaped,
    https) URL is `upload_url`: the same path and query under `<base_url>/_emulator/storage`. A URL
    handed out on loopback already (`loopback_uploads`) is returned as it is."""
    storage = base_url.rstrip("/") + "/_emulator/storage/"
    if upload_url.startswith(storage):
        return upload_url
    if not upload_url.startswith(UPLOAD_HOST + "/"):
        raise ValueError(f"not an upload URL of this emulator: {upload_url[:80]!r}")
    return base_url.rstrip("/") + "/_emulator/storage" + upload_url[len(UPLOAD_HOST):]


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
    workspace_id: str = WORKSPACE_ID
    seq: int = 0
    drm_configuration_id: str | None = None
    generated_subtitles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def input_url(self) -> str:
        return next((str(i.get("url", "")) for i in self.inputs if i.get("type") == "video"), "")

    @property
    def fails(self) -> bool:
        host = urlsplit(self.input_url).hostname or ""
        return host.endswith(FAILING_HOST_SUFFIX)

    def status_at(self, now: float) -> str:
        """Each of PROCESSING_STATES for an equal share of the processing delay, then Ready. An input
        that cannot be fetched ends Failed once its download is over (where Downloaded would come)."""
        elapsed = now - self.created_at
        if elapsed >= self.ready_after:
            return "Failed" if self.fails else "Ready"
        index = min(int(elapsed / self.ready_after * len(PROCESSING_STATES)), len(PROCESSING_STATES) - 1)
        if self.fails and index >= PROCESSING_STATES.index("Downloaded"):
            return "Failed"
        return PROCESSING_STATES[index]

    def created_view(self) -> dict[str, Any]:
        """The body of `POST /on-demand` (captured: create-media.raw.json)."""
        created: dict[str, Any] = {
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
        if self.mp4_support != "none":
            created["mp4Support"] = self.mp4_support
        return created

    def view(self, now: float) -> dict[str, Any]:
        """The media as `GET /on-demand/{mediaId}` shows it (captured: get-media.api.json): the keys in
        the live answer's order; `mp4Support` absent when it is none (captured: updated-media.raw.json,
        updated-mp4Support.raw.json); what only a processed input has (thumbnail, sourceResolution,
        duration, aspectRatio, tracks of the input) only once Ready."""
        status = self.status_at(now)
        ready = status == "Ready"
        first_playback = self.playback_ids[0]["id"] if self.playback_ids else None
        data: dict[str, Any] = {}
        # Absent rather than null: the PATCH answers' schemas (Update-Media, Media) do not allow null.
        if ready and first_playback:
            data["thumbnail"] = f"https://images.fastpix.com/{first_playback}/thumbnail.png"
        data.update({
            "id": self.id,
            "workspaceId": self.workspace_id,
            "metadata": self.metadata,
            "mediaQuality": self.media_quality,
        })
        if self.creator_id is not None:
            data["creatorId"] = self.creator_id
        if self.title is not None:
            data["title"] = self.title
        data["maxResolution"] = self.max_resolution
        if ready:
            # The live API names the source's height without the "p" (captured: get-media.api.json).
            data["sourceResolution"] = SOURCE_HEIGHT
        data["status"] = status
        if self.mp4_support != "none":
            data["mp4Support"] = self.mp4_support
        data.update({
            "sourceAccess": self.source_access,
            "playbackIds": self.playback_ids,
            # Audio and subtitle tracks are listed as AudioTrack/SubtitleTrack show them (no url).
            # The spec's `oneOf` cannot tell an AudioTrack from a VideoTrack (VideoTrack constrains
            # nothing), so no validator accepts a media with such a track: a defect of the spec, see
            # tests/test_emulator_api.py::test_audio_tracks_hit_the_specs_ambiguous_one_of.
            # In the order of their ids, as the live API lists them (captured: updated-media.raw.json).
            "tracks": sorted([{k: v for k, v in t.items() if k != "url"} for t in self.tracks] + self.video_tracks(ready),
                             key=lambda t: str(t["id"])),
            "generatedSubtitles": [dict(g) for g in self.generated_subtitles],
            "isAudioOnly": False,
            "subtitleAvailable": any(t["type"] == "subtitle" and t.get("status") == "available" for t in self.tracks),
        })
        if ready:
            data.update(duration="00:00:10", aspectRatio="16:9")
        data["createdAt"] = _timestamp(self.created_at)
        data["updatedAt"] = _timestamp(self.updated_at)
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
                "frameRate": "30.000",
                "status": "available",
            }
        ]

    def to_row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MediaRecord:
        return cls(**row)


SOURCE_HEIGHT = "1080"
"""The emulated inputs are all 1080p sources (the live API says "1080", not "1080p")."""


@dataclass
class UploadRecord:
    upload_id: str
    created_at: float
    cors_origin: str
    settings: dict[str, Any]
    playback_ids: list[dict[str, Any]]
    status: str = "waiting"
    media_id: str | None = None
    workspace_id: str = WORKSPACE_ID
    url: str = ""
    received_bytes: int = 0  # what the upload URL holds so far (resumable sessions)
    sha256: str | None = None  # of the bytes received, once complete

    def view(self) -> dict[str, Any]:
        """As the live API shows a direct upload (captured: direct-upload-video-media.raw.json,
        list-uploads.api.json): the playback ids to be made carry no id yet."""
        settings = self.settings
        return {
            "uploadId": self.upload_id,
            "trial": False,
            "status": self.status,
            "url": self.url,
            "timeout": UPLOAD_TIMEOUT,
            "corsOrigin": self.cors_origin,
            "pushMediaSettings": {
                "playbackIds": [{k: v for k, v in p.items() if k != "id"} for p in self.playback_ids],
                "metadata": settings.get("metadata", {}),
                "mediaQuality": settings.get("mediaQuality", "standard"),
                "sourceAccess": settings.get("sourceAccess", False),
                "optimizeAudio": settings.get("optimizeAudio", False),
            },
        }

    def cancelled_view(self) -> dict[str, Any]:
        """The answer to a cancel (captured: cancel-upload.raw.json): no timeout, no pushMediaSettings,
        the settings that matter at the top level."""
        settings = self.settings
        view: dict[str, Any] = {
            "uploadId": self.upload_id,
            "trial": False,
            "status": self.status,
            "url": self.url,
            "corsOrigin": self.cors_origin,
            "maxResolution": settings.get("maxResolution", "1080p"),
            "accessPolicy": settings["accessPolicy"],
            "metadata": settings.get("metadata", {}),
        }
        for name in ("title", "creatorId"):
            if settings.get(name) is not None:
                view[name] = settings[name]
        return view

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
        raise ValidationFailed("limit", "must be between 1 and 50")
    if offset < 1:
        raise ValidationFailed("offset", "must be at least 1")
    if order not in ("asc", "desc"):
        raise ValidationFailed("orderBy", "must be one of: asc, desc")
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
        raise ValidationFailed(name, "must be an integer") from None


class OnDemandBackend:
    """One FastPix workspace. Thread-safe: handlers may run on several threads in tests.

    Several backends may share one store: each keeps to the rows of its own `workspace_id`.
    """

    def __init__(self, *, processing_delay: float = 0.5, store: Store | None = None,
                 workspace_id: str = WORKSPACE_ID, drm_configurations: int = 1) -> None:
        self.processing_delay = processing_delay
        self.workspace_id = workspace_id
        self._store = store or MemoryStore()
        self._lock = threading.RLock()
        self._seq = 0
        self._upload_key = hashlib.sha256(("upload-signing/" + workspace_id).encode()).digest()
        self.media: dict[str, MediaRecord] = {}
        self.uploads: dict[str, UploadRecord] = {}
        # Running digests of resumable sessions in progress (not stored: a restart loses a session's
        # digest, never its bytes count).
        self._session_digests: dict[str, Any] = {}
        # Where upload URLs point: None for the live form (https://storage.googleapis.com/...), or the
        # emulator's own `<base>/_emulator/storage` (EmulatorServer(loopback_uploads=True)), so that a
        # client PUTting to the URL as given reaches the emulator.
        self.upload_base: str | None = None
        self.drm_configuration_ids: list[str] = []
        self.set_drm_configurations(drm_configurations)
        for row in self._store.load("media"):
            record = MediaRecord.from_row(row)
            if record.workspace_id == workspace_id:
                self.media[record.id] = record
        # Stored rows come back in insertion order; number them again so equal timestamps stay in it.
        for record in sorted(self.media.values(), key=lambda r: (r.created_at, r.seq)):
            record.seq = self._next_seq()
        for row in self._store.load("uploads"):
            upload = UploadRecord.from_row(row)
            if upload.workspace_id == workspace_id:
                self.uploads[upload.upload_id] = upload

    # -- control ------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget this workspace's media and uploads (other workspaces in the same store stay)."""
        with self._lock:
            for media_id in self.media:
                self._store.delete("media", media_id)
            for upload_id in self.uploads:
                self._store.delete("uploads", upload_id)
            self.media.clear()
            self.uploads.clear()
            self._session_digests.clear()

    def set_drm_configurations(self, count: int) -> None:
        """Give the workspace `count` DRM configurations, with ids stable for the workspace (0: none,
        as a workspace where DRM was never set up)."""
        self.drm_configuration_ids = [str(uuid.uuid5(_NAMESPACE, f"drm/{self.workspace_id}/{n}")) for n in range(count)]

    def seed_media(self, count: int, *, created_at: float | None = None,
                   metadata: dict[str, str] | None = None) -> list[str]:
        """Put `count` Ready media into the workspace at once, without an HTTP request per media, all
        created at `created_at` (epoch seconds; default now). Returns their ids, oldest first."""
        if count < 0:
            raise ValueError("count must be 0 or more")
        when = time.time() if created_at is None else created_at
        source = {"type": "video", "url": "https://static.fastpix.com/fp-sample-video.mp4"}
        records = []
        with self._lock:
            for _ in range(count):
                record = MediaRecord(
                    id=_new_id(), created_at=when, updated_at=when, ready_after=0.0, inputs=[dict(source)],
                    access_policy="public", playback_ids=[_new_playback_id("public", None)],
                    metadata=dict(metadata or {}), workspace_id=self.workspace_id, seq=self._next_seq(),
                )
                self.media[record.id] = record
                records.append(record)
            self._store.put_many("media", [(r.id, r.to_row()) for r in records])
        return [r.id for r in records]

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- media --------------------------------------------------------------------------------------

    def create_media(self, body: Any) -> dict[str, Any]:
        body = schemas.validate(body, schemas.CREATE_MEDIA)
        inputs = body["inputs"]
        videos = [i for i in inputs if i.get("type") == "video"]
        if not videos:
            raise ValidationFailed("inputs", "must contain one input of type video with a url")
        for index, item in enumerate(inputs):
            if item.get("type") == "video":
                schemas.validate(item, schemas.VIDEO_INPUT, prefix=f"inputs[{index}]")
                _require_fetchable_url(item["url"], f"inputs[{index}].url")
        self._check_drm(body)
        record = self._new_media(body, inputs)
        return record.created_view()

    def _check_drm(self, settings: dict[str, Any], prefix: str = "") -> None:
        """`accessPolicy: drm` needs the id of one of the workspace's DRM configurations (spec:
        CreateMediaRequest.drmConfigurationId, "required if accessPolicy is drm")."""
        if settings.get("accessPolicy") != "drm":
            return
        name = prefix + "drmConfigurationId"
        drm_id = settings.get("drmConfigurationId")
        if drm_id is None:
            raise ValidationFailed(name, "is required when accessPolicy is drm")
        require_uuid(drm_id, name)
        if drm_id not in self.drm_configuration_ids:
            raise DrmConfigurationMissing(f"No DRM configuration with id {drm_id} exists in this workspace")

    def _new_media(self, settings: dict[str, Any], inputs: list[dict[str, Any]], upload_id: str | None = None) -> MediaRecord:
        now = time.time()
        with self._lock:
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
                workspace_id=self.workspace_id,
                seq=self._next_seq(),
                drm_configuration_id=settings.get("drmConfigurationId"),
            )
            self.media[record.id] = record
            self._store.put("media", record.id, record.to_row())
        return record

    def list_media(self, query: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Oldest first for `orderBy=asc`, newest first for `desc` (the default); media created at the
        same instant keep the order they were made in."""
        now = time.time()
        with self._lock:
            records = sorted(self.media.values(), key=lambda r: (r.created_at, r.seq))
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
        """Captured: retrieveMediaInputInfo.api.json (the input's URL and what was found in it)."""
        record = self._media(media_id)
        return {
            "configuration": {"url": record.input_url},
            "file": {"containerFormat": "mp4", "tracks": record.video_tracks(ready=True)},
        }

    # -- DRM configurations -------------------------------------------------------------------------

    def get_drm_configuration(self, query: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """The workspace's DRM configurations. A workspace without any answers 400, as the live API
        did for its test workspace (captured: getDrmConfiguration.api.json)."""
        if not self.drm_configuration_ids:
            raise DrmConfigurationMissing("This workspace has no DRM configuration")
        return _page([{"id": drm_id} for drm_id in self.drm_configuration_ids], {**query, "orderBy": "asc"})

    def get_drm_configuration_by_id(self, drm_configuration_id: str) -> dict[str, Any]:
        require_uuid(drm_configuration_id, "drmConfigurationId")
        if drm_configuration_id not in self.drm_configuration_ids:
            raise DrmConfigurationMissing(f"No DRM configuration with id {drm_configuration_id} exists in this workspace")
        return {"id": drm_configuration_id}

    # -- playback ids -------------------------------------------------------------------------------

    def create_media_playback_id(self, media_id: str, body: Any) -> dict[str, Any]:
        """Captured: create-media-playback-id.raw.json (`resolution` is there, null when not asked)."""
        body = schemas.validate(body, schemas.CREATE_PLAYBACK_ID)
        self._check_drm(body)
        playback = _new_playback_id(body["accessPolicy"], body.get("accessRestrictions"))
        with self._lock:
            record = self._media(media_id)
            record.playback_ids.append(playback)
            self._touch(record)
        return {**playback, "resolution": body.get("resolution")}

    def list_playback_ids(self, media_id: str) -> list[dict[str, Any]]:
        return [_playback_view(p) for p in self._media(media_id).playback_ids]

    def get_playback_id(self, media_id: str, playback_id: str) -> dict[str, Any]:
        require_uuid(playback_id, "playbackId")
        return _playback_view(self._playback(self._media(media_id), playback_id))

    def update_playback_restrictions(self, media_id: str, playback_id: str, kind: str, body: Any) -> dict[str, Any]:
        """PATCH .../domains or .../user-agents: the rule set replaced whole, fields left out at the spec's
        defaults (allow, [], []); the answer is the rule set alone (captured: update-domain-restrictions,
        update-user-agent-restrictions)."""
        require_uuid(playback_id, "playbackId")
        body = schemas.validate(body, schemas.UPDATE_RESTRICTIONS)
        rules = {"defaultPolicy": body.get("defaultPolicy", "allow"), "allow": list(body.get("allow", [])),
                 "deny": list(body.get("deny", []))}
        with self._lock:
            record = self._media(media_id)
            playback = self._playback(record, playback_id)
            playback["accessRestrictions"] = {**playback["accessRestrictions"], kind: rules}
            self._touch(record)
        return dict(rules)

    def delete_media_playback_id(self, media_id: str, playback_id: str | None) -> None:
        if not playback_id:
            raise ValidationFailed("playbackId", "is required")
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
            record.tracks.append({"id": created["id"], "type": created["type"], "status": "available",
                                  "url": created["url"], "languageCode": created["languageCode"],
                                  "languageName": created["languageName"]})
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

    def generate_subtitle_track(self, media_id: str, track_id: str, body: Any) -> dict[str, Any]:
        """Subtitles from an audio track: a subtitle track that stays `preparing` (the emulator does no
        speech recognition), and a `generatedSubtitles` entry (captured: Generate-subtitle-track.raw.json,
        updated-media.raw.json)."""
        require_uuid(track_id, "trackId")
        body = schemas.validate(body, schemas.GENERATE_SUBTITLES)
        with self._lock:
            record = self._media(media_id)
            if self._track(record, track_id)["type"] != "audio":
                raise ValidationFailed("trackId", "must be the id of an audio track")
            created = {"id": _new_id(), "type": "subtitle", "languageCode": body["languageCode"],
                       "languageName": body["languageName"]}
            record.tracks.insert(0, {"id": created["id"], "type": "subtitle", "status": "preparing",
                                     "languageCode": created["languageCode"], "languageName": created["languageName"]})
            record.generated_subtitles.append({"status": "preparing"})
            self._touch(record)
        return created

    # -- direct uploads -----------------------------------------------------------------------------

    def direct_upload_video_media(self, body: Any) -> UploadRecord:
        body = schemas.validate(body, schemas.DIRECT_UPLOAD)
        settings = body.get("pushMediaSettings") or {"accessPolicy": "public"}
        self._check_drm(settings, prefix="pushMediaSettings.")
        created_at = time.time()
        upload_id = _new_id()
        upload = UploadRecord(
            upload_id=upload_id,
            created_at=created_at,
            cors_origin=body["corsOrigin"],
            settings=settings,
            playback_ids=[_new_playback_id(settings["accessPolicy"], settings.get("accessRestrictions"))],
            workspace_id=self.workspace_id,
            url=self._signed_upload_url(upload_id, created_at),
        )
        with self._lock:
            self.uploads[upload.upload_id] = upload
            self._store.put("uploads", upload.upload_id, upload.to_row())
        return upload

    def _signature(self, upload_id: str) -> str:
        return hmac.new(self._upload_key, upload_id.encode(), hashlib.sha256).hexdigest()

    def _signed_upload_url(self, upload_id: str, created_at: float) -> str:
        """A URL of the form the live API hands out (captured: direct-upload-video-media.raw.json)."""
        date = datetime.fromtimestamp(created_at, tz=UTC).strftime("%Y%m%dT%H%M%SZ")
        credential = quote(f"fastpix-emulator@fastpix-emulator.iam.gserviceaccount.com/{date[:8]}/auto/storage/goog4_request")
        host = self.upload_base or UPLOAD_HOST
        return (f"{host}/{UPLOAD_BUCKET}/{self.workspace_id}/{upload_id}?X-Goog-Algorithm=GOOG4-RSA-SHA256"
                f"&X-Goog-Credential={credential}&X-Goog-Date={date}&X-Goog-Expires={UPLOAD_TIMEOUT}"
                f"&X-Goog-SignedHeaders=host%3Bx-goog-resumable&X-Goog-Signature={self._signature(upload_id)}"
                f"&upload_id={upload_id.replace('-', '')}")

    def list_uploads(self, query: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        with self._lock:
            waiting = sorted((u for u in self.uploads.values() if u.status == "waiting"), key=lambda u: u.created_at)
        page, pagination = _page(waiting, query)
        return [upload.view() for upload in page], pagination

    def cancel_upload(self, upload_id: str) -> dict[str, Any]:
        require_uuid(upload_id, "uploadId")
        with self._lock:
            upload = self.uploads.get(upload_id)
            if upload is None:
                raise NotFound(f"No upload with id {upload_id} exists in this workspace", message="Upload not found")
            if upload.status != "waiting":
                raise Conflict(f"Upload {upload_id} is {upload.status} and can no longer be cancelled")
            upload.status = "cancelled"
            self._store.put("uploads", upload.upload_id, upload.to_row())
        return upload.cancelled_view()

    def receive_upload(self, upload_id: str, signature: str, size: int) -> str:
        """A whole file arrived in one PUT at an upload URL: the upload becomes a media. Returns the media id."""
        with self._lock:
            upload = self._open_upload(upload_id, signature)
            if size == 0:
                raise ValidationFailed("file", "is empty")
            upload.received_bytes = size
            return self._complete_upload(upload)

    # The resumable protocol of the storage service behind the live upload URL (a Google Cloud Storage
    # resumable session: the URL carries `upload_id=`): each PUT carries `Content-Range: bytes A-B/T`
    # (T may be `*` until the last chunk) and is answered 308 with `Range: bytes=0-N`, the bytes held
    # so far, until the last one, answered 200. `Content-Range: bytes */T` with no body asks how much
    # is held. A chunk may start before the end of what is held (the overlap is ignored), never after.

    def upload_session(self, upload_id: str, signature: str) -> UploadRecord:
        """The upload behind an upload URL, for a status query or a chunk; 404 once cancelled."""
        with self._lock:
            upload = self.uploads.get(upload_id)
            if upload is not None and upload.status == "asset_created":
                self._check_signature(upload_id, signature)
                return upload
            return self._open_upload(upload_id, signature)

    def receive_chunk(self, upload_id: str, start: int, data: bytes) -> int:
        """Bytes of a resumable session that start at `start`: what is new is kept. Returns the bytes held."""
        with self._lock:
            upload = self.uploads.get(upload_id)
            if upload is None or upload.status != "waiting":
                raise NotFound(f"No open upload with id {upload_id}")
            if start > upload.received_bytes:
                raise ValidationFailed("Content-Range", f"starts at {start}, after the {upload.received_bytes} "
                                                        "bytes held: ask with `bytes */*` and resume from there")
            new = data[upload.received_bytes - start:]
            if new:
                self._session_digests.setdefault(upload_id, hashlib.sha256()).update(new)
                upload.received_bytes += len(new)
            return upload.received_bytes

    def finish_session(self, upload_id: str, total: int) -> str | None:
        """Once a session holds `total` bytes, the upload becomes a media (returns its id); else None."""
        with self._lock:
            upload = self.uploads[upload_id]
            if upload.status == "asset_created":
                return upload.media_id
            if upload.received_bytes < total:
                self._store.put("uploads", upload.upload_id, upload.to_row())
                return None
            if total == 0:
                raise ValidationFailed("file", "is empty")
            digest = self._session_digests.pop(upload_id, None)
            upload.sha256 = digest.hexdigest() if digest is not None else None
            return self._complete_upload(upload)

    def _open_upload(self, upload_id: str, signature: str) -> UploadRecord:
        upload = self.uploads.get(upload_id)
        if upload is None or upload.status != "waiting":
            raise NotFound(f"No open upload with id {upload_id}")
        self._check_signature(upload_id, signature)
        return upload

    def _check_signature(self, upload_id: str, signature: str) -> None:
        if not hmac.compare_digest(signature.encode(), self._signature(upload_id).encode()):
            raise StorageForbidden("the upload URL's signature does not match")

    def _complete_upload(self, upload: UploadRecord) -> str:
        inputs = [{"type": "video", "url": upload.url}]
        record = self._new_media(upload.settings, inputs, upload_id=upload.upload_id)
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
            raise NotFound(f"No media with id {media_id} exists in this workspace", message="Media not found")
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
        raise NotFound(f"Media {record.id} has no playback id {playback_id}", message="Playback id not found")

    @staticmethod
    def _track(record: MediaRecord, track_id: str) -> dict[str, Any]:
        for track in record.tracks:
            if track["id"] == track_id:
                return track
        raise NotFound(f"Media {record.id} has no track {track_id}", message="Track not found")


class StorageForbidden(EmulatorError):
    status = 403
    message = "Forbidden"


def _new_playback_id(access_policy: str, restrictions: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": _new_id(), "accessPolicy": access_policy, "accessRestrictions": _restrictions(restrictions)}


def _playback_view(playback: dict[str, Any]) -> dict[str, Any]:
    return {k: playback[k] for k in ("id", "accessPolicy", "accessRestrictions")}


def _require_fetchable_url(url: str, field_name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(field_name, "must be an http(s) URL that FastPix can fetch")
