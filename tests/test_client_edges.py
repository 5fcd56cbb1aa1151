"""The client's edges, one behaviour each: what every call sends, and what it makes of answers that are not
FastPix's. In-process only (httpx.MockTransport); no engine, no socket beyond loopback.

Written for the survivors of `make mutation` on fastpix_provider/client.py (tests/mutation-report.md).
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import httpcore
import httpx
import pytest

from fastpix_provider import InvalidRequestError, NotFoundError, RateLimitedError, ServerError, TransportError
from fastpix_provider.client import (
    DEFAULT_TIMEOUT,
    MAX_ID_LENGTH,
    Credentials,
    FastPixClient,
    _created_at,
    _DeadlineBackend,
    _hold_to_deadline,
    _kind,
    _text,
    _whole_number,
    _within_deadline,
    looks_like_id,
)
from fastpix_provider.errors import ConfigurationError, InvalidIdError, ProtocolError
from fastpix_provider.retry import RetryPolicy

API = "https://api.fastpix.com/v1"
MEDIA = "3123e275-3f7f-4abf-9655-7a8f5a7dbc61"
NO_JITTER = RetryPolicy(max_attempts=3, initial_delay=0.01, jitter=lambda d: d)


class Recorder:
    """A MockTransport handler answering from a list (the last answer repeats), keeping every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def sent(self) -> list[tuple[str, str, dict[str, str], Any]]:
        return [(r.method, r.url.path, dict(r.url.params), json.loads(r.content) if r.content else None)
                for r in self.requests]


def client(handler: Callable[[httpx.Request], httpx.Response], *, retries: list[str] | None = None,
           sleeps: list[float] | None = None, **kwargs: Any) -> FastPixClient:
    kwargs.setdefault("policy", NO_JITTER)
    return FastPixClient(API, Credentials("token-id-1234", "secret-key-5678"), transport=httpx.MockTransport(handler),
                         sleep=(sleeps if sleeps is not None else []).append,
                         on_retry=(retries if retries is not None else []).append, **kwargs)


def ok(data: Any = None, **extra: Any) -> httpx.Response:
    body = {"success": True, **extra}
    if data is not None:
        body["data"] = data
    return httpx.Response(200, json=body)


def fastpix_error(status: int, message: Any = "Oops", description: Any = "Details") -> httpx.Response:
    return httpx.Response(status, json={"success": False, "error": {"code": status, "message": message,
                                                                     "description": description}})


TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
RULES = {"defaultPolicy": "deny", "allow": ["example.com"], "deny": []}


# -- what each call sends ------------------------------------------------------------------------------


def test_the_api_url_loses_its_trailing_slash_and_paths_are_appended() -> None:
    answers = Recorder(ok({"id": MEDIA}))
    fastpix = FastPixClient(API + "/", Credentials("a", "b"), transport=httpx.MockTransport(answers))
    assert fastpix.api_url == API
    fastpix.get_media(MEDIA)
    assert str(answers.requests[0].url) == f"{API}/on-demand/{MEDIA}"
    assert answers.requests[0].headers["accept"] == "application/json"


@pytest.mark.parametrize(("call", "method", "path", "body"), [
    (lambda c: c.create_media({"title": "t"}), "POST", "/v1/on-demand", {"title": "t"}),
    (lambda c: c.get_media(MEDIA), "GET", f"/v1/on-demand/{MEDIA}", None),
    (lambda c: c.update_media(MEDIA, {"title": "t"}), "PATCH", f"/v1/on-demand/{MEDIA}", {"title": "t"}),
    (lambda c: c.update_source_access(MEDIA, True), "PATCH", f"/v1/on-demand/{MEDIA}/source-access",
     {"sourceAccess": True}),
    (lambda c: c.update_mp4_support(MEDIA, "capped_4k"), "PATCH", f"/v1/on-demand/{MEDIA}/update-mp4Support",
     {"mp4Support": "capped_4k"}),
    (lambda c: c.get_input_info(MEDIA), "GET", f"/v1/on-demand/{MEDIA}/input-info", None),
], ids=["create", "get", "update", "source-access", "mp4", "input-info"])
def test_each_media_call_sends_the_specs_method_path_and_body(call: Callable[[FastPixClient], Any], method: str,
                                                               path: str, body: Any) -> None:
    answers = Recorder(ok({"id": MEDIA}))
    assert call(client(answers)) == {"id": MEDIA}
    assert answers.sent == [(method, path, {}, body)]


def test_delete_media_sends_a_delete_of_the_media() -> None:
    answers = Recorder(ok())
    client(answers).delete_media(MEDIA)
    assert answers.sent == [("DELETE", f"/v1/on-demand/{MEDIA}", {}, None)]


def test_an_id_is_sent_percent_encoded_in_its_path_segment() -> None:
    answers = Recorder(ok({"id": "a b?c"}))
    client(answers).get_media("a b?c")
    assert answers.requests[0].url.raw_path == b"/v1/on-demand/a%20b%3Fc"


def test_list_media_sends_limit_offset_and_order_and_reads_every_page() -> None:
    pages = [ok([{"id": "a"}, {"id": "b"}], pagination={"offsetCount": 2}), ok([{"id": "c"}], pagination={"offsetCount": 2})]
    answers = Recorder(*pages)
    assert [m["id"] for m in client(answers).list_media(limit=2, order_by="desc")] == ["a", "b", "c"]
    assert [s[2] for s in answers.sent] == [{"limit": "2", "offset": "1", "orderBy": "desc"},
                                            {"limit": "2", "offset": "2", "orderBy": "desc"}]


def test_list_media_defaults_to_pages_of_fifty_oldest_first() -> None:
    answers = Recorder(ok([], pagination={"offsetCount": 0}))
    assert list(client(answers).list_media()) == []
    assert answers.sent[0][2] == {"limit": "50", "offset": "1", "orderBy": "asc"}


def test_list_media_stops_at_an_empty_page_even_if_more_pages_are_announced() -> None:
    answers = Recorder(ok([{"id": "a"}], pagination={"offsetCount": 5}), ok([], pagination={"offsetCount": 5}))
    assert [m["id"] for m in client(answers).list_media()] == ["a"]
    assert len(answers.requests) == 2


# -- media answers that are not FastPix's -------------------------------------------------------------------


@pytest.mark.parametrize(("data", "words"), [
    (None, "carries nothing (null or missing) where FastPix sends a data object"),
    ([], "carries a JSON array where"),
    ("x", "carries a JSON string where"),
    (True, "carries a JSON boolean where"),
    (3, "carries a JSON number where"),
    (1.5, "carries a JSON number where"),
], ids=["missing", "array", "string", "bool", "int", "float"])
def test_a_media_answer_without_a_data_object_says_what_it_carried(data: Any, words: str) -> None:
    answer = httpx.Response(200, json={"success": True, "data": data})
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(answer)).get_media(MEDIA)
    assert words in str(caught.value)
    assert (caught.value.method, caught.value.path, caught.value.status) == ("GET", f"/on-demand/{MEDIA}", 200)


