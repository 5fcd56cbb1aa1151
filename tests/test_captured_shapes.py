"""The emulator answers in the shape of FastPix's live API, capture by capture.

For each captured live answer of an operation the emulator serves (tests/support/captured_shapes.py
lists 21 of the 68 in ../shared/fastpix-api/captured; the rest are live streams, playlists, signing
keys, analytics and AI features, which the emulator does not serve), the emulator is driven to the same
situation and its answer's shape (keys present and absent at every level, JSON types, enum spellings,
envelope and pagination) must equal the capture's. Ids, timestamps, URLs and free text may differ.
Where the emulator must differ, DIFFERENCES names the place and the reason; a listed difference that
no longer occurs fails too, so the list stays true.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fastpix_emulator import EmulatorServer
from tests.support import captured_shapes as cs
from tests.support.builders import SAMPLE_URL

AUDIO = {"url": "https://static.fastpix.com/music-1.mp3", "type": "audio", "languageCode": "it", "languageName": "Italian"}
SETTINGS = {"metadata": {"source": "sdk-validate"}, "maxResolution": "720p", "mediaQuality": "standard"}

# (capture, path) -> why the emulator answers differently there.
DIFFERENCES: dict[tuple[str, str], str] = {
    ("list-media.api.json", ".data[*].tracks[audio].status"):
        "the live list said 'Ready' for the tracks of a Ready media where get-media.api.json says "
        "'available'; the emulator says 'available' in both",
    ("list-media.api.json", ".data[*].tracks[video].status"):
        "as for the audio track: 'Ready' in the live list, 'available' in the live get and the emulator",
    ("retrieveMediaInputInfo.api.json", ".data.file.tracks[audio]"):
        "the emulator's inputs are video without an audio stream: input info lists their video track only",
}


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def new_media(api: httpx.Client, **settings: Any) -> dict[str, Any]:
    body = {"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public", **SETTINGS, **settings}
    return ok(api.post("/on-demand", json=body), 201)["data"]  # type: ignore[no-any-return]


def media_like_the_updated_one(api: httpx.Client) -> str:
    """The media of updated-*.raw.json: a creator, two playback ids, an added audio track, subtitles
    being generated from it."""
    media_id = new_media(api, creatorId="8fa85f64-5717-4562-b3fc-2c963f66afa6")["id"]
    ok(api.post(f"/on-demand/{media_id}/playback-ids", json={"accessPolicy": "public"}), 201)
    track = ok(api.post(f"/on-demand/{media_id}/tracks", json={"tracks": AUDIO}), 201)["data"]
    ok(api.post(f"/on-demand/{media_id}/tracks/{track['id']}/generate-subtitles",
                json={"languageCode": "en-US", "languageName": "English"}))
    ok(api.patch(f"/on-demand/{media_id}", json={"title": "sdk validate title", "metadata": {"updated": "true"}}))
    return str(media_id)


def ready_media_with_audio(api: httpx.Client, **settings: Any) -> str:
    """A Ready media with an audio track, as get-media.api.json's (whose input had one of its own;
    the emulator's inputs have none, so the test adds one)."""
    media_id = new_media(api, **settings)["id"]
    default_audio = {**AUDIO, "languageCode": "und", "languageName": "default"}
    ok(api.post(f"/on-demand/{media_id}/tracks", json={"tracks": default_audio}), 201)
    return str(media_id)


