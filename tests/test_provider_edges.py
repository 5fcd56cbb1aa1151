"""The provider's edges that `make mutation` showed unguarded: settings, diff, waiting for Ready,
retries of a create, what adoption keeps, DRM checks, and what each error tells the user.

Same harness as tests/test_provider.py: MediaProvider against the session's emulator, through a real
client whose waits are recorded instead of slept.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider import _provider_base as provider_base
from fastpix_provider import diagnostics, media
from fastpix_provider import provider as provider_module
from fastpix_provider._provider_base import client_for
from fastpix_provider.client import Credentials, FastPixClient
from fastpix_provider.errors import ConfigurationError, FastPixError, TransportError, error_for_status
from fastpix_provider.owner import OWNER_METADATA_KEY
from fastpix_provider.provider import (
    AdoptionRefusedError,
    MediaMayExistError,
    MediaProvider,
    WorkspaceNotProvenError,
    _workspaces,
)
from fastpix_provider.retry import RetryPolicy
from fastpix_provider.settings import ProviderSettings
from tests.support.builders import ACCESS_TOKEN_ID, SAMPLE_URL, SECRET_KEY
from tests.support.journal import api_calls, media_ids

STACK_ID = "0123456789ab"
OTHER_STACK_ID = "ba9876543210"


class Recorder:
    """The provider's waits and warnings, recorded."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.warnings: list[str] = []


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(diagnostics, "warn", lambda message, *args, **kwargs: recorder.warnings.append(message))
    return recorder


@pytest.fixture
def make_provider(emulator: EmulatorServer, seen: Recorder) -> Iterator[Callable[..., MediaProvider]]:
    clients: list[FastPixClient] = []

    def make(api_url: str | None = None, *, attempts: int = 3) -> MediaProvider:
        client = FastPixClient(api_url or emulator.api_url, Credentials(ACCESS_TOKEN_ID, SECRET_KEY),
                               policy=RetryPolicy(max_attempts=attempts, initial_delay=0.25, jitter=lambda d: d),
                               sleep=lambda _s: None, on_retry=lambda _m: None)
        clients.append(client)
        made = MediaProvider()
        made._client_factory = lambda _settings: client
        made._sleep = seen.sleeps.append
        return made

    yield make
    for client in clients:
        _workspaces.pop(id(client), None)
        client.close()


def declared(name: str = "intro", **inputs: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"url": SAMPLE_URL, "access_policy": "public", "owner": f"proj/dev/{name}",
                             "stack_id": STACK_ID}
    props.update(inputs)
    return props


def existing_media(api: Any, **body: Any) -> str:
    answer = api.post("/on-demand", json={"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public",
                                          **body})
    answer.raise_for_status()
    return str(answer.json()["data"]["id"])


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# -- where the provider finds FastPix ---------------------------------------------------------------------


def test_the_api_url_comes_from_the_stack_config_given_to_configure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTPIX_API_URL", "https://env.example/v1")
    given: list[ProviderSettings] = []
    made = MediaProvider()
    made._client_factory = lambda settings: given.append(settings)  # type: ignore[assignment,func-returns-value,return-value]
    made._client()
    made.configure(ConfigureRequest({"fastpix:apiUrl": "https://config.example/v1"}))  # type: ignore[arg-type]
    made._client()
    assert [settings.api_url for settings in given] == ["https://env.example/v1", "https://config.example/v1"]


def test_a_new_provider_uses_the_shared_client_and_real_sleep() -> None:
    made = MediaProvider()
    assert made._client_factory is client_for and made._sleep is time.sleep


def test_one_client_per_api_url_and_credentials_whose_retries_are_shown_to_the_user(
        emulator: EmulatorServer, seen: Recorder) -> None:
    settings = ProviderSettings(emulator.api_url, ACCESS_TOKEN_ID, SECRET_KEY)
    rotated = ProviderSettings(emulator.api_url, ACCESS_TOKEN_ID, "another-secret-key")
    client = client_for(settings)
    try:
        assert client_for(ProviderSettings(emulator.api_url, ACCESS_TOKEN_ID, SECRET_KEY)) is client
        assert client_for(rotated) is not client
        assert client.api_url == emulator.api_url
        emulator.faults.add(FaultRule(kind="rate_limit", method="GET", retry_after=0, count=1))
        assert list(client.list_media()) == []
        assert len(seen.warnings) == 1 and "429" in seen.warnings[0]
    finally:
        for key in [key for key in provider_base._clients if key[0] == emulator.api_url]:
            provider_base._clients.pop(key).close()
    with pytest.raises(ConfigurationError):
        client_for(ProviderSettings(emulator.api_url, None, SECRET_KEY))