def test_the_kind_of_an_unexpected_value_is_named_generically() -> None:
    assert _kind(object()) == "an unexpected value"
    assert _kind(None) == "nothing (null or missing)"
    assert _kind({}) == "a JSON object"


@pytest.mark.parametrize(("media_id", "words"), [
    (None, "no valid id (missing)"),
    ("", "no valid id (an empty string)"),
    ("a/b", "no valid id ('a/b')"),
    (7, "no valid id (7)"),
    (True, "no valid id (True)"),
    (2.5, "no valid id (2.5)"),
    (["x"], "no valid id (a JSON array)"),
    ("x" * 200, "no valid id (a string of 200 characters starting 'xxxxxxxx"),
], ids=["missing", "empty", "slash", "int", "bool", "float", "list", "long"])
def test_a_media_without_a_valid_id_is_described_in_the_error(media_id: Any, words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(ok({"id": media_id}))).get_media(MEDIA)
    assert f"the media in the answer has {words}" in str(caught.value)
    assert caught.value.status == 200


def test_a_long_string_is_described_by_its_length_and_a_bounded_start() -> None:
    value = "y" * 60 + "/"
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(ok({"id": value}))).get_media(MEDIA)
    message = str(caught.value)
    assert "a string of 61 characters starting 'yyyy" in message
    assert "y" * 45 not in message


def test_a_60_character_string_is_quoted_whole() -> None:
    value = "z/" * 30
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(ok({"id": value}))).get_media(MEDIA)
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize(("body", "words"), [
    (b"not json", "the body is not JSON: 'not json'"),
    (b"   ", "the body is not JSON: empty"),
    (b"[1, 2]", "the body is a JSON array, not FastPix's envelope"),
    (b'{"success": "true", "data": {"id": "m"}}', "the body does not say \"success\": true (it says 'true')"),
    (b'{"data": {"id": "m"}}', "the body does not say \"success\": true (it says missing)"),
], ids=["text", "blank", "array", "string-true", "no-success"])
def test_a_2xx_that_is_not_fastpixs_success_envelope_is_a_protocol_error(body: bytes, words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(httpx.Response(201, content=body))).get_media(MEDIA)
    assert words in str(caught.value)
    assert caught.value.status == 201


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_every_2xx_is_a_success_when_its_envelope_says_so(status: int) -> None:
    answer = httpx.Response(status, json={"success": True, "data": {"id": "m"}})
    assert client(Recorder(answer)).get_media("m") == {"id": "m"}


# -- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [100, 199, 300, 302, 304, 399, 600])
def test_a_status_outside_2xx_4xx_5xx_is_a_protocol_error_not_retried(status: int) -> None:
    answers = Recorder(httpx.Response(status, headers={"location": "https://elsewhere.example/x"}))
    with pytest.raises(ProtocolError) as caught:
        client(answers).get_media(MEDIA)
    assert caught.value.status == status
    assert len(answers.requests) == 1
    if 300 <= status <= 399:
        assert "a redirect to 'https://elsewhere.example/x'" in str(caught.value)
    else:
        assert "a status FastPix does not answer with" in str(caught.value)


def test_a_redirect_without_a_location_says_so() -> None:
    with pytest.raises(ProtocolError, match="a redirect to ''"):
        client(Recorder(httpx.Response(307))).get_media(MEDIA)


@pytest.mark.parametrize(("status", "error"), [(400, InvalidRequestError), (599, ServerError)])
def test_the_edges_of_4xx_and_5xx_are_api_errors(status: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        client(Recorder(fastpix_error(status)), policy=RetryPolicy(max_attempts=1)).get_media(MEDIA)


def test_an_error_envelope_gives_its_message_description_and_request_id() -> None:
    answer = fastpix_error(400, "Invalid title", "too long")
    answer.headers["x-request-id"] = "req-42"
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(answer)).get_media(MEDIA)
    error = caught.value
    assert "Invalid title: too long" in str(error)
    assert error.request_id == "req-42"
    assert error.fastpix_envelope is True


def test_an_error_envelope_without_a_message_uses_the_http_reason() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(fastpix_error(400, None, 17))).get_media(MEDIA)
    assert "Bad Request: 17" in str(caught.value)
    assert caught.value.request_id is None


def test_an_error_outside_the_envelope_quotes_the_reason_and_the_body() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(httpx.Response(400, text="plain words"))).get_media(MEDIA)
    assert "Bad Request: the body was 'plain words'" in str(caught.value)
    assert caught.value.fastpix_envelope is False
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(httpx.Response(400, text="  \n"))).get_media(MEDIA)
    assert "the body was" not in str(caught.value)


@pytest.mark.parametrize("body", [
    {"success": True, "error": {"message": "m"}},
    {"success": False, "error": "m"},
    {"error": {"message": "m"}},
], ids=["success-true", "error-string", "no-success"])
def test_a_404_is_not_found_only_in_fastpixs_exact_error_envelope(body: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError, match="a 404 outside FastPix's error envelope"):
        client(Recorder(httpx.Response(404, json=body))).get_media(MEDIA)
    with pytest.raises(NotFoundError):
        client(Recorder(fastpix_error(404))).get_media(MEDIA)


def test_text_shows_strings_and_numbers_and_ignores_the_rest() -> None:
    assert _text("a") == "a"
    assert _text(3) == "3"
    assert _text(1.5) == "1.5"
    assert _text(True) == ""
    assert _text(None) == ""
    assert _text({"a": 1}) == ""


# -- retries ---------------------------------------------------------------------------------------------


def test_a_retry_says_what_failed_how_long_it_waits_and_which_attempt_is_next() -> None:
    retries: list[str] = []
    sleeps: list[float] = []
    answers = Recorder(fastpix_error(503), fastpix_error(503), ok({"id": MEDIA}))
    assert client(answers, retries=retries, sleeps=sleeps).get_media(MEDIA) == {"id": MEDIA}
    assert retries == [f"FastPix answered 503 to GET /on-demand/{MEDIA}; retrying in 0.0s (attempt 2/3)",
                       f"FastPix answered 503 to GET /on-demand/{MEDIA}; retrying in 0.0s (attempt 3/3)"]
    assert sleeps == [0.01, 0.02]


def test_a_transport_retry_says_the_error_and_the_next_attempt() -> None:
    retries: list[str] = []
    sleeps: list[float] = []
    answers = Recorder(httpx.ConnectError("refused"), ok({"id": MEDIA}))
    assert client(answers, retries=retries, sleeps=sleeps).get_media(MEDIA) == {"id": MEDIA}
    assert retries == [f"could not connect to FastPix for GET /on-demand/{MEDIA}: refused; "
                       "retrying in 0.0s (attempt 2/3)"]
    assert sleeps == [0.01]


def test_a_retry_waits_as_long_as_retry_after_asks() -> None:
    sleeps: list[float] = []
    answers = Recorder(httpx.Response(429, headers={"retry-after": "2"}, json={}), ok({"id": MEDIA}))
    client(answers, sleeps=sleeps).get_media(MEDIA)
    assert sleeps == [2.0]