def _create_media(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.post("/on-demand", json={"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public",
                                        **SETTINGS, "optimizeAudio": False})


def _get_media(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media_id = ready_media_with_audio(api, mediaQuality="pro")
    ok(api.patch(f"/on-demand/{media_id}", json={"title": "720p_3min4sec_h264_", "metadata": {}}))
    return api.get(f"/on-demand/{media_id}")


def _list_media(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    for _ in range(3):
        ready_media_with_audio(api)
    return api.get("/on-demand", params={"limit": 1, "offset": 1})


def _updated_media(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media_id = media_like_the_updated_one(api)
    return api.patch(f"/on-demand/{media_id}", json={"title": "sdk validate title", "metadata": {"updated": "true"}})


def _updated_mp4_support(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media_id = media_like_the_updated_one(api)
    ok(api.patch(f"/on-demand/{media_id}/source-access", json={"sourceAccess": True}))
    return api.patch(f"/on-demand/{media_id}/update-mp4Support", json={"mp4Support": "capped_4k"})


def _updated_source_access(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media_id = media_like_the_updated_one(api)
    return api.patch(f"/on-demand/{media_id}/source-access", json={"sourceAccess": True})


def _delete_media(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.delete(f"/on-demand/{new_media(api)['id']}")


def _create_playback_id(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.post(f"/on-demand/{new_media(api)['id']}/playback-ids", json={"accessPolicy": "public"})


def _get_playback_id(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media = new_media(api)
    return api.get(f"/on-demand/{media['id']}/playback-ids/{media['playbackIds'][0]['id']}")


def _list_playback_ids(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.get(f"/on-demand/{new_media(api)['id']}/playback-ids")


def _update_domain_restrictions(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media = new_media(api)
    return api.patch(f"/on-demand/{media['id']}/playback-ids/{media['playbackIds'][0]['id']}/domains",
                     json={"defaultPolicy": "allow", "allow": ["example.com"], "deny": []})


def _update_user_agent_restrictions(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media = new_media(api)
    return api.patch(f"/on-demand/{media['id']}/playback-ids/{media['playbackIds'][0]['id']}/user-agents",
                     json={"defaultPolicy": "allow", "allow": ["Mozilla"], "deny": []})


def _delete_playback_id(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media = new_media(api)
    added = ok(api.post(f"/on-demand/{media['id']}/playback-ids", json={"accessPolicy": "public"}), 201)["data"]
    return api.delete(f"/on-demand/{media['id']}/playback-ids", params={"playbackId": added["id"]})


def _add_track(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.post(f"/on-demand/{new_media(api)['id']}/tracks", json={"tracks": AUDIO})


def _update_track(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media_id = new_media(api)["id"]
    track = ok(api.post(f"/on-demand/{media_id}/tracks", json={"tracks": AUDIO}), 201)["data"]
    return api.patch(f"/on-demand/{media_id}/tracks/{track['id']}",
                     json={"url": AUDIO["url"], "languageCode": "en", "languageName": "English"})


def _delete_track(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media_id = new_media(api)["id"]
    track = ok(api.post(f"/on-demand/{media_id}/tracks", json={"tracks": AUDIO}), 201)["data"]
    return api.delete(f"/on-demand/{media_id}/tracks/{track['id']}")


def _generate_subtitles(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    media_id = new_media(api)["id"]
    track = ok(api.post(f"/on-demand/{media_id}/tracks", json={"tracks": AUDIO}), 201)["data"]
    return api.post(f"/on-demand/{media_id}/tracks/{track['id']}/generate-subtitles",
                    json={"languageCode": "en-US", "languageName": "English"})


UPLOAD = {"corsOrigin": "*", "pushMediaSettings": {"accessPolicy": "public", "metadata": {"source": "sdk-validate"},
                                                   "mediaQuality": "standard", "optimizeAudio": False}}


def _direct_upload(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.post("/on-demand/upload", json=UPLOAD)


def _list_uploads(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    ok(api.post("/on-demand/upload", json=UPLOAD), 201)
    return api.get("/on-demand/uploads")


def _cancel_upload(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    upload = ok(api.post("/on-demand/upload", json=UPLOAD), 201)["data"]
    return api.put(f"/on-demand/upload/{upload['uploadId']}/cancel")


def _input_info(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.get(f"/on-demand/{new_media(api)['id']}/input-info")


def _drm_list_without_configuration(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    # The live workspace had no DRM configuration: the list answered 400.
    emulator.backend.set_drm_configurations(0)
    return api.get("/on-demand/drm-configurations")


def _drm_by_invalid_id(api: httpx.Client, emulator: EmulatorServer) -> httpx.Response:
    return api.get("/on-demand/drm-configurations/not-a-uuid")


SCENARIOS: dict[str, Callable[[httpx.Client, EmulatorServer], httpx.Response]] = {
    "create-media.raw.json": _create_media,
    "get-media.api.json": _get_media,
    "list-media.api.json": _list_media,
    "updated-media.raw.json": _updated_media,
    "updated-mp4Support.raw.json": _updated_mp4_support,
    "updated-source-access.raw.json": _updated_source_access,
    "delete-media.raw.json": _delete_media,
    "create-media-playback-id.raw.json": _create_playback_id,
    "get-playback-id.api.json": _get_playback_id,
    "list-playback-ids.api.json": _list_playback_ids,
    "delete-media-playback-id.raw.json": _delete_playback_id,
    "update-domain-restrictions.raw.json": _update_domain_restrictions,
    "update-user-agent-restrictions.raw.json": _update_user_agent_restrictions,
    "Add-media-track.raw.json": _add_track,
    "update-media-track.raw.json": _update_track,
    "delete-media-track.raw.json": _delete_track,
    "Generate-subtitle-track.raw.json": _generate_subtitles,
    "direct-upload-video-media.raw.json": _direct_upload,
    "list-uploads.api.json": _list_uploads,
    "cancel-upload.raw.json": _cancel_upload,
    "retrieveMediaInputInfo.api.json": _input_info,
    "getDrmConfiguration.api.json": _drm_list_without_configuration,
    "getDrmConfigurationById.api.json": _drm_by_invalid_id,
}


def test_every_captured_answer_of_a_served_operation_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(cs.SERVED) == set(cs.load())
    assert len(SCENARIOS) == 23


@pytest.mark.parametrize("capture", list(SCENARIOS))
def test_the_emulator_answers_in_the_captured_shape(capture: str, api: httpx.Client, emulator: EmulatorServer) -> None:
    try:
        actual = cs.shape(SCENARIOS[capture](api, emulator).json())
    finally:
        emulator.backend.set_drm_configurations(1)
    found = cs.differences(cs.load()[capture], actual)
    allowed = {path for (name, path) in DIFFERENCES if name == capture}
    unexplained = [line for line in found if line.split(":", 1)[0] not in allowed]
    assert not unexplained, f"{capture}: the emulator's answer differs from the live one:\n" + "\n".join(unexplained)
    stale = allowed - {line.split(":", 1)[0] for line in found}
    assert not stale, f"{capture}: listed differences that no longer occur: {sorted(stale)}"


def test_a_changed_key_set_is_caught() -> None:
    """The comparison itself: one key more, one key fewer, another type or enum spelling each show."""
    live = cs.shape({"success": True, "data": {"id": "x", "status": "Ready", "tracks": [{"type": "video", "width": 1}]}})
    assert cs.differences(live, live) == []
    more = cs.shape({"success": True, "data": {"id": "x", "status": "Ready", "mp4Support": "none",
                                               "tracks": [{"type": "video", "width": 1}]}})
    assert cs.differences(live, more) == [".data.mp4Support: in the emulator's answer, not in the live one"]
    fewer = cs.shape({"success": True, "data": {"id": "x", "status": "Ready", "tracks": [{"type": "video"}]}})
    assert cs.differences(live, fewer) == [".data.tracks[video].width: in the live answer, missing from the emulator's"]
    other = cs.shape({"success": True, "data": {"id": 1, "status": "ready", "tracks": [{"type": "video", "width": 1}]}})
    assert len(cs.differences(live, other)) == 2


def test_the_committed_shapes_are_those_of_the_captured_answers() -> None:
    if not cs.CAPTURED_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the captured answers are missing at {cs.CAPTURED_DIR}; CI must have ../shared beside the clone")
        pytest.skip(f"no captured answers at {cs.CAPTURED_DIR}")
    assert cs.render(cs.derive()) == cs.SHAPES_FILE.read_text(), (
        "tests/captured_shapes.json is stale: run `python -m tests.support.captured_shapes`")


def test_the_shapes_file_holds_shapes_only() -> None:
    """No ids, URLs or prose of the captures in the repository: only keys, types and enum spellings."""
    text = cs.SHAPES_FILE.read_text()
    assert "http" not in text and "fastpix" not in text.lower()
    for token in text.replace('"', " ").split():
        try:
            uuid.UUID(token.strip(",:{}[]"))
        except ValueError:
            continue
        pytest.fail(f"an id in the shapes file: {token}")
