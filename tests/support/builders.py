"""Small builders for test data: credentials, catalog entries and files, media bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCESS_TOKEN_ID = "test-access-token-id-7c1f"
SECRET_KEY = "test-secret-key-3b9e0d"
SAMPLE_URL = "https://static.fastpix.com/fp-sample-video.mp4"


def media_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /on-demand body."""
    body: dict[str, Any] = {"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public"}
    body.update(overrides)
    return body


def entry(url: str = SAMPLE_URL, **properties: Any) -> dict[str, Any]:
    """One catalog entry, with catalog (camelCase) property names."""
    return {"url": url, **properties}


@dataclass
class CatalogFile:
    path: Path
    entries: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.write()

    def write(self) -> None:
        self.path.write_text(yaml.safe_dump(self.entries, sort_keys=False))

    def set(self, key: str, value: dict[str, Any]) -> None:
        self.entries[key] = value
        self.write()

    def remove(self, key: str) -> None:
        del self.entries[key]
        self.write()

    def raw(self, text: str) -> None:
        self.path.write_text(text)
