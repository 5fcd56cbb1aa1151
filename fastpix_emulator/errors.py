"""Errors the emulator answers with, rendered in FastPix's error envelope in one place.

    EmulatorError                 any API error: status, message, description
    ├── InvalidRequest (400)      a body, query or path parameter breaks the spec
    ├── Unauthorized (401)        missing or wrong Basic credentials
    ├── NotFound (404)            no such media, playback id, track or upload
    └── Conflict (409)            the request does not fit the object's current state
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


class Conflict(EmulatorError):
    status = 409
    message = "Conflict"


def error_envelope(status: int, message: str, description: str) -> dict[str, Any]:
    """The envelope for errors that do not come from the backend (injected faults, unknown routes)."""
    return {"success": False, "error": {"code": status, "message": message, "description": description}}
