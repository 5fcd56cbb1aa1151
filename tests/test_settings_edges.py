"""Where the provider finds FastPix: the API URL's precedence and checks, and the credentials' sources."""

from __future__ import annotations

import pytest

from fastpix_provider.errors import ConfigurationError
from fastpix_provider.settings import DEFAULT_API_URL, ProviderSettings, refuse_credentials_in_config

CREDENTIALS = {"FASTPIX_USERNAME": "token-id", "FASTPIX_PASSWORD": "s3cret-value"}


def test_the_stack_config_url_wins_over_the_environment_which_wins_over_the_default() -> None:
    environ = {"FASTPIX_API_URL": "https://env.example/v1"}
    assert ProviderSettings.resolve({"fastpix:apiUrl": "https://config.example/v1"}, environ).api_url \
        == "https://config.example/v1"
    assert ProviderSettings.resolve({}, environ).api_url == "https://env.example/v1"
    assert ProviderSettings.resolve({"fastpix:apiUrl": ""}, {}).api_url == DEFAULT_API_URL
    assert DEFAULT_API_URL == "https://api.fastpix.com/v1"


def test_credentials_come_from_the_environment_under_fastpix_sdk_names() -> None:
    credentials = ProviderSettings.resolve({}, CREDENTIALS).credentials()
    assert (credentials.access_token_id, credentials.secret_key) == ("token-id", "s3cret-value")


@pytest.mark.parametrize(("environ", "named", "not_named"), [
    ({}, "set FASTPIX_USERNAME and FASTPIX_PASSWORD in", None),
    ({"FASTPIX_USERNAME": "token-id"}, "set FASTPIX_PASSWORD in", "set FASTPIX_USERNAME"),
    ({"FASTPIX_PASSWORD": "s3cret-value", "FASTPIX_USERNAME": ""}, "set FASTPIX_USERNAME in", "set FASTPIX_PASSWORD"),
])
def test_missing_credentials_name_exactly_the_variables_to_set(environ: dict[str, str], named: str,
                                                                not_named: str | None) -> None:
    settings = ProviderSettings.resolve({}, environ)
    with pytest.raises(ConfigurationError) as raised:
        settings.credentials()
    message = str(raised.value)
    assert named in message
    assert "FASTPIX_USERNAME = Access Token ID, FASTPIX_PASSWORD = Secret Key" in message
    if not_named:
        assert not_named not in message
    assert "s3cret-value" not in message


def test_the_settings_never_show_the_credentials() -> None:
    settings = ProviderSettings.resolve({}, CREDENTIALS)
    assert repr(settings) == f"ProviderSettings(api_url={DEFAULT_API_URL!r}, credentials=***)"


@pytest.mark.parametrize("url", ["https://api.fastpix.com/v1", "http://127.0.0.1:8089/v1", "http://localhost:9/v1",
                                 "http://[::1]:8089/v1"])
def test_https_anywhere_and_plain_http_on_loopback_are_usable(url: str) -> None:
    ProviderSettings(url, "id", "key").check_api_url()
    assert ProviderSettings(url, "id", "key").credentials().access_token_id == "id"


@pytest.mark.parametrize("url", ["http://api.fastpix.com/v1", "https:///v1", "ftp://127.0.0.1/v1", "api.fastpix.com/v1",
                                 "http://10.0.0.1/v1", "http://localhost.example.com/v1"])
def test_other_api_urls_are_refused_before_any_credential_is_used(url: str) -> None:
    with pytest.raises(ConfigurationError, match="is not usable: it must be an https:// URL") as raised:
        ProviderSettings(url, "id", "s3cret-value").credentials()
    assert repr(url) in str(raised.value)
    assert "s3cret-value" not in str(raised.value)


@pytest.mark.parametrize("config", [{}, {"fastpix:accessTokenId": None}, {"fastpix:secretKey": ""},
                                    {"fastpix:apiUrl": "https://api.fastpix.com/v1"}])
def test_a_config_without_credentials_passes(config: dict[str, str | None]) -> None:
    refuse_credentials_in_config(config)


def test_credentials_in_the_stack_config_are_refused_naming_each_key_and_the_command_to_remove_it() -> None:
    with pytest.raises(ConfigurationError) as raised:
        refuse_credentials_in_config({"fastpix:accessTokenId": "token-id", "fastpix:secretKey": "s3cret-value"})
    message = str(raised.value)
    assert message.startswith("fastpix:accessTokenId and fastpix:secretKey must not be in the stack config")
    assert "`pulumi config rm fastpix:accessTokenId`; `pulumi config rm fastpix:secretKey`, and give them" in message
    assert "as FASTPIX_USERNAME and FASTPIX_PASSWORD instead" in message
    assert "s3cret-value" not in message


def test_only_the_key_present_is_named() -> None:
    with pytest.raises(ConfigurationError) as raised:
        refuse_credentials_in_config({"fastpix:secretKey": "s3cret-value"})
    assert str(raised.value).startswith("fastpix:secretKey must not be")
    assert "accessTokenId" not in str(raised.value)