def test_without_on_retry_a_retry_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    answers = Recorder(fastpix_error(503), ok({"id": MEDIA}))
    fastpix = FastPixClient(API, Credentials("a", "b"), transport=httpx.MockTransport(answers), policy=NO_JITTER,
                            sleep=lambda s: None)
    with caplog.at_level("WARNING", logger="fastpix_provider"):
        fastpix.get_media(MEDIA)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "FastPix answered 503" in caplog.records[0].getMessage()


def test_the_default_policy_and_sleep_are_used_when_none_is_given() -> None:
    fastpix = FastPixClient(API, Credentials("a", "b"), transport=httpx.MockTransport(Recorder(ok())))
    assert fastpix.policy == RetryPolicy()
    assert fastpix.request_deadline == 60.0


def test_a_rate_limit_on_the_last_attempt_is_raised() -> None:
    answers = Recorder(httpx.Response(429, json={}))
    with pytest.raises(RateLimitedError):
        client(answers, policy=RetryPolicy(max_attempts=2, initial_delay=0.0, jitter=lambda d: d)).get_media(MEDIA)
    assert len(answers.requests) == 2


# -- transport errors: the one place httpx's exceptions become ours -------------------------------------------


@pytest.mark.parametrize(("raised", "words", "sent"), [
    (httpx.ConnectError("refused"), "could not connect to FastPix for GET /on-demand/m: refused", False),
    (httpx.ConnectTimeout("slow"), "could not connect to FastPix for GET /on-demand/m: slow", False),
    (httpx.PoolTimeout("busy"), "no free connection to FastPix for GET /on-demand/m", False),
    (httpx.ReadTimeout("late"), "the connection to FastPix failed during GET /on-demand/m: late", True),
    (httpx.RemoteProtocolError(""), "the connection to FastPix failed during GET /on-demand/m: RemoteProtocolError",
     True),
], ids=["connect", "connect-timeout", "pool", "read-timeout", "no-detail"])
def test_transport_failures_say_whether_the_request_may_have_been_sent(raised: Exception, words: str,
                                                                        sent: bool) -> None:
    answers = Recorder(raised)
    with pytest.raises(TransportError) as caught:
        client(answers, policy=RetryPolicy(max_attempts=1)).get_media("m")
    assert str(caught.value) == words
    assert caught.value.request_sent is sent


def test_an_unsupported_scheme_is_a_configuration_error() -> None:
    fastpix = FastPixClient("ftp://api.fastpix.com/v1", Credentials("a", "b"), policy=RetryPolicy(max_attempts=1))
    with pytest.raises(ConfigurationError, match="must start with https://"):
        fastpix.get_media("m")


def test_a_url_that_cannot_be_built_is_a_configuration_error() -> None:
    answers = Recorder(httpx.InvalidURL("bad host"))
    with pytest.raises(ConfigurationError, match="cannot build a URL for GET /on-demand/m: bad host"):
        client(answers).get_media("m")


def test_an_api_url_httpx_refuses_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="is not a usable URL"):
        FastPixClient("https://[::1", Credentials("a", "b"))


# -- ids -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("a", True), ("x" * MAX_ID_LENGTH, True), ("x" * (MAX_ID_LENGTH + 1), False), ("", False),
    ("a/b", False), (".", False), ("..", False), ("...", True), ("a\nb", False), (5, False), (None, False),
])
def test_an_id_is_1_to_128_printable_characters_without_a_slash(value: Any, expected: bool) -> None:
    assert looks_like_id(value) is expected


def test_a_bad_media_id_names_the_id_and_what_to_check() -> None:
    with pytest.raises(InvalidIdError) as caught:
        client(Recorder(ok())).get_media("a/b")
    assert str(caught.value) == ("'a/b' cannot be a FastPix media id: an id is 1 to 128 printable characters "
                                 "without '/'. Check the id given to `pulumi import` or kept in the state.")


# -- tracks and playback ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "method", "path", "params", "body"), [
    (lambda c: c.add_track(MEDIA, {"type": "subtitle"}), "POST", f"/v1/on-demand/{MEDIA}/tracks", {},
     {"tracks": {"type": "subtitle"}}),
    (lambda c: c.update_track(MEDIA, "t 1", {"url": "u"}), "PATCH", f"/v1/on-demand/{MEDIA}/tracks/t 1", {},
     {"url": "u"}),
    (lambda c: c.generate_subtitles(MEDIA, "a1", {"languageCode": "en"}), "POST",
     f"/v1/on-demand/{MEDIA}/tracks/a1/generate-subtitles", {}, {"languageCode": "en"}),
    (lambda c: c.create_playback_id(MEDIA, {"accessPolicy": "public"}), "POST",
     f"/v1/on-demand/{MEDIA}/playback-ids", {}, {"accessPolicy": "public"}),
], ids=["add-track", "update-track", "subtitles", "playback-id"])
def test_each_child_call_sends_the_specs_method_path_and_body(call: Callable[[FastPixClient], Any], method: str,
                                                               path: str, params: dict[str, str], body: Any) -> None:
    answers = Recorder(ok({"id": "child-1"}))
    assert call(client(answers)) == {"id": "child-1"}
    assert answers.sent == [(method, path, params, body)]


@pytest.mark.parametrize(("call", "what"), [
    (lambda c: c.add_track(MEDIA, {}), "track"),
    (lambda c: c.update_track(MEDIA, "t1", {}), "track"),
    (lambda c: c.generate_subtitles(MEDIA, "a1", {}), "track"),
    (lambda c: c.create_playback_id(MEDIA, {}), "playback id"),
], ids=["add-track", "update-track", "subtitles", "playback-id"])
@pytest.mark.parametrize("child", [{}, {"id": ""}, {"id": "a/b"}], ids=["missing", "empty", "slash"])
def test_a_child_without_a_valid_id_is_a_protocol_error_naming_it(call: Callable[[FastPixClient], Any], what: str,
                                                                   child: dict[str, Any]) -> None:
    answers = Recorder(ok(child))
    with pytest.raises(ProtocolError) as caught:
        call(client(answers))
    assert str(caught.value).count(f"the {what} in the answer has no valid id (") == 1
    assert caught.value.status == 200
    assert caught.value.method == answers.requests[0].method


def test_a_child_answer_need_not_be_a_media() -> None:
    """A track's answer has no media id rules beyond its own id, and input info has no id at all."""
    assert client(Recorder(ok({"id": "t1", "languageCode": "en"}))).add_track(MEDIA, {}) == {
        "id": "t1", "languageCode": "en"}


@pytest.mark.parametrize(("call", "what"), [
    (lambda c: c.update_track(MEDIA, "a/b", {}), "track"),
    (lambda c: c.delete_track(MEDIA, "", ), "track"),
    (lambda c: c.generate_subtitles(MEDIA, "..", {}), "audio track"),
    (lambda c: c.update_playback_id_domains(MEDIA, "a/b", RULES), "playback id"),
    (lambda c: c.update_playback_id_user_agents(MEDIA, "a/b", RULES), "playback id"),
    (lambda c: c.delete_playback_id(MEDIA, "a/b"), "playback id"),
], ids=["update-track", "delete-track", "subtitles", "domains", "user-agents", "delete-playback-id"])
def test_a_child_id_that_cannot_be_one_is_refused_before_any_request(call: Callable[[FastPixClient], Any],
                                                                      what: str) -> None:
    answers = Recorder(ok())
    with pytest.raises(InvalidIdError) as caught:
        call(client(answers))
    assert f"cannot be a FastPix {what} id: an id is 1 to 128 printable characters without '/'" in str(caught.value)
    assert "Check the id kept in the state." in str(caught.value)
    assert answers.requests == []


