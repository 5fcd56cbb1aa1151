"""The committed facts of FastPix's spec are what FastPix's spec says, and nothing of its prose."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.spec_facts import FACTS_FILE, PROSE_KEYWORDS, SOURCE, facts_of, reduce_spec, render


def test_the_committed_facts_are_not_stale() -> None:
    if not SOURCE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"FastPix's spec is missing at {SOURCE}; CI must have ../shared beside the clone")
        pytest.skip(f"FastPix's spec is not at {SOURCE}: nothing to compare the committed facts with")
    assert FACTS_FILE.read_text(encoding="utf-8") == render(facts_of()), (
        "tests/fastpix-openapi.facts.json is stale: run `python -m tests.support.spec_facts` and commit it")


def test_the_facts_hold_no_prose_but_keep_properties_named_like_keywords() -> None:
    def walk(node: object, names: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not names and key in PROSE_KEYWORDS:
                    assert key == "description" and value == "", f"prose left under {key!r}"
                walk(value, names=key in ("properties", "paths", "responses", "schemas"))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    facts = json.loads(FACTS_FILE.read_text(encoding="utf-8"))
    walk(facts)
    assert facts["paths"]["/on-demand"]["post"]["responses"]
    # FastPix's error envelope has a property named "description": a fact, kept.
    assert facts["components"]["schemas"]["Default-Error"]["properties"]["error"]["properties"]["description"] == \
        {"type": "string"}


def test_reduction_drops_documentation_keywords_only() -> None:
    spec = {"paths": {"/x": {"get": {"summary": "s", "description": "d", "responses": {
        "200": {"description": "ok", "content": {"application/json": {"example": {"a": 1}, "schema": {
            "type": "object", "description": "d", "properties": {"description": {"type": "string",
                                                                                "description": "d"}}}}}}}}}}}
    assert reduce_spec(spec) == {"paths": {"/x": {"get": {"responses": {"200": {"description": "", "content": {
        "application/json": {"schema": {"type": "object", "properties": {"description": {"type": "string"}}}}}}}}}}}
