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
    assert caught.value.hint in message  # type: ignore[attr-defined]  # an APIError


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


# -- issue 9: answers that are not FastPix's, bounded and scrubbed text, ids, retries, search ---------

import base64  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

from fastpix_provider import FastPixError  # noqa: E402
from fastpix_provider.client import CLOCK_SKEW_MARGIN  # noqa: E402
from fastpix_provider.errors import InvalidIdError, ProtocolError  # noqa: E402

LONG_ID = "acc-token-id-5f0e2b7c9d"
LONG_KEY = "sec-key-8a1d44e0b6c3f279"
BASIC = base64.b64encode(f"{LONG_ID}:{LONG_KEY}".encode()).decode()
CREDENTIAL_TEXTS = (LONG_ID, LONG_KEY, BASIC, base64.b64encode(LONG_KEY.encode()).decode())
MEDIA_ID = "3123e275-3f7f-4abf-9655-7a8f5a7dbc61"


def strict_client(handler: Callable[[httpx.Request], httpx.Response], calls: list[httpx.Request] | None = None,
                  **kwargs) -> FastPixClient:
    """A mock client with long, recognisable credentials, recording every request it sends."""
    record = calls if calls is not None else []

    def recording(request: httpx.Request) -> httpx.Response:
        record.append(request)
        return handler(request)

    kwargs.setdefault("policy", NO_JITTER)
    return FastPixClient("https://api.fastpix.com/v1", Credentials(LONG_ID, LONG_KEY),
                         transport=httpx.MockTransport(recording), sleep=lambda s: None,
                         on_retry=lambda message: None, **kwargs)


def text_of(exc: BaseException) -> str:
    return str(exc) + repr(exc) + repr(exc.args)


def assert_bounded_and_clean(exc: BaseException) -> None:
    assert isinstance(exc, FastPixError)
    text = text_of(exc)
    assert len(str(exc)) < 1000, len(str(exc))
    for secret in CREDENTIAL_TEXTS:
        assert secret not in text


HTML = httpx.Response(200, text="<!doctype html><html><body>Welcome to nginx</body></html>",
                      headers={"content-type": "text/html"})


@pytest.mark.parametrize("answer", [
    httpx.Response(404, text="<html><body><h1>404 Not Found</h1></body></html>"),
    httpx.Response(404, json={"message": "Route GET:/on-demand/x not found", "statusCode": 404}),
    httpx.Response(404, json={"success": False}),
    httpx.Response(404),
], ids=["html", "router-json", "no-error-object", "empty"])
@pytest.mark.parametrize("call", ["get", "delete"])
def test_a_404_that_is_not_fastpixs_envelope_is_a_protocol_error_not_gone(answer: httpx.Response, call: str) -> None:
    client = strict_client(lambda request: answer)
    with pytest.raises(ProtocolError) as caught:
        client.get_media(MEDIA_ID) if call == "get" else client.delete_media(MEDIA_ID)
    assert not isinstance(caught.value, NotFoundError)
    assert caught.value.status == 404
    assert "/v1" in str(caught.value) and "apiUrl" in str(caught.value)
    assert_bounded_and_clean(caught.value)


def test_a_404_in_fastpixs_envelope_is_not_found() -> None:
    with pytest.raises(NotFoundError) as caught:
        strict_client(lambda request: envelope(404, "Media not found")).get_media(MEDIA_ID)
    assert caught.value.fastpix_envelope is True


def test_an_error_not_in_fastpixs_envelope_keeps_its_class_and_says_so() -> None:
    gateway = httpx.Response(502, text="<html><head><title>502 Bad Gateway</title></head></html>")
    with pytest.raises(ServerError) as caught:
        strict_client(lambda request: gateway).get_media(MEDIA_ID)
    assert caught.value.fastpix_envelope is False
    assert_bounded_and_clean(caught.value)


@pytest.mark.parametrize("answer", [
    HTML,
    httpx.Response(200, json={"success": False}),
    httpx.Response(200, json=[{"success": True}]),
    httpx.Response(200, content=b""),
    httpx.Response(204),
    httpx.Response(200, content=b'{"success": tru'),
    httpx.Response(200, json={"data": {}}),
    httpx.Response(200, json={"success": "true"}),
], ids=["html", "success-false", "array", "empty", "204", "invalid-json", "no-success", "success-string"])
def test_a_2xx_delete_that_is_not_fastpixs_success_envelope_is_a_protocol_error(answer: httpx.Response) -> None:
    with pytest.raises(ProtocolError) as caught:
        strict_client(lambda request: answer).delete_media(MEDIA_ID)
    assert "may have acted" in str(caught.value)
    assert_bounded_and_clean(caught.value)