# -- check and diff -----------------------------------------------------------------------------------------


def test_check_reports_each_failure_on_its_property_and_passes_the_inputs_through(make_provider) -> None:
    news = declared(title="x" * 600, access_policy="drm", drm_configuration_id=str(uuid.uuid4()))
    result = make_provider().check({}, news)
    expected = {(f.property, f.reason) for f in media.check_inputs(news)}
    assert expected and all(reason for _, reason in expected)
    got = {(f.property, f.reason) for f in result.failures}
    # the workspace's DRM check adds its own failure to those of the inputs, never replaces them
    assert expected < got and "drm_configuration_id" in {p for p, _ in got - expected}
    assert result.inputs == news


def test_the_drm_check_is_skipped_when_the_inputs_already_fail_it_or_nothing_needs_it(emulator, make_provider) -> None:
    made = make_provider()
    assert made.check({}, declared()).failures == []
    adopting = declared(access_policy="drm", adopt_id=str(uuid.uuid4()))
    assert made.check({}, adopting).failures == [] or \
        all(f.property != "drm_configuration_id" for f in made.check({}, adopting).failures)
    assert api_calls(emulator) == []  # no DRM configuration was listed for either


def test_a_drm_check_that_cannot_list_configurations_warns_and_asks_for_one(emulator, make_provider, seen) -> None:
    offline = make_provider(emulator.api_url.removesuffix("/v1"), attempts=1)
    failures = offline.check({}, declared(access_policy="drm")).failures
    assert [(f.property, f.reason) for f in failures] == [("drm_configuration_id", media.MISSING_DRM_CONFIGURATION)]
    assert seen.warnings and seen.warnings[0].startswith(
        "could not list the workspace's DRM configurations to check drm_configuration_id: ")


def test_a_drm_failure_lists_at_most_ten_configurations_and_says_what_was_declared(emulator, make_provider) -> None:
    emulator.backend.set_drm_configurations(11)
    try:
        ids = list(emulator.backend.drm_configuration_ids)
        wrong = str(uuid.uuid4())
        [declared_wrong] = make_provider().check({}, declared(access_policy="drm", drm_configuration_id=wrong)).failures
        [none_declared] = make_provider().check({}, declared(access_policy="drm")).failures
        emulator.backend.set_drm_configurations(0)
        [no_configuration] = make_provider().check({}, declared(access_policy="drm")).failures
    finally:
        emulator.backend.set_drm_configurations(1)
    head = ("access_policy drm needs drm_configuration_id, the id of one of this workspace's DRM configurations (")
    assert declared_wrong.reason == f"{head}{', '.join(ids[:10])}); {media.echo(wrong)} is not one of them"
    assert none_declared.reason == f"{head}{', '.join(ids[:10])}); none is declared"
    assert no_configuration.reason == f"{head}none: set one up in the FastPix dashboard first); none is declared"


def test_diff_says_what_changes_in_place_what_replaces_and_what_stays(make_provider) -> None:
    made = make_provider()
    olds = {**declared(title="A"), "media_id": "m", "workspace_id": "w"}
    same = made.diff("m", olds, declared(title="A"))
    assert not same.changes and same.replaces == []
    retitled = made.diff("m", olds, declared(title="B"))
    assert retitled.changes and retitled.replaces == []
    moved = made.diff("m", olds, declared(title="A", url="https://static.fastpix.com/other.mp4"))
    assert moved.changes and moved.replaces == ["url"]
    assert moved.stables == ["media_id", "created_at", "workspace_id"]
    assert moved.delete_before_replace is False


# -- create: waiting for Ready ---------------------------------------------------------------------------


def test_waiting_for_ready_returns_the_ready_media_and_records_its_workspace(emulator, make_provider) -> None:
    created = make_provider().create(declared(wait_for_ready=True))
    assert created.outs["status"] == "Ready"
    assert created.outs["workspace_id"] == emulator.backend.workspace_id


