"""What a declared media is, checked against FastPix's spec, and how it maps to FastPix's wire format.

Pure functions over plain dicts (the dynamic provider's inputs and outputs, Python-style names):
`check_inputs` validates, `create_body` and `outputs_from_api` translate, `plan_changes` decides
between updating in place and replacing. Nothing here talks to FastPix or to Pulumi.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .owner import OWNER_METADATA_KEY

ACCESS_POLICIES = ("public", "private", "drm")
MAX_RESOLUTIONS = ("2160p", "1440p", "1080p", "720p", "480p")
MEDIA_QUALITIES = ("standard", "pro", "premium")
MP4_SUPPORT = ("none", "capped_4k", "audioOnly", "audioOnly,capped_4k")
METADATA_MAX_KEYS = 10
TEXT_MAX_LENGTH = 255

# Every media this provider creates carries one metadata entry, the owner tag (owner.py), that names
# the stack and resource that own it. It costs one of FastPix's 10 metadata keys: users have 9.
USER_METADATA_MAX_KEYS = METADATA_MAX_KEYS - 1
__all__ = ["OWNER_METADATA_KEY"]

STREAM_HOST = "https://stream.fastpix.com"
IMAGE_HOST = "https://images.fastpix.com"

# Fields FastPix can change on an existing media, and the call that changes each.
IN_PLACE = {
    "title": "update",
    "creator_id": "update",
    "metadata": "update",
    "source_access": "source_access",
    "mp4_support": "mp4_support",
    # Not a FastPix field: declaring or dropping retainOnDelete rewrites the owner tag's `!kept` mark,
    # so that `recover` never calls a media the user chose to keep an orphan.
    "retain_on_delete": "update",
}
# Fields fixed when the media is created: a change means a new media.
REPLACE = ("url", "access_policy", "max_resolution", "media_quality", "optimize_audio", "drm_configuration_id")
# Outputs the provider computes (never declared): the resource declares them, the provider strips
# them from old state before comparing it with declared inputs.
COMPUTED_OUTPUTS = ("media_id", "status", "playback_ids", "playback_url", "thumbnail_url", "duration",
                    "created_at", "owner_tag", "workspace_id")

DEFAULTS: dict[str, Any] = {
    "access_policy": "public",
    "max_resolution": "1080p",
    "media_quality": "standard",
    "source_access": False,
    "mp4_support": "none",
    "optimize_audio": False,
    "metadata": {},
    "title": None,
    "creator_id": None,
    "drm_configuration_id": None,
    "retain_on_delete": False,
}


@dataclass(frozen=True)
class Failure:
    """One invalid property, with a reason that says how to fix it."""

    property: str
    reason: str


# How the dynamic provider protocol spells a value that preview cannot know yet (an output of another
# resource); such inputs are checked again at `up`, once known.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value == UNKNOWN


def check_inputs(inputs: Mapping[str, Any]) -> list[Failure]:
    """Validate declared inputs against the spec's constraints, before any call to FastPix."""
    failures: list[Failure] = []

    def fail(prop: str, reason: str) -> None:
        failures.append(Failure(prop, reason))

    url = inputs.get("url")
    if (url is None or url == "") and inputs.get("adopt_id"):
        pass  # an adopted media exists already; its source URL is optional (direct uploads have none)
    elif url is None or url == "":
        fail("url", "url is required: the http(s) address FastPix downloads the video from")
    elif not _is_unknown(url):
        if not isinstance(url, str):
            fail("url", f"url must be a string, got {type(url).__name__}")
        else:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                fail("url", f"url must be an http:// or https:// address with a host, got {echo(url)}")

    _check_enum(inputs, "access_policy", ACCESS_POLICIES, fail)
    _check_enum(inputs, "max_resolution", MAX_RESOLUTIONS, fail)
    _check_enum(inputs, "media_quality", MEDIA_QUALITIES, fail)
    _check_enum(inputs, "mp4_support", MP4_SUPPORT, fail)
    for name in ("title", "creator_id"):
        value = inputs.get(name)
        if value is None or _is_unknown(value):
            continue
        if not isinstance(value, str):
            fail(name, f"{name} must be a string, got {type(value).__name__}")
        elif len(value) > TEXT_MAX_LENGTH:
            fail(name, f"{name} is {len(value)} characters; FastPix allows at most {TEXT_MAX_LENGTH}")
    for name in ("source_access", "optimize_audio", "wait_for_ready", "take_over", "retain_on_delete"):
        value = inputs.get(name)
        if value is not None and not _is_unknown(value) and not isinstance(value, bool):
            fail(name, f"{name} must be true or false, got {echo(value)}")
    _check_metadata(inputs.get("metadata"), fail)
    adopt_id = inputs.get("adopt_id")
    if adopt_id is not None and not _is_unknown(adopt_id) and not _is_uuid(adopt_id):
        fail("adopt_id", f"adopt_id must be the id (a UUID) of an existing FastPix media, got {echo(adopt_id)}")
    if inputs.get("take_over") is True and not inputs.get("adopt_id"):
        fail("take_over", "take_over applies to adoption only: set adopt_id too, or remove take_over")
    _check_drm(inputs, fail)
    return failures


