"""Input checks, change plans and wire bodies of a media, without FastPix or the engine."""

from __future__ import annotations

import pulumi.output
import pytest

from fastpix_provider import media
from fastpix_provider.errors import ConfigurationError
from fastpix_provider.media import OWNER_METADATA_KEY, check_inputs, create_body, plan_changes, update_body
from fastpix_provider.settings import ProviderSettings

VALID = {"url": "https://static.fastpix.com/fp-sample-video.mp4"}


def failures(**inputs: object) -> dict[str, str]:
    return {f.property: f.reason for f in check_inputs({**VALID, **inputs})}


def test_a_minimal_media_is_valid() -> None:
    assert check_inputs(VALID) == []


@pytest.mark.parametrize(("inputs", "prop", "says"), [
    ({"url": None}, "url", "url is required"),
    ({"url": "ftp://host/v.mp4"}, "url", "http:// or https://"),
    ({"url": "https://"}, "url", "with a host"),
    ({"url": 42}, "url", "must be a string"),
    ({"access_policy": "secret"}, "access_policy", "one of public, private, drm"),
    ({"max_resolution": "4k"}, "max_resolution", "one of 2160p, 1440p, 1080p, 720p, 480p"),
    ({"media_quality": "ultra"}, "media_quality", "one of standard, pro, premium"),
    ({"mp4_support": "yes"}, "mp4_support", "one of none, capped_4k"),
    ({"title": "t" * 256}, "title", "at most 255"),
    ({"creator_id": 7}, "creator_id", "must be a string"),
    ({"source_access": "yes"}, "source_access", "true or false"),
    ({"optimize_audio": 1}, "optimize_audio", "true or false"),
    ({"metadata": ["a"]}, "metadata", "map of string keys"),
    ({"metadata": {f"k{i}": "v" for i in range(10)}}, "metadata", "at most 9 are allowed"),
    ({"metadata": {"k": "v" * 256}}, "metadata.k", "at most 255"),
    ({"metadata": {"k": 5}}, "metadata.k", "must be strings"),
    ({"metadata": {OWNER_METADATA_KEY: "x"}}, f"metadata.{OWNER_METADATA_KEY}", "reserved"),
    ({"adopt_id": "nope"}, "adopt_id", "UUID"),
])
def test_each_bad_input_names_its_property_and_the_fix(inputs: dict, prop: str, says: str) -> None:
    found = failures(**inputs)
    assert prop in found, found
    assert says in found[prop]


@pytest.mark.parametrize("unknown", [media.UNKNOWN, pulumi.output.Unknown()],
                         ids=["as-the-catalog-spells-it", "as-the-sdk-hands-it"])
def test_values_unknown_during_preview_are_not_judged_yet(unknown: object) -> None:
    assert check_inputs({"url": unknown, "title": unknown, "metadata": unknown, "creator_id": unknown,
                         "max_resolution": unknown, "mp4_support": unknown}) == []


def test_a_metadata_map_unknown_during_preview_shows_as_a_change() -> None:
    assert plan_changes(VALID, {**VALID, "metadata": pulumi.output.Unknown()}).changed == ("metadata",)


def test_nine_user_metadata_keys_fit_beside_the_owner_tag() -> None:
    assert failures(metadata={f"k{i}": "v" for i in range(9)}) == {}


@pytest.mark.parametrize("field", ["title", "creator_id", "metadata", "source_access", "mp4_support"])
def test_fields_fastpix_can_patch_update_in_place(field: str) -> None:
    new_values = {"title": "T2", "creator_id": "c2", "metadata": {"a": "2"}, "source_access": True,
                  "mp4_support": "capped_4k"}
    plan = plan_changes(VALID, {**VALID, field: new_values[field]})
    assert plan.changed == (field,)
    assert plan.replaces == ()
    assert plan.calls == (media.IN_PLACE[field],)


@pytest.mark.parametrize(("field", "value"), [("url", "https://other.example/v.mp4"), ("access_policy", "private"),
                                              ("max_resolution", "720p"), ("media_quality", "premium"),
                                              ("optimize_audio", True)])
