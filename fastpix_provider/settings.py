"""Where the provider finds FastPix.

    FASTPIX_USERNAME                        the Access Token ID (Basic auth username)
    FASTPIX_PASSWORD                        the Secret Key (Basic auth password)
    fastpix:apiUrl  or FASTPIX_API_URL      default https://api.fastpix.com/v1

Credentials come from the environment only, under the names FastPix's own SDKs use. Stack config
cannot carry them safely: the engine hands a dynamic provider the *whole* stack config and records
it as the inputs of the stack's `pulumi:providers:pulumi-python` resource, so `fastpix:secretKey`
would sit in every state file (encrypted) and `fastpix:accessTokenId` in plain text
(tests/test_configuration.py shows it through the engine). `refuse_credentials_in_config` stops a
program that tries, before anything is registered.

The environment is read afresh by every provider process, so a rotated key is used at once, also to
delete media created under the old one.
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
USERNAME_VARIABLE = "FASTPIX_USERNAME"
PASSWORD_VARIABLE = "FASTPIX_PASSWORD"
CREDENTIAL_CONFIG_KEYS = ("fastpix:accessTokenId", "fastpix:secretKey")


@dataclass(frozen=True)
class ProviderSettings:
    api_url: str
    access_token_id: str | None
    secret_key: str | None

    def __repr__(self) -> str:
        return f"ProviderSettings(api_url={self.api_url!r}, credentials=***)"

    @classmethod
    def resolve(cls, config: Mapping[str, Any], environ: Mapping[str, str]) -> ProviderSettings:
        api_url = config.get("fastpix:apiUrl") or environ.get("FASTPIX_API_URL") or DEFAULT_API_URL
        return cls(
            api_url=str(api_url),
            access_token_id=environ.get(USERNAME_VARIABLE) or None,
            secret_key=environ.get(PASSWORD_VARIABLE) or None,
        )

    def credentials(self) -> Credentials:
        """The credentials, or a ConfigurationError that says how to set what is missing."""
        self.check_api_url()
        missing = [name for name, value in ((USERNAME_VARIABLE, self.access_token_id),
                                            (PASSWORD_VARIABLE, self.secret_key)) if not value]
        if missing:
            raise ConfigurationError(
                f"FastPix credentials are missing: set {' and '.join(missing)} in the environment of `pulumi` "
                f"({USERNAME_VARIABLE} = Access Token ID, {PASSWORD_VARIABLE} = Secret Key; in CI, from its secret store)."
            )
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


def refuse_credentials_in_config(config: Mapping[str, Any]) -> None:
    """Raise if the stack config holds FastPix credentials, which the engine would copy into the state."""
    present = [key for key in CREDENTIAL_CONFIG_KEYS if config.get(key) not in (None, "")]
    if present:
        keys = " and ".join(present)
        raise ConfigurationError(
            f"{keys} must not be in the stack config: Pulumi records every stack config value in the state of "
            "the dynamic provider, so the credentials would be stored with the stack. Run "
            + "; ".join(f"`pulumi config rm {key}`" for key in present)
            + f", and give them to `pulumi` as {USERNAME_VARIABLE} and {PASSWORD_VARIABLE} instead."
        )