def _check_drm(inputs: Mapping[str, Any], fail: Any) -> None:
    """A DRM configuration id is a UUID and goes with `drm` only. Whether a `drm` media declares one
    that exists is the provider's check: it can list the workspace's configurations and name them."""
    policy, drm_id = inputs.get("access_policy"), inputs.get("drm_configuration_id")
    if _is_unknown(policy) or _is_unknown(drm_id):
        return
    if drm_id is not None and not _is_uuid(drm_id):
        fail("drm_configuration_id", f"drm_configuration_id must be the id (a UUID) of one of the workspace's "
                                     f"DRM configurations, got {echo(drm_id)}")
    elif drm_id is not None and policy != "drm":
        fail("drm_configuration_id", "drm_configuration_id applies to access_policy drm only: remove it, "
                                     "or set access_policy to drm")


MISSING_DRM_CONFIGURATION = ("access_policy drm needs drm_configuration_id, the id of one of the workspace's DRM "
                             "configurations (FastPix dashboard, or GET /on-demand/drm-configurations)")


ECHO_MAX_LENGTH = 80


def echo(value: Any) -> str:
    """A value quoted in a message, cut to ECHO_MAX_LENGTH characters so no input can flood an error."""
    text = repr(value)
    return text if len(text) <= ECHO_MAX_LENGTH else text[: ECHO_MAX_LENGTH - 1] + "\u2026"


def _check_enum(inputs: Mapping[str, Any], name: str, allowed: tuple[str, ...], fail: Any) -> None:
    value = inputs.get(name)
    if value is None or _is_unknown(value):
        return
    if value not in allowed:
        fail(name, f"{name} must be one of {', '.join(allowed)}; got {echo(value)}")


def _check_metadata(metadata: Any, fail: Any) -> None:
    if metadata is None or _is_unknown(metadata):
        return
    if not isinstance(metadata, Mapping):
        fail("metadata", f"metadata must be a map of string keys to string values, got {type(metadata).__name__}")
        return
    if len(metadata) > USER_METADATA_MAX_KEYS:
        fail("metadata", f"metadata has {len(metadata)} keys; at most {USER_METADATA_MAX_KEYS} are allowed "
                         f"(FastPix allows {METADATA_MAX_KEYS}, one is reserved for '{OWNER_METADATA_KEY}')")
    for key, value in metadata.items():
        if key == OWNER_METADATA_KEY:
            fail(f"metadata.{_short(key)}", f"the metadata key '{OWNER_METADATA_KEY}' is reserved by fastpix-pulumi; rename it")
        elif not isinstance(key, str) or not key:
            fail("metadata", f"metadata keys must be non-empty strings, got {echo(key)}")
        elif _is_unknown(value):
            continue
        elif not isinstance(value, str):
            fail(f"metadata.{_short(key)}", f"metadata values must be strings; quote {echo(value)}")
        elif len(value) > TEXT_MAX_LENGTH:
            fail(f"metadata.{_short(key)}", f"the value is {len(value)} characters; FastPix allows at most {TEXT_MAX_LENGTH}")


