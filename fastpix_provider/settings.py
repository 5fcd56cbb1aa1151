"""Where the provider finds FastPix: stack config first, then the environment FastPix's SDKs use.

    fastpix:accessTokenId   or FASTPIX_USERNAME   the Access Token ID (Basic auth username)
    fastpix:secretKey       or FASTPIX_PASSWORD   the Secret Key (set it with `pulumi config set --secret`)
    fastpix:apiUrl          or FASTPIX_API_URL    default https://api.fastpix.com/v1

The engine hands a dynamic provider the whole stack config when it configures the provider process,
so these are read afresh on every run: a rotated key is used at once, also to delete media created
under the old one. Nothing read here is ever stored in the stack's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .client import Credentials
from .errors import ConfigurationError
from .media import is_loopback_url

DEFAULT_API_URL = "https://api.fastpix.com/v1"


@dataclass(frozen=True)
class ProviderSettings:
    api_url: str
    access_token_id: str | None
    secret_key: str | None

    def __repr__(self) -> str:
        return f"ProviderSettings(api_url={self.api_url!r}, credentials=***)"

    @classmethod
    def resolve(cls, config: Mapping[str, Any], environ: Mapping[str, str]) -> ProviderSettings:
        def pick(key: str, env: str) -> str | None:
            value = config.get(f"fastpix:{key}")
            if value in (None, ""):
                value = environ.get(env)
            return str(value) if value not in (None, "") else None

        return cls(
            api_url=pick("apiUrl", "FASTPIX_API_URL") or DEFAULT_API_URL,
            access_token_id=pick("accessTokenId", "FASTPIX_USERNAME"),
            secret_key=pick("secretKey", "FASTPIX_PASSWORD"),
        )

    def credentials(self) -> Credentials:
        """The credentials, or a ConfigurationError that says how to set what is missing."""
        self.check_api_url()
        missing = []
        if not self.access_token_id:
            missing.append("`pulumi config set fastpix:accessTokenId <Access Token ID>` (or FASTPIX_USERNAME)")
        if not self.secret_key:
            missing.append("`pulumi config set --secret fastpix:secretKey <Secret Key>` (or FASTPIX_PASSWORD)")
        if missing:
            raise ConfigurationError("FastPix credentials are not configured. Run " + " and ".join(missing) + ".")
        assert self.access_token_id is not None and self.secret_key is not None
        return Credentials(self.access_token_id, self.secret_key)

    def check_api_url(self) -> None:
        parts = urlsplit(self.api_url)
        if parts.scheme == "https" and parts.hostname:
            return
        if parts.scheme == "http" and is_loopback_url(self.api_url):
            return
        raise ConfigurationError(
            f"fastpix:apiUrl {self.api_url!r} is not usable: it must be an https:// URL "
            "(plain http:// is allowed only for a loopback host such as 127.0.0.1, e.g. the local emulator)."
        )
