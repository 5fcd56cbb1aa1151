"""Spread Media over explicit `pulumi-python` provider processes, for more FastPix calls in flight.

The Python SDK's dynamic-provider server answers at most 4 calls at once (a ThreadPoolExecutor of 4
workers), so one provider process bounds a run at 4 FastPix calls in flight whatever `--parallel` says.
Each explicit provider instance (`pulumi.ProviderResource("pulumi-python", name)`) is a process of its
own: with `pulumi config set fastpix:providers 4` (or FASTPIX_PROVIDERS=4) the catalog's media are
spread over 4 of them, each media always on the same one (chosen by a hash of its key, so adding or
removing entries moves no other media), and `pulumi up --parallel 16` can keep 16 calls in flight.

An explicit provider's configuration is exactly the properties it is given, not the stack's config as
the default provider's is: each is given the provider's settings from the stack config
(PROVIDER_CONFIG_KEYS; credentials stay in the environment).

Moving media from the default provider to explicit ones replaces nothing: the dynamic provider has no
DiffConfig, so the engine keeps each media as it is and only records its new provider.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping

import pulumi

PROVIDERS_CONFIG = "providers"  # fastpix:providers
PROVIDERS_VARIABLE = "FASTPIX_PROVIDERS"
# 1: the default provider alone. Measured (benchmarks/run.py, modes fast+providers2/4, N = 500, one run):
# more processes help deletes (8.1 -> 5.5 / 4.9 s) but slow creates (9.9 -> 10.5 / 11.8 s) and refreshes,
# each process being CPU the engine and the program need on 2 cores; with checkpoints the state writes
# dominate anyway.
DEFAULT_PROVIDERS = 1
MAX_PROVIDERS = 32
PROVIDER_PACKAGE = "pulumi-python"
# The stack config the provider reads in `configure` (MediaProvider.configure): handed to each explicit one.
PROVIDER_CONFIG_KEYS = ("fastpix:apiUrl",)


def provider_count(configured: str | int | None, environ: Mapping[str, str]) -> int:
    """How many provider processes to spread media over: the stack's config, else the environment, else 1."""
    raw = configured if configured not in (None, "") else environ.get(PROVIDERS_VARIABLE)
    if raw in (None, ""):
        return DEFAULT_PROVIDERS
    try:
        count = int(str(raw))
    except ValueError:
        raise ValueError(f"fastpix:providers must be a whole number from 1 to {MAX_PROVIDERS}, "
                         f"got {str(raw)[:40]!r}") from None
    if not 1 <= count <= MAX_PROVIDERS:
        raise ValueError(f"fastpix:providers must be a whole number from 1 to {MAX_PROVIDERS}, got {count}")
    return count


def slot_of(key: str, count: int) -> int:
    """The provider a media's key is given to: stable across runs and catalog edits."""
    return zlib.crc32(key.encode("utf-8")) % count


class Spread:
    """The explicit providers of one program run, created when first needed."""

    def __init__(self, count: int, config: Mapping[str, str] | None = None) -> None:
        self.count = count
        self.config = dict(config or {})
        self._providers: dict[int, pulumi.ProviderResource] = {}

    @classmethod
    def from_stack(cls) -> Spread:
        try:
            count = provider_count(pulumi.Config("fastpix").get(PROVIDERS_CONFIG), os.environ)
        except ValueError as error:
            raise pulumi.RunError(str(error)) from None
        config = {}
        for key in PROVIDER_CONFIG_KEYS:
            namespace, name = key.split(":", 1)
            value = pulumi.Config(namespace).get(name)
            if value is not None:
                config[key] = value
        return cls(count, config)

    def provider_for(self, key: str) -> pulumi.ProviderResource | None:
        """The explicit provider of this media, or None for the default provider (a count of 1)."""
        if self.count <= 1:
            return None
        slot = slot_of(key, self.count)
        if slot not in self._providers:
            self._providers[slot] = pulumi.ProviderResource(PROVIDER_PACKAGE, f"fastpix-{slot}", dict(self.config))
        return self._providers[slot]
