"""The provider's lifecycle without the engine: MediaProvider against the emulator, through a real client.

These are the fast guards of what the provider believes: when a media is gone, when a create may be
sent again, whose media may be adopted, and that the owner tag survives every call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider import media
from fastpix_provider.errors import FastPixError, ProtocolError
from fastpix_provider.owner import OWNER_METADATA_KEY, OwnerTag
from fastpix_provider.provider import (
    AdoptionRefusedError,
    MediaMayExistError,
    MediaProvider,
    WorkspaceNotProvenError,
)
from tests.support.builders import SAMPLE_URL, SECRET_KEY
from tests.support.journal import api_calls, media_ids

STACK_ID = "0123456789ab"
OTHER_STACK_ID = "ba9876543210"


def no_jitter(delay: float) -> float:
    return delay


@pytest.fixture
def make_provider(wire) -> Callable[..., MediaProvider]:
    def make(api_url: str | None = None, *, attempts: int = 4, secret_key: str = SECRET_KEY) -> MediaProvider:
        return wire(MediaProvider, api_url, attempts=attempts, secret_key=secret_key)

    return make


def declared(name: str = "intro", **inputs: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"url": SAMPLE_URL, "access_policy": "public", "owner": f"proj/dev/{name}",
                             "stack_id": STACK_ID}
    props.update(inputs)
    return props


def tag_of(emulator: EmulatorServer, media_id: str) -> OwnerTag | None:
    return OwnerTag.parse(emulator.backend.media[media_id].metadata.get(OWNER_METADATA_KEY))


# -- create -----------------------------------------------------------------------------------------


def test_a_created_media_records_its_workspace_and_a_tag_naming_the_stack(emulator, make_provider) -> None:
    created = make_provider().create(declared())
    tag = tag_of(emulator, created.id)
    assert tag is not None and tag.path == "proj/dev/intro" and tag.stack_id == STACK_ID and not tag.kept
    assert created.outs["owner_tag"] == tag.render()
    assert created.outs["workspace_id"] == emulator.backend.media_view(created.id)["workspaceId"] \
        if hasattr(emulator.backend, "media_view") else created.outs["workspace_id"]
    assert created.outs["workspace_id"]


def test_a_media_declared_retain_on_delete_is_tagged_kept(emulator, make_provider) -> None:
    created = make_provider().create(declared(retain_on_delete=True))
    tag = tag_of(emulator, created.id)
    assert tag is not None and tag.kept


# How many attempts fail before FastPix acts; the next one is acted on and its answer lost. With 4
# attempts, 0 puts the loss first, 1 in the middle and 3 on the last attempt.
POSITIONS = {"first": 0, "middle": 1, "last": 3}


@pytest.mark.parametrize("status", [524, 502, 500])
@pytest.mark.parametrize("position", list(POSITIONS))
def test_a_create_whose_answer_is_lost_after_fastpix_acted_makes_exactly_one_media(
        emulator, make_provider, status: int, position: str) -> None:
    if POSITIONS[position]:
        emulator.faults.add(FaultRule(kind="error", status=503, method="POST", path="/v1/on-demand$",
                                      count=POSITIONS[position]))
    emulator.faults.add(FaultRule(kind="error", status=status, method="POST", path="/v1/on-demand$", after=True, count=1))
    created = make_provider(attempts=4).create(declared())
    assert media_ids(emulator) == {created.id}


@pytest.mark.parametrize("acted", [True, False], ids=["acted", "not-acted"])
def test_the_search_after_a_lost_answer_matches_the_nonce_not_the_resource(emulator, make_provider, acted: bool) -> None:
    """A replace creates the new media while the old one, of the same resource, still exists: a search
    on anything less than the nonce would take the old media for the new one."""
    provider = make_provider()
    old = provider.create(declared())
    emulator.faults.add(FaultRule(kind="error", status=503, method="POST", path="/v1/on-demand$", after=acted, count=1))
    new = provider.create(declared())
    assert new.id != old.id
    assert media_ids(emulator) == {old.id, new.id}
    assert tag_of(emulator, new.id).nonce != tag_of(emulator, old.id).nonce  # type: ignore[union-attr]


def test_a_create_that_fails_without_fastpix_acting_on_the_last_attempt_leaves_nothing(emulator, make_provider) -> None:
    emulator.faults.add(FaultRule(kind="error", status=503, method="POST", path="/v1/on-demand$"))
    with pytest.raises(FastPixError):
        make_provider(attempts=3).create(declared())
    assert media_ids(emulator) == set()
    # every failed attempt was followed by a search before anything else
    calls = api_calls(emulator)
    assert [m for m, _ in calls] == ["POST", "GET"] * 3


def test_a_create_whose_search_cannot_run_says_a_media_may_exist(emulator, make_provider) -> None:
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/v1/on-demand$", after=True, count=1))
    emulator.faults.add(FaultRule(kind="error", status=503, method="GET"))
    with pytest.raises(MediaMayExistError, match="recover"):
        make_provider(attempts=2).create(declared())
    assert len(media_ids(emulator)) == 1  # kept for recover to find, not created twice


# -- read and delete: a 404 is believed only from the media's own workspace --------------------------


def test_refresh_drops_a_media_fastpix_deleted_in_its_own_workspace(emulator, make_provider, api) -> None:
    provider = make_provider()
    gone = provider.create(declared("gone"))
    provider.create(declared("kept"))
    api.delete(f"/on-demand/{gone.id}").raise_for_status()
    assert provider.read(gone.id, gone.outs).id == ""


def test_refresh_keeps_a_media_when_the_credentials_belong_to_another_workspace(emulator, make_provider, api) -> None:
    provider = make_provider()
    created = provider.create(declared())
    recorded_elsewhere = {**created.outs, "workspace_id": str(uuid.uuid4())}
    api.delete(f"/on-demand/{created.id}").raise_for_status()
    provider.create(declared("other"))
    with pytest.raises(WorkspaceNotProvenError, match="another workspace"):
        provider.read(created.id, recorded_elsewhere)
    with pytest.raises(WorkspaceNotProvenError):
        provider.delete(created.id, recorded_elsewhere)


def test_a_404_without_a_recorded_workspace_is_not_believed(emulator, make_provider, api) -> None:
    provider = make_provider()
    created = provider.create(declared())
    provider.create(declared("other"))
    api.delete(f"/on-demand/{created.id}").raise_for_status()
    legacy = {k: v for k, v in created.outs.items() if k != "workspace_id"}
    with pytest.raises(WorkspaceNotProvenError, match=r"0\.1\.0"):
        provider.read(created.id, legacy)


def test_a_404_when_the_workspace_lists_nothing_is_not_believed(emulator, make_provider, api) -> None:
    created = make_provider().create(declared())
    api.delete(f"/on-demand/{created.id}").raise_for_status()
    # A later run (a new provider process): nothing it can list shows whose workspace it talks to.
    with pytest.raises(WorkspaceNotProvenError, match="no media at all"):
        make_provider().delete(created.id, created.outs)


def test_an_api_url_without_v1_never_reads_as_gone(emulator, make_provider) -> None:
    created = make_provider().create(declared())
    wrong = make_provider(emulator.api_url.removesuffix("/v1"))
    with pytest.raises(FastPixError) as raised:
        wrong.read(created.id, created.outs)
    assert "/v1" in str(raised.value)
    with pytest.raises(FastPixError):
        wrong.delete(created.id, created.outs)
    assert media_ids(emulator) == {created.id}


def test_a_delete_answered_by_a_conflict_is_not_success(emulator, make_provider) -> None:
    created = make_provider().create(declared())
    emulator.faults.add(FaultRule(kind="error", status=409, method="DELETE"))
    with pytest.raises(FastPixError):
        make_provider().delete(created.id, created.outs)


def test_a_delete_answered_200_with_html_is_not_success(emulator, make_provider) -> None:
    created = make_provider().create(declared())
    emulator.faults.add(FaultRule(kind="error", status=404, method="DELETE", body="html"))
    with pytest.raises(ProtocolError):
        make_provider().delete(created.id, created.outs)


# -- update: the tag survives every change ------------------------------------------------------------


def test_an_update_keeps_the_owner_tag(emulator, make_provider) -> None:
    provider = make_provider()
    created = provider.create(declared(title="Intro"))
    news = declared(title="Intro, recut")
    updated = provider.update(created.id, created.outs, news)
    assert emulator.backend.media[created.id].title == "Intro, recut"
    assert tag_of(emulator, created.id) == OwnerTag.parse(created.outs["owner_tag"])
    assert updated.outs["owner_tag"] == created.outs["owner_tag"]
    assert updated.outs["workspace_id"] == created.outs["workspace_id"]


def test_declaring_retain_on_delete_later_marks_the_tag_kept(emulator, make_provider) -> None:
    provider = make_provider()
    created = provider.create(declared())
    news = declared(retain_on_delete=True)
    plan = media.plan_changes(created.outs, news)
    assert plan.calls == ("update",)
    provider.update(created.id, created.outs, news)
    tag = tag_of(emulator, created.id)
    assert tag is not None and tag.kept and tag.nonce == OwnerTag.parse(created.outs["owner_tag"]).nonce  # type: ignore[union-attr]


def test_an_update_upgrades_a_0_1_0_tag_with_the_stack_id(emulator, make_provider) -> None:
    provider = make_provider()
    created = provider.create(declared())
    legacy_tag = "proj/dev/intro#0badc0de"
    emulator.backend.media[created.id].metadata[OWNER_METADATA_KEY] = legacy_tag
    provider.update(created.id, {**created.outs, "owner_tag": legacy_tag}, declared(title="New"))
    assert tag_of(emulator, created.id) == OwnerTag("proj/dev/intro", "0badc0de", STACK_ID)


# -- adopt ----------------------------------------------------------------------------------------------


def existing_media(api, **body: Any) -> str:
    answer = api.post("/on-demand", json={"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public",
                                          **body})
    answer.raise_for_status()
    return str(answer.json()["data"]["id"])


def test_adoption_refuses_a_media_another_stack_manages(emulator, make_provider, api) -> None:
    theirs = existing_media(api, metadata={OWNER_METADATA_KEY: f"proj/prod/intro#12345678@{OTHER_STACK_ID}"})
    with pytest.raises(AdoptionRefusedError, match="proj/prod/intro"):
        make_provider().create(declared(adopt_id=theirs))
    assert emulator.backend.media[theirs].metadata[OWNER_METADATA_KEY].endswith(OTHER_STACK_ID)
    assert api_calls(emulator, "PATCH") == []


def test_adoption_refuses_a_media_of_a_same_named_stack_of_another_backend(emulator, make_provider, api) -> None:
    theirs = existing_media(api, metadata={OWNER_METADATA_KEY: f"proj/dev/intro#12345678@{OTHER_STACK_ID}"})
    with pytest.raises(AdoptionRefusedError):
        make_provider().create(declared(adopt_id=theirs))


def test_adoption_takes_over_when_told(emulator, make_provider, api) -> None:
    theirs = existing_media(api, metadata={OWNER_METADATA_KEY: "proj/prod/intro#12345678"})
    adopted = make_provider().create(declared(adopt_id=theirs, take_over=True))
    tag = tag_of(emulator, adopted.id)
    assert tag is not None and tag.path == "proj/dev/intro" and tag.stack_id == STACK_ID


def test_adoption_of_its_own_media_again_is_allowed(emulator, make_provider, api) -> None:
    mine = existing_media(api, metadata={OWNER_METADATA_KEY: f"proj/dev/intro#12345678@{STACK_ID}"})
    assert make_provider().create(declared(adopt_id=mine)).id == mine


def test_adoption_refuses_a_private_media_declared_public(emulator, make_provider, api) -> None:
    private = existing_media(api, accessPolicy="private")
    with pytest.raises(FastPixError, match="access_policy"):
        make_provider().create(declared(adopt_id=private, access_policy="public"))
    assert api_calls(emulator, "PATCH") == []


# -- DRM --------------------------------------------------------------------------------------------------


def test_a_drm_media_without_a_known_configuration_fails_check_naming_the_ones_that_exist(
        emulator, make_provider, api) -> None:
    available = [item["id"] for item in api.get("/on-demand/drm-configurations").json()["data"]]
    assert available
    provider = make_provider()
    for declared_id in (None, str(uuid.uuid4())):
        failures = provider.check({}, declared(access_policy="drm", drm_configuration_id=declared_id)).failures
        assert [f.property for f in failures] == ["drm_configuration_id"]
        assert available[0] in failures[0].reason
    assert provider.check({}, declared(access_policy="drm", drm_configuration_id=available[0])).failures == []
    created = provider.create(declared(access_policy="drm", drm_configuration_id=available[0]))
    assert created.outs["playback_ids"][0]["access_policy"] == "drm"


def test_a_workspace_without_drm_configurations_says_so(emulator, make_provider) -> None:
    emulator.backend.set_drm_configurations(0)
    try:
        failures = make_provider().check({}, declared(access_policy="drm")).failures
    finally:
        emulator.backend.set_drm_configurations(1)
    assert "set one up in the FastPix dashboard" in failures[0].reason


def test_a_search_among_10_000_older_media_costs_at_most_2_list_calls(emulator, make_provider) -> None:
    import time as clock

    emulator.backend.seed_media(10_000, created_at=clock.time() - 86_400)
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/v1/on-demand$", after=True, count=1))
    emulator.journal.clear()
    created = make_provider().create(declared())
    assert created.id in emulator.backend.media
    assert len([1 for method, path in api_calls(emulator, "GET") if path == "/v1/on-demand"]) <= 2
    assert api_calls(emulator, "POST") == [("POST", "/v1/on-demand")]


def test_a_drm_media_without_a_configuration_fails_check_even_when_fastpix_cannot_be_asked(emulator, make_provider) -> None:
    offline = make_provider(emulator.api_url.removesuffix("/v1"), attempts=1)
    failures = offline.check({}, declared(access_policy="drm")).failures
    assert [f.property for f in failures] == ["drm_configuration_id"]
    assert offline.check({}, declared(access_policy="drm", drm_configuration_id=str(uuid.uuid4()))).failures == []