def test_delete_track_and_playback_id_send_the_specs_requests() -> None:
    answers = Recorder(ok())
    fastpix = client(answers)
    fastpix.delete_track(MEDIA, "t1")
    fastpix.delete_playback_id(MEDIA, "p 1")
    assert answers.sent == [("DELETE", f"/v1/on-demand/{MEDIA}/tracks/t1", {}, None),
                            ("DELETE", f"/v1/on-demand/{MEDIA}/playback-ids", {"playbackId": "p 1"}, None)]


@pytest.mark.parametrize(("call", "suffix"), [
    (lambda c: c.update_playback_id_domains(MEDIA, "p1", RULES), "domains"),
    (lambda c: c.update_playback_id_user_agents(MEDIA, "p1", RULES), "user-agents"),
])
def test_access_rules_are_sent_and_the_rule_set_answer_is_returned(call: Callable[[FastPixClient], Any],
                                                                    suffix: str) -> None:
    answers = Recorder(ok({"defaultPolicy": "allow", "allow": [], "deny": ["bot"]}))
    assert call(client(answers)) == {"defaultPolicy": "allow", "allow": [], "deny": ["bot"]}
    assert answers.sent == [("PATCH", f"/v1/on-demand/{MEDIA}/playback-ids/p1/{suffix}", {}, RULES)]


@pytest.mark.parametrize("rules", [
    {"defaultPolicy": "maybe", "allow": [], "deny": []},
    {"allow": [], "deny": []},
    {"defaultPolicy": "deny", "allow": "a.com", "deny": []},
    {"defaultPolicy": "deny", "allow": [], "deny": "a.com"},
    {"defaultPolicy": "deny", "allow": [1], "deny": []},
    {"defaultPolicy": "deny", "allow": [], "deny": [None]},
    {"defaultPolicy": "deny", "deny": []},
    {"defaultPolicy": "deny", "allow": []},
], ids=["policy", "no-policy", "allow-string", "deny-string", "allow-int", "deny-null", "no-allow", "no-deny"])
def test_an_answer_that_is_not_a_rule_set_is_a_protocol_error(rules: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError, match="the answer is not a rule set") as caught:
        client(Recorder(ok(rules))).update_playback_id_domains(MEDIA, "p1", RULES)
    assert (caught.value.method, caught.value.status) == ("PATCH", 200)
    assert caught.value.path == f"/on-demand/{MEDIA}/playback-ids/p1/domains"


# -- DRM configurations --------------------------------------------------------------------------------


def test_drm_configuration_ids_are_read_from_the_first_page() -> None:
    answers = Recorder(ok([{"id": "d1"}, {"id": "d2", "name": "x"}]))
    assert client(answers).list_drm_configuration_ids() == ["d1", "d2"]
    assert answers.sent == [("GET", "/v1/on-demand/drm-configurations", {"limit": "50", "offset": "1"}, None)]


def test_a_workspace_without_drm_answers_400_in_fastpixs_envelope_which_reads_as_none() -> None:
    answers = Recorder(fastpix_error(400, "DRM ID does not exist"))
    assert client(answers).list_drm_configuration_ids() == []


@pytest.mark.parametrize("answer", [
    httpx.Response(400, text="Bad Request"),
    fastpix_error(422),
    fastpix_error(404),
], ids=["400-outside-envelope", "422", "404"])
def test_other_drm_errors_are_raised(answer: httpx.Response) -> None:
    with pytest.raises((InvalidRequestError, NotFoundError)) as caught:
        client(Recorder(answer)).list_drm_configuration_ids()
    assert caught.value.status == answer.status_code


@pytest.mark.parametrize("data", [None, {"id": "d1"}, [{"id": "d1"}, "d2"], [{"name": "x"}], [{"id": "a/b"}]],
                         ids=["missing", "object", "string-item", "no-id", "bad-id"])
def test_a_drm_answer_that_is_not_a_list_of_objects_with_ids_is_a_protocol_error(data: Any) -> None:
    with pytest.raises(ProtocolError, match="not a list of objects with ids") as caught:
        client(Recorder(httpx.Response(200, json={"success": True, "data": data}))).list_drm_configuration_ids()
    assert (caught.value.method, caught.value.path, caught.value.status) == (
        "GET", "/on-demand/drm-configurations", 200)


# -- direct uploads ------------------------------------------------------------------------------------------

UPLOAD = {"uploadId": "u1", "url": "https://storage.example/put?sig=1"}


def test_create_upload_posts_the_body_and_returns_the_checked_upload() -> None:
    answers = Recorder(ok(UPLOAD))
    assert client(answers).create_upload({"corsOrigin": "*"}) == UPLOAD
    assert answers.sent == [("POST", "/v1/on-demand/upload", {}, {"corsOrigin": "*"})]


@pytest.mark.parametrize(("data", "words"), [
    (None, "the answer carries nothing (null or missing) where FastPix sends an upload object"),
    ([UPLOAD], "the answer carries a JSON array where FastPix sends an upload object"),
    ({"url": "https://x"}, "the upload has no valid uploadId (missing)"),
    ({"uploadId": "a/b", "url": "https://x"}, "the upload has no valid uploadId ('a/b')"),
    ({"uploadId": "u1"}, "the upload has no url (missing)"),
    ({"uploadId": "u1", "url": ""}, "the upload has no url (an empty string)"),
    ({"uploadId": "u1", "url": 5}, "the upload has no url (5)"),
], ids=["missing", "array", "no-id", "bad-id", "no-url", "empty-url", "int-url"])
def test_an_upload_answer_that_is_not_an_upload_is_a_protocol_error(data: Any, words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(httpx.Response(201, json={"success": True, "data": data}))).create_upload({})
    assert words in str(caught.value)
    assert (caught.value.method, caught.value.path, caught.value.status) == ("POST", "/on-demand/upload", 201)


def test_list_uploads_reads_every_page() -> None:
    second = {"uploadId": "u2", "url": "https://x/2"}
    answers = Recorder(ok([UPLOAD], pagination={"offsetCount": "2"}), ok([second], pagination={"offsetCount": 2}))
    assert list(client(answers).list_uploads(limit=1)) == [UPLOAD, second]
    assert [s[2] for s in answers.sent] == [{"limit": "1", "offset": "1"}, {"limit": "1", "offset": "2"}]
    assert {s[1] for s in answers.sent} == {"/v1/on-demand/uploads"}


def test_list_uploads_defaults_to_pages_of_fifty_and_stops_at_an_empty_page() -> None:
    answers = Recorder(ok([UPLOAD], pagination={"offsetCount": 9}), ok([], pagination={"offsetCount": 9}))
    assert list(client(answers).list_uploads()) == [UPLOAD]
    assert [s[2] for s in answers.sent] == [{"limit": "50", "offset": "1"}, {"limit": "50", "offset": "2"}]