def test_a_media_that_ends_failed_is_deleted_and_the_message_names_the_url(emulator, make_provider) -> None:
    bad_url = "https://videos.example.invalid/intro.mp4"
    with pytest.raises(FastPixError) as raised:
        make_provider().create(declared(url=bad_url, wait_for_ready=True))
    assert media_ids(emulator) == set()
    [(_, deleted)] = api_calls(emulator, "DELETE")
    media_id = deleted.rsplit("/", 1)[1]
    assert str(raised.value) == (
        f"FastPix could not process {media.echo(bad_url)}: media {media_id} ended Failed and was deleted. "
        "Check that the URL is public and points at a supported video file.")


def test_a_media_not_ready_in_time_is_deleted_and_the_message_says_how_to_wait_longer(emulator, make_provider,
                                                                                       seen) -> None:
    emulator.backend.processing_delay = 3600.0
    made = make_provider()
    made._sleep = lambda seconds: (seen.sleeps.append(seconds), time.sleep(0.02))  # type: ignore[assignment,func-returns-value]
    with pytest.raises(FastPixError) as raised:
        made.create(declared(wait_for_ready=True, ready_timeout_seconds=0.05))
    assert media_ids(emulator) == set()
    [(_, deleted)] = api_calls(emulator, "DELETE")
    media_id = deleted.rsplit("/", 1)[1]
    assert str(raised.value) == (
        f"media {media_id} was still Created after 0s of waiting, so it was deleted. Raise the create timeout "
        "(customTimeouts.create, or waitForReady: false) and run again.")
    assert seen.sleeps and set(seen.sleeps) == {provider_module.READY_POLL_SECONDS}


def test_the_default_wait_for_ready_is_twenty_minutes(emulator, make_provider, monkeypatch) -> None:
    emulator.backend.processing_delay = 3600.0
    readings = [1000.0, 1000.0 + 20 * 60 - 1, 1000.0 + 20 * 60]
    clock = SimpleNamespace(monotonic=lambda: readings.pop(0) if len(readings) > 1 else readings[0])
    made = make_provider()
    monkeypatch.setattr(provider_module, "time", clock)
    with pytest.raises(FastPixError, match="after 1200s of waiting"):
        made.create(declared(wait_for_ready=True))


# -- create: what happens after a failed POST ------------------------------------------------------------


def test_a_create_that_never_reached_fastpix_is_not_searched_for() -> None:
    made = MediaProvider()
    client = FastPixClient(closed_port_url(), Credentials(ACCESS_TOKEN_ID, SECRET_KEY),
                           policy=RetryPolicy(max_attempts=1), sleep=lambda _s: None)
    made._client_factory = lambda _settings: client
    try:
        with pytest.raises(TransportError) as raised:
            made.create(declared())
    finally:
        client.close()
    assert not isinstance(raised.value, MediaMayExistError)


def test_a_create_whose_connection_dropped_every_time_ends_with_that_error(emulator, make_provider, seen) -> None:
    emulator.faults.add(FaultRule(kind="drop", method="POST", path="/v1/on-demand$"))
    with pytest.raises(TransportError):
        make_provider(attempts=2).create(declared())
    assert media_ids(emulator) == set()
    assert [m for m, _ in api_calls(emulator)] == ["POST", "GET", "POST", "GET"]


class OneUnavailableCreate(FastPixClient):
    """FastPix's 503 with a Retry-After on the first create (the emulator sends Retry-After with 429 only)."""

    failed = False

    def create_media(self, body: dict[str, Any]) -> dict[str, Any]:
        if not self.failed:
            self.failed = True
            raise error_for_status(503, method="POST", path="/on-demand", message="Service Unavailable",
                                   retry_after=3.0, fastpix_envelope=True)
        return super().create_media(body)


def test_a_create_retried_after_a_5xx_waits_as_fastpix_asks_and_says_so(emulator, make_provider, seen) -> None:
    client = OneUnavailableCreate(emulator.api_url, Credentials(ACCESS_TOKEN_ID, SECRET_KEY),
                                  policy=RetryPolicy(max_attempts=3, jitter=lambda d: d), sleep=lambda _s: None)
    made = make_provider()
    made._client_factory = lambda _settings: client
    try:
        created = made.create(declared())
    finally:
        _workspaces.pop(id(client), None)
        client.close()
    assert media_ids(emulator) == {created.id}
    assert seen.sleeps == [3.0]
    assert len(seen.warnings) == 1
    assert seen.warnings[0].endswith("; FastPix holds no media of this create, so creating again in 3.0s")
    assert "503" in seen.warnings[0]