def _short(key: Any) -> str:
    text = str(key)
    return text if len(text) <= ECHO_MAX_LENGTH else text[: ECHO_MAX_LENGTH - 1] + "\u2026"


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def with_defaults(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs with every omitted optional field at FastPix's default, so diffs compare like with like."""
    merged = dict(inputs)
    for name, default in DEFAULTS.items():
        if merged.get(name) is None:
            merged[name] = default
    merged["metadata"] = dict(merged["metadata"])
    return merged


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def wire_metadata(inputs: Mapping[str, Any]) -> dict[str, str]:
    metadata = dict(inputs.get("metadata") or {})
    owner = inputs.get("owner")
    if owner:
        metadata[OWNER_METADATA_KEY] = str(owner)[:TEXT_MAX_LENGTH]
    return metadata


def create_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The body of POST /on-demand for declared inputs."""
    values = with_defaults(inputs)
    body: dict[str, Any] = {
        "inputs": [{"type": "video", "url": values["url"]}],
        "accessPolicy": values["access_policy"],
        "maxResolution": values["max_resolution"],
        "mediaQuality": values["media_quality"],
        "metadata": wire_metadata(values),
        "sourceAccess": values["source_access"],
        "optimizeAudio": values["optimize_audio"],
    }
    if values["title"] is not None:
        body["title"] = values["title"]
    if values["creator_id"] is not None:
        body["creatorId"] = values["creator_id"]
    # "none" is the default and not a value POST accepts (only PATCH update-mp4Support does).
    if values["mp4_support"] != "none":
        body["mp4Support"] = values["mp4_support"]
    if values["access_policy"] == "drm" and values["drm_configuration_id"]:
        body["drmConfigurationId"] = values["drm_configuration_id"]
    return body


def update_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The body of PATCH /on-demand/{id}: the fields it manages, all of them, so FastPix matches."""
    values = with_defaults(inputs)
    body: dict[str, Any] = {"metadata": wire_metadata(values)}
    # FastPix keeps a title or creator id once set; an empty string is how one is cleared.
    body["title"] = values["title"] if values["title"] is not None else ""
    body["creatorId"] = values["creator_id"] if values["creator_id"] is not None else ""
    return body


def outputs_from_api(media: Mapping[str, Any]) -> dict[str, Any]:
    """The computed outputs of a media, from a FastPix media object (create or get)."""
    playback_ids = [
        {"id": p.get("id"), "access_policy": p.get("accessPolicy")}
        for p in media.get("playbackIds") or []
    ]
    public = next((p["id"] for p in playback_ids if p["access_policy"] == "public" and p["id"]), None)
    first = playback_ids[0]["id"] if playback_ids else None
    return {
        "media_id": media.get("id"),
        "status": media.get("status"),
        "playback_ids": playback_ids,
        "playback_url": f"{STREAM_HOST}/{public}.m3u8" if public else None,
        "thumbnail_url": f"{IMAGE_HOST}/{first}/thumbnail.png" if first else None,
        "duration": media.get("duration"),
        "created_at": media.get("createdAt"),
        # PATCH answers may leave it out; the provider keeps the recorded one then.
        "workspace_id": media.get("workspaceId") if isinstance(media.get("workspaceId"), str) else None,
    }


def observed_inputs(media: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """What FastPix says the managed fields are now, in input form: refresh compares these to the program.

    Fields the API does not echo back (the input url, optimize_audio) keep their declared value.
    """
    observed = dict(declared)
    metadata = dict(media.get("metadata") or {})
    metadata.pop(OWNER_METADATA_KEY, None)
    observed["metadata"] = metadata
    observed["title"] = media.get("title") or None
    observed["creator_id"] = media.get("creatorId") or None
    if "sourceAccess" in media:
        observed["source_access"] = bool(media.get("sourceAccess"))
    # The live API leaves mp4Support out when it is none (captured get-media and list-media answers),
    # while the spec lists "none" as a value: absent must read as none, or a dashboard switch-off
    # could never show as drift.
    observed["mp4_support"] = media.get("mp4Support") or "none"
    if media.get("maxResolution"):
        observed["max_resolution"] = media["maxResolution"]
    if media.get("mediaQuality"):
        observed["media_quality"] = media["mediaQuality"]
    policies = [p.get("accessPolicy") for p in media.get("playbackIds") or []]
    if policies and declared.get("access_policy", "public") not in policies:
        observed["access_policy"] = policies[0]
    return observed


@dataclass(frozen=True)
class ChangePlan:
    """What a change of inputs needs: the fields that differ, which force a replace, which calls."""

    changed: tuple[str, ...]
    replaces: tuple[str, ...]
    calls: tuple[str, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.changed)


def plan_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> ChangePlan:
    """Compare old state with new inputs, field by field, at FastPix's defaults."""
    old, new = with_defaults(olds), with_defaults(news)
    changed = tuple(name for name in (*REPLACE, *IN_PLACE) if _differs(old.get(name), new.get(name)))
    replaces = tuple(name for name in changed if name in REPLACE)
    calls = tuple(dict.fromkeys(IN_PLACE[name] for name in changed if name in IN_PLACE))
    return ChangePlan(changed=changed, replaces=replaces, calls=calls)


def _differs(old: Any, new: Any) -> bool:
    if _is_unknown(new):
        return True
    return bool(old != new)
