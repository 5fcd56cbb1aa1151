"""Request-body schemas of the on-demand operations, transcribed from FastPix's OpenAPI spec.

The emulator checks every body against these with `jsonschema`, so a request the real API would reject
is rejected here too: 422 "payload validation failed" with `fields: [{field, message}]`, the live API's
envelope for a validation error (captured: getDrmConfigurationById.api.json).
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from .errors import ValidationFailed

ACCESS_POLICIES = ["public", "private", "drm"]
RESOLUTIONS = ["2160p", "1440p", "1080p", "720p", "480p"]
MEDIA_QUALITIES = ["standard", "pro", "premium"]
CREATE_MP4_SUPPORT = ["capped_4k", "audioOnly", "audioOnly,capped_4k"]
UPDATE_MP4_SUPPORT = ["none", *CREATE_MP4_SUPPORT]

_METADATA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "string", "maxLength": 255},
    "maxProperties": 10,
}
_TEXT_255: dict[str, Any] = {"type": "string", "maxLength": 255}
_RULES: dict[str, Any] = {
    "type": "object",
    "properties": {
        "defaultPolicy": {"type": "string", "enum": ["allow", "deny"]},
        "allow": {"type": "array", "items": {"type": "string"}},
        "deny": {"type": "array", "items": {"type": "string"}},
    },
}
_ACCESS_RESTRICTIONS: dict[str, Any] = {
    "type": "object",
    "properties": {"domains": _RULES, "userAgents": _RULES},
}
VIDEO_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["type", "url"],
    "properties": {
        "type": {"type": "string"},
        "url": {"type": "string", "minLength": 1},
        "startTime": {"type": "integer"},
        "endTime": {"type": "integer"},
    },
}
_MEDIA_SETTINGS: dict[str, Any] = {
    "metadata": _METADATA,
    "title": _TEXT_255,
    "creatorId": _TEXT_255,
    "drmConfigurationId": {"type": "string"},
    "accessPolicy": {"type": "string", "enum": ACCESS_POLICIES},
    "mp4Support": {"type": "string", "enum": CREATE_MP4_SUPPORT},
    "sourceAccess": {"type": "boolean"},
    "optimizeAudio": {"type": "boolean"},
    "maxResolution": {"type": "string", "enum": RESOLUTIONS},
    "mediaQuality": {"type": "string", "enum": MEDIA_QUALITIES},
    "chapters": {"type": "boolean"},
    "namedEntities": {"type": "boolean"},
    "accessRestrictions": _ACCESS_RESTRICTIONS,
    "summary": {
        "type": "object",
        "properties": {
            "generate": {"type": "boolean"},
            "summaryLength": {"type": "integer", "minimum": 30, "maximum": 250},
        },
    },
    "moderation": {
        "type": "object",
        "properties": {"type": {"type": "string", "enum": ["video", "audio", "av"]}},
    },
}

CREATE_MEDIA = {
    "type": "object",
    "required": ["accessPolicy", "inputs"],
    "properties": {
        **_MEDIA_SETTINGS,
        "inputs": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["type"]}},
    },
}
UPDATE_MEDIA = {
    "type": "object",
    "properties": {"metadata": _METADATA, "title": _TEXT_255, "creatorId": _TEXT_255},
}
UPDATE_SOURCE_ACCESS = {
    "type": "object",
    "required": ["sourceAccess"],
    "properties": {"sourceAccess": {"type": "boolean"}},
}
UPDATE_MP4_SUPPORT_BODY = {
    "type": "object",
    "required": ["mp4Support"],
    "properties": {"mp4Support": {"type": "string", "enum": UPDATE_MP4_SUPPORT}},
}
CREATE_PLAYBACK_ID = {
    "type": "object",
    "required": ["accessPolicy"],
    "properties": {
        "accessPolicy": {"type": "string", "enum": ACCESS_POLICIES},
        "accessRestrictions": _ACCESS_RESTRICTIONS,
        "drmConfigurationId": {"type": "string"},
        "resolution": {"type": "string", "enum": RESOLUTIONS},
    },
}
_TRACK_FIELDS: dict[str, Any] = {
    "url": {"type": "string", "minLength": 1},
    "languageCode": {"type": "string"},
    "languageName": {"type": "string"},
}
ADD_TRACK = {
    "type": "object",
    "required": ["tracks"],
    "properties": {
        "tracks": {
            "type": "object",
            "required": ["url", "type", "languageCode", "languageName"],
            "properties": {**_TRACK_FIELDS, "type": {"type": "string", "enum": ["audio", "subtitle"]}},
        }
    },
}
GENERATE_SUBTITLES = {
    "type": "object",
    "required": ["languageCode", "languageName"],
    "properties": {"languageCode": {"type": "string"}, "languageName": {"type": "string"}, "metadata": _METADATA},
}
UPDATE_TRACK = {"type": "object", "required": ["url", "languageCode", "languageName"], "properties": _TRACK_FIELDS}
# PATCH .../playback-ids/{playbackId}/domains and .../user-agents (update-domain-restrictions,
# update-user-agent-restrictions): one rule set, every field optional.
UPDATE_RESTRICTIONS = _RULES
DIRECT_UPLOAD = {
    "type": "object",
    "required": ["corsOrigin"],
    "properties": {
        "corsOrigin": {"type": "string"},
        "pushMediaSettings": {
            "type": "object",
            "required": ["accessPolicy"],
            "properties": {**_MEDIA_SETTINGS, "inputs": {"type": "array"}},
        },
    },
}


def field_path(error: ValidationError) -> str:
    """`inputs[0].url`-style path of the field a validation error is about."""
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((name for name in error.validator_value if name not in error.instance), "")
        path = f"{path}.{missing}" if path else missing
    return path or "body"


def _describe(error: ValidationError, prefix: str) -> tuple[str, str]:
    """(field, problem) of a validation error, e.g. ("inputs[0].url", "is required")."""
    field = field_path(error)
    if prefix:
        field = prefix if field == "body" else f"{prefix}.{field}"
    match error.validator:
        case "required":
            return field, "is required"
        case "enum":
            return field, "must be one of: " + ", ".join(map(str, error.validator_value))
        case "maxLength":
            return field, f"must be at most {error.validator_value} characters"
        case "maxProperties":
            return field, f"may have at most {error.validator_value} keys"
        case "type":
            return field, f"must be of type {error.validator_value}"
        case _:
            return field, error.message


_VALIDATORS: dict[int, Draft4Validator] = {}


def validate(body: Any, schema: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return `body` when it fits `schema`; otherwise raise ValidationFailed naming the field.

    `prefix` is where `body` sits in the whole request, for a part validated on its own.
    """
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        validator = _VALIDATORS[id(schema)] = Draft4Validator(schema)
    error = min(validator.iter_errors(body), key=lambda e: len(list(e.absolute_path)), default=None)
    if error is not None:
        raise ValidationFailed(*_describe(error, prefix))
    assert isinstance(body, dict)  # every schema here describes an object
    return body