def test_a_create_answered_by_something_not_fastpix_is_searched_for_and_sent_again(emulator, make_provider) -> None:
    emulator.faults.add(FaultRule(kind="error", status=404, body="html", method="POST", path="/v1/on-demand$",
                                  count=1))
    created = make_provider().create(declared())
    assert media_ids(emulator) == {created.id}
    assert [m for m, _ in api_calls(emulator)][:3] == ["POST", "GET", "POST"]


def test_a_found_lost_create_is_used_and_the_user_told(emulator, make_provider, seen) -> None:
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/v1/on-demand$", after=True, count=1))
    created = make_provider().create(declared())
    assert seen.warnings == [f"the create answer was lost, but FastPix created media {created.id}; using it"]


def test_a_failed_search_names_the_failure_the_media_and_the_recover_command(emulator, make_provider) -> None:
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/v1/on-demand$", after=True, count=1))
    emulator.faults.add(FaultRule(kind="error", status=503, method="GET"))
    with pytest.raises(MediaMayExistError) as raised:
        make_provider(attempts=1).create(declared())
    message = str(raised.value)
    assert message.startswith("FastPix answered 524 to POST")
    assert ". FastPix may have created the media, and the search for it failed too (" in message
    assert message.endswith("Before running again, find it with `fastpix-recover --stack <stack>` "
                            f"(it looks for media tagged {message.split('tagged ')[1][:-2]}).")


def test_an_untagged_create_that_may_exist_says_to_look_in_the_dashboard(emulator, make_provider) -> None:
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/v1/on-demand$", after=True, count=1))
    untagged = {k: v for k, v in declared().items() if k != "owner"}
    with pytest.raises(MediaMayExistError) as raised:
        make_provider().create(untagged)
    message = str(raised.value)
    assert message.startswith("FastPix answered 524 to POST")
    assert message.endswith(". FastPix may have created the media, and it carries no owner tag to find it by; "
                            "look for it in the FastPix dashboard before running again.")


def test_a_create_without_a_stack_id_writes_a_0_1_0_style_tag(emulator, make_provider) -> None:
    created = make_provider().create({**declared(), "stack_id": None})
    assert created.outs["owner_tag"].startswith("proj/dev/intro#") and "@" not in created.outs["owner_tag"]


# -- read and update: what is recorded ------------------------------------------------------------------


def test_a_refresh_records_the_workspace_of_a_media_created_by_0_1_0(emulator, make_provider) -> None:
    made = make_provider()
    created = made.create(declared())
    legacy = {k: v for k, v in created.outs.items() if k != "workspace_id"}
    read = made.read(created.id, {**legacy, "__provider": "pickled"})
    assert read.outs["workspace_id"] == emulator.backend.workspace_id
    assert "__provider" not in read.inputs and "media_id" not in read.inputs
    assert read.inputs["url"] == SAMPLE_URL


def test_when_the_workspace_cannot_be_listed_the_create_warns_and_records_none(emulator, make_provider, seen) -> None:
    emulator.faults.add(FaultRule(kind="error", status=503, method="GET", path="/v1/on-demand$"))
    created = make_provider(attempts=1).create(declared())
    assert created.outs["workspace_id"] is None
    assert len(seen.warnings) == 1
    assert seen.warnings[0].startswith(f"could not record the workspace of media {created.id} (")
    assert seen.warnings[0].endswith("); a later refresh records it")


def test_outputs_keep_the_recorded_workspace_when_the_answer_leaves_it_out() -> None:
    # FastPix's PATCH answers carry no workspaceId (captured update-media).
    answer = {"id": "m1", "status": "Ready"}
    outs = MediaProvider._outputs(declared(), answer, "tag", {"workspace_id": "recorded-at-create"})
    assert outs["workspace_id"] == "recorded-at-create"
    assert MediaProvider._outputs(declared(), answer, "tag", None)["workspace_id"] is None
    assert MediaProvider._outputs(declared(), answer, "tag", None, workspace_id="new")["workspace_id"] == "new"
    shown = {**answer, "workspaceId": "shown"}
    assert MediaProvider._outputs(declared(), shown, "tag", {"workspace_id": "recorded"})["workspace_id"] == "shown"