def test_fastpixs_delete_answer_is_success() -> None:
    strict_client(lambda request: httpx.Response(200, json={"success": True})).delete_media(MEDIA_ID)  # no error


def test_an_html_200_on_the_list_is_a_protocol_error_not_an_empty_workspace() -> None:
    with pytest.raises(ProtocolError):
        list(strict_client(lambda request: HTML).list_media())


def list_answer(items: list, offset_count: object = 1, **extra) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": items, **extra,
                                     "pagination": {"totalRecords": len(items), "currentOffset": 1,
                                                    "offsetCount": offset_count}})


@pytest.mark.parametrize("answer", [
    list_answer([{"id": "a"}], offset_count="many"),
    list_answer([{"id": "a"}], offset_count=-1),
    list_answer([{"id": "a"}], offset_count=1.5),
    list_answer([{"id": "a"}], offset_count=True),
    list_answer([{"id": "a"}], offset_count=None),
    httpx.Response(200, json={"success": True, "data": [{"id": "a"}]}),
    httpx.Response(200, json={"success": True, "data": [{"id": "a"}], "pagination": []}),
    httpx.Response(200, json={"success": True, "data": {"id": "a"}, "pagination": {"offsetCount": 1}}),
    list_answer([{"title": "no id"}]),
    list_answer(["a"]),
    list_answer([{"id": "x" * 100_000}]),
    list_answer([{"id": 7}]),
], ids=["many", "negative", "float", "bool", "null", "no-pagination", "pagination-list", "data-object",
        "item-without-id", "item-not-object", "huge-id", "int-id"])
def test_malformed_list_answers_are_bounded_protocol_errors(answer: httpx.Response) -> None:
    with pytest.raises(ProtocolError) as caught:
        list(strict_client(lambda request: answer).list_media())
    assert_bounded_and_clean(caught.value)


def test_an_offset_count_given_as_digits_is_accepted() -> None:
    pages = {1: list_answer([{"id": "a"}], offset_count="2"), 2: list_answer([{"id": "b"}], offset_count="2")}

    def handler(request: httpx.Request) -> httpx.Response:
        return pages[int(request.url.params["offset"])]

    assert [m["id"] for m in strict_client(handler).list_media()] == ["a", "b"]


@pytest.mark.parametrize("data", [{"title": "no id"}, {"id": ""}, {"id": "x" * 100_000}, {"id": "a/b"},
                                  {"id": "a\nb"}, {"id": None}, {"id": 12}, "a string", None, []],
                         ids=["no-id", "empty", "huge", "slash", "newline", "null", "int", "string", "null-data",
                              "list"])
@pytest.mark.parametrize("call", ["create", "get", "update", "source-access", "mp4"])
def test_a_media_answer_without_a_valid_id_is_a_bounded_protocol_error(data: object, call: str) -> None:
    client = strict_client(lambda request: httpx.Response(200, json={"success": True, "data": data}))
    calls = {"create": lambda: client.create_media(media_body()), "get": lambda: client.get_media(MEDIA_ID),
             "update": lambda: client.update_media(MEDIA_ID, {"title": "t"}),
             "source-access": lambda: client.update_source_access(MEDIA_ID, True),
             "mp4": lambda: client.update_mp4_support(MEDIA_ID, "capped_4k")}
    with pytest.raises(ProtocolError) as caught:
        calls[call]()
    assert_bounded_and_clean(caught.value)


@pytest.mark.parametrize("media_id", ["x" * 100_000, "", "a\x00b", "line\nbreak", "..", ".", "\ud800"],
                         ids=["100kb", "empty", "nul", "newline", "dotdot", "dot", "surrogate"])
def test_an_id_that_cannot_be_fastpixs_is_refused_before_any_request(media_id: str) -> None:
    calls: list[httpx.Request] = []
    client = strict_client(lambda request: httpx.Response(200, json={"success": True}), calls)
    for call in (client.get_media, client.delete_media, client.get_input_info,
                 lambda i: client.update_media(i, {"title": "t"})):
        with pytest.raises(InvalidIdError) as caught:
            call(media_id)
        assert len(str(caught.value)) < 400
    assert calls == []


def test_a_200_kb_server_message_is_quoted_bounded_with_an_ellipsis() -> None:
    huge = envelope(400, "m" * 200_000, "d" * 200_000)
    with pytest.raises(InvalidRequestError) as caught:
        strict_client(lambda request: huge).get_media(MEDIA_ID)
    assert_bounded_and_clean(caught.value)
    assert "…" in str(caught.value)
    assert len(caught.value.api_message) <= 200 and len(caught.value.description) <= 200