@pytest.mark.parametrize(("body", "words"), [
    ({"success": True, "data": {"uploadId": "u1"}, "pagination": {"offsetCount": 1}},
     "the uploads answer carries a JSON object where FastPix sends a data array"),
    ({"success": True, "data": [UPLOAD]}, "the uploads answer has no whole pagination.offsetCount"),
    ({"success": True, "data": [UPLOAD], "pagination": [1]}, "no whole pagination.offsetCount"),
    ({"success": True, "data": [UPLOAD], "pagination": {"offsetCount": -1}}, "no whole pagination.offsetCount"),
    ({"success": True, "data": [{"uploadId": "u1"}], "pagination": {"offsetCount": 1}}, "the upload has no url"),
], ids=["object", "no-pagination", "pagination-list", "negative", "bad-item"])
def test_an_uploads_answer_that_is_not_fastpixs_is_a_protocol_error(body: dict[str, Any], words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        list(client(Recorder(httpx.Response(200, json=body))).list_uploads())
    assert words in str(caught.value)
    assert (caught.value.method, caught.value.path, caught.value.status) == ("GET", "/on-demand/uploads", 200)


def test_no_upload_is_yielded_from_a_page_that_fails_its_check() -> None:
    body = {"success": True, "data": [UPLOAD], "pagination": {"offsetCount": "many"}}
    uploads = client(Recorder(httpx.Response(200, json=body))).list_uploads()
    with pytest.raises(ProtocolError):
        next(uploads)


def test_cancel_upload_puts_to_the_uploads_cancel_path() -> None:
    answers = Recorder(ok({"uploadId": "u 1", "status": "cancelled"}))
    assert client(answers).cancel_upload("u 1") == {"uploadId": "u 1", "status": "cancelled"}
    assert answers.requests[0].method == "PUT"
    assert answers.requests[0].url.raw_path == b"/v1/on-demand/upload/u%201/cancel"


def test_an_upload_id_that_cannot_be_one_is_refused_before_any_request() -> None:
    answers = Recorder(ok())
    with pytest.raises(InvalidIdError, match=r"^'a/b' cannot be a FastPix upload id$"):
        client(answers).cancel_upload("a/b")
    assert answers.requests == []


# -- the list's checks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "words"), [
    ({"success": True, "data": {}, "pagination": {"offsetCount": 1}}, "the list answer carries a JSON object where"),
    ({"success": True, "data": [{"id": "a"}, 3], "pagination": {"offsetCount": 1}},
     "item 1 of the list is a JSON number, not a media object"),
    ({"success": True, "data": [{"id": "a"}, {"id": ""}], "pagination": {"offsetCount": 1}},
     "item 1 of the list has no valid id (an empty string)"),
    ({"success": True, "data": [], "pagination": {"offsetCount": 1.0}}, "pagination.offsetCount is 1.0, not a whole"),
    ({"success": True, "data": [], "pagination": {"offsetCount": True}}, "pagination.offsetCount is True, not a whole"),
    ({"success": True, "data": [], "pagination": {}}, "pagination.offsetCount is missing, not a whole number"),
    ({"success": True, "data": [], "pagination": 3}, "pagination.offsetCount is missing, not a whole number"),
], ids=["object", "number-item", "empty-id", "float-pages", "bool-pages", "no-pages", "pagination-number"])
def test_a_list_page_that_is_not_fastpixs_is_a_protocol_error(body: dict[str, Any], words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        list(client(Recorder(httpx.Response(200, json=body))).list_media())
    assert words in str(caught.value)
    assert (caught.value.method, caught.value.path, caught.value.status) == ("GET", "/on-demand", 200)


@pytest.mark.parametrize(("value", "expected"), [
    (0, 0), (7, 7), (-1, None), (True, None), (False, None), ("12", 12), ("0", 0), ("", None),
    ("9" * 12, 10**12 - 1), ("9" * 13, None), ("1.5", None), ("\u0663", None), ("-1", None), (2.0, None), (None, None),
])
def test_a_whole_number_is_an_int_or_up_to_twelve_ascii_digits(value: Any, expected: int | None) -> None:
    assert _whole_number(value) == expected


def test_the_workspace_probe_refuses_a_workspace_id_that_cannot_be_an_id() -> None:
    answers = Recorder(ok([{"id": "a", "workspaceId": "a/b"}], pagination={"offsetCount": 1}))
    with pytest.raises(ProtocolError) as caught:
        client(answers).workspace_id_of_credentials()
    assert str(caught.value).count("the media's workspaceId 'a/b' cannot be an id") == 1
    assert (caught.value.method, caught.value.path, caught.value.status) == ("GET", "/on-demand", 200)


# -- find_media's clock --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-05-20T12:00:00Z", datetime(2026, 5, 20, 12, tzinfo=UTC)),
    ("2026-05-20T12:00:00", datetime(2026, 5, 20, 12, tzinfo=UTC)),
    ("2026-05-20T14:00:00+02:00", datetime(2026, 5, 20, 12, tzinfo=UTC)),
    ("2026-05-20T12:00:00.000000000000000000000000000000000000000000000Z", None),
    ("yesterday", None), (17, None), (None, None), ("0001-01-01T00:00:00+01:00", None),
], ids=["zulu", "naive", "offset", "too-long", "words", "int", "none", "overflow"])
def test_created_at_is_read_as_utc_or_not_at_all(value: Any, expected: datetime | None) -> None:
    moment = _created_at({"createdAt": value})
    assert moment == expected
    if moment is not None:
        assert moment.tzinfo is UTC


def test_find_media_needs_an_aware_creation_time() -> None:
    answers = Recorder(ok([], pagination={"offsetCount": 0}))
    with pytest.raises(ValueError, match="timezone-aware"):
        client(answers).find_media(lambda m: True, created_since=datetime(2026, 5, 20))
    assert answers.requests == []


def test_find_media_compares_creation_times_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    media = [{"id": "m", "createdAt": "2026-05-20T11:55:00Z"}]
    answers = Recorder(ok(media, pagination={"offsetCount": 1}))
    # 14:00+02:00 is 12:00 UTC: a media of 11:55 UTC is within the clock-skew margin.
    found = client(answers).find_media(lambda m: True, created_since=datetime(2026, 5, 20, 14, tzinfo=plus_two))
    assert found == media[0]
    assert answers.sent[0][2] == {"limit": "50", "offset": "1", "orderBy": "desc"}


# -- secrets ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("echo", [
    "Authorization: Basic dG9rZW4taWQ6c2VjcmV0",
    '{"authorization": "Bearer abcdefgh"}',
    "header was basic%20abcdefgh",
    "token-id-1234",
    "SECRET-KEY-5678",
], ids=["header", "json-bearer", "url-encoded", "token-id", "key-upper"])
def test_credentials_and_auth_headers_a_server_echoes_are_starred(echo: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(fastpix_error(400, f"you sent {echo}"))).get_media(MEDIA)
    message = str(caught.value)
    assert "***" in message
    for secret in ("dG9rZW4taWQ6c2VjcmV0", "abcdefgh", "token-id-1234", "secret-key-5678"):
        assert secret not in message.lower()