@pytest.mark.parametrize(("change", "expected"), [
    ({"source_access": True}, {"source_access": True}),
    ({"mp4_support": "capped_4k"}, {"mp4_support": "capped_4k"}),
])
def test_an_update_sends_each_in_place_change_to_its_own_call(emulator, make_provider, change, expected) -> None:
    made = make_provider()
    created = made.create(declared())
    updated = made.update(created.id, created.outs, declared(**change))
    record = emulator.backend.media[created.id]
    for name, value in expected.items():
        assert getattr(record, name) == value
        assert updated.outs[name] == value


def test_turning_mp4_support_and_source_access_off_again(emulator, make_provider) -> None:
    made = make_provider()
    created = made.create(declared(mp4_support="capped_4k", source_access=True))
    undeclared = {k: v for k, v in declared().items()}
    updated = made.update(created.id, created.outs, {**undeclared, "mp4_support": None, "source_access": None})
    record = emulator.backend.media[created.id]
    assert (record.mp4_support, record.source_access) == ("none", False)
    assert not updated.outs["source_access"]


def test_an_update_of_a_media_with_no_tag_recorded_tags_it(emulator, make_provider) -> None:
    made = make_provider()
    created = made.create(declared())
    made.update(created.id, {**created.outs, "owner_tag": None}, declared(title="Now tagged"))
    tag = emulator.backend.media[created.id].metadata.get(OWNER_METADATA_KEY)
    assert tag and tag.startswith("proj/dev/intro#") and tag.endswith(f"@{STACK_ID}")


def test_an_update_keeps_a_recorded_tag_it_cannot_parse(emulator, make_provider) -> None:
    made = make_provider()
    created = made.create(declared())
    made.update(created.id, {**created.outs, "owner_tag": "hand-written"}, declared(title="Recut"))
    assert emulator.backend.media[created.id].metadata.get(OWNER_METADATA_KEY) == "hand-written"


# -- the messages that stop a refresh or a delete ----------------------------------------------------------


def test_a_404_that_cannot_be_checked_says_nothing_was_changed(emulator, make_provider, api) -> None:
    created = make_provider().create(declared())
    api.delete(f"/on-demand/{created.id}").raise_for_status()
    emulator.faults.add(FaultRule(kind="error", status=503, method="GET", path="/v1/on-demand$"))
    with pytest.raises(WorkspaceNotProvenError) as raised:
        make_provider(attempts=1).read(created.id, {**created.outs, "workspace_id": "w"})
    message = str(raised.value)
    assert message.startswith(f"FastPix answered that media {created.id} does not exist, but listing the workspace's "
                              "media to confirm it failed (")
    assert message.endswith("). Nothing was changed; the media stays in the stack's state.")


@pytest.mark.parametrize(("action", "what"), [("read", "removed from the state"), ("delete", "considered deleted")])
def test_an_unproven_404_names_the_action_the_cause_and_the_way_out(emulator, make_provider, api, action, what) -> None:
    made = make_provider()
    created = made.create(declared())
    api.delete(f"/on-demand/{created.id}").raise_for_status()
    # The workspace is shown by no media: a later run of a fresh provider process.
    fresh = make_provider()
    with pytest.raises(WorkspaceNotProvenError) as raised:
        getattr(fresh, action)(created.id, created.outs)
    assert str(raised.value) == (
        f"FastPix answered that media {created.id} does not exist, but it is not {what}: the media was created in "
        f"workspace {created.outs['workspace_id']}, and these credentials list no media at all, so nothing shows which "
        "workspace they belong to: they may be another (empty) workspace's. "
        f"Check the credentials and the API URL ({emulator.api_url}). If the media really was deleted in FastPix, "
        "remove it from the state with `pulumi state delete <urn>`. Nothing was changed.")