def test_a_huge_request_id_is_quoted_bounded() -> None:
    answer = envelope(400)
    answer.headers["x-request-id"] = "r" * 50_000
    with pytest.raises(InvalidRequestError) as caught:
        strict_client(lambda request: answer).get_media(MEDIA_ID)
    assert_bounded_and_clean(caught.value)


def echo_authorization(status: int, where: str) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        header = request.headers["authorization"]
        echoes = {
            "message": envelope(status, f"bad request, you sent Authorization: {header}", "x"),
            "description": envelope(status, "bad", f"headers were {dict(request.headers)!r}"),
            "raw": envelope(status, f"token {BASIC} key {LONG_KEY} id {LONG_ID}", f"key-only {CREDENTIAL_TEXTS[3]}"),
            "html": httpx.Response(status, text=f"<pre>authorization: {header}\nkey={LONG_KEY}</pre>"),
            "request-id": httpx.Response(status, headers={"x-request-id": f"{header} {LONG_KEY}"},
                                         json={"success": False, "error": {"message": "m"}}),
        }
        return echoes[where]

    return handler


@pytest.mark.parametrize("where", ["message", "description", "raw", "html", "request-id"])
@pytest.mark.parametrize("status", [400, 404, 500, 200])
def test_a_server_echoing_the_credentials_never_gets_them_into_a_message(where: str, status: int) -> None:
    with pytest.raises(FastPixError) as caught:
        strict_client(echo_authorization(status, where)).delete_media(MEDIA_ID)
    assert_bounded_and_clean(caught.value)


@pytest.mark.parametrize("status", [524, 520, 598, 599, 505, 408])
def test_idempotent_calls_are_retried_on_every_5xx_and_408(status: int) -> None:
    answers = iter([envelope(status), httpx.Response(200, json={"success": True, "data": {"id": MEDIA_ID}})])
    calls: list[httpx.Request] = []
    assert strict_client(lambda request: next(answers), calls).get_media(MEDIA_ID)["id"] == MEDIA_ID
    assert len(calls) == 2


@pytest.mark.parametrize("answer", [HTML, httpx.Response(404, text="Not Found")], ids=["html-200", "plain-404"])
def test_a_protocol_error_is_not_retried(answer: httpx.Response) -> None:
    calls: list[httpx.Request] = []
    with pytest.raises(ProtocolError):
        strict_client(lambda request: answer, calls).get_media(MEDIA_ID)
    assert len(calls) == 1


def test_a_create_answered_524_is_not_sent_again() -> None:
    calls: list[httpx.Request] = []
    with pytest.raises(ServerError):
        strict_client(lambda request: httpx.Response(524, text="timeout"), calls).create_media(media_body())
    assert len(calls) == 1


def test_a_redirect_is_a_protocol_error_naming_the_url_setting() -> None:
    moved = httpx.Response(301, headers={"location": "https://api.fastpix.com/v1/on-demand"})
    with pytest.raises(ProtocolError) as caught:
        strict_client(lambda request: moved).get_media(MEDIA_ID)
    assert caught.value.status == 301


def test_an_answer_larger_than_the_cap_is_refused_without_reading_it_all() -> None:
    produced = []

    def chunks():
        for _ in range(10_000):
            produced.append(1)
            yield b" " * 65536

    with pytest.raises(ProtocolError, match="larger than"):
        strict_client(lambda request: httpx.Response(200, content=chunks())).get_media(MEDIA_ID)
    assert len(produced) < 200


