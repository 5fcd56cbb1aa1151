"""Bringing an existing library under management, and seeing drift between FastPix and the catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fastpix_emulator import EmulatorServer
from fastpix_provider.cli.export import catalog_entry, key_for, parse_date, selected
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, entry, media_body
from tests.support.journal import api_calls, media_ids

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def export(emulator: EmulatorServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"FASTPIX_API_URL": emulator.api_url, "FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY,
           "PATH": ""}
    return subprocess.run([sys.executable, "-m", "fastpix_provider.cli.export", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_an_entry_adopts_the_media_as_it_is() -> None:
    media = {"id": "m-1", "title": "Intro", "creatorId": "c", "metadata": {"team": "a", "fastpix-pulumi": "x"},
             "playbackIds": [{"accessPolicy": "private"}], "maxResolution": "720p", "mediaQuality": "pro",
             "mp4Support": "capped_4k", "sourceAccess": True}
    assert catalog_entry(media, "https://cdn.example/a.mp4") == {
        "url": "https://cdn.example/a.mp4", "adopt": "m-1", "title": "Intro", "creatorId": "c",
        "metadata": {"team": "a"}, "accessPolicy": "private", "maxResolution": "720p", "mediaQuality": "pro",
        "mp4Support": "capped_4k", "sourceAccess": True}


def test_keys_come_from_titles_and_never_collide() -> None:
    taken: set[str] = set()
    assert [key_for({"id": "abcdef123", "title": t}, taken) for t in ("My Intro!", "My intro", None)] == [
        "my-intro", "my-intro-2", "media-abcdef12"]


def test_filters_by_metadata_date_and_management() -> None:
    media = {"metadata": {"team": "a"}, "createdAt": "2026-03-01T10:00:00Z"}
    base: dict[str, Any] = {"metadata": {}, "after": None, "before": None, "include_managed": False}
    assert selected(media, **base)
    assert not selected(media, **{**base, "metadata": {"team": "b"}})
    assert not selected(media, **{**base, "after": parse_date("2026-04-01")})
    assert selected(media, **{**base, "before": parse_date("2026-03-02")})
    assert not selected({"metadata": {"fastpix-pulumi": "p/s/k#1"}}, **base)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_date("March")


@pytest.mark.engine
def test_an_exported_library_of_250_is_managed_without_creating_anything(
    emulator: EmulatorServer, catalog_stack, tmp_path: Path
) -> None:
    for i in range(250):
        emulator.backend.create_media(media_body(title=f"Lecture {i}", metadata={"course": "physics" if i % 5 else "art"}))
    library = set(media_ids(emulator))
    stack, catalog = catalog_stack({})
    skipped = export(emulator, "--metadata", "course=art")
    assert len(yaml.safe_load(skipped.stdout)) == 50

    result = export(emulator, "--output", str(catalog.path))
    assert result.returncode == 0, result.stderr
    assert "added 250 media" in result.stderr
    pages = [path for method, path in api_calls(emulator, "GET") if path == "/v1/on-demand"]
    assert len(pages) >= 5  # 250 media at the spec's maximum of 50 per page
    emulator.journal.clear()

    stack.up(parallel=16)
    assert api_calls(emulator, "POST") == []
    assert media_ids(emulator) == library
    assert {r["id"] for r in stack.resources("fastpix:Media")} == library
    assert stack.preview().change_summary == {"same": 251}
    again = export(emulator, "--output", str(catalog.path))
    assert "added 0 media" in again.stderr


@pytest.mark.engine
def test_drift_edited_or_deleted_in_fastpix_shows_in_preview_with_refresh(emulator: EmulatorServer, catalog_stack) -> None:
    stack, _ = catalog_stack({"edited": entry(title="Declared"), "deleted": entry(), "kept": entry()})
    stack.up()
    ids = {key: value["id"] for key, value in stack.outputs().items()}
    emulator.backend.updated_media(ids["edited"], {"title": "Edited in the dashboard"})
    emulator.backend.delete_media(ids["deleted"])

    assert stack.preview().change_summary == {"same": 4}, "without refresh the state still believes itself"
    lines: list[str] = []
    drift = stack.preview(refresh=True, diff=True, on_output=lines.append)
    assert drift.change_summary == {"create": 1, "same": 2, "update": 1}
    text = "\n".join(lines)
    assert '- title: "Edited in the dashboard"' in text or '"Edited in the dashboard" => "Declared"' in text
    stack.up(refresh=True)
    assert emulator.backend.media[ids["edited"]].title == "Declared"
    assert len(media_ids(emulator)) == 3
