"""Arbitrary answers: every public client call ends in a checked result or a FastPixError, and no
message, repr or argument of any error (nor any retry notice) ever carries a credential.

Two stubs: httpx.MockTransport answering arbitrary statuses, header sets and bodies (raw bytes, HTML,
FastPix-like JSON envelopes of random shape, echoes of the request's Authorization header), fast
enough for a few hundred examples; and a real loopback socket answering arbitrary bytes, HTTP or not.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fastpix_provider.client import Credentials, FastPixClient, looks_like_id
from fastpix_provider.errors import FastPixError
from fastpix_provider.retry import RetryPolicy

TOKEN_ID = "hyp-token-id-91c3e0d2"
SECRET = "hyp-secret-key-6b7f1a04e9"
PAIR_B64 = base64.b64encode(f"{TOKEN_ID}:{SECRET}".encode()).decode()
KEY_B64 = base64.b64encode(SECRET.encode()).decode()
FORBIDDEN = (TOKEN_ID, SECRET, PAIR_B64, KEY_B64)
MEDIA_ID = "3123e275-3f7f-4abf-9655-7a8f5a7dbc61"
POLICY = RetryPolicy(max_attempts=3, initial_delay=0.0, jitter=lambda d: d)

# Placeholders the stub replaces with what the request carried, so echoes are of the real values.
ECHOES = ["{AUTH}", "{KEY}", "{ID}", "{B64}", "Authorization: {AUTH}", "Basic {B64}"]


def fill(text: str, request: httpx.Request) -> str:
    return (text.replace("{AUTH}", request.headers.get("authorization", "")).replace("{KEY}", SECRET)
            .replace("{ID}", TOKEN_ID).replace("{B64}", PAIR_B64))


echo_text = st.lists(st.one_of(st.text(max_size=30), st.sampled_from(ECHOES)), max_size=4).map("".join)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=False), echo_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                  st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)
ids = st.one_of(st.just(MEDIA_ID), st.text(max_size=12), st.text(min_size=129, max_size=140), st.integers(), st.none(),
                st.sampled_from(["a/b", "", "..", "x" * 200]))
created_at = st.one_of(st.just("2026-05-20T12:50:15.662960Z"), st.just("1970-01-01T00:00:00Z"), echo_text,
                       st.integers(), st.none(), st.just("0001-01-01T00:00:00+01:00"))
media_like = st.fixed_dictionaries({"id": ids}, optional={"createdAt": created_at, "workspaceId": ids,
                                                           "metadata": json_values, "title": echo_text})
pagination = st.one_of(json_values, st.fixed_dictionaries(
    {"offsetCount": st.one_of(st.integers(-2, 5), st.sampled_from(["1", "2", "many", "", "9" * 30]), json_scalars)},
    optional={"totalRecords": json_scalars, "currentOffset": json_scalars}))
envelope = st.fixed_dictionaries({}, optional={
    "success": st.one_of(st.booleans(), json_scalars),
    "data": st.one_of(media_like, st.lists(st.one_of(media_like, json_values), max_size=4), json_values),
    "pagination": pagination,
    "error": st.one_of(st.fixed_dictionaries({}, optional={"code": json_scalars, "message": echo_text,
                                                           "description": echo_text}), json_values),
})
valid_id = st.one_of(st.just(MEDIA_ID), st.from_regex(r"[a-z0-9-]{1,36}", fullmatch=True))
good_media = st.fixed_dictionaries({"id": valid_id}, optional={"createdAt": created_at, "workspaceId": valid_id,
                                                               "title": st.sampled_from(["wanted", "other"])})
valid_envelope = st.fixed_dictionaries({
    "success": st.just(True),
    "data": st.one_of(good_media, st.lists(good_media, max_size=4)),
    "pagination": st.fixed_dictionaries({"offsetCount": st.one_of(st.integers(0, 3), st.sampled_from(["1", "2"]))}),
}, optional={"error": json_values})
html = echo_text.map(lambda t: f"<!doctype html><html><body><h1>{t}</h1></body></html>")
bodies = st.one_of(
    envelope.map(lambda e: ("json", json.dumps(e))),
    valid_envelope.map(lambda e: ("json", json.dumps(e))),
    html.map(lambda t: ("text", t)),
    echo_text.map(lambda t: ("text", t)),
    st.binary(max_size=300).map(lambda b: ("bytes", b)),
    st.just(("text", "")),
)
statuses = st.one_of(st.just(200), st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503,
                                      520, 524, 598]), st.integers(100, 999))
header_values = st.one_of(echo_text.map(lambda t: t.encode("ascii", "ignore").decode().replace("\r", "").replace("\n", "")),
                          st.sampled_from(["gzip", "deflate", "identity", "br", "0", "1", "-1", "nan", "inf"]))
headers = st.dictionaries(st.sampled_from(["content-type", "content-encoding", "retry-after", "x-request-id",
                                           "location", "www-authenticate"]), header_values, max_size=4)
# Mostly arbitrary; some scripts FastPix could send (transient errors, then a well-formed answer), so that
# the success paths are exercised and checked too.
well_formed: st.SearchStrategy[Any] = st.tuples(st.sampled_from([200, 201, 200, 201, 429, 503, 524]), st.just({}),
                        valid_envelope.map(lambda e: ("json", json.dumps(e))), st.booleans())
answers = st.one_of(st.lists(st.tuples(statuses, headers, bodies, st.booleans()), min_size=1, max_size=3),
                    st.lists(well_formed, min_size=1, max_size=3))


def response_for(answer: tuple[int, dict[str, str], tuple[str, Any], bool], request: httpx.Request) -> httpx.Response:
    status, header_set, (kind, body), gzipped = answer
    raw = body if kind == "bytes" else fill(body, request).encode()
    filled = {name: fill(value, request) for name, value in header_set.items()}
    if gzipped and "content-encoding" not in filled:
        raw, filled["content-encoding"] = gzip.compress(raw), "gzip"
    return httpx.Response(status, headers=filled, stream=httpx.ByteStream(raw))


CALLS: dict[str, Callable[[FastPixClient], Any]] = {
    "create": lambda c: c.create_media({"inputs": [{"type": "video", "url": "https://example.com/v.mp4"}]}),
    "get": lambda c: c.get_media(MEDIA_ID),
    "update": lambda c: c.update_media(MEDIA_ID, {"title": "t"}),
    "source-access": lambda c: c.update_source_access(MEDIA_ID, True),
    "mp4": lambda c: c.update_mp4_support(MEDIA_ID, "capped_4k"),
    "delete": lambda c: c.delete_media(MEDIA_ID),
    "input-info": lambda c: c.get_input_info(MEDIA_ID),
    "list": lambda c: list(itertools.islice(c.list_media(), 30)),
    "find": lambda c: c.find_media(lambda m: m.get("title") == "wanted",
                                   created_since=datetime(2026, 5, 20, 12, 0, tzinfo=UTC)),
    "workspace": lambda c: c.workspace_id_of_credentials(),
}


def check_result(call: str, result: Any) -> None:
    """What a successful call may return: the checked shapes, nothing looser."""
    if call == "delete":
        assert result is None
    elif call == "list":
        assert all(isinstance(item, dict) and looks_like_id(item["id"]) for item in result)
    elif call == "find":
        assert result is None or (isinstance(result, dict) and looks_like_id(result["id"]))
    elif call == "workspace":
        assert result is None or looks_like_id(result)
    elif call == "input-info":
        assert isinstance(result, dict)
    else:
        assert isinstance(result, dict) and looks_like_id(result["id"])


def assert_clean(texts: list[str]) -> None:
    for text in texts:
        for secret in FORBIDDEN:
            assert secret not in text, (secret, text[:300])


def error_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), repr(exc.args)]
    texts += [repr(value) for value in vars(exc).values()]
    return texts


def call_and_judge(call: str, client: FastPixClient, notices: list[str]) -> None:
    """Every outcome is a checked result or a bounded FastPixError, and no text carries a credential."""
    try:
        result = CALLS[call](client)
    except FastPixError as exc:
        assert len(str(exc)) < 1000, len(str(exc))
        assert_clean(error_texts(exc))
    else:
        check_result(call, result)
        event(f"{call} succeeded")
    finally:
        client.close()
    assert_clean(notices)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=st.sampled_from(sorted(CALLS)), script=answers)
def test_any_answer_is_a_checked_result_or_a_clean_fastpix_error(call: str, script: list) -> None:
    notices: list[str] = []
    served = itertools.count()

    def handler(request: httpx.Request) -> httpx.Response:
        return response_for(script[min(next(served), len(script) - 1)], request)

    client = FastPixClient("https://api.fastpix.com/v1", Credentials(TOKEN_ID, SECRET),
                           transport=httpx.MockTransport(handler), policy=POLICY, sleep=lambda s: None,
                           on_retry=notices.append)
    call_and_judge(call, client, notices)


# -- the same over a real socket, with bytes that need not be HTTP at all --------------------------------


class RawServer:
    """Answers each connection on 127.0.0.1 with `self.answer`, then closes it. Stops by itself."""

    LIFETIME = 60.0

    def __init__(self) -> None:
        self.answer = b""
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._started = time.monotonic()
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() - self._started < self.LIFETIME:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1.0)
                try:
                    request = b""
                    while b"\r\n\r\n" not in request and len(request) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        request += chunk
                    answer = self.answer
                    for placeholder, value in ((b"{AUTH}", f"Basic {PAIR_B64}".encode()), (b"{KEY}", SECRET.encode())):
                        answer = answer.replace(placeholder, value)
                    conn.sendall(answer)
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


@pytest.fixture(scope="module")
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.stop()


def http_bytes(status: int, header_lines: list[str], body: bytes, length: int | None) -> bytes:
    head = [f"HTTP/1.1 {status} Whatever {{AUTH}}", *header_lines]
    head.append(f"Content-Length: {len(body) if length is None else length}")
    head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


raw_answers = st.one_of(
    st.binary(max_size=200),
    st.builds(http_bytes, st.sampled_from([200, 201]), st.just([]), valid_envelope.map(lambda e: json.dumps(e).encode()),
              st.none()),
    st.builds(http_bytes, statuses,
              st.lists(st.sampled_from(["Content-Type: text/html", "Content-Encoding: gzip", "Retry-After: 0",
                                        "X-Request-Id: {AUTH} {KEY}", "Transfer-Encoding: chunked", "Bad header"]),
                       max_size=3),
              st.one_of(st.binary(max_size=100), envelope.map(lambda e: json.dumps(e).encode()),
                        valid_envelope.map(lambda e: json.dumps(e).encode()),
                        st.just(b'{"success": false, "error": {"message": "{AUTH}", "description": "{KEY}"}}')),
              st.one_of(st.none(), st.integers(0, 300))),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(call=st.sampled_from(["get", "delete", "create", "list"]), answer=raw_answers)
def test_any_bytes_over_a_socket_end_in_a_result_or_a_clean_fastpix_error(raw_server: RawServer, call: str,
                                                                           answer: bytes) -> None:
    raw_server.answer = answer
    notices: list[str] = []
    client = FastPixClient(f"http://127.0.0.1:{raw_server.port}/v1", Credentials(TOKEN_ID, SECRET),
                           policy=RetryPolicy(max_attempts=2, initial_delay=0.0, jitter=lambda d: d),
                           request_deadline=2.0, sleep=lambda s: None, on_retry=notices.append)
    call_and_judge(call, client, notices)
