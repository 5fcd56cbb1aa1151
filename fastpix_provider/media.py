"""What a declared media is, checked against FastPix's spec, and how it maps to FastPix's wire format.

Pure functions over plain dicts (the dynamic provider's inputs and outputs, Python-style names), all
driven by the field table in fields.py: `check_inputs` validates, `create_body`, `update_body` and
`outputs_from_api` translate, `observed_inputs` reads a media back for a refresh, `plan_changes` decides
between updating in place and replacing. Nothing here talks to FastPix or to Pulumi.
"""

from __future__ import annotations

import builtins
import ipaddress
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pulumi.output import Unknown as SdkUnknown

from ._text import echo, shorten
from .fields import (
    ACCESS_POLICIES,
    COMPUTED_OUTPUTS,
    DEFAULTS,
    FIELDS,
    IN_PLACE,
    MAX_RESOLUTIONS,
    MEDIA_QUALITIES,
    METADATA_MAX_KEYS,
    MP4_SUPPORT,
    REPLACE,
    TEXT_MAX_LENGTH,
    USER_METADATA_MAX_KEYS,
    MediaField,
    Naming,
    python_name,
)
from .owner import OWNER_METADATA_KEY

__all__ = [
    "ACCESS_POLICIES", "COMPUTED_OUTPUTS", "DEFAULTS", "IN_PLACE", "MAX_RESOLUTIONS", "MEDIA_QUALITIES",
    "MP4_SUPPORT", "OWNER_METADATA_KEY", "REPLACE", "TEXT_MAX_LENGTH", "ChangePlan", "Failure", "check_inputs",
    "create_body", "echo", "observed_inputs", "outputs_from_api", "plan_changes", "update_body", "upload_body",
]

STREAM_HOST = "https://stream.fastpix.com"
IMAGE_HOST = "https://images.fastpix.com"


@dataclass(frozen=True)
class Failure:
    """One invalid property, with a reason that says how to fix it, in the program's or the catalog's words.

    `property` is the Python name (`metadata.<key>` for one metadata entry); `message(naming)` renders
    the reason with every property named as `naming` says (see fields.python_name, fields.catalog_name).
    """

    property: str
    render: Callable[[Naming], str]

    @builtins.property
    def reason(self) -> str:
        return self.render(python_name)

    def message(self, naming: Naming) -> str:
        return self.render(naming)

    def named(self, naming: Naming) -> str:
        head, dot, rest = self.property.partition(".")
        return naming(head) + dot + rest


# How the dynamic provider protocol spells a value that preview cannot know yet (an output of another
# resource, such as the id of a media not created yet); such inputs are checked again at `up`, once
# known. The SDK hands `check` and `diff` its own Unknown object (it deserializes their inputs keeping
# unknowns); the catalog's own check before the program runs (catalog.py) uses this string.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def is_unknown(value: Any) -> bool:
    return isinstance(value, SdkUnknown) or (isinstance(value, str) and value == UNKNOWN)


Fail = Callable[[str, Callable[[Naming], str]], None]


def check_inputs(inputs: Mapping[str, Any]) -> list[Failure]:
    """Validate declared inputs against the spec's constraints, before any call to FastPix."""
    failures: list[Failure] = []

    def fail(prop: str, render: Callable[[Naming], str]) -> None:
        failures.append(Failure(prop, render))

    for field in FIELDS:
        value = inputs.get(field.name)
        if value is None or is_unknown(value):
            continue
        if field.kind == "file" and inputs.get("file_path"):
            continue  # resolved (and hashed) by the program; this process may run elsewhere
        _CHECKS[field.kind](field, value, fail)
    _check_source(inputs, fail)
    if inputs.get("take_over") is True and not inputs.get("adopt_id"):
        fail("take_over", lambda n: f"{n('take_over')} applies to adoption only: set {n('adopt_id')} too, "
                                    f"or remove {n('take_over')}")
    drm_id, policy = inputs.get("drm_configuration_id"), inputs.get("access_policy")
    if drm_id is not None and not is_unknown(drm_id) and not is_unknown(policy) and policy != "drm":
        fail("drm_configuration_id", lambda n: f"{n('drm_configuration_id')} applies to {n('access_policy')} drm "
                                               f"only: remove it, or set {n('access_policy')} to drm")
    return failures


