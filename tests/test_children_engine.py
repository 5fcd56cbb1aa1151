"""Subtitles, audio tracks and playback ids of the catalog, through the real engine.

A preview of a media that does not exist yet cannot know its id: the engine hands each child's check
an unknown `media_id`, which must pass (it is checked again at `up`, once known)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fastpix_emulator import EmulatorServer
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, entry

pytestmark = pytest.mark.engine

SUBTITLE = {"key": "en", "url": "https://cdn.example.com/en.vtt", "languageCode": "en", "languageName": "English"}
PLAYBACK = {"key": "partner", "accessPolicy": "public"}


def fastpix_media(emulator: EmulatorServer, media_id: str) -> dict[str, Any]:
    with httpx.Client(base_url=emulator.api_url, auth=(ACCESS_TOKEN_ID, SECRET_KEY)) as client:
        return dict(client.get(f"/on-demand/{media_id}").raise_for_status().json()["data"])


def test_a_new_media_with_a_subtitle_and_a_playback_id_previews_applies_and_stays_put(
        catalog_stack: Any, emulator: EmulatorServer) -> None:
    stack, _ = catalog_stack({"intro": entry(title="Intro", subtitles=[SUBTITLE], playbackIds=[PLAYBACK])})
    assert stack.preview().change_summary == {"create": 4}  # the stack, the media and its two children
    stack.up()
    media_id = stack.outputs()["intro"]["id"]
    held = fastpix_media(emulator, media_id)
    assert [track["languageCode"] for track in held.get("tracks", []) if track.get("type") == "subtitle"] == ["en"]
    assert len(held["playbackIds"]) == 2  # the media's own and the declared one
    assert stack.preview().change_summary == {"same": 4}
