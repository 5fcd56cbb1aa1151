"""The catalog's lists of what hangs off a media: subtitles, audioTracks and playbackIds.

Every problem at once, each naming the file, the media key, the list item's key and the fix, as for the
media's own properties."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from fastpix_provider.catalog import CatalogError, ChildEntry, parse_catalog

VIDEO = "https://cdn.example.com/intro.mp4"


def catalog(**entry: Any) -> str:
    return yaml.safe_dump({"intro": {"url": VIDEO, **entry}}, sort_keys=False)


def problems(text: str) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "media.yaml")
    assert str(caught.value).startswith("media.yaml: ")
    return caught.value.problems


def test_children_are_parsed_with_their_keys_and_arguments() -> None:
    [entry] = parse_catalog(catalog(
        subtitles=[{"key": "en", "url": "https://cdn.example.com/en.vtt", "languageCode": "en", "languageName": "English"},
                   {"key": "fr-auto", "source": "generated", "languageCode": "fr-FR", "languageName": "French",
                    "audioTrack": "original"}],
        audioTracks=[{"key": "original", "url": "https://cdn.example.com/en.mp3", "languageCode": "en",
                      "languageName": "English"}],
        playbackIds=[{"key": "partner", "accessPolicy": "private",
                      "domains": {"defaultPolicy": "deny", "allow": ["partner.example.com"]},
                      "userAgents": {"deny": ["curl"]}}],
    ))
    assert entry.subtitles == (
        ChildEntry("en", {"url": "https://cdn.example.com/en.vtt", "language_code": "en", "language_name": "English"}),
        ChildEntry("fr-auto", {"source": "generated", "language_code": "fr-FR", "language_name": "French",
                               "audio_track_id": "original"}),
    )
    assert [c.key for c in entry.audio_tracks] == ["original"]
    assert entry.playback_ids == (ChildEntry("partner", {
        "access_policy": "private", "domains": {"default_policy": "deny", "allow": ["partner.example.com"]},
        "user_agents": {"deny": ["curl"]}}),)


def test_an_entry_without_children_has_none() -> None:
    [entry] = parse_catalog(catalog())
    assert entry.subtitles == entry.audio_tracks == entry.playback_ids == ()


def test_every_problem_of_every_child_at_once_with_file_key_and_fix() -> None:
    found = problems(catalog(
        subtitles=[
            {"url": "https://cdn.example.com/en.vtt", "languageCode": "en", "languageName": "English"},
            {"key": "en", "url": "https://cdn.example.com/en.vtt", "languageCode": "english", "langageName": "English"},
            {"key": "en", "url": "https://cdn.example.com/en2.vtt", "languageCode": "en", "languageName": "English"},
            {"key": "cc", "url": "https://cdn.example.com/cc.vtt", "languageCode": "en", "languageName": "English CC",
             "closedCaptions": True, "type": "subtitle"},
            {"key": "auto", "source": "generated", "languageCode": "en-US", "languageName": "English (auto)",
             "audioTrack": "nope"},
            "en",
        ],
        audioTracks={"key": "it"},
        playbackIds=[{"key": "partner", "accessPolicy": "private", "accessRestrictions": {},
                      "domains": {"defaultPolicy": "allow", "allow": ["partner.example.com"]}}],
    ))
    expected = [
        "intro.subtitles[0]: `key` must be 1-100 letters, digits",
        "intro.subtitles[en]: unknown subtitle track property `langageName`; did you mean `languageName`?",
        "intro.subtitles[en].languageCode: languageCode must be a BCP 47 language code such as en, fr or pt-BR; "
        "got 'english'",
        "intro.subtitles[en].languageName: languageName is required",
        "intro.subtitles[en]: the key is given twice in subtitles (items 1 and 2)",
        "intro.subtitles[cc]: `closedCaptions` is not a subtitle track property: FastPix's on-demand tracks have no "
        "closed-captions flag",
        "intro.subtitles[cc]: `type` is not a subtitle track property: the list says it",
        "intro.subtitles[5]: expected a map with a `key`",
        "intro.audioTracks: must be a list of audio tracks, each a map with a `key`, got a dict",
        "intro.playbackIds[partner]: `accessRestrictions` is not a playback id property: write its `domains` and "
        "`userAgents` directly under the playback id",
        "intro.playbackIds[partner].domains.allow: domains.allow lists domains, but domains.defaultPolicy allow "
        "already lets every domain play",
        "intro.subtitles[auto].audioTrack: 'nope' is not the key of one of intro's audioTracks (none: add one",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == len(expected), found


def test_children_alike_in_what_fastpix_shows_are_refused() -> None:
    """A lost create could not tell them apart, nor could a viewer choosing a subtitle."""
    vtt = {"url": "https://cdn.example.com/en.vtt", "languageCode": "en", "languageName": "English"}
    found = problems(catalog(subtitles=[{"key": "en", **vtt}, {"key": "en-copy", **vtt, "url": "https://x.example/e.vtt"}],
                             playbackIds=[{"key": "a", "accessPolicy": "private"},
                                          {"key": "b", "accessPolicy": "private",
                                           "domains": {"defaultPolicy": "allow", "allow": [], "deny": []}}]))
    assert found == [
        "intro.subtitles[en-copy]: has the same languageCode and languageName as [en]; players could not tell them "
        "apart: remove one, or give it another languageName",
        "intro.playbackIds[b]: has the same access policy and restrictions as [a]: one playback id serves both; "
        "remove one",
    ]


def test_audio_tracks_cannot_be_generated() -> None:
    found = problems(catalog(audioTracks=[{"key": "x", "source": "generated", "languageCode": "en-US",
                                           "languageName": "English"}]))
    assert found == ["intro.audioTracks[x].source: source generated makes subtitles only: FastPix cannot generate "
                     "an audio track"]


def test_an_unknown_list_is_suggested() -> None:
    found = problems(catalog(subtitle=[]))
    assert found == ["intro: unknown property `subtitle`; did you mean `subtitles`?"]