def test_an_empty_access_token_id_still_scrubs_the_secret() -> None:
    answers = Recorder(fastpix_error(400, "key was secret-key-5678"))
    fastpix = FastPixClient(API, Credentials("", "secret-key-5678"), transport=httpx.MockTransport(answers))
    with pytest.raises(InvalidRequestError) as caught:
        fastpix.get_media(MEDIA)
    assert "secret-key-5678" not in str(caught.value)


def test_an_empty_secret_and_token_id_quote_server_text_as_it_is() -> None:
    answers = Recorder(fastpix_error(400, "plain words"))
    fastpix = FastPixClient(API, Credentials("", ""), transport=httpx.MockTransport(answers))
    with pytest.raises(InvalidRequestError, match="plain words"):
        fastpix.get_media(MEDIA)


# -- the deadline ---------------------------------------------------------------------------------------------


def first_attempts_timeouts(request_deadline: float) -> dict[str, float]:
    """The timeouts the first attempt of a get_media is given, under `request_deadline`."""
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return ok({"id": MEDIA})

    client(handler, request_deadline=request_deadline).get_media(MEDIA)
    return seen[0]


def test_each_attempt_is_given_the_time_left_before_its_deadline() -> None:
    timeout = first_attempts_timeouts(2.0)
    assert DEFAULT_TIMEOUT.connect == 5.0
    assert 1.5 < timeout["connect"] <= 2.0
    assert all(1.5 < timeout[k] <= 2.0 for k in ("read", "write", "pool"))
    assert first_attempts_timeouts(100.0) == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}


def test_a_timeout_left_unset_is_capped_at_the_deadline() -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return ok({"id": MEDIA})

    client(handler, timeout=httpx.Timeout(None), request_deadline=3.0).get_media(MEDIA)
    assert all(2.5 < value <= 3.0 for value in seen[0].values())


def test_a_missed_deadline_is_a_transport_error_saying_whether_the_request_was_sent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow")

    with pytest.raises(TransportError) as caught:
        client(handler, policy=RetryPolicy(max_attempts=1), request_deadline=0.0).get_media("m")
    assert str(caught.value) == "FastPix did not answer GET /on-demand/m completely within the 0 s deadline"
    assert caught.value.request_sent is False


def test_a_body_still_arriving_after_the_deadline_is_refused_as_possibly_sent() -> None:
    def chunks():
        yield b'{"success": true, '
        yield b'"data": {"id": "m"}}'

    answer = httpx.Response(200, content=chunks())
    with pytest.raises(TransportError, match="within the 0 s deadline") as caught:
        client(Recorder(answer), policy=RetryPolicy(max_attempts=1), request_deadline=0.0).get_media("m")
    assert caught.value.request_sent is True


def test_a_body_of_exactly_the_cap_is_read() -> None:
    from fastpix_provider.client import MAX_BODY_BYTES

    prefix = b'{"success": true, "data": {"id": "m"}}'
    body = prefix + b" " * (MAX_BODY_BYTES - len(prefix))
    assert client(Recorder(httpx.Response(200, content=iter([body])))).get_media("m") == {"id": "m"}
    with pytest.raises(ProtocolError, match="larger than 8 MiB"):
        client(Recorder(httpx.Response(200, content=iter([body + b" "])))).get_media("m")


def test_within_deadline_caps_a_socket_timeout_at_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastpix_provider import client as module

    assert _within_deadline(7.0, httpcore.ReadTimeout) == 7.0
    assert _within_deadline(None, httpcore.ReadTimeout) is None
    monkeypatch.setattr(module._deadline, "at", time.monotonic() + 2.0, raising=False)
    assert 1.5 < (_within_deadline(7.0, httpcore.ReadTimeout) or 0) <= 2.0
    assert _within_deadline(1.0, httpcore.ReadTimeout) == 1.0
    assert 1.5 < (_within_deadline(None, httpcore.ReadTimeout) or 0) <= 2.0
    monkeypatch.setattr(module._deadline, "at", time.monotonic() - 0.1)
    with pytest.raises(httpcore.WriteTimeout, match="deadline has passed"):
        _within_deadline(1.0, httpcore.WriteTimeout)


def test_our_own_transport_holds_every_socket_to_the_deadline_once() -> None:
    transport = httpx.HTTPTransport()
    assert _hold_to_deadline(transport) is True
    backend = transport._pool._network_backend  # type: ignore[attr-defined]
    assert isinstance(backend, _DeadlineBackend)
    assert _hold_to_deadline(transport) is True
    assert transport._pool._network_backend is backend  # type: ignore[attr-defined]
    assert _hold_to_deadline(httpx.MockTransport(Recorder(ok()))) is False
    fastpix = FastPixClient(API, Credentials("a", "b"))
    assert isinstance(fastpix._http._transport._pool._network_backend, _DeadlineBackend)  # type: ignore[attr-defined]
    fastpix.close()


class FakeStream(httpcore.NetworkStream):
    """A network stream that records the timeouts it is given."""

    def __init__(self, calls: list[tuple[str, Any]]) -> None:
        self.calls = calls

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", (max_bytes, timeout)))
        return b"bytes"

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append(("write", (buffer, timeout)))

    def close(self) -> None:
        self.calls.append(("close", None))

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        self.calls.append(("start_tls", (ssl_context, server_hostname, timeout)))
        return FakeStream(self.calls)

    def get_extra_info(self, info: str) -> Any:
        return f"info:{info}"


class FakeBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        self.calls.append(("connect_tcp", (host, port, timeout, local_address, socket_options)))
        return FakeStream(self.calls)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        self.calls.append(("connect_unix_socket", (path, timeout, socket_options)))
        return FakeStream(self.calls)

    def sleep(self, seconds: float) -> None:
        self.calls.append(("sleep", seconds))


def test_every_socket_operation_passes_through_with_its_own_timeout_when_no_deadline_is_set() -> None:
    inner = FakeBackend()
    backend = _DeadlineBackend(inner)
    stream = backend.connect_tcp("127.0.0.1", 8080, 5.0, "127.0.0.2", ["opt"])
    assert stream.read(10, 3.0) == b"bytes"
    stream.write(b"x", 4.0)
    tls = stream.start_tls(TLS, "api.fastpix.com", 6.0)
    tls.read(1, 7.0)
    assert stream.get_extra_info("peer") == "info:peer"
    stream.close()
    backend.connect_unix_socket("/run/x.sock", 8.0, ["opt"]).close()
    backend.sleep(0.5)
    assert inner.calls == [
        ("connect_tcp", ("127.0.0.1", 8080, 5.0, "127.0.0.2", ["opt"])), ("read", (10, 3.0)), ("write", (b"x", 4.0)),
        ("start_tls", (TLS, "api.fastpix.com", 6.0)), ("read", (1, 7.0)), ("close", None),
        ("connect_unix_socket", ("/run/x.sock", 8.0, ["opt"])), ("close", None), ("sleep", 0.5)]


