"""Extra playback ids without the engine: the rules (children.py), the emulator's restriction PATCHes
against the captured live answers, and PlaybackIdProvider against the emulator through a real client."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pulumi.output
import pytest
from pulumi.dynamic import CreateResult

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider import children
from fastpix_provider.errors import ProtocolError
from fastpix_provider.playback_ids import PlaybackIdProvider
from tests.support import captured_shapes as cs
from tests.support.builders import SAMPLE_URL
from tests.support.journal import api_calls

PARTNER = {"default_policy": "deny", "allow": ["partner.example.com"], "deny": []}
NO_BOTS = {"default_policy": "allow", "allow": [], "deny": ["curl", "python-requests"]}


def restricted(media_id: str = "m", **overrides: Any) -> dict[str, Any]:
    return {"media_id": media_id, "access_policy": "private", "domains": PARTNER, "user_agents": NO_BOTS, **overrides}


def messages(failures: list[Any], naming: Callable[[str], str] = children.python_name) -> list[str]:
    return [f"{naming(f.property)}: {f.message(naming)}" for f in failures]


def outs(result: CreateResult) -> dict[str, Any]:
    assert result.outs is not None
    return result.outs


# -- rules ------------------------------------------------------------------------------------------

def test_a_restricted_playback_id_passes() -> None:
    assert children.check_playback_id(restricted()) == []
    assert children.check_playback_id({"media_id": "m", "access_policy": "public"}) == []


def test_a_domain_a_preview_cannot_know_is_judged_at_up_and_the_rest_now() -> None:
    cdn: Any = pulumi.output.Unknown()  # the SDK hands check() an output of another resource so
    unknown_item = {"default_policy": "deny", "allow": [cdn, "partner.example.com"]}
    assert children.check_playback_id(restricted(media_id=cdn, domains=unknown_item)) == []
    assert messages(children.check_playback_id(restricted(domains={"default_policy": "deny",
                                                                   "allow": [cdn, "https://a.example.com/"]}))) == [
        "domains.allow: domains.allow: 'https://a.example.com/' is not a domain: write the host alone, e.g. example.com or "
        "*.example.com"]


def test_every_problem_of_a_playback_id_at_once_in_the_catalogs_words() -> None:
    failures = children.check_playback_id({
        "media_id": "m", "access_policy": "secret", "resolution": "4k", "drm_configuration_id": "x",
        "domains": {"default_policy": "maybe", "allow": ["https://a.example.com/page", "b.com", "b.com"], "deny": ["b.com"],
                    "extra": 1},
        "user_agents": "curl",
    })
    found = messages(failures, children.child_catalog_name)
    expected = [
        "accessPolicy: accessPolicy must be one of public, private, drm; got 'secret'",
        "resolution: resolution must be one of 480p, 720p, 1080p, 1440p, 2160p; got '4k'",
        "drmConfigurationId: drmConfigurationId applies to accessPolicy drm only",
        "domains: domains has the unknown key 'extra'; known keys: defaultPolicy, allow, deny",
        "domains.defaultPolicy: domains.defaultPolicy must be allow or deny; got 'maybe'",
        "domains.allow: domains.allow: 'https://a.example.com/page' is not a domain: write the host alone",
        "domains.allow: domains.allow lists 'b.com' twice; keep one",
        "domains: domains both allows and denies 'b.com': keep it in one list",
        "userAgents: userAgents must be a map with defaultPolicy, allow and deny, got 'curl'",
    ]
    for start in expected:
        assert any(m.startswith(start) for m in found), (start, found)


def test_a_list_the_default_already_covers_is_refused_with_both_fixes() -> None:
    found = messages(children.check_playback_id(restricted(domains={"allow": ["partner.example.com"]})),
                     children.child_catalog_name)
    assert found == ["domains.allow: domains.allow lists domains, but domains.defaultPolicy allow already lets every "
                     "domain play: set domains.defaultPolicy to deny to let only these play, or remove domains.allow"]
    found = messages(children.check_playback_id(restricted(user_agents={"default_policy": "deny", "deny": ["curl"]})))
    assert len(found) == 1 and found[0].startswith("user_agents.deny: user_agents.deny lists user-agent substrings")


def test_drm_needs_a_configuration() -> None:
    found = messages(children.check_playback_id({"media_id": "m", "access_policy": "drm"}))
    assert found == ["drm_configuration_id: access_policy drm needs drm_configuration_id, the id of one of the "
                     "workspace's DRM configurations"]


def test_restrictions_change_in_place_policy_and_resolution_replace() -> None:
    old = restricted()
    plan = children.plan_playback_id(old, restricted(domains={**PARTNER, "allow": ["partner.example.com", "b.com"]}))
    assert plan.replaces == () and plan.calls == ("domains",)
    plan = children.plan_playback_id(old, restricted(user_agents=None))
    assert plan.replaces == () and plan.calls == ("user_agents",)
    assert children.plan_playback_id(old, restricted(access_policy="public")).replaces == ("access_policy",)
    assert children.plan_playback_id(old, restricted(resolution="720p")).replaces == ("resolution",)
    # Defaults filled in: an open rule set declared in full is the same as none.
    open_rules = {"default_policy": "allow", "allow": [], "deny": []}
    assert not children.plan_playback_id({"media_id": "m", "access_policy": "public"},
                                         {"media_id": "m", "access_policy": "public", "domains": open_rules}).has_changes


def test_the_create_body_carries_both_rule_sets_in_fastpixs_words() -> None:
    assert children.playback_id_body(restricted(resolution="1080p")) == {
        "accessPolicy": "private",
        "accessRestrictions": {
            "domains": {"defaultPolicy": "deny", "allow": ["partner.example.com"], "deny": []},
            "userAgents": {"defaultPolicy": "allow", "allow": [], "deny": ["curl", "python-requests"]},
        },
        "resolution": "1080p",
    }


# -- the emulator's restriction PATCHes, shaped as the live API answers ----------------------------

LIVE_SHAPE = {"object": {"success": "boolean=true", "data": {"object": {
    "defaultPolicy": "string=allow", "allow": {"array": {"*": "string"}}, "deny": {"array": {}}}}}}


@pytest.mark.parametrize(("capture", "suffix", "rules"), [
    ("update-domain-restrictions.raw.json", "domains", {"defaultPolicy": "allow", "allow": ["example.com"], "deny": []}),
    ("update-user-agent-restrictions.raw.json", "user-agents",
     {"defaultPolicy": "allow", "allow": ["Mozilla"], "deny": []}),
])
def test_the_emulator_answers_restriction_patches_as_the_live_api(
        api: httpx.Client, capture: str, suffix: str, rules: dict[str, Any]) -> None:
    media = api.post("/on-demand", json={"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public"})
    media_id = media.json()["data"]["id"]
    playback_id = media.json()["data"]["playbackIds"][0]["id"]
    answer = api.patch(f"/on-demand/{media_id}/playback-ids/{playback_id}/{suffix}", json=rules)
    assert answer.status_code == 200, answer.text
    assert cs.differences(LIVE_SHAPE, cs.shape(answer.json())) == []
    captured = cs.CAPTURED_DIR / capture
    if captured.is_file():  # the live answer itself, where ../shared is beside the clone
        assert cs.shape(json.loads(captured.read_text())) == LIVE_SHAPE
    kind = "domains" if suffix == "domains" else "userAgents"
    shown = api.get(f"/on-demand/{media_id}/playback-ids/{playback_id}").json()["data"]["accessRestrictions"][kind]
    assert shown == rules


# -- the provider against the emulator ---------------------------------------------------------------

@pytest.fixture
def make_provider(wire) -> Callable[..., PlaybackIdProvider]:
    def make(*, attempts: int = 4) -> PlaybackIdProvider:
        return wire(PlaybackIdProvider, attempts=attempts)

    return make


def new_media(emulator: EmulatorServer) -> str:
    created = emulator.backend.create_media({"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public"})
    return str(created["id"])


def playback_ids(emulator: EmulatorServer, media_id: str) -> list[dict[str, Any]]:
    return list(emulator.backend.list_playback_ids(media_id))


def test_the_pickled_provider_holds_nothing() -> None:
    provider = PlaybackIdProvider()
    assert provider.__getstate__() == {}
    assert isinstance(pickle.loads(pickle.dumps(provider)), PlaybackIdProvider)


def test_create_update_in_place_read_delete(emulator: EmulatorServer,
                                            make_provider: Callable[..., PlaybackIdProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(restricted(media_id))
    listed = {p["id"]: p for p in playback_ids(emulator, media_id)}
    assert len(listed) == 2 and created.id in listed
    assert listed[created.id]["accessPolicy"] == "private"
    assert listed[created.id]["accessRestrictions"]["domains"] == {"defaultPolicy": "deny",
                                                                   "allow": ["partner.example.com"], "deny": []}
    assert outs(created)["playback_url"] == f"https://stream.fastpix.com/{created.id}.m3u8"
    news = restricted(media_id, domains={**PARTNER, "allow": ["partner.example.com", "www.example.com"]})
    emulator.journal.clear()
    provider.update(created.id, outs(created), news)
    assert api_calls(emulator) == [("PATCH", f"/v1/on-demand/{media_id}/playback-ids/{created.id}/domains")]
    shown = emulator.backend.get_playback_id(media_id, created.id)["accessRestrictions"]["domains"]
    assert shown["allow"] == ["partner.example.com", "www.example.com"]
    read = provider.read(created.id, {**outs(created), **news})
    assert read.inputs is not None and not children.plan_playback_id(read.inputs, news).has_changes
    provider.delete(created.id, {**outs(created), **news})
    assert [p["id"] for p in playback_ids(emulator, media_id)] == [next(iter(listed.keys() - {created.id}))]


def test_a_dashboard_change_of_the_rules_shows_as_drift(emulator: EmulatorServer,
                                                         make_provider: Callable[..., PlaybackIdProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(restricted(media_id))
    emulator.backend.update_playback_restrictions(media_id, created.id, "domains", {"defaultPolicy": "allow"})
    read = provider.read(created.id, outs(created))
    assert read.inputs is not None and read.inputs["domains"]["default_policy"] == "allow"
    assert children.plan_playback_id(read.inputs, restricted(media_id)).calls == ("domains",)


def test_a_lost_create_answer_finds_the_playback_id_instead_of_making_another(
        emulator: EmulatorServer, make_provider: Callable[..., PlaybackIdProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    emulator.faults.add(FaultRule(kind="drop", method="POST", path="/playback-ids$", after=True, count=1))
    created = provider.create(restricted(media_id))
    assert len(playback_ids(emulator, media_id)) == 2 and created.id in {p["id"] for p in playback_ids(emulator, media_id)}
    assert len(api_calls(emulator, "POST")) == 1


def test_an_answer_that_is_not_a_rule_set_is_not_believed(emulator: EmulatorServer,
                                                          make_provider: Callable[..., PlaybackIdProvider]) -> None:
    provider = make_provider(attempts=1)
    media_id = new_media(emulator)
    created = provider.create(restricted(media_id))
    emulator.faults.add(FaultRule(kind="error", status=404, method="PATCH", body="html"))
    with pytest.raises(ProtocolError):
        provider.update(created.id, outs(created), restricted(media_id, user_agents=None))


def test_deleting_a_playback_id_that_is_gone_is_done(emulator: EmulatorServer,
                                                     make_provider: Callable[..., PlaybackIdProvider]) -> None:
    provider = make_provider()
    media_id = new_media(emulator)
    created = provider.create(restricted(media_id))
    emulator.backend.delete_media_playback_id(media_id, created.id)
    provider.delete(created.id, outs(created))
    assert provider.read(created.id, outs(created)).id == ""
