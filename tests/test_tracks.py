"""Tracks without the engine: the rules (children.py) and TrackProvider against the emulator, through a real client.

The fast guards of what the track provider believes: what changes in place and what replaces, that a
create whose answer was lost is found instead of sent twice, and when a track is gone.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pulumi.output
import pytest
from pulumi.dynamic import CreateResult

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider import children
from fastpix_provider.client import Credentials, FastPixClient
from fastpix_provider.errors import FastPixError
from fastpix_provider.media import UNKNOWN
from fastpix_provider.provider import WorkspaceNotProvenError, _workspaces
from fastpix_provider.tracks import ChildMayExistError, TrackProvider
from tests.support.builders import SAMPLE_URL, SECRET_KEY
from tests.support.journal import api_calls

EN_VTT = "https://cdn.example.com/intro/en.vtt"
FR_VTT = "https://cdn.example.com/intro/fr.vtt"


def subtitle(media_id: str = "m", **overrides: Any) -> dict[str, Any]:
    return {"media_id": media_id, "type": "subtitle", "url": EN_VTT, "language_code": "en", "language_name": "English",
            **overrides}


def messages(failures: list[Any], naming: Callable[[str], str] = children.python_name) -> list[str]:
    return [f"{naming(f.property)}: {f.message(naming)}" for f in failures]


def outs(result: CreateResult) -> dict[str, Any]:
    assert result.outs is not None
    return result.outs


# -- rules ------------------------------------------------------------------------------------------

def test_a_complete_subtitle_track_passes() -> None:
    assert children.check_track(subtitle()) == []
    assert children.check_track(subtitle(type="audio", url="https://cdn.example.com/it.mp3", language_code="it")) == []


def test_every_problem_of_a_track_is_reported_at_once_in_the_readers_words() -> None:
    failures = children.check_track({"media_id": "m", "type": "video", "url": "ftp://x/y.vtt", "language_code": "english",
                                     "source": "file", "audio_track_id": "a"})
    found = messages(failures, children.child_catalog_name)
    assert any(m.startswith("type: type must be one of subtitle, audio; got 'video'") for m in found)
    assert any(m.startswith("source: source must be one of url, generated") for m in found)
    assert any("url must be an http:// or https:// address" in m for m in found)
    assert any(m.startswith("languageCode: languageCode must be a BCP 47 language code") for m in found)
    assert any(m.startswith("languageName: languageName is required") for m in found)
    assert any(m.startswith("audioTrack: audioTrack applies to source generated only") for m in found)
    # In a program's words, the same failure names the Python argument.
    assert any(m.startswith("language_code: language_code must be") for m in messages(failures))


def test_generated_subtitles_need_one_of_fastpixs_language_codes_and_no_url() -> None:
    ok = subtitle(source="generated", url=None, language_code="en-US")
    assert children.check_track(ok) == []
    found = messages(children.check_track(subtitle(source="generated", language_code="en")))
    assert any("url does not apply to source generated" in m for m in found)
    assert any("language_code 'en' is not one FastPix generates subtitles in" in m and "en-US" in m for m in found)
    audio = messages(children.check_track(subtitle(type="audio", source="generated", url=None, language_code="en-US")))
    assert any("FastPix cannot generate an audio track" in m for m in audio)


def test_a_url_track_without_url_is_refused() -> None:
    assert messages(children.check_track(subtitle(url=None))) == [
        "url: url is required: the public http(s) address FastPix downloads the subtitle or audio file from"]


@pytest.mark.parametrize("unknown", [UNKNOWN, pulumi.output.Unknown()], ids=["as-the-catalog-spells-it", "as-the-sdk-hands-it"])
def test_values_a_preview_cannot_know_are_not_judged(unknown: Any) -> None:
    assert children.check_track(subtitle(media_id=unknown, url=unknown, language_code=unknown)) == []
    assert children.check_track(subtitle(source=unknown, audio_track_id="original")) == []


def test_url_and_language_change_in_place_type_and_media_replace() -> None:
    old = subtitle()
    in_place = children.plan_track(old, subtitle(url=FR_VTT, language_code="fr", language_name="French"))
    assert in_place.replaces == () and in_place.calls == ("update",)
    assert set(in_place.changed) == {"url", "language_code", "language_name"}
    assert children.plan_track(old, subtitle(type="audio")).replaces == ("type",)
    assert children.plan_track(old, subtitle(media_id="other")).replaces == ("media_id",)
    assert children.plan_track(old, subtitle(media_id=UNKNOWN)).replaces == ("media_id",)
    assert not children.plan_track(old, dict(old)).has_changes
    # source url is the default: declaring it changes nothing
    assert not children.plan_track(old, subtitle(source="url")).has_changes


def test_any_change_of_a_generated_track_replaces_it() -> None:
    """PATCH .../tracks/{id} needs a url (UpdateTrackRequest), which generated subtitles do not have."""
    old = subtitle(source="generated", url=None, language_code="en-US")
    plan = children.plan_track(old, {**old, "language_name": "English (US)"})
    assert plan.replaces == ("language_name",) and plan.calls == ()


# -- the provider against the emulator ---------------------------------------------------------------

def no_jitter(delay: float) -> float:
    return delay


@pytest.fixture
def make_provider(wire) -> Callable[..., TrackProvider]:
    def make(*, attempts: int = 4, secret_key: str = SECRET_KEY) -> TrackProvider:
        return wire(TrackProvider, attempts=attempts, secret_key=secret_key)

    return make


def new_media(emulator: EmulatorServer) -> str:
    created = emulator.backend.create_media({"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public"})
    return str(created["id"])


def listed_tracks(emulator: EmulatorServer, media_id: str, kind: str = "subtitle") -> list[dict[str, Any]]:
    return [t for t in emulator.backend.get_media(media_id)["tracks"] if t["type"] == kind]


def test_the_pickled_provider_holds_nothing(make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    assert provider.__getstate__() == {}
    restored = pickle.loads(pickle.dumps(provider))
    assert isinstance(restored, TrackProvider) and restored._settings is None
    assert SECRET_KEY.encode() not in pickle.dumps(provider)


def test_create_update_read_delete(emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(subtitle(media_id))
    track = listed_tracks(emulator, media_id)
    assert [t["id"] for t in track] == [created.id]
    assert outs(created)["track_id"] == created.id and outs(created)["workspace_id"] == emulator.backend.workspace_id
    news = subtitle(media_id, url=FR_VTT, language_code="fr", language_name="French")
    emulator.journal.clear()
    provider.update(created.id, outs(created), news)
    assert api_calls(emulator) == [("PATCH", f"/v1/on-demand/{media_id}/tracks/{created.id}")]
    stored = next(t for t in emulator.backend.media[media_id].tracks if t["id"] == created.id)
    assert (stored["url"], stored["languageCode"], stored["languageName"]) == (FR_VTT, "fr", "French")
    read = provider.read(created.id, {**outs(created), **news})
    assert read.id == created.id and read.inputs is not None
    assert (read.inputs["language_code"], read.inputs["url"]) == ("fr", FR_VTT)
    provider.delete(created.id, {**outs(created), **news})
    assert listed_tracks(emulator, media_id) == []


def test_a_dashboard_edit_shows_as_drift(emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(subtitle(media_id))
    emulator.backend.update_media_track(media_id, created.id, {"url": EN_VTT, "languageCode": "en-GB",
                                                               "languageName": "English"})
    read = provider.read(created.id, outs(created))
    assert read.inputs is not None and read.inputs["language_code"] == "en-GB"
    assert children.plan_track(read.inputs, subtitle(media_id)).calls == ("update",)


def test_a_lost_create_answer_finds_the_track_instead_of_adding_a_second(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    # A subtitle in the same language that was there before: never mistaken for the new one.
    emulator.backend.add_media_track(media_id, {"tracks": {"url": EN_VTT, "type": "subtitle", "languageCode": "en",
                                                           "languageName": "English"}})
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/tracks$", after=True, count=1))
    created = provider.create(subtitle(media_id))
    tracks = listed_tracks(emulator, media_id)
    assert len(tracks) == 2 and created.id in {t["id"] for t in tracks}
    assert len(api_calls(emulator, "POST")) == 1


def test_a_create_refused_before_fastpix_acted_is_sent_again_after_looking(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    emulator.faults.add(FaultRule(kind="error", status=503, method="POST", path="/tracks$", count=1))
    created = provider.create(subtitle(media_id))
    assert [t["id"] for t in listed_tracks(emulator, media_id)] == [created.id]


def test_twins_made_elsewhere_stop_the_create_naming_both(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    body = {"tracks": {"url": EN_VTT, "type": "subtitle", "languageCode": "en", "languageName": "English"}}
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/tracks$", after=True, count=1))
    original = provider._create_once

    def with_a_twin(client: Any, mid: str, before: Any, send: Any, matches: Any) -> Any:
        def send_and_twin() -> Any:
            emulator.backend.add_media_track(mid, body)  # someone else, at the same moment
            return send()
        return original(client, mid, before, send_and_twin, matches)

    provider._create_once = with_a_twin  # type: ignore[method-assign, assignment]
    with pytest.raises(ChildMayExistError, match="2 new ones that match it"):
        provider.create(subtitle(media_id))


def test_a_search_that_cannot_run_says_a_track_may_exist(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider(attempts=2)
    media_id = new_media(emulator)
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/tracks$", after=True, count=1))
    emulator.faults.add(FaultRule(kind="error", status=503, method="GET", path=f"/on-demand/{media_id}$", count=100))
    original_get = FastPixClient.get_media
    calls = {"n": 0}

    def first_get_works(self: FastPixClient, mid: str) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            emulator.faults.clear()
            emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/tracks$", after=True,
                                          count=1))
            result = original_get(self, mid)
            emulator.faults.add(FaultRule(kind="error", status=503, method="GET", path=f"/on-demand/{mid}$"))
            return result
        return original_get(self, mid)

    FastPixClient.get_media = first_get_works  # type: ignore[method-assign, assignment]
    try:
        with pytest.raises(ChildMayExistError, match="may have made the track") as caught:
            provider.create(subtitle(media_id))
    finally:
        FastPixClient.get_media = original_get  # type: ignore[method-assign, assignment]
    assert SECRET_KEY not in str(caught.value)


def test_generated_subtitles_come_from_the_first_audio_track(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    with pytest.raises(FastPixError, match="no audio track to generate subtitles from"):
        provider.create(subtitle(media_id, source="generated", url=None, language_code="en-US"))
    audio = emulator.backend.add_media_track(media_id, {"tracks": {"url": "https://cdn.example.com/a.mp3",
                                                                   "type": "audio", "languageCode": "en",
                                                                   "languageName": "English"}})
    created = provider.create(subtitle(media_id, source="generated", url=None, language_code="en-US"))
    assert outs(created)["generated_from"] == audio["id"]
    assert [t["id"] for t in listed_tracks(emulator, media_id)] == [created.id]
    provider.delete(created.id, outs(created))
    assert listed_tracks(emulator, media_id) == []


def test_a_track_removed_in_the_dashboard_leaves_the_state_on_refresh(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(subtitle(media_id))
    emulator.backend.delete_media_track(media_id, created.id)
    assert provider.read(created.id, outs(created)).id == ""
    # and deleting it again is done, not an error
    provider.delete(created.id, outs(created))


def test_a_404_from_another_workspace_is_not_believed(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider],
        second_workspace: tuple[str, str, str]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(subtitle(media_id))
    token_id, secret, _workspace = second_workspace
    other = FastPixClient(emulator.api_url, Credentials(token_id, secret), sleep=lambda _s: None,
                          on_retry=lambda _m: None)
    provider._client_factory = lambda _settings: other
    try:
        with pytest.raises(WorkspaceNotProvenError):
            provider.read(created.id, outs(created))
        with pytest.raises(WorkspaceNotProvenError):
            provider.delete(created.id, outs(created))
    finally:
        _workspaces.pop(id(other), None)
        other.close()
    assert [t["id"] for t in listed_tracks(emulator, media_id)] == [created.id]


def test_a_router_404_on_delete_is_not_believed(emulator: EmulatorServer,
                                                make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(subtitle(media_id))
    emulator.faults.add(FaultRule(kind="error", status=404, method="DELETE", body="html"))
    with pytest.raises(FastPixError):
        provider.delete(created.id, outs(created))
    assert [t["id"] for t in listed_tracks(emulator, media_id)] == [created.id]


def test_a_track_of_a_deleted_media_is_gone_when_the_workspace_is_proven(
        emulator: EmulatorServer, make_provider: Callable[..., TrackProvider]) -> None:
    provider = make_provider()
    keep = new_media(emulator)  # the workspace lists a media: its id proves whose workspace this is
    media_id = new_media(emulator)
    created = provider.create(subtitle(media_id))
    emulator.backend.delete_media(media_id)
    emulator.journal.clear()
    assert provider.read(created.id, outs(created)).id == ""
    provider.delete(created.id, outs(created))
    assert keep in emulator.backend.media
