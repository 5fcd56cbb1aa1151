"""The FastPix client: envelopes, error mapping, retries, and keeping secrets out of messages."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from fastpix_provider.client import USER_AGENT, Credentials, FastPixClient
from fastpix_provider.retry import RetryPolicy
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, media_body

NO_JITTER = RetryPolicy(max_attempts=4, initial_delay=0.01, jitter=lambda d: d)


def client_for(emulator: EmulatorServer, secret: str = SECRET_KEY, **kwargs) -> FastPixClient:
    return FastPixClient(emulator.api_url, Credentials(ACCESS_TOKEN_ID, secret), policy=NO_JITTER, **kwargs)


def mock_client(handler: Callable[[httpx.Request], httpx.Response], sleeps: list[float] | None = None) -> FastPixClient:
    record = sleeps if sleeps is not None else []
    return FastPixClient("https://api.fastpix.com/v1", Credentials("id", "key"), transport=httpx.MockTransport(handler),
                         policy=NO_JITTER, sleep=record.append, on_retry=lambda message: None)


def envelope(status: int, message: str = "Oops", description: str = "Details") -> httpx.Response:
    return httpx.Response(status, json={"success": False, "error": {"code": status, "message": message,
                                                                     "description": description}})


def test_create_get_update_delete_round_trip(emulator: EmulatorServer) -> None:
    client = client_for(emulator)
    created = client.create_media(media_body(title="a"))
    assert client.get_media(created["id"])["title"] == "a"
    assert client.update_media(created["id"], {"title": "b"})["title"] == "b"
    assert client.update_source_access(created["id"], True)["sourceAccess"] is True
    assert client.update_mp4_support(created["id"], "capped_4k")["mp4Support"] == "capped_4k"
    client.delete_media(created["id"])
    with pytest.raises(NotFoundError):
        client.get_media(created["id"])


def test_list_follows_every_page(emulator: EmulatorServer) -> None:
    client = client_for(emulator)
    ids = [client.create_media(media_body())["id"] for _ in range(7)]
    assert [m["id"] for m in client.list_media(limit=3)] == ids


def test_requests_carry_basic_auth_and_a_user_agent_naming_the_project() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": {"id": "x"}})

    mock_client(handler).get_media("x")
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert seen[0].headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("fastpix-pulumi/")


@pytest.mark.parametrize(("status", "error"), [(400, InvalidRequestError), (422, InvalidRequestError),
                                               (401, AuthenticationError), (403, PermissionDeniedError),
                                               (404, NotFoundError), (500, ServerError), (501, ServerError)])
def test_statuses_map_to_error_classes_with_fastpix_words_and_advice(status: int, error: type) -> None:
    client = mock_client(lambda request: envelope(status, "Bad thing", "title is too long"))
    with pytest.raises(error) as caught:
        client.get_media("m1")
    message = str(caught.value)
    assert f"FastPix answered {status} to GET /on-demand/m1: Bad thing: title is too long" in message
    assert caught.value.hint in message


def test_a_wrong_secret_is_an_authentication_error_that_never_shows_the_secret(emulator: EmulatorServer) -> None:
    with pytest.raises(AuthenticationError) as caught:
        client_for(emulator, secret="wrong-secret-value").get_media("0c4e6f3e-0000-4000-8000-000000000000")
    text = str(caught.value) + repr(caught.value)
    assert "wrong-secret-value" not in text
    assert "FASTPIX_PASSWORD" in text


def test_credentials_never_show_in_repr() -> None:
    assert "key" not in repr(Credentials("id-123", "key-456")).replace("secret_key", "")
    assert "id-123" not in repr(Credentials("id-123", "key-456"))


def test_retries_503_then_succeeds_with_backoff() -> None:
    answers = iter([envelope(503), envelope(503), httpx.Response(200, json={"success": True, "data": {"id": "m"}})])
    sleeps: list[float] = []
    assert mock_client(lambda request: next(answers), sleeps).get_media("m") == {"id": "m"}
    assert sleeps == [0.01, 0.02]


def test_honours_retry_after_on_429() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "1"}, json={}), httpx.Response(200, json={"success": True})])
    sleeps: list[float] = []
    mock_client(lambda request: next(answers), sleeps).delete_media("m")
    assert sleeps == [1.0]


def test_gives_up_after_the_last_attempt_with_the_last_error() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "0"}, json={})

    with pytest.raises(RateLimitedError):
        mock_client(handler).delete_media("m")
    assert len(calls) == NO_JITTER.max_attempts


def test_a_create_answered_503_is_not_blindly_sent_again() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return envelope(503)

    with pytest.raises(ServerError):
        mock_client(handler).create_media(media_body())
    assert len(calls) == 1


def test_a_create_whose_connection_was_refused_is_sent_again() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json={"success": True, "data": {"id": "new"}})

    assert mock_client(handler).create_media(media_body())["id"] == "new"
    assert len(calls) == 2
    assert json.loads(calls[1].content) == media_body()


def test_a_create_cut_off_mid_answer_is_reported_as_possibly_sent(emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(kind="drop", method="POST", count=1))
    with pytest.raises(TransportError) as caught:
        client_for(emulator).create_media(media_body())
    assert caught.value.request_sent is True
    assert [e["method"] for e in emulator.journal.entries()] == ["POST"]


def test_an_unreachable_api_is_a_transport_error_after_retries() -> None:
    client = FastPixClient("http://127.0.0.1:9/v1", Credentials("id", "key"), policy=NO_JITTER,
                           sleep=lambda s: None, on_retry=lambda m: None)
    with pytest.raises(TransportError, match="could not connect to FastPix for GET"):
        client.get_media("m")
