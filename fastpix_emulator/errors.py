"""Errors the emulator answers with, rendered in FastPix's error envelopes in one place.

    EmulatorError                   any API error: status, message, description
    ├── InvalidRequest (400)        a request FastPix cannot act on (a body that is not JSON, a DRM
    │                               configuration that does not exist in the workspace)
    ├── ValidationFailed (422)      a body, query or path parameter breaks the spec: the live API's
    │                               "payload validation failed" envelope, with `fields` instead of
    │                               `description` (captured: getDrmConfigurationById.api.json)
    ├── Unauthorized (401)          missing or wrong Basic credentials
    ├── NotFound (404)              no such media, playback id, track or upload in this workspace
    └── Conflict (409)              the request does not fit the object's current state

Every envelope is `{"success": false, "error": {"code": <status>, "message": ..., ...}}`, as the live API
sends it (captured: getDrmConfiguration.api.json, getDrmConfigurationById.api.json).
"""

from __future__ import annotations

from typing import Any


class EmulatorError(Exception):
    status: int = 500
    message: str = "Internal server error"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def envelope(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": {"code": self.status, "message": self.message, "description": self.description},
        }


class InvalidRequest(EmulatorError):
    status = 400
    message = "Bad request"


class Unauthorized(EmulatorError):
    status = 401
    message = "Unauthorized"


class NotFound(EmulatorError):
    status = 404
    message = "Not found"

    def __init__(self, description: str, *, message: str | None = None) -> None:
        super().__init__(description)
        if message is not None:
            self.message = message


class Conflict(EmulatorError):
    status = 409
    message = "Conflict"


class ValidationFailed(EmulatorError):
    """A field breaks the spec. The live API names each field in `fields` and sends no description."""

    status = 422
    message = "payload validation failed"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.fields = [{"field": field, "message": problem}]

    def envelope(self) -> dict[str, Any]:
        return {"success": False, "error": {"code": self.status, "message": self.message, "fields": self.fields}}


class DrmConfigurationMissing(InvalidRequest):
    """The workspace has no DRM configuration by that id (captured: getDrmConfiguration.api.json)."""

    message = "DRM configuration not found"


def error_envelope(status: int, message: str, description: str) -> dict[str, Any]:
    """The envelope for errors that do not come from the backend (injected faults, unknown routes)."""
    return {"success": False, "error": {"code": status, "message": message, "description": description}}
