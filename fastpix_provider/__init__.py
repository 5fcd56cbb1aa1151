"""Manage FastPix video media with Pulumi.

    from fastpix_provider import Media

    Media("intro", url="https://example.com/intro.mp4", title="Intro")

`Media`, `MediaArgs`, `Track` and `PlaybackId` are imported on first use: the command-line tools
(`fastpix-gate`, `fastpix-export`, `fastpix-recover`) live in this package too, and the gate must start
without loading the Pulumi SDK and grpc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    FastPixError,
    InvalidIdError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    TransportError,
)

if TYPE_CHECKING:
    from .playback_ids import PlaybackId
    from .resource import Media, MediaArgs
    from .tracks import Track

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "FastPixError",
    "InvalidIdError",
    "InvalidRequestError",
    "Media",
    "MediaArgs",
    "NotFoundError",
    "PermissionDeniedError",
    "PlaybackId",
    "ProtocolError",
    "RateLimitedError",
    "ServerError",
    "Track",
    "TransportError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in ("Media", "MediaArgs"):
        from . import resource

        return getattr(resource, name)
    if name == "Track":
        from .tracks import Track

        return Track
    if name == "PlaybackId":
        from .playback_ids import PlaybackId

        return PlaybackId
    raise AttributeError(f"module 'fastpix_provider' has no attribute {name!r}")