def missing_drm_configuration(n: Naming) -> str:
    """Whether a `drm` media declares a configuration that exists is the provider's check: it can list
    the workspace's configurations and name them."""
    return (f"{n('access_policy')} drm needs {n('drm_configuration_id')}, the id of one of the workspace's DRM "
            "configurations (FastPix dashboard, or GET /on-demand/drm-configurations)")


MISSING_DRM_CONFIGURATION = missing_drm_configuration(python_name)


def _check_source(inputs: Mapping[str, Any], fail: Fail) -> None:
    """Exactly one of `url` and `file` (an adopted media exists already: it needs neither)."""
    url, file = inputs.get("url"), inputs.get("file")
    if url not in (None, "") and file not in (None, ""):
        fail("file", lambda n: f"{n('url')} and {n('file')} are both set: a media has exactly one source, "
                               f"the address FastPix downloads ({n('url')}) or a local file to upload ({n('file')}); "
                               "remove one")
    elif url in (None, "") and file in (None, "") and not inputs.get("adopt_id"):
        fail("url", lambda n: f"{n('url')} is required, or {n('file')}: the http(s) address FastPix downloads the "
                              f"video from, or the path of a local video file to upload")


def _check_file(field: MediaField, value: Any, fail: Fail) -> None:
    """A path (relative to the project folder, the program's working directory), naming a file.

    Whether it exists is checked where the path means something: in the program (a catalog, or Media
    computing the digest), never in the provider process, whose working directory may differ. Inputs
    that carry `file_path` were resolved by the program already.
    """
    if value == "":
        return  # reported as missing
    if not isinstance(value, str):
        fail(field.name, lambda n: f"{n(field.name)} must be a path (a string), got {type(value).__name__}")
        return
    if urlsplit(value).scheme in ("http", "https"):
        fail(field.name, lambda n: f"{n(field.name)} is a path on this machine, got the address {echo(value)}: "
                                   f"use {n('url')} for a video FastPix downloads")
        return
    if "\0" in value:
        fail(field.name, lambda n: f"{n(field.name)} must not contain a NUL character")
        return
    path = Path(value).expanduser()
    try:
        is_file = path.is_file()
    except OSError:
        is_file = False
    where = path if path.is_absolute() else Path.cwd() / path
    if not is_file:
        what = "is a folder, not a file" if where.is_dir() else "does not exist"
        fail(field.name, lambda n: f"{n(field.name)} {echo(value)} {what} ({shorten(str(where), 120)}; a relative "
                                   "path is read from the project folder, where `pulumi` runs)")
    elif where.stat().st_size == 0:
        fail(field.name, lambda n: f"{n(field.name)} {echo(value)} is empty: FastPix needs a video file")


def _check_url(field: MediaField, value: Any, fail: Fail) -> None:
    if value == "":
        return  # reported as missing, unless adopting
    if not isinstance(value, str):
        fail(field.name, lambda n: f"{n(field.name)} must be a string, got {type(value).__name__}")
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(field.name, lambda n: f"{n(field.name)} must be an http:// or https:// address with a host, "
                                   f"got {echo(value)}")


def _check_text(field: MediaField, value: Any, fail: Fail) -> None:
    if not isinstance(value, str):
        fail(field.name, lambda n: f"{n(field.name)} must be a string, got {type(value).__name__}")
    elif field.max_length is not None and len(value) > field.max_length:
        fail(field.name, lambda n: f"{n(field.name)} is {len(value)} characters; FastPix allows at most "
                                   f"{field.max_length}")


def _check_enum(field: MediaField, value: Any, fail: Fail) -> None:
    if value not in field.choices:
        fail(field.name, lambda n: f"{n(field.name)} must be one of {', '.join(field.choices)}; got {echo(value)}")


def _check_bool(field: MediaField, value: Any, fail: Fail) -> None:
    if not isinstance(value, bool):
        fail(field.name, lambda n: f"{n(field.name)} must be true or false, got {echo(value)}")


def _check_uuid(field: MediaField, value: Any, fail: Fail) -> None:
    if not _is_uuid(value):
        what = "an existing FastPix media" if field.name == "adopt_id" else "one of the workspace's DRM configurations"
        fail(field.name, lambda n: f"{n(field.name)} must be the id (a UUID) of {what}, got {echo(value)}")