def test_every_socket_operation_is_cut_to_the_time_left_before_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastpix_provider import client as module

    inner = FakeBackend()
    backend = _DeadlineBackend(inner)
    monkeypatch.setattr(module._deadline, "at", time.monotonic() + 2.0, raising=False)
    stream = backend.connect_tcp("127.0.0.1", 8080, 30.0)
    stream.read(10, 30.0)
    stream.write(b"x", None)
    stream.start_tls(TLS, None, 30.0).write(b"y", 30.0)
    backend.connect_unix_socket("/run/x.sock", 30.0)
    timeouts = [call[1][{"connect_tcp": 2, "read": 1, "write": 1, "start_tls": 2, "connect_unix_socket": 1}[call[0]]]
                for call in inner.calls]
    assert [call[0] for call in inner.calls] == ["connect_tcp", "read", "write", "start_tls", "write",
                                                 "connect_unix_socket"]
    assert all(1.5 < t <= 2.0 for t in timeouts), timeouts
    monkeypatch.setattr(module._deadline, "at", time.monotonic() - 1.0)
    for operation, error in [(lambda: stream.read(1, 1.0), httpcore.ReadTimeout),
                             (lambda: stream.write(b"x", 1.0), httpcore.WriteTimeout),
                             (lambda: stream.start_tls(TLS, None, 1.0), httpcore.ConnectTimeout),
                             (lambda: backend.connect_tcp("h", 1, 1.0), httpcore.ConnectTimeout),
                             (lambda: backend.connect_unix_socket("/p", 1.0), httpcore.ConnectTimeout)]:
        with pytest.raises(error):
            operation()