def test_a_404_for_a_media_of_0_1_0_explains_why_it_is_not_believed(emulator, make_provider, api) -> None:
    made = make_provider()
    created = made.create(declared())
    made.create(declared("other"))
    api.delete(f"/on-demand/{created.id}").raise_for_status()
    legacy = {k: v for k, v in created.outs.items() if k != "workspace_id"}
    with pytest.raises(WorkspaceNotProvenError) as raised:
        made.read(created.id, legacy)
    assert ": the stack's state does not record the media's workspace (it was created by fastpix-pulumi 0.1.0 and not " \
           "refreshed since), so a 404 cannot be told apart from credentials of another workspace. " in str(raised.value)


# -- adopt ---------------------------------------------------------------------------------------------------


def test_adopting_an_unknown_id_says_to_check_it(emulator, make_provider) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(FastPixError) as raised:
        make_provider().create(declared(adopt_id=missing))
    assert str(raised.value) == (
        f"adopt_id {missing} does not name a media in this FastPix workspace; check the id (and the credentials' "
        "workspace) or remove adopt_id to create a new media")


def test_adoption_refusing_a_fixed_difference_names_each_value(emulator, make_provider, api) -> None:
    private = existing_media(api, accessPolicy="private", maxResolution="720p")
    with pytest.raises(FastPixError) as raised:
        make_provider().create(declared(adopt_id=private, access_policy="public", max_resolution="1080p"))
    message = str(raised.value)
    assert message.startswith(f"cannot adopt media {private}: FastPix cannot change ")
    assert "access_policy is 'private', declared 'public'" in message
    assert message.endswith(". Declare the media's actual values to adopt it.")
    if "max_resolution" in message:
        assert "access_policy is 'private', declared 'public', max_resolution is '720p', declared '1080p'" in message


def test_adoption_accepts_a_different_url_and_applies_the_declared_title(emulator, make_provider, api) -> None:
    theirs = existing_media(api, title="Old title")
    adopted = make_provider().create(declared(adopt_id=theirs, url="https://static.fastpix.com/elsewhere.mp4",
                                              title="New title"))
    assert adopted.id == theirs
    assert adopted.outs["title"] == "New title"
    assert adopted.outs["workspace_id"] == emulator.backend.workspace_id


def test_adoption_refusal_names_the_other_stack_and_how_to_take_over(emulator, make_provider, api) -> None:
    theirs = existing_media(api, metadata={OWNER_METADATA_KEY: f"proj/prod/intro#12345678@{OTHER_STACK_ID}"})
    with pytest.raises(AdoptionRefusedError) as raised:
        make_provider().create(declared(adopt_id=theirs))
    assert str(raised.value) == (
        f"cannot adopt media {theirs}: it is managed by 'proj/prod/intro' (stack id {OTHER_STACK_ID}), per its "
        "'fastpix-pulumi' metadata tag. Two stacks managing one media would delete it when either removes it. Remove "
        "it from that stack first (or mark it retainOnDelete there and remove it), or declare takeOver: true "
        "(take_over=True) to manage it here.")


def test_adoption_refusal_of_a_0_1_0_tag_names_the_path_alone(emulator, make_provider, api) -> None:
    theirs = existing_media(api, metadata={OWNER_METADATA_KEY: "proj/prod/intro#12345678"})
    with pytest.raises(AdoptionRefusedError, match=r"it is managed by 'proj/prod/intro', per its"):
        make_provider().create(declared(adopt_id=theirs))


def test_adoption_by_a_resource_without_an_owner_is_refused_for_a_tagged_media(emulator, make_provider, api) -> None:
    theirs = existing_media(api, metadata={OWNER_METADATA_KEY: f"XX#12345678@{STACK_ID}"})
    ownerless = {k: v for k, v in declared(adopt_id=theirs).items() if k != "owner"}
    with pytest.raises(AdoptionRefusedError):
        make_provider().create(ownerless)


def test_adoption_of_its_own_path_under_another_stack_id_is_refused(emulator, make_provider, api) -> None:
    theirs = existing_media(api, metadata={OWNER_METADATA_KEY: f"proj/dev/intro#12345678@{OTHER_STACK_ID}"})
    with pytest.raises(AdoptionRefusedError):
        make_provider().create(declared(adopt_id=theirs))
    # a resource that records no stack id (0.1.0) cannot tell, and adopts its own path
    assert make_provider().create({**declared(adopt_id=theirs), "stack_id": None}).id == theirs