def test_fields_fixed_at_creation_force_a_replace(field: str, value: object) -> None:
    plan = plan_changes(VALID, {**VALID, field: value})
    assert plan.replaces == (field,)


def test_omitted_fields_equal_fastpix_defaults_so_nothing_changes() -> None:
    olds = {**VALID, "access_policy": "public", "max_resolution": "1080p", "metadata": {}, "source_access": False,
            "mp4_support": "none", "media_status": "Ready"}
    assert not plan_changes(olds, VALID).has_changes


def test_provider_only_inputs_never_cause_a_change() -> None:
    news = {**VALID, "wait_for_ready": True, "adopt_id": "4fa85f64-5717-4562-b3fc-2c963f66afa6", "owner": "p/s/n",
            "ready_timeout_seconds": 30}
    assert not plan_changes(VALID, news).has_changes


def test_an_unknown_new_value_counts_as_a_change() -> None:
    assert plan_changes(VALID, {**VALID, "title": media.UNKNOWN}).changed == ("title",)


def test_several_in_place_fields_group_into_one_patch_per_call() -> None:
    plan = plan_changes(VALID, {**VALID, "title": "a", "metadata": {"k": "v"}, "mp4_support": "audioOnly"})
    assert plan.calls == ("update", "mp4_support")


def test_create_body_uses_the_specs_names_and_tags_the_owner() -> None:
    body = create_body({**VALID, "title": "T", "creator_id": "c", "metadata": {"a": "1"}, "mp4_support": "capped_4k",
                        "owner": "proj/dev/intro#1234"})
    assert body == {
        "inputs": [{"type": "video", "url": VALID["url"]}],
        "accessPolicy": "public", "maxResolution": "1080p", "mediaQuality": "standard",
        "metadata": {"a": "1", OWNER_METADATA_KEY: "proj/dev/intro#1234"},
        "sourceAccess": False, "optimizeAudio": False, "title": "T", "creatorId": "c", "mp4Support": "capped_4k",
    }


def test_create_body_leaves_out_mp4_support_none_which_post_does_not_accept() -> None:
    assert "mp4Support" not in create_body({**VALID, "mp4_support": "none"})


def test_update_body_clears_a_removed_title() -> None:
    assert update_body({**VALID, "metadata": {"a": "1"}}) == {"metadata": {"a": "1"}, "title": "", "creatorId": ""}


def test_outputs_point_at_the_first_public_playback_id() -> None:
    outs = media.outputs_from_api({"id": "m", "status": "Ready", "createdAt": "t", "duration": "00:00:10",
                                   "playbackIds": [{"id": "p1", "accessPolicy": "private"},
                                                   {"id": "p2", "accessPolicy": "public"}]})
    assert outs["playback_url"] == "https://stream.fastpix.com/p2.m3u8"
    assert outs["thumbnail_url"] == "https://images.fastpix.com/p1/thumbnail.png"
    assert outs["playback_ids"] == [{"id": "p1", "access_policy": "private"}, {"id": "p2", "access_policy": "public"}]


def test_observed_inputs_hide_the_owner_tag_and_follow_fastpix() -> None:
    seen = media.observed_inputs({"metadata": {"a": "9", OWNER_METADATA_KEY: "x"}, "title": "Edited", "sourceAccess": True,
                                  "mp4Support": "none", "playbackIds": [{"accessPolicy": "public"}]},
                                 {**VALID, "title": "Original", "metadata": {"a": "1"}})
    assert seen["metadata"] == {"a": "9"}
    assert seen["title"] == "Edited"
    assert seen["source_access"] is True
    assert seen["url"] == VALID["url"]


@pytest.mark.parametrize(("url", "ok"), [("https://api.fastpix.com/v1", True), ("http://127.0.0.1:8080/v1", True),
                                         ("http://localhost:1/v1", True), ("http://[::1]:8/v1", True),
                                         ("http://api.fastpix.com/v1", False), ("ftp://x/v1", False),
                                         # names and private addresses that only look local
                                         ("http://localhost.evil.example/v1", False), ("http://localhostx/v1", False),
                                         ("http://127.0.0.1.nip.io/v1", False), ("http://10.0.0.5/v1", False),
                                         ("http://192.168.1.2/v1", False)])
