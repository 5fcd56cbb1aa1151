"""`reconcile.stale_resources`: which resources a killed fast run left behind FastPix (no engine needed)."""

from __future__ import annotations

from typing import Any

from fastpix_emulator import EmulatorServer
from fastpix_provider import media
from fastpix_provider.cli.reconcile import DRIFTED, GONE, Stale, stale_resources
from fastpix_provider.client import Credentials, FastPixClient
from fastpix_provider.owner import OWNER_METADATA_KEY
from tests.support.builders import ACCESS_TOKEN_ID, SAMPLE_URL, SECRET_KEY

URN = "urn:pulumi:test::fastpix-media::pulumi-python:dynamic/fastpix:Media::{}"
TAG = "fastpix-media/test/{}#0badc0de@0123456789ab"


def created(emulator: EmulatorServer, name: str, **inputs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A media made in the emulator as the provider makes it, and its resource as the state records it."""
    declared = {"url": SAMPLE_URL, "access_policy": "public", "title": name.title(), "metadata": {"team": "video"},
                "owner": f"fastpix-media/test/{name}", **inputs}
    body = media.create_body({**declared, "owner": TAG.format(name)})
    found = emulator.backend.create_media(body)
    outputs = {**declared, **media.outputs_from_api(found), "owner_tag": TAG.format(name)}
    resource = {"urn": URN.format(name), "type": "pulumi-python:dynamic/fastpix:Media", "id": found["id"],
                "inputs": declared, "outputs": outputs}
    return found, resource


def listing(emulator: EmulatorServer) -> list[dict[str, Any]]:
    return list(FastPixClient(emulator.api_url, Credentials(ACCESS_TOKEN_ID, SECRET_KEY)).list_media())


def test_a_state_in_step_with_fastpix_has_nothing_stale(emulator: EmulatorServer) -> None:
    _, intro = created(emulator, "intro")
    _, trailer = created(emulator, "trailer", mp4_support="capped_4k", source_access=True)
    provider = {"urn": "urn:pulumi:test::fastpix-media::pulumi:providers:pulumi-python::default", "id": "x",
                "type": "pulumi:providers:pulumi-python"}
    listed = listing(emulator)
    assert all(OWNER_METADATA_KEY in (item.get("metadata") or {}) for item in listed)
    assert stale_resources({"resources": [provider, intro, trailer]}, listed) == []


def test_a_media_fastpix_no_longer_lists_is_stale_as_gone(emulator: EmulatorServer) -> None:
    found, intro = created(emulator, "intro")
    _, trailer = created(emulator, "trailer")
    del emulator.backend.media[found["id"]]
    assert stale_resources({"resources": [intro, trailer]}, listing(emulator)) == [Stale(intro["urn"], found["id"], GONE)]


def test_an_update_the_state_never_recorded_is_stale_as_drifted(emulator: EmulatorServer) -> None:
    found, intro = created(emulator, "intro")
    emulator.backend.media[found["id"]].title = "Intro, edited by a run that was killed"
    assert stale_resources({"resources": [intro]}, listing(emulator)) == [Stale(intro["urn"], found["id"], DRIFTED)]


def test_media_in_no_state_are_not_stale_resources(emulator: EmulatorServer) -> None:
    """Untracked media (a lost create, the new half of a replace) are recover's orphans, not stale resources."""
    _, intro = created(emulator, "intro")
    created(emulator, "ghost")
    assert stale_resources({"resources": [intro]}, listing(emulator)) == []
    assert stale_resources({"resources": []}, listing(emulator)) == []
