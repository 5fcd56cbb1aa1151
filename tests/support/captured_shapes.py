"""Shapes of FastPix's captured live answers: keys, JSON types and enum spellings, nothing else.

`python -m tests.support.captured_shapes` reads ../shared/fastpix-api/captured (the live API's answers,
not part of this repository) and writes tests/captured_shapes.json, which is committed so that the shape
tests run on a clone without ../shared. tests/test_captured_shapes.py derives it again when ../shared
is there and fails if the committed file is stale.

A shape is: "string", "integer", "number", "boolean", "null"; "string=<value>" for a key whose values
are an enum (ENUM_KEYS); {"object": {key: shape}}; {"map": shape} for user-chosen keys (metadata);
{"array": {group: shape}} where elements are grouped by their `type` (tracks: audio, video, subtitle)
or all in "*".
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CAPTURED_DIR = PROJECT_ROOT.parent / "shared" / "fastpix-api" / "captured"
SHAPES_FILE = PROJECT_ROOT / "tests" / "captured_shapes.json"

# Captured answers of the operations the emulator serves.
SERVED = (
    "create-media.raw.json", "get-media.api.json", "list-media.api.json", "updated-media.raw.json",
    "updated-mp4Support.raw.json", "updated-source-access.raw.json", "delete-media.raw.json",
    "create-media-playback-id.raw.json", "get-playback-id.api.json", "list-playback-ids.api.json",
    "delete-media-playback-id.raw.json", "Add-media-track.raw.json", "update-media-track.raw.json",
    "delete-media-track.raw.json", "Generate-subtitle-track.raw.json", "direct-upload-video-media.raw.json",
    "list-uploads.api.json", "cancel-upload.raw.json", "retrieveMediaInputInfo.api.json",
    "getDrmConfiguration.api.json", "getDrmConfigurationById.api.json", "update-domain-restrictions.raw.json",
    "update-user-agent-restrictions.raw.json",
)
# Keys whose string values come from a fixed set: their spelling is part of the shape. Resolutions are
# compared by pattern ("1080" and "720" are both "N"; "1080p" is "Np").
ENUM_KEYS = {"status", "accessPolicy", "defaultPolicy", "type", "mediaQuality", "maxResolution", "mp4Support",
             "sourceResolution", "success"}
PATTERN_KEYS = {"sourceResolution", "maxResolution"}
MAP_KEYS = {"metadata"}


def shape(value: Any, key: str | None = None) -> Any:
    if key in MAP_KEYS and isinstance(value, dict):
        return {"map": "string"}
    if isinstance(value, dict):
        return {"object": {k: shape(v, k) for k, v in value.items()}}
    if isinstance(value, list):
        groups: dict[str, Any] = {}
        for item in value:
            group = str(item.get("type")) if isinstance(item, dict) and isinstance(item.get("type"), str) else "*"
            groups.setdefault(group, []).append(shape(item))
        return {"array": {g: _merge(shapes) for g, shapes in sorted(groups.items())}}
    if isinstance(value, bool):
        return f"boolean={str(value).lower()}" if key == "success" else "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    if key in PATTERN_KEYS:
        return "string=" + re.sub(r"\d+", "N", value)
    if key in ENUM_KEYS:
        return f"string={value}"
    return "string"


def _merge(shapes: list[Any]) -> Any:
    """Elements of one group share a shape; when they do not, the group keeps each distinct one."""
    distinct = []
    for item in shapes:
        if item not in distinct:
            distinct.append(item)
    return distinct[0] if len(distinct) == 1 else {"oneOf": distinct}


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` (the emulator's) differs from `expected` (the capture's), one line each."""
    if isinstance(expected, dict) and isinstance(actual, dict) and expected.keys() == actual.keys():
        kind = next(iter(expected)) if len(expected) == 1 else None
        if kind == "object":
            found = []
            exp, act = expected["object"], actual["object"]
            for key in sorted(exp.keys() - act.keys()):
                found.append(f"{path}.{key}: in the live answer, missing from the emulator's")
            for key in sorted(act.keys() - exp.keys()):
                found.append(f"{path}.{key}: in the emulator's answer, not in the live one")
            for key in sorted(exp.keys() & act.keys()):
                found += differences(exp[key], act[key], f"{path}.{key}")
            return found
        if kind == "array":
            found = []
            exp, act = expected["array"], actual["array"]
            for group in sorted(exp.keys() - act.keys()):
                found.append(f"{path}[{group}]: elements in the live answer, none in the emulator's")
            for group in sorted(act.keys() - exp.keys()):
                found.append(f"{path}[{group}]: elements in the emulator's answer, none in the live one")
            for group in sorted(exp.keys() & act.keys()):
                found += differences(exp[group], act[group], f"{path}[{group}]")
            return found
    if expected != actual:
        return [f"{path}: live {json.dumps(expected)[:120]}, emulator {json.dumps(actual)[:120]}"]
    return []


def derive(captured_dir: Path = CAPTURED_DIR) -> dict[str, Any]:
    return {name: shape(json.loads((captured_dir / name).read_text())) for name in SERVED}


def load() -> dict[str, Any]:
    return json.loads(SHAPES_FILE.read_text())  # type: ignore[no-any-return]


def render(shapes: dict[str, Any]) -> str:
    return json.dumps(shapes, indent=1, sort_keys=True) + "\n"


def main() -> int:
    if not CAPTURED_DIR.is_dir():
        print(f"no captured answers at {CAPTURED_DIR}", file=sys.stderr)
        return 1
    SHAPES_FILE.write_text(render(derive()))
    print(f"wrote the shapes of {len(SERVED)} captured answers to {SHAPES_FILE.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
