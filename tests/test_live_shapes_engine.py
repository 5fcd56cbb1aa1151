"""Through the engine: the provider reads FastPix's live answer shapes right.

The live API leaves `mp4Support` out when it is none (captured get-media and list-media), and a drm
media needs one of the workspace's DRM configurations (captured getDrmConfiguration*).
"""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer
from tests.support.builders import entry
from tests.support.journal import api_calls

pytestmark = pytest.mark.engine


def test_mp4_support_switched_off_in_the_dashboard_is_drift_and_up_sets_it_back(
        emulator: EmulatorServer, catalog_stack) -> None:
    stack, _ = catalog_stack({"clip": entry(mp4Support="capped_4k"), "plain": entry()})
    stack.up()
    media_id = stack.outputs()["clip"]["id"]
    [recorded] = [r for r in stack.resources("fastpix:Media") if r["id"] == media_id]
    assert recorded["outputs"]["workspace_id"] == emulator.backend.workspace_id

    emulator.backend.updated_mp4_support(media_id, {"mp4Support": "none"})  # as the dashboard would
    assert "mp4Support" not in emulator.backend.get_media(media_id)
    drift = stack.preview(refresh=True)
    assert drift.change_summary == {"same": 2, "update": 1}

    emulator.journal.clear()
    stack.up(refresh=True)
    assert api_calls(emulator, "PATCH") == [("PATCH", f"/v1/on-demand/{media_id}/update-mp4Support")]
    assert emulator.backend.media[media_id].mp4_support == "capped_4k"
    assert stack.preview(refresh=True).change_summary == {"same": 3}


def test_a_drm_media_without_its_configuration_fails_preview_naming_the_field_and_the_ids(
        emulator: EmulatorServer, catalog_stack, api) -> None:
    [configuration] = [item["id"] for item in api.get("/on-demand/drm-configurations").json()["data"]]
    stack, catalog = catalog_stack({"secured": entry(accessPolicy="drm")})
    emulator.journal.clear()
    with pytest.raises(auto.CommandError) as caught:
        stack.preview()
    assert "drm_configuration_id" in str(caught.value) and configuration in str(caught.value)
    assert api_calls(emulator, "POST") == []

    catalog.set("secured", entry(accessPolicy="drm", drmConfigurationId=configuration))
    stack.up()
    [media] = stack.resources("fastpix:Media")
    assert emulator.backend.media[media["id"]].access_policy == "drm"
