"""Through the real engine: misread answers never drop, duplicate or wrongly delete a media.

Each test is a case a careful new user can run into (a base URL without `/v1`, credentials of another
workspace, a gateway's 524 after FastPix acted, adopting another stack's media); the state and
FastPix must both come out of it exactly as they went in, or exactly as the catalog says.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider.owner import OWNER_METADATA_KEY, OwnerTag
from pulumi_local import program_file
from tests.conftest import PROJECT_ROOT
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, CatalogFile, entry
from tests.support.journal import api_calls, media_ids

pytestmark = pytest.mark.engine


def catalog_of(count: int) -> dict:
    return {f"clip-{i:02d}": entry(title=f"Clip {i}") for i in range(count)}


def state_ids(stack) -> set[str]:
    return {r["id"] for r in stack.resources("fastpix:Media")}


def assert_refused_and_nothing_changed(stack, emulator: EmulatorServer, before: set[str], says: str) -> None:
    for run in (lambda: stack.preview(refresh=True), lambda: stack.up(refresh=True)):
        emulator.journal.clear()
        with pytest.raises(auto.CommandError) as caught:
            run()
        message = str(caught.value)
        assert says in message
        # The SDK's provider server prefixes every error with its own three frames; nothing below them.
        assert "httpx" not in message and "client.py" not in message
        assert state_ids(stack) == before
        assert api_calls(emulator, "POST") == [] and api_calls(emulator, "DELETE") == []
    assert set(emulator.backend.media) >= before


def test_a_base_url_without_v1_or_another_workspaces_credentials_changes_nothing(
        emulator: EmulatorServer, make_stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second_workspace) -> None:
    # Settings in the environment, as a pipeline gives them: every provider process reads them afresh
    # (a `fastpix:apiUrl` in the stack config would be recorded in the state's provider and reused by
    # refresh and delete).
    monkeypatch.setenv("FASTPIX_CATALOG", str(CatalogFile(tmp_path / "media.yaml", catalog_of(20)).path))
    stack = make_stack(program_file(PROJECT_ROOT / "__main__.py"),
                       env={"FASTPIX_API_URL": emulator.api_url, "FASTPIX_USERNAME": ACCESS_TOKEN_ID,
                            "FASTPIX_PASSWORD": SECRET_KEY})
    stack.up(parallel=8)
    before = state_ids(stack)
    assert len(before) == 20 and media_ids(emulator) == before

    stack.set_env("FASTPIX_API_URL", emulator.api_url.removesuffix("/v1"))
    assert_refused_and_nothing_changed(stack, emulator, before, says="/v1")

    access_token_id, secret_key, _ = second_workspace
    stack.set_env("FASTPIX_API_URL", emulator.api_url)
    stack.set_env("FASTPIX_USERNAME", access_token_id)
    stack.set_env("FASTPIX_PASSWORD", secret_key)
    # An empty workspace shows nothing of whose it is; one with media shows its id.
    assert_refused_and_nothing_changed(stack, emulator, before, says="workspace")
    emulator.workspace(access_token_id).seed_media(1)
    assert_refused_and_nothing_changed(stack, emulator, before, says="another workspace")
    assert media_ids(emulator) == before


def test_gateway_errors_after_fastpix_acted_still_make_one_media_per_entry(emulator: EmulatorServer, catalog_stack) -> None:
    emulator.faults.add(FaultRule(kind="error", status=524, method="POST", path="/v1/on-demand$", after=True, count=3))
    emulator.faults.add(FaultRule(kind="error", status=502, body="html", method="POST", path="/v1/on-demand$",
                                  after=True, count=3))
    emulator.faults.add(FaultRule(kind="error", status=503, method="POST", path="/v1/on-demand$", rate=0.3))
    stack, _ = catalog_stack(catalog_of(10))
    stack.up(parallel=8)
    assert len(media_ids(emulator)) == 10
    assert media_ids(emulator) == state_ids(stack)
    statuses = [e["status"] for e in emulator.journal.entries() if e["method"] == "POST"]
    assert statuses.count(524) == 3 and statuses.count(502) == 3


def test_adopting_a_media_another_stack_manages_is_refused_unless_taken_over(emulator: EmulatorServer, catalog_stack,
                                                                                 api) -> None:
    answer = api.post("/on-demand", json={"inputs": [{"type": "video", "url": entry()["url"]}], "accessPolicy": "public",
                                          "metadata": {OWNER_METADATA_KEY: "other-project/prod/intro#12345678@abcdefabcdef"}})
    theirs = answer.json()["data"]["id"]
    stack, catalog = catalog_stack({"intro": entry(adopt=theirs)})
    with pytest.raises(auto.CommandError) as caught:
        stack.up()
    assert "other-project/prod/intro" in str(caught.value) and "takeOver" in str(caught.value)
    assert state_ids(stack) == set()
    assert api_calls(emulator, "PATCH") == []

    catalog.set("intro", entry(adopt=theirs, takeOver=True))
    stack.up()
    assert state_ids(stack) == {theirs}
    tag = OwnerTag.parse(emulator.backend.media[theirs].metadata[OWNER_METADATA_KEY])
    assert tag is not None and tag.path.endswith("/test/intro") and tag.stack_id != "abcdefabcdef"