def test_the_deadline_is_cleared_after_each_attempt() -> None:
    from fastpix_provider import client as module

    seen: list[float | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(module._deadline.at)
        return ok({"id": MEDIA})

    client(handler).get_media(MEDIA)
    assert seen[0] is not None
    assert module._deadline.at is None


# -- the survivors of the first run over these tests ----------------------------------------------------------


def test_credentials_repr_names_the_class_and_stars_both_fields() -> None:
    assert repr(Credentials("token-id-1234", "secret-key-5678")) == "Credentials(access_token_id=***, secret_key=***)"


@pytest.mark.parametrize(("call", "words"), [
    (lambda c: c.create_media({}), "POST /on-demand:"),
    (lambda c: c.get_media("m"), "GET /on-demand/m:"),
    (lambda c: c.update_media("m", {}), "PATCH /on-demand/m:"),
    (lambda c: c.update_source_access("m", False), "PATCH /on-demand/m/source-access:"),
    (lambda c: c.update_mp4_support("m", "none"), "PATCH /on-demand/m/update-mp4Support:"),
    (lambda c: c.delete_media("m"), "DELETE /on-demand/m:"),
    (lambda c: c.get_input_info("m"), "GET /on-demand/m/input-info:"),
    (lambda c: c.delete_track("m", "t"), "DELETE /on-demand/m/tracks/t:"),
    (lambda c: c.update_playback_id_domains("m", "p", RULES), "PATCH /on-demand/m/playback-ids/p/domains:"),
    (lambda c: c.update_playback_id_user_agents("m", "p", RULES), "PATCH /on-demand/m/playback-ids/p/user-agents:"),
    (lambda c: c.delete_playback_id("m", "p"), "DELETE /on-demand/m/playback-ids:"),
    (lambda c: c.cancel_upload("u"), "PUT /on-demand/upload/u/cancel:"),
], ids=["create", "get", "update", "source-access", "mp4", "delete", "input-info", "delete-track", "domains",
        "user-agents", "delete-playback-id", "cancel-upload"])
def test_an_error_names_the_call_by_its_http_method_and_path(call: Callable[[FastPixClient], Any], words: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        call(client(Recorder(fastpix_error(400, "Nope"))))
    assert f"FastPix answered 400 to {words} Nope" in str(caught.value)


class Floating(tzinfo):
    """A tzinfo that does not know its offset: the datetime is not really aware."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_find_media_refuses_a_creation_time_whose_zone_has_no_offset() -> None:
    answers = Recorder(ok([], pagination={"offsetCount": 0}))
    with pytest.raises(ValueError, match=r"^created_since must be a timezone-aware datetime \(UTC\)$"):
        client(answers).find_media(lambda m: True, created_since=datetime(2026, 5, 20, tzinfo=Floating()))
    assert answers.requests == []


def test_find_media_still_searches_a_media_exactly_at_the_clock_skew_margin() -> None:
    now = datetime(2026, 5, 20, 12, tzinfo=UTC)
    media = [{"id": "edge", "createdAt": (now - timedelta(minutes=10)).isoformat()}]
    found = client(Recorder(ok(media, pagination={"offsetCount": 1}))).find_media(lambda m: True, created_since=now)
    assert found == media[0]


def test_a_naive_creation_time_is_read_as_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert _created_at({"createdAt": "2026-05-20T12:00:00"}) == datetime(2026, 5, 20, 12, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_creation_time_of_64_characters_is_read_and_of_65_is_not() -> None:
    base = "2026-05-20T12:00:00."
    assert _created_at({"createdAt": base + "0" * 43 + "Z"}) == datetime(2026, 5, 20, 12, tzinfo=UTC)
    assert _created_at({"createdAt": base + "0" * 44 + "Z"}) is None


def test_the_drm_protocol_error_says_what_was_wrong() -> None:
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(ok("x"))).list_drm_configuration_ids()
    assert "is not FastPix's: the DRM configurations answer is not a list of objects with ids." in str(caught.value)


def test_a_bad_child_id_is_described_in_the_error() -> None:
    with pytest.raises(InvalidIdError) as caught:
        client(Recorder(ok())).delete_track("m", "a/b")
    assert str(caught.value).startswith("'a/b' cannot be a FastPix track id")
    with pytest.raises(ProtocolError) as caught_answer:
        client(Recorder(ok({"id": "a/b"}))).add_track("m", {})
    assert "the track in the answer has no valid id ('a/b')." in str(caught_answer.value)


def test_a_deny_by_default_rule_set_is_accepted() -> None:
    rules = {"defaultPolicy": "deny", "allow": ["a.com"], "deny": []}
    assert client(Recorder(ok(rules))).update_playback_id_user_agents("m", "p", RULES) == rules


def test_the_rule_set_protocol_error_says_what_a_rule_set_is() -> None:
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(ok({"defaultPolicy": "x", "allow": [], "deny": []}))).update_playback_id_domains("m", "p", RULES)
    assert ("is not FastPix's: the answer is not a rule set (defaultPolicy allow or deny, allow and deny lists)."
            in str(caught.value))


def test_the_uploads_pagination_error_says_what_is_missing() -> None:
    with pytest.raises(ProtocolError) as caught:
        list(client(Recorder(ok([UPLOAD]))).list_uploads())
    assert "is not FastPix's: the uploads answer has no whole pagination.offsetCount." in str(caught.value)


def test_a_body_that_is_not_utf8_is_quoted_with_replacement_characters() -> None:
    for answer in (httpx.Response(400, content=b"bad \xff\xfe bytes"), httpx.Response(200, content=b"\xff not json")):
        with pytest.raises((InvalidRequestError, ProtocolError)) as caught:
            client(Recorder(answer)).get_media("m")
        assert "\ufffd" in str(caught.value)


def test_an_excerpt_looks_at_the_first_3200_bytes_of_a_body_only() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(httpx.Response(400, content=b" " * 3200 + b"tail"))).get_media("m")
    assert "tail" not in str(caught.value)


def test_a_long_bad_id_is_described_by_a_40_character_start() -> None:
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(ok({"id": "x" * 200}))).get_media("m")
    assert f"a string of 200 characters starting {'x' * 39 + '…'!r})" in str(caught.value)


def test_a_short_bad_id_is_described_in_at_most_60_characters_even_once_scrubbed() -> None:
    # A one-letter access token id is starred wherever it appears: 20 of them become 60 characters.
    fastpix = FastPixClient(API, Credentials("q", "secret-key-5678"), transport=httpx.MockTransport(
        Recorder(ok({"id": "q" * 20 + "/"}))))
    with pytest.raises(ProtocolError) as caught:
        fastpix.get_media("m")
    assert f"no valid id ({'*' * 59 + '…'!r})" in str(caught.value)


def test_scrubbed_text_reads_naturally_with_stars_in_place_of_each_secret() -> None:
    said = ("key secret-key-5678, Authorization: Basic dG9rZW4taWQ6c2VjcmV0, then bearer abcdefgh")
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(fastpix_error(400, said))).get_media("m")
    assert ": key ***, Authorization: ***, then bearer ***: Details." in str(caught.value)


def test_a_redirect_quotes_at_most_120_characters_of_its_location() -> None:
    location = "https://elsewhere.example/" + "p" * 300
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(httpx.Response(302, headers={"location": location}))).get_media("m")
    assert f"a redirect to {location[:119] + '…'!r}." in str(caught.value)


def test_a_status_fastpix_never_sends_is_named_so() -> None:
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(httpx.Response(150))).get_media("m")
    assert "is not FastPix's: a status FastPix does not answer with." in str(caught.value)


def test_an_error_object_outside_fastpixs_envelope_is_quoted_as_a_body_not_believed() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(httpx.Response(400, json={"error": {"message": "believe me"}}))).get_media("m")
    assert caught.value.api_message == "Bad Request"
    assert caught.value.description.startswith("the body was ")


def test_an_error_with_an_empty_body_has_no_description() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(httpx.Response(400, content=b" \n"))).get_media("m")
    assert caught.value.description == ""


def test_a_long_request_id_is_cut_to_100_characters() -> None:
    answer = fastpix_error(400)
    answer.headers["x-request-id"] = "r" * 150
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(answer)).get_media("m")
    assert caught.value.request_id == "r" * 99 + "…"


@pytest.mark.parametrize("answer", [
    lambda: httpx.Response(200, content=iter([b" " * (8 * 1024 * 1024 + 1)])),
    lambda: httpx.Response(200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")),
], ids=["too-large", "bad-gzip"])
def test_a_body_that_cannot_be_read_is_a_protocol_error_with_its_status(answer: Callable[[], httpx.Response]) -> None:
    # A streamed answer can be read once: each run of the test builds its own.
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(answer())).get_media("m")
    assert caught.value.status == 200


def test_a_body_that_cannot_be_decoded_says_so() -> None:
    answer = httpx.Response(200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip"))
    with pytest.raises(ProtocolError) as caught:
        client(Recorder(answer)).get_media("m")
    assert "is not FastPix's: the body cannot be decoded as its Content-Encoding header says." in str(caught.value)


def test_a_body_in_many_chunks_is_read_whole() -> None:
    answer = httpx.Response(200, content=iter([b'{"success": true, ', b'"data": {"id": ', b'"m"}}']))
    assert client(Recorder(answer)).get_media("m") == {"id": "m"}


def test_a_socket_used_outside_any_call_keeps_its_own_timeout() -> None:
    import threading

    seen: list[float | None] = []
    thread = threading.Thread(target=lambda: seen.append(_within_deadline(4.0, httpcore.ReadTimeout)))
    thread.start()
    thread.join()
    assert seen == [4.0]


def test_half_a_second_left_is_still_time_to_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastpix_provider import client as module

    monkeypatch.setattr(module._deadline, "at", time.monotonic() + 0.5, raising=False)
    assert 0.3 < (_within_deadline(30.0, httpcore.ReadTimeout) or 0) <= 0.5
    monkeypatch.setattr(module._deadline, "at", time.monotonic() - 0.01)
    with pytest.raises(httpcore.ReadTimeout, match=r"^the request's deadline has passed$"):
        _within_deadline(30.0, httpcore.ReadTimeout)


# -- the survivors of the second run --------------------------------------------------------------------------


def test_an_unusable_api_url_and_httpxs_reason_are_each_quoted_in_at_most_120_characters() -> None:
    url = "https://[::1" + "x" * 300
    with pytest.raises(ConfigurationError) as caught:
        FastPixClient(url, Credentials("token-id-1234", "secret-key-5678"))
    reason = "Invalid port: ':1" + "x" * 300 + "'"
    assert str(caught.value) == f"the API URL {url[:119] + '…'!r} is not a usable URL: {reason[:119]}…"


def test_an_api_url_ending_in_x_keeps_its_x() -> None:
    assert FastPixClient("https://api.example/X/", Credentials("a", "b")).api_url == "https://api.example/X"


@pytest.mark.xfail(strict=True, reason="defect: FastPixClient always passes its own transport, so httpx ignores "
                   "HTTPS_PROXY (allow_env_proxies = trust_env and transport is None) and `_mounts` stays empty")
def test_a_proxy_from_the_environment_is_held_to_the_deadline_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    fastpix = FastPixClient(API, Credentials("a", "b"))
    mounts = list(fastpix._http._mounts.values())  # type: ignore[attr-defined]
    assert mounts
    assert all(isinstance(m._pool._network_backend, _DeadlineBackend) for m in mounts)  # type: ignore[union-attr]
    fastpix.close()


def test_basic_auth_in_base64_is_starred_with_or_without_its_padding() -> None:
    import base64

    padded = base64.b64encode(b"token-id-1234:secret-key-5678").decode()
    assert padded.endswith("=")
    for echo, starred in ((padded, "***"), (padded.rstrip("="), "***")):
        with pytest.raises(InvalidRequestError) as caught:
            client(Recorder(fastpix_error(400, f"got {echo} here"))).get_media("m")
        assert f": got {starred} here: Details." in str(caught.value)


def test_an_excerpt_of_3200_blank_bytes_is_empty_whatever_follows() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client(Recorder(httpx.Response(400, content=b" " * 3200 + b"tail"))).get_media("m")
    assert caught.value.description == "the body was empty"


def test_a_deadline_under_a_second_gives_each_attempt_under_a_second() -> None:
    timeout = first_attempts_timeouts(0.5)
    assert all(0.3 < value <= 0.5 for value in timeout.values()), timeout