def test_plain_http_is_only_for_loopback(url: str, ok: bool) -> None:
    settings = ProviderSettings(api_url=url, access_token_id="a", secret_key="b")
    if ok:
        settings.check_api_url()
    else:
        with pytest.raises(ConfigurationError, match="loopback"):
            settings.check_api_url()


def test_credentials_come_from_the_environment_and_the_url_from_config_first() -> None:
    env = {"FASTPIX_USERNAME": "env-id", "FASTPIX_PASSWORD": "env-key", "FASTPIX_API_URL": "http://127.0.0.1:1/v1"}
    from_env = ProviderSettings.resolve({}, env)
    assert (from_env.access_token_id, from_env.secret_key, from_env.api_url) == ("env-id", "env-key", env["FASTPIX_API_URL"])
    from_config = ProviderSettings.resolve({"fastpix:apiUrl": "https://eu.example/v1"}, env)
    assert from_config.api_url == "https://eu.example/v1"
    assert ProviderSettings.resolve({}, {}).api_url == "https://api.fastpix.com/v1"


def test_missing_credentials_name_the_variables_and_never_echo_values() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ProviderSettings.resolve({}, {"FASTPIX_USERNAME": "only-id"}).credentials()
    assert "set FASTPIX_PASSWORD in the environment" in str(caught.value)
    assert "only-id" not in str(caught.value)
    assert "only-id" not in repr(ProviderSettings.resolve({}, {"FASTPIX_USERNAME": "only-id"}))


@pytest.mark.parametrize("key", ["fastpix:accessTokenId", "fastpix:secretKey"])
def test_credentials_in_stack_config_are_refused_with_the_fix(key: str) -> None:
    from fastpix_provider.settings import refuse_credentials_in_config

    with pytest.raises(ConfigurationError) as caught:
        refuse_credentials_in_config({key: "value-9"})
    assert f"`pulumi config rm {key}`" in str(caught.value)
    assert "FASTPIX_USERNAME and FASTPIX_PASSWORD" in str(caught.value)
    assert "value-9" not in str(caught.value)
    refuse_credentials_in_config({"fastpix:apiUrl": "https://api.fastpix.com/v1"})


def test_mp4_support_left_out_by_fastpix_reads_as_none() -> None:
    """The live API omits mp4Support when it is none (captured get-media, list-media)."""
    declared = {**VALID, "mp4_support": "capped_4k"}
    assert media.observed_inputs({"metadata": {}}, declared)["mp4_support"] == "none"
    assert media.observed_inputs({"mp4Support": "capped_4k"}, declared)["mp4_support"] == "capped_4k"
    assert media.plan_changes(declared, media.observed_inputs({}, declared)).calls == ("mp4_support",)


@pytest.mark.parametrize(("inputs", "says"), [
    ({"access_policy": "drm", "drm_configuration_id": "not-a-uuid"}, "must be the id (a UUID)"),
    ({"access_policy": "public", "drm_configuration_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}, "applies to access_policy drm"),
    ({"take_over": True}, "take_over applies to adoption only"),
    ({"take_over": "yes", "adopt_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}, "take_over must be true or false"),
])
def test_drm_and_take_over_are_checked_before_any_call(inputs: dict, says: str) -> None:
    failures = media.check_inputs({**VALID, **inputs})
    assert any(says in f.reason for f in failures), failures


def test_a_drm_media_sends_its_configuration_id() -> None:
    body = media.create_body({**VALID, "access_policy": "drm", "drm_configuration_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"})
    assert body["drmConfigurationId"] == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert "drmConfigurationId" not in media.create_body(VALID)


def test_echoed_values_are_bounded() -> None:
    failures = media.check_inputs({**VALID, "access_policy": "x" * 100_000, "metadata": {"k" * 10_000: 5}})
    assert failures and all(len(f.reason) < 400 and len(f.property) < 120 for f in failures)
