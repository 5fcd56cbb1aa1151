"""Manage FastPix video media with Pulumi.

    from fastpix_provider import Media

    Media("intro", url="https://example.com/intro.mp4", title="Intro")
"""

from ._version import __version__
from .errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    FastPixError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from .resource import Media, MediaArgs

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "FastPixError",
    "InvalidRequestError",
    "Media",
    "MediaArgs",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "__version__",
]
