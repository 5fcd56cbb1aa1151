"""`Media` through the real engine against the emulator: what `pulumi up` does to FastPix."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer, FaultRule
from tests.support.builders import ACCESS_TOKEN_ID, SAMPLE_URL, SECRET_KEY, entry, media_body
from tests.support.journal import api_calls, media_ids

pytestmark = pytest.mark.engine

OTHER_URL = "https://static.fastpix.com/other-video.mp4"


def seed_media(emulator: EmulatorServer, **overrides: object) -> str:
    """A media that exists in FastPix but not in the stack."""
    return emulator.backend.create_media(media_body(**overrides))["id"]


def media_in_state(stack) -> list[tuple[str, str, dict]]:
    return sorted((r["urn"], r["id"], r["outputs"]) for r in stack.resources("fastpix:Media"))


def test_up_creates_each_entry_once_with_id_and_playback_url(emulator: EmulatorServer, catalog_stack) -> None:
    stack, _ = catalog_stack({"intro": entry(title="Intro"), "outro": entry(metadata={"team": "video"})})
    result = stack.up()
    assert result.summary.resource_changes == {"create": 3}
    outputs = stack.outputs()
    assert api_calls(emulator, "POST") == [("POST", "/v1/on-demand")] * 2
    assert media_ids(emulator) == {outputs["intro"]["id"], outputs["outro"]["id"]}
    for key in ("intro", "outro"):
        playback_id = emulator.backend.media[outputs[key]["id"]].playback_ids[0]["id"]
        assert outputs[key]["playbackUrl"] == f"https://stream.fastpix.com/{playback_id}.m3u8"
    assert emulator.backend.media[outputs["intro"]["id"]].title == "Intro"
    assert stack.up().summary.resource_changes == {"same": 3}
    assert len(api_calls(emulator, "POST")) == 2


def test_title_and_metadata_changes_update_in_place(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"intro": entry(title="Intro", metadata={"a": "1"})})
    stack.up()
    media_id = stack.outputs()["intro"]["id"]
    emulator.journal.clear()
    catalog.set("intro", entry(title="Intro, recut", metadata={"a": "2", "b": "3"}))
    assert stack.preview(diff=True).change_summary == {"same": 1, "update": 1}
    result = stack.up()
    assert result.summary.resource_changes == {"same": 1, "update": 1}
    assert api_calls(emulator, "PATCH") == [("PATCH", f"/v1/on-demand/{media_id}")]
    assert api_calls(emulator, "DELETE") == [] and api_calls(emulator, "POST") == []
    assert stack.outputs()["intro"]["id"] == media_id
    stored = emulator.backend.media[media_id]
    assert stored.title == "Intro, recut"
    assert {k: v for k, v in stored.metadata.items() if k != "fastpix-pulumi"} == {"a": "2", "b": "3"}


def test_source_access_and_mp4_support_use_their_own_calls(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"intro": entry()})
    stack.up()
    media_id = stack.outputs()["intro"]["id"]
    emulator.journal.clear()
    catalog.set("intro", entry(sourceAccess=True, mp4Support="capped_4k"))
    stack.up()
    assert sorted(api_calls(emulator, "PATCH")) == [("PATCH", f"/v1/on-demand/{media_id}/source-access"),
                                                     ("PATCH", f"/v1/on-demand/{media_id}/update-mp4Support")]
    assert emulator.backend.media[media_id].mp4_support == "capped_4k"


def test_a_url_change_replaces_creating_before_deleting(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"intro": entry()})
    stack.up()
    old_id = stack.outputs()["intro"]["id"]
    emulator.journal.clear()
    catalog.set("intro", entry(url=OTHER_URL))
    preview_lines: list[str] = []
    stack.preview(diff=True, on_output=preview_lines.append)
    assert "replace" in "\n".join(preview_lines)
    result = stack.up()
    assert result.summary.resource_changes == {"same": 1, "replace": 1}
    new_id = stack.outputs()["intro"]["id"]
    assert new_id != old_id
    calls = api_calls(emulator)
    assert calls.index(("POST", "/v1/on-demand")) < calls.index(("DELETE", f"/v1/on-demand/{old_id}"))
    assert media_ids(emulator) == {new_id}


def test_removing_an_entry_deletes_exactly_that_media(emulator: EmulatorServer, catalog_stack, api) -> None:
    bystander = seed_media(emulator)
    stack, catalog = catalog_stack({"a": entry(), "b": entry(), "c": entry()})
    stack.up()
    ids = {key: value["id"] for key, value in stack.outputs().items()}
    emulator.journal.clear()
    catalog.remove("b")
    result = stack.up()
    assert result.summary.resource_changes == {"delete": 1, "same": 3}
    assert api_calls(emulator, "DELETE") == [("DELETE", f"/v1/on-demand/{ids['b']}")]
    assert api.get(f"/on-demand/{ids['b']}").status_code == 404
    assert media_ids(emulator) == {ids["a"], ids["c"], bystander}


def test_destroy_deletes_the_stacks_media_and_nothing_else(emulator: EmulatorServer, catalog_stack) -> None:
    bystander = seed_media(emulator)
    stack, _ = catalog_stack({"a": entry(), "b": entry()})
    stack.up()
    stack.destroy()
    assert media_ids(emulator) == {bystander}
    assert stack.resources() == []


def test_media_deleted_out_of_band_is_dropped_by_refresh_and_its_delete_succeeds(
    emulator: EmulatorServer, catalog_stack
) -> None:
    # Another media keeps the workspace's list non-empty: it is what shows which workspace the
    # credentials belong to, so that a 404 can be believed (test_safety_engine.py covers the rest).
    bystander = seed_media(emulator)
    stack, catalog = catalog_stack({"a": entry(), "b": entry()})
    stack.up()
    ids = {key: value["id"] for key, value in stack.outputs().items()}
    emulator.backend.delete_media(ids["a"])
    refresh = stack.refresh()
    assert refresh.summary.resource_changes == {"delete": 1, "same": 2}
    assert [r["id"] for r in stack.resources("fastpix:Media")] == [ids["b"]]

    emulator.backend.delete_media(ids["b"])
    emulator.journal.clear()
    catalog.remove("a")
    catalog.remove("b")
    result = stack.up()
    assert result.summary.resource_changes == {"delete": 1, "same": 1}
    assert [e["status"] for e in emulator.journal.entries() if e["method"] == "DELETE"] == [404]
    assert stack.resources("fastpix:Media") == []
    assert media_ids(emulator) == {bystander}


def test_a_wrong_secret_key_fails_clearly_and_loses_nothing(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"a": entry(), "b": entry()})
    stack.up()
    before = media_in_state(stack)
    wrong = "wrong-secret-9f8e7d"
    stack.set_env("FASTPIX_PASSWORD", wrong)
    catalog.remove("a")
    catalog.set("c", entry())
    with pytest.raises(auto.CommandError) as caught:
        stack.up()
    message = str(caught.value)
    assert "FastPix answered 401" in message
    assert "FASTPIX_PASSWORD" in message
    assert wrong not in message and SECRET_KEY not in message
    assert media_in_state(stack) == before
    assert media_ids(emulator) == {media_id for _, media_id, _ in before}


def test_no_credential_reaches_the_stack_state(emulator: EmulatorServer, catalog_stack) -> None:
    stack, _ = catalog_stack({"a": entry(title="t")})
    stack.up()
    exported = subprocess.run(
        ["pulumi", "stack", "export", "--show-secrets", "--stack", "test"],
        cwd=stack.work_dir, env=stack.env, capture_output=True, text=True, check=True,
    ).stdout
    assert "fastpix:Media" in exported
    assert SECRET_KEY not in exported
    assert ACCESS_TOKEN_ID not in exported
    for state_file in (stack.work_dir / "state").rglob("*.json"):
        text = state_file.read_text()
        assert SECRET_KEY not in text and ACCESS_TOKEN_ID not in text


def test_adoption_takes_over_an_existing_media_without_a_post(emulator: EmulatorServer, catalog_stack) -> None:
    existing = seed_media(emulator, title="Old title", metadata={"legacy": "yes"})
    stack, catalog = catalog_stack({"legacy": entry(adopt=existing, title="New title", metadata={"legacy": "no"})})
    stack.up()
    assert stack.outputs()["legacy"]["id"] == existing
    assert api_calls(emulator, "POST") == []
    assert api_calls(emulator, "PATCH") == [("PATCH", f"/v1/on-demand/{existing}")]
    assert emulator.backend.media[existing].title == "New title"
    assert stack.preview().change_summary == {"same": 2}
    assert stack.refresh().summary.resource_changes == {"same": 2}
    assert stack.preview().change_summary == {"same": 2}
    catalog.remove("legacy")
    stack.up()
    assert api_calls(emulator, "DELETE") == [("DELETE", f"/v1/on-demand/{existing}")]
    assert existing not in media_ids(emulator)


def test_adopting_a_media_that_does_not_exist_fails_and_creates_nothing(emulator: EmulatorServer, catalog_stack) -> None:
    missing = str(uuid.uuid4())
    stack, _ = catalog_stack({"legacy": entry(adopt=missing)})
    with pytest.raises(auto.CommandError, match=f"adopt_id {missing} does not name a media"):
        stack.up()
    assert media_ids(emulator) == set()
    assert api_calls(emulator, "POST") == []


@pytest.mark.parametrize(("properties", "says"), [
    ({"url": "ftp://videos.example/a.mp4"}, "url must be an http:// or https:// address"),
    ({"accessPolicy": "secret"}, "access_policy must be one of public, private, drm"),
    ({"maxResolution": "4k"}, "max_resolution must be one of"),
    ({"mediaQuality": "ultra"}, "media_quality must be one of"),
    ({"mp4Support": "always"}, "mp4_support must be one of"),
    ({"title": "t" * 256}, "title is 256 characters; FastPix allows at most 255"),
    ({"metadata": {f"k{i}": "v" for i in range(10)}}, "metadata has 10 keys; at most 9 are allowed"),
    ({"metadata": {"k": "v" * 256}}, "FastPix allows at most 255"),
])
def test_bad_inputs_fail_preview_naming_the_field_without_calling_fastpix(
    emulator: EmulatorServer, make_stack, properties: dict, says: str
) -> None:
    from fastpix_provider import Media

    args = {"url": SAMPLE_URL, **properties}
    names = {"accessPolicy": "access_policy", "maxResolution": "max_resolution", "mediaQuality": "media_quality",
             "mp4Support": "mp4_support"}
    kwargs = {names.get(k, k): v for k, v in args.items()}

    def program() -> None:
        Media("bad", **kwargs)

    stack = make_stack(program, config={"fastpix:apiUrl": emulator.api_url},
                       env={"FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY})
    with pytest.raises(auto.CommandError) as caught:
        stack.up()  # an up, not a preview: an up would create the media had check let it through
    assert says in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert api_calls(emulator) == []


def test_a_malformed_catalog_fails_preview_with_file_key_and_problem(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({})
    catalog.raw("intro:\n  url: https://x.example/v.mp4\n  titel: Intro\n")
    with pytest.raises(auto.CommandError) as caught:
        stack.up()
    assert "media.yaml: 1 problem(s)" in str(caught.value)
    assert "intro: unknown property `titel`; did you mean `title`?" in str(caught.value)
    assert api_calls(emulator) == []


def test_deletes_are_retried_through_503s_and_a_429_with_retry_after(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"a": entry()})
    stack.up()
    media_id = stack.outputs()["a"]["id"]
    emulator.journal.clear()
    emulator.faults.add(FaultRule(kind="error", status=503, method="DELETE", count=2))
    emulator.faults.add(FaultRule(kind="rate_limit", retry_after=1, method="DELETE", count=1))
    catalog.remove("a")
    stack.up()
    statuses = [e["status"] for e in emulator.journal.entries() if e["method"] == "DELETE"]
    assert statuses == [503, 503, 429, 200]
    assert media_id not in media_ids(emulator)


def test_a_delete_that_keeps_failing_leaves_the_media_in_state(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"a": entry()})
    stack.up()
    media_id = stack.outputs()["a"]["id"]
    emulator.faults.add(FaultRule(kind="error", status=403, method="DELETE"))
    catalog.remove("a")
    with pytest.raises(auto.CommandError, match="FastPix answered 403"):
        stack.up()
    assert [r["id"] for r in stack.resources("fastpix:Media")] == [media_id]
    emulator.faults.clear()
    stack.up()
    assert stack.resources("fastpix:Media") == []
    assert media_id not in media_ids(emulator)


def test_wait_for_ready_returns_a_ready_media(emulator: EmulatorServer, catalog_stack) -> None:
    emulator.backend.processing_delay = 1.5
    stack, _ = catalog_stack({"a": entry(waitForReady=True), "b": entry()})
    stack.up()
    outputs = stack.outputs()
    assert outputs["a"]["status"] == "Ready"
    assert outputs["b"]["status"] == "Created"
    gets = [path for method, path in api_calls(emulator, "GET") if path.endswith(outputs["a"]["id"])]
    assert 1 <= len(gets) <= 4


def test_a_media_that_fails_processing_fails_the_create_and_leaves_nothing(emulator: EmulatorServer, catalog_stack) -> None:
    stack, _ = catalog_stack({"broken": entry(url="https://videos.invalid/missing.mp4", waitForReady=True)})
    with pytest.raises(auto.CommandError) as caught:
        stack.up()
    assert "could not process 'https://videos.invalid/missing.mp4'" in str(caught.value)
    assert "ended Failed and was deleted" in str(caught.value)
    assert media_ids(emulator) == set()
    assert stack.resources("fastpix:Media") == []


def test_waiting_is_bounded_by_the_create_timeout(emulator: EmulatorServer, make_stack) -> None:
    import pulumi

    from fastpix_provider import Media

    emulator.backend.processing_delay = 60

    def program() -> None:
        Media("slow", url=SAMPLE_URL, wait_for_ready=True,
              opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="2s")))

    stack = make_stack(program, config={"fastpix:apiUrl": emulator.api_url},
                       env={"FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY})
    with pytest.raises(auto.CommandError, match=r"still (Created|Processing) after 2s of waiting, so it was deleted"):
        stack.up()
    assert media_ids(emulator) == set()
