"""Subtitles and a restricted playback id through the real engine and the project's program, against the
emulator: created, updated in place, removed one by one, and removed with their media."""

from __future__ import annotations

from typing import Any

import pytest

from fastpix_emulator import EmulatorServer
from tests.support.builders import entry
from tests.support.journal import api_calls, media_ids

pytestmark = pytest.mark.engine

EN = {"key": "en", "url": "https://cdn.example.com/intro/en.vtt", "languageCode": "en", "languageName": "English"}
FR = {"key": "fr", "url": "https://cdn.example.com/intro/fr.vtt", "languageCode": "fr", "languageName": "French"}
PARTNER = {"key": "partner", "accessPolicy": "private",
           "domains": {"defaultPolicy": "deny", "allow": ["partner.example.com"]},
           "userAgents": {"deny": ["curl"]}}


def children_in_state(stack: Any) -> dict[str, str]:
    """URN name -> id of every track and playback id in the stack's state."""
    return {r["urn"].rsplit("::", 1)[1]: r["id"] for r in stack.resources() if
            r["type"].endswith(("fastpix:Track", "fastpix:PlaybackId"))}


def subtitles(emulator: EmulatorServer, media_id: str) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in emulator.backend.media[media_id].tracks if t["type"] == "subtitle"}


def test_subtitles_and_a_restricted_playback_id_live_and_die_with_their_media(
        emulator: EmulatorServer, catalog_stack: Any) -> None:
    stack, catalog = catalog_stack({"intro": entry(subtitles=[EN, FR], playbackIds=[PARTNER]), "outro": entry()})
    assert stack.up().summary.resource_changes == {"create": 6}
    media_id = stack.outputs()["intro"]["id"]
    state = children_in_state(stack)
    assert set(state) == {"intro/subtitles/en", "intro/subtitles/fr", "intro/playbackIds/partner"}
    tracks = subtitles(emulator, media_id)
    assert {(t["languageCode"], t["url"]) for t in tracks.values()} == {("en", EN["url"]), ("fr", FR["url"])}
    playback = emulator.backend.get_playback_id(media_id, state["intro/playbackIds/partner"])
    assert playback["accessPolicy"] == "private"
    assert playback["accessRestrictions"]["domains"] == {"defaultPolicy": "deny", "allow": ["partner.example.com"],
                                                         "deny": []}
    # Every child is the media's: its parent in the state, and deleted with it.
    media_urn = next(r["urn"] for r in stack.resources("fastpix:Media") if r["id"] == media_id)
    for resource in stack.resources():
        if resource.get("id") in state.values():
            assert resource["parent"] == media_urn and resource.get("deletedWith") == media_urn

    emulator.journal.clear()
    assert stack.up().summary.resource_changes == {"same": 6}
    assert [c for c in api_calls(emulator) if c[0] != "GET"] == []

    # In place: a new French file and name, one more partner domain.
    fr2 = {**FR, "url": "https://cdn.example.com/intro/fr-v2.vtt", "languageName": "Français"}
    partner2 = {**PARTNER, "domains": {"defaultPolicy": "deny", "allow": ["partner.example.com", "www.example.com"]}}
    catalog.set("intro", entry(subtitles=[EN, fr2], playbackIds=[partner2]))
    emulator.journal.clear()
    assert stack.up().summary.resource_changes == {"same": 4, "update": 2}
    assert sorted(c for c in api_calls(emulator) if c[0] != "GET") == sorted([
        ("PATCH", f"/v1/on-demand/{media_id}/tracks/{state['intro/subtitles/fr']}"),
        ("PATCH", f"/v1/on-demand/{media_id}/playback-ids/{state['intro/playbackIds/partner']}/domains"),
    ])
    assert children_in_state(stack) == state
    assert subtitles(emulator, media_id)[state["intro/subtitles/fr"]]["languageName"] == "Français"

    # One by one: the French subtitles, then the playback id.
    catalog.set("intro", entry(subtitles=[EN], playbackIds=[partner2]))
    emulator.journal.clear()
    assert stack.up().summary.resource_changes == {"same": 5, "delete": 1}
    assert api_calls(emulator, "DELETE") == [("DELETE", f"/v1/on-demand/{media_id}/tracks/{state['intro/subtitles/fr']}")]
    assert set(subtitles(emulator, media_id)) == {state["intro/subtitles/en"]}
    catalog.set("intro", entry(subtitles=[EN]))
    emulator.journal.clear()
    assert stack.up().summary.resource_changes == {"same": 4, "delete": 1}
    assert api_calls(emulator, "DELETE") == [("DELETE", f"/v1/on-demand/{media_id}/playback-ids")]
    assert len(emulator.backend.media[media_id].playback_ids) == 1

    # With their media: one DELETE, for the media; nothing left in the state.
    catalog.set("intro", entry(subtitles=[EN, FR], playbackIds=[PARTNER]))
    assert stack.up().summary.resource_changes == {"same": 4, "create": 2}
    catalog.remove("intro")
    emulator.journal.clear()
    assert stack.up().summary.resource_changes == {"same": 2, "delete": 4}
    assert api_calls(emulator, "DELETE") == [("DELETE", f"/v1/on-demand/{media_id}")]
    assert children_in_state(stack) == {}
    assert media_ids(emulator) == {stack.outputs()["outro"]["id"]}
