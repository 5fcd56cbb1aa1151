"""Dynamic providers run without the engine: wired to a client of the emulator, with no waiting."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastpix_provider._provider_base import FastPixProvider
from fastpix_provider.client import Credentials, FastPixClient
from fastpix_provider.provider import _workspaces
from fastpix_provider.retry import RetryPolicy
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY

P = TypeVar("P", bound=FastPixProvider)


class ProviderWiring:
    """Makes providers whose client talks to `api_url` and whose retries and waits take no time."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self._clients: list[FastPixClient] = []

    def __call__(self, provider_class: Callable[[], P], api_url: str | None = None, *, attempts: int = 4,
                 secret_key: str = SECRET_KEY) -> P:
        client = FastPixClient(api_url or self.api_url, Credentials(ACCESS_TOKEN_ID, secret_key),
                               policy=RetryPolicy(max_attempts=attempts, initial_delay=0.0, jitter=lambda delay: delay),
                               sleep=lambda _seconds: None, on_retry=lambda _message: None)
        self._clients.append(client)
        provider = provider_class()
        provider._client_factory = lambda _settings: client
        provider._sleep = lambda _seconds: None
        return provider

    def close(self) -> None:
        for client in self._clients:
            _workspaces.pop(id(client), None)  # the workspace a closed client proved must not outlive it
            client.close()
