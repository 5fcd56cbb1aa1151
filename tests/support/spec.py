"""Check emulator answers against FastPix's official OpenAPI spec (its facts, in tests/fastpix-openapi.facts.json)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.support.spec_facts import FACTS_FILE

SPEC_HOST = "https://api.fastpix.com"


def spec_path() -> Path:
    """FastPix's spec reduced to its facts, committed with the tests (see tests/support/spec_facts.py)."""
    return FACTS_FILE


@functools.cache
def _openapi(path: Path) -> OpenAPI:
    return OpenAPI.from_file_path(str(path))


class _Request:
    """An httpx request as openapi-core sees it, moved onto the spec's server so paths resolve."""

    def __init__(self, request: httpx.Request) -> None:
        url = urlsplit(str(request.url))
        self.host_url = SPEC_HOST
        self.path = url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))
        self.data = response.content


def assert_matches_spec(response: httpx.Response) -> dict[str, Any]:
    """Fail unless the response is what the spec allows for its operation; return its JSON body."""
    _openapi(spec_path()).validate_response(_Request(response.request), _Response(response))
    body = response.json()
    assert isinstance(body, dict)
    if response.is_success:
        assert body["success"] is True
    else:
        assert body["success"] is False
        assert body["error"]["code"] == response.status_code
        assert body["error"]["message"] and (body["error"].get("description") or body["error"].get("fields"))
    return body


def error_text(body: dict[str, Any]) -> str:
    """What an error envelope says: its description, or each `field message` of a 422's `fields`."""
    error = body["error"]
    if "fields" in error:
        return "; ".join(f"{f['field']} {f['message']}" for f in error["fields"])
    return str(error["description"])