def _check_seconds(field: MediaField, value: Any, fail: Fail) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        fail(field.name, lambda n: f"{n(field.name)} must be a positive number of seconds, got {echo(value)}")


def _check_metadata(field: MediaField, metadata: Any, fail: Fail) -> None:
    name = field.name
    if not isinstance(metadata, Mapping):
        fail(name, lambda n: f"{n(name)} must be a map of string keys to string values, got {type(metadata).__name__}")
        return
    if len(metadata) > USER_METADATA_MAX_KEYS:
        fail(name, lambda n: f"{n(name)} has {len(metadata)} keys; at most {USER_METADATA_MAX_KEYS} are allowed "
                             f"(FastPix allows {METADATA_MAX_KEYS}, one is reserved for '{OWNER_METADATA_KEY}')")
    for key, value in metadata.items():
        _check_metadata_entry(field, key, value, fail)


def _check_metadata_entry(field: MediaField, key: Any, value: Any, fail: Fail) -> None:
    name, entry = field.name, f"{field.name}.{shorten(str(key))}"
    if key == OWNER_METADATA_KEY:
        fail(entry, lambda n: f"the {n(name)} key '{OWNER_METADATA_KEY}' is reserved by fastpix-pulumi; rename it")
    elif not isinstance(key, str) or not key:
        fail(name, lambda n: f"{n(name)} keys must be non-empty strings, got {echo(key)}")
    elif is_unknown(value):
        return
    elif not isinstance(value, str):
        fail(entry, lambda n: f"{n(name)} values must be strings; quote {echo(value)}")
    elif field.max_length is not None and len(value) > field.max_length:
        fail(entry, lambda n: f"the value is {len(value)} characters; FastPix allows at most {field.max_length}")


_CHECKS: dict[str, Callable[[MediaField, Any, Fail], None]] = {
    "url": _check_url,
    "file": _check_file,
    "internal": lambda _field, _value, _fail: None,  # set by Media itself, never by a user
    "text": _check_text,
    "enum": _check_enum,
    "bool": _check_bool,
    "uuid": _check_uuid,
    "metadata": _check_metadata,
    "seconds": _check_seconds,
}


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
    if not is_unknown(merged["metadata"]):  # a map a preview cannot know yet stays unknown
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
    """The body of POST /on-demand for declared inputs: each field as the table says it is sent."""
    values = with_defaults(inputs)
    body: dict[str, Any] = {"inputs": [{"type": "video", "url": values["url"]}]}
    for field in FIELDS:
        if field.wire is None or field.sent == "never":
            continue
        value = values.get(field.name)
        if field.sent == "if_set" and value is None:
            continue
        if field.sent == "unless_default" and value == field.default:
            continue
        body[field.wire] = wire_metadata(values) if field.kind == "metadata" else value
    return body


def upload_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The body of POST /on-demand/upload for a media from a local file: the create body's settings, under
    `pushMediaSettings` (owner tag included, so a lost answer or a killed run is found again)."""
    settings = create_body({**inputs, "url": None})
    settings.pop("inputs")
    return {"corsOrigin": "*", "pushMediaSettings": settings}


def update_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The body of PATCH /on-demand/{id}: every field that call manages, so FastPix matches the declaration."""
    values = with_defaults(inputs)
    body: dict[str, Any] = {}
    for field in FIELDS:
        if field.call != "update" or field.wire is None:
            continue
        if field.kind == "metadata":
            body[field.wire] = wire_metadata(values)
        else:
            # FastPix keeps a title or creator id once set; an empty string is how one is cleared.
            body[field.wire] = values[field.name] if values[field.name] is not None else ""
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

    Fields FastPix does not show (the input url, optimize_audio) keep their declared value.
    """
    observed = dict(declared)
    for field in FIELDS:
        if field.read is not None:
            observed[field.name] = field.read(media, declared.get(field.name))
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
    changed = tuple(name for name in (*REPLACE, *IN_PLACE) if differs(old.get(name), new.get(name)))
    replaces = tuple(name for name in changed if name in REPLACE)
    calls = tuple(dict.fromkeys(IN_PLACE[name] for name in changed if name in IN_PLACE))
    return ChangePlan(changed=changed, replaces=replaces, calls=calls)


def differs(old: Any, new: Any) -> bool:
    """Whether a declared value changes the recorded one (a value preview cannot know yet always may)."""
    return is_unknown(new) or bool(old != new)
