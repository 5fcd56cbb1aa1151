"""What every dynamic provider of this package shares: configuration, the client, an empty pickle.

The instance Pulumi pickles into each resource's state carries nothing (see __getstate__): credentials
arrive in `configure` on the provider process, and the HTTP client lives in a per-process cache.
`_client_factory` and `_sleep` are the seams that let tests run a provider without the engine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from . import diagnostics
from .client import FastPixClient
from .settings import ProviderSettings

_clients: dict[tuple[str, str, str], FastPixClient] = {}
_clients_lock = threading.Lock()


def client_for(settings: ProviderSettings) -> FastPixClient:
    """One client, so one connection pool, per provider process and set of credentials."""
    credentials = settings.credentials()
    key = (settings.api_url, credentials.access_token_id, credentials.secret_key)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = FastPixClient(settings.api_url, credentials, on_retry=diagnostics.warn)
        return client


class FastPixProvider(ResourceProvider):
    """Base of MediaProvider, TrackProvider and PlaybackIdProvider."""

    # Nothing secret is ever captured in the pickled provider, so the engine need not encrypt it.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        self._settings: ProviderSettings | None = None
        self._sleep: Callable[[float], None] = time.sleep
        self._client_factory: Callable[[ProviderSettings], FastPixClient] = client_for

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def configure(self, req: ConfigureRequest) -> None:
        self._settings = ProviderSettings.resolve({"fastpix:apiUrl": req.config.get("fastpix:apiUrl")}, os.environ)

    def _client(self) -> FastPixClient:
        return self._client_factory(self._settings or ProviderSettings.resolve({}, os.environ))
