"""FastPix's OpenAPI spec reduced to its facts, so the conformance tests run on a plain clone.

`python -m tests.support.spec_facts` reads ../shared/fastpix-api/openapi.yaml (FastPix's spec, not part of
this repository) and writes tests/fastpix-openapi.facts.json: paths, methods, parameters, status codes and
schemas, still a valid OpenAPI document, with every `description`, `summary`, `example(s)`, tag text,
external doc link and code sample removed. tests/test_spec_facts.py derives it again when ../shared is
there and fails if the committed file is stale.

A property *named* "description" or "example" (FastPix's error envelope has one) is a fact and stays:
only documentation keywords are dropped, never the keys of a `properties` map.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCE = PROJECT_ROOT.parent / "shared" / "fastpix-api" / "openapi.yaml"
FACTS_FILE = PROJECT_ROOT / "tests" / "fastpix-openapi.facts.json"

PROSE_KEYWORDS = frozenset({"description", "summary", "example", "examples", "externalDocs", "x-codeSamples",
                            "x-code-samples", "termsOfService", "contact"})
# Maps whose keys are names chosen by the spec's authors (a property, a path, a status code), not keywords.
NAME_MAPS = frozenset({"properties", "paths", "responses", "schemas", "parameters", "headers", "securitySchemes",
                       "content", "patternProperties", "definitions", "$defs", "callbacks", "links", "encoding",
                       "requestBodies", "mapping"})


def reduce_spec(document: Any, *, keys_are_names: bool = False, is_response: bool = False) -> Any:
    """The document without its prose. `keys_are_names`: this mapping's keys are names, keep them all."""
    if isinstance(document, dict):
        reduced: dict[str, Any] = {}
        if is_response and "description" in document:
            reduced["description"] = ""  # required of a Response object; its text is prose
        for key, value in document.items():
            if not keys_are_names and key in PROSE_KEYWORDS:
                continue
            names = not keys_are_names and key in NAME_MAPS
            reduced[str(key)] = reduce_spec(value, keys_are_names=names,
                                            is_response=keys_are_names and is_response_map(document))
        return reduced
    if isinstance(document, list):
        return [reduce_spec(item) for item in document]
    return document


def is_response_map(mapping: dict[Any, Any]) -> bool:
    """A `responses` map: its keys are status codes (or `default`)."""
    return bool(mapping) and all(str(key).isdigit() or str(key) in ("default", "1XX", "2XX", "3XX", "4XX", "5XX")
                                 for key in mapping)


def facts_of(source: Path = SOURCE) -> dict[str, Any]:
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    facts = reduce_spec(document)
    facts["info"] = {"title": document["info"]["title"], "version": document["info"]["version"]}
    facts["tags"] = [{"name": tag["name"]} for tag in document.get("tags") or []]
    return facts  # type: ignore[no-any-return]


def render(facts: dict[str, Any]) -> str:
    return json.dumps(facts, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    if not SOURCE.exists():
        print(f"FastPix's spec is not at {SOURCE}", file=sys.stderr)
        return 1
    FACTS_FILE.write_text(render(facts_of()), encoding="utf-8")
    print(f"wrote {FACTS_FILE.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
