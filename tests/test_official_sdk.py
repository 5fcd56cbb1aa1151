"""FastPix's own Python SDK (fastpix-python 1.2.0), a client nobody here wrote, against the emulator.

The emulator has no special case for it: the SDK talks to the same `/v1` API with Basic auth, as it
would to api.fastpix.com. The media stay in processing during the scenario (a long processing delay),
because this SDK version cannot read two fields of a processed media as the live API sends them; that
defect of the SDK is pinned below, with the captured live answers as evidence.
"""

from __future__ import annotations

import pytest
from fastpix_python import Fastpix, errors, models

from fastpix_emulator import EmulatorServer
from tests.support.builders import ACCESS_TOKEN_ID, SAMPLE_URL, SECRET_KEY

PROCESSING_STATES = {"Created", "Downloading", "Downloaded", "Validating", "In Queue", "Processing"}


def sdk(emulator: EmulatorServer, secret_key: str = SECRET_KEY) -> Fastpix:
    return Fastpix(security=models.Security(username=ACCESS_TOKEN_ID, password=secret_key),
                   server_url=emulator.api_url, timeout_ms=10_000)


def create(client: Fastpix, **metadata: str) -> str:
    inputs: list[models.Input] = [models.VideoInput(type="video", url=SAMPLE_URL)]
    created = client.input_video.create_media(inputs=inputs, access_policy="public",
                                              metadata=metadata or None)
    assert created.success is True and created.data is not None and created.data.id
    return created.data.id


def test_a_whole_media_lifecycle_through_fastpixs_own_sdk(emulator: EmulatorServer) -> None:
    emulator.backend.processing_delay = 600.0
    with sdk(emulator) as client:
        ids = [create(client, team="marketing", n=str(n)) for n in range(3)]
        media_id = ids[-1]

        got = client.manage_videos.get_media(media_id=media_id)
        assert got.data is not None
        assert got.data.id == media_id and got.data.status in PROCESSING_STATES
        assert got.data.metadata == {"team": "marketing", "n": "2"}
        assert got.data.workspace_id == emulator.backend.workspace_id
        assert got.data.mp4_support is None, "absent when none, as the live API"

        first = client.manage_videos.list_media(limit=2, offset=1, order_by="desc")
        second = client.manage_videos.list_media(limit=2, offset=2, order_by="desc")
        assert first.pagination is not None and second.pagination is not None
        assert (first.pagination.total_records, first.pagination.offset_count) == (3, 2)
        assert [m.id for m in (first.data or []) + (second.data or [])] == ids[::-1]

        updated = client.manage_videos.updated_media(media_id=media_id, metadata={"team": "sales"})
        assert updated.data is not None and updated.data.metadata == {"team": "sales"}

        added = client.playback.create_media_playback_id(media_id=media_id, access_policy="private")
        assert added.data is not None and added.data.id
        listed = client.playback.list_playback_ids(media_id=media_id)
        assert [p.access_policy for p in listed.data or []] == ["public", "private"]
        one = client.playback.get_playback_id(media_id=media_id, playback_id=added.data.id)
        assert one.data is not None and one.data.id == added.data.id
        client.playback.delete_media_playback_id(media_id=media_id, playback_id=added.data.id)
        assert len(client.playback.list_playback_ids(media_id=media_id).data or []) == 1

        deleted = client.manage_videos.delete_media(media_id=media_id)
        assert deleted.success is True
        with pytest.raises(errors.MediaNotFoundError) as gone:
            client.manage_videos.get_media(media_id=media_id)
        assert gone.value.raw_response.status_code == 404
        assert set(emulator.backend.media) == set(ids[:-1])


def test_wrong_credentials_answer_401_as_the_sdk_expects(emulator: EmulatorServer) -> None:
    with sdk(emulator, secret_key="not-the-key") as client, pytest.raises(errors.InvalidPermissionError) as refused:
        client.manage_videos.list_media()
    assert refused.value.raw_response.status_code == 401


def test_a_validation_error_reaches_the_sdk_with_its_field(emulator: EmulatorServer) -> None:
    with sdk(emulator) as client, pytest.raises(errors.ValidationErrorResponse) as rejected:
        client.manage_videos.get_media(media_id="not-a-uuid")
    assert "mediaId: is invalid" in str(rejected.value)


def test_the_drm_configurations_list_reads_in_the_sdk(emulator: EmulatorServer) -> None:
    with sdk(emulator) as client:
        listed = client.drm_configurations.get_drm_configuration()
    assert [c.id for c in listed.data or []] == emulator.backend.drm_configuration_ids


@pytest.mark.parametrize(("setting", "field"), [(None, "duration"), ("capped_4k", "mp4Support")])
def test_sdk_1_2_0_cannot_read_a_processed_media_as_the_live_api_sends_it(
    emulator: EmulatorServer, setting: str | None, field: str
) -> None:
    """The SDK's Media model wants `duration` as a number of seconds and `mp4Support` as a list of
    renditions; the live API sends `"duration": "00:03:03"` (get-media.api.json) and
    `"mp4Support": "capped_4k"` (updated-mp4Support.raw.json), as the spec says, and so does the
    emulator. Pinned so that a fixed SDK shows; the emulator does not bend to it."""
    with sdk(emulator) as client:
        media_id = create(client)
        if setting:
            emulator.backend.media[media_id].mp4_support = setting
        with pytest.raises(errors.ResponseValidationError, match=f"data.{field}"):
            client.manage_videos.get_media(media_id=media_id)