def test_a_body_that_claims_gzip_but_is_not_is_a_fastpix_error() -> None:
    answer = httpx.Response(200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip at all"))
    with pytest.raises(FastPixError):
        strict_client(lambda request: answer).get_media(MEDIA_ID)


def test_a_deeply_nested_body_is_a_protocol_error_not_a_recursion_error() -> None:
    answer = httpx.Response(200, content=b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(ProtocolError):
        strict_client(lambda request: answer).get_media(MEDIA_ID)


def test_input_info_needs_a_data_object() -> None:
    with pytest.raises(ProtocolError):
        strict_client(lambda request: httpx.Response(200, json={"success": True, "data": [1]})).get_input_info(MEDIA_ID)
    ok = httpx.Response(200, json={"success": True, "data": {"configuration": {"url": "u"}}})
    assert strict_client(lambda request: ok).get_input_info(MEDIA_ID) == {"configuration": {"url": "u"}}


# -- find_media: the bounded search after an ambiguous create ------------------------------------------

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def workspace(media: list[dict]) -> Callable[[httpx.Request], httpx.Response]:
    """A list endpoint over `media` (given oldest first), paginated like FastPix."""

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit, offset = int(params["limit"]), int(params["offset"])
        ordered = media if params["orderBy"] == "asc" else media[::-1]
        page = ordered[(offset - 1) * limit: offset * limit]
        return httpx.Response(200, json={"success": True, "data": page, "pagination": {
            "totalRecords": len(media), "currentOffset": offset, "offsetCount": max(1, -(-len(media) // limit))}})

    return handler


def old_then_new(old: int, new: int) -> list[dict]:
    media = [{"id": f"old-{i}", "createdAt": stamp(NOW - timedelta(days=2, seconds=old - i))} for i in range(old)]
    media += [{"id": f"new-{i}", "createdAt": stamp(NOW + timedelta(seconds=i))} for i in range(new)]
    return media


def test_find_media_stops_at_media_older_than_the_attempt() -> None:
    calls: list[httpx.Request] = []
    client = strict_client(workspace(old_then_new(10_000, 3)), calls)
    assert client.find_media(lambda m: False, created_since=NOW) is None
    assert len(calls) <= 2
    assert all(parse_qs(urlsplit(str(c.url)).query)["orderBy"] == ["desc"] for c in calls)


def test_find_media_returns_the_first_match_newest_first() -> None:
    calls: list[httpx.Request] = []
    client = strict_client(workspace(old_then_new(10_000, 3)), calls)
    found = client.find_media(lambda m: m["id"].startswith("new-"), created_since=NOW)
    assert found is not None and found["id"] == "new-2"
    assert len(calls) == 1


def test_find_media_allows_for_clock_skew_but_not_more() -> None:
    assert CLOCK_SKEW_MARGIN == timedelta(minutes=10)
    media = [{"id": "too-old", "createdAt": stamp(NOW - CLOCK_SKEW_MARGIN - timedelta(seconds=5))},
             {"id": "skewed", "createdAt": stamp(NOW - CLOCK_SKEW_MARGIN + timedelta(seconds=5))}]
    client = strict_client(workspace(media))
    assert (client.find_media(lambda m: True, created_since=NOW) or {}).get("id") == "skewed"
    assert client.find_media(lambda m: m["id"] == "too-old", created_since=NOW) is None


def test_find_media_goes_past_media_without_a_readable_creation_time() -> None:
    media = [*old_then_new(120, 0), {"id": "target", "createdAt": stamp(NOW)}]
    media += [{"id": f"odd-{i}", "createdAt": value} for i, value in enumerate(["", "yesterday", 17, None])]
    media += [{"id": f"bare-{i}"} for i in range(60)]
    calls: list[httpx.Request] = []
    client = strict_client(workspace(media), calls)
    assert (client.find_media(lambda m: m["id"] == "target", created_since=NOW) or {}).get("id") == "target"
    assert len(calls) == 2


def test_find_media_stops_at_the_last_page() -> None:
    calls: list[httpx.Request] = []
    client = strict_client(workspace(old_then_new(0, 120)), calls)
    assert client.find_media(lambda m: False, created_since=NOW) is None
    assert len(calls) == 3


@pytest.mark.parametrize("answer", [HTML, envelope(500), httpx.Response(404, text="nope")])
def test_find_media_raises_when_it_cannot_look(answer: httpx.Response) -> None:
    with pytest.raises(FastPixError):
        strict_client(lambda request: answer).find_media(lambda m: True, created_since=NOW)


# -- the workspace probe --------------------------------------------------------------------------------


def test_workspace_probe_reads_the_newest_media_workspace() -> None:
    calls: list[httpx.Request] = []
    media = [{"id": "a", "workspaceId": "fd9197bb-8cfa-4569-b046-a30fb95e2381", "createdAt": stamp(NOW)}]
    assert strict_client(workspace(media), calls).workspace_id_of_credentials() == "fd9197bb-8cfa-4569-b046-a30fb95e2381"
    assert len(calls) == 1
    assert dict(calls[0].url.params) == {"limit": "1", "offset": "1", "orderBy": "desc"}


@pytest.mark.parametrize("media", [[], [{"id": "a"}], [{"id": "a", "workspaceId": 5}]], ids=["empty", "none", "int"])
def test_workspace_probe_is_none_without_a_media_that_names_it(media: list) -> None:
    assert strict_client(workspace(media)).workspace_id_of_credentials() is None


@pytest.mark.parametrize("answer", [HTML, httpx.Response(404, text="Not Found"), list_answer([{"id": "a"}], "many")])
def test_workspace_probe_raises_on_an_answer_that_is_not_fastpixs(answer: httpx.Response) -> None:
    with pytest.raises(ProtocolError):
        strict_client(lambda request: answer).workspace_id_of_credentials()
