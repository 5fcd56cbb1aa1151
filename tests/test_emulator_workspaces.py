"""Emulator features other tests lean on: several workspaces, what answers outside /v1, fault bodies,
seeding many media, DRM configurations, credentials that are not ASCII."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from fastpix_emulator import WORKSPACE_ID, EmulatorServer, FaultRule, OnDemandBackend
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, media_body


def test_each_set_of_credentials_is_its_own_workspace(
    api: httpx.Client, emulator: EmulatorServer, second_workspace: tuple[str, str, str]
) -> None:
    token, secret, workspace_id = second_workspace
    assert workspace_id != WORKSPACE_ID
    mine = api.post("/on-demand", json=media_body()).json()["data"]["id"]
    with httpx.Client(base_url=emulator.api_url, auth=(token, secret), timeout=10) as other:
        theirs = other.post("/on-demand", json=media_body()).json()["data"]["id"]
        assert other.get(f"/on-demand/{theirs}").json()["data"]["workspaceId"] == workspace_id
        assert other.get(f"/on-demand/{mine}").status_code == 404, "another workspace's media is not found"
        assert [m["id"] for m in other.get("/on-demand").json()["data"]] == [theirs]
        assert other.delete(f"/on-demand/{mine}").status_code == 404
        assert httpx.get(emulator.api_url + "/on-demand", auth=(token, SECRET_KEY)).status_code == 401
    assert api.get(f"/on-demand/{mine}").json()["data"]["workspaceId"] == WORKSPACE_ID
    assert api.get(f"/on-demand/{theirs}").status_code == 404
    assert set(emulator.backend.media) == {mine}


def test_extra_workspaces_at_start_and_on_the_command_line() -> None:
    with EmulatorServer(access_token_id="a", secret_key="b", extra_workspaces={"c": "d"}) as server:
        assert httpx.get(server.api_url + "/on-demand", auth=("c", "d")).status_code == 200
        from fastpix_emulator.models import workspace_id_for

        assert server.workspace("c").workspace_id == workspace_id_for("c") != server.add_workspace("e", "f")
        with pytest.raises(ValueError, match="exists already"):
            server.add_workspace("c", "x")
    from fastpix_emulator.process import EmulatorProcess

    with EmulatorProcess("a", "b", "--workspace", "c:d") as process:
        assert process.process is not None and process.process.stdout is not None
        line = process.process.stdout.readline().strip()
        token, workspace_id = line.removeprefix("FASTPIX_WORKSPACE=").split(" ")
        assert token == "c"
        created = httpx.post(process.api_url + "/on-demand", json=media_body(), auth=("c", "d")).json()["data"]
        got = httpx.get(f"{process.api_url}/on-demand/{created['id']}", auth=("c", "d")).json()["data"]
        assert got["workspaceId"] == workspace_id


@pytest.mark.parametrize("path", ["/on-demand", f"/on-demand/{uuid.uuid4()}", "/", "/v2/on-demand"])
def test_paths_outside_the_api_prefix_get_a_web_servers_html_404(emulator: EmulatorServer, path: str) -> None:
    response = httpx.get(emulator.base_url + path, auth=(ACCESS_TOKEN_ID, SECRET_KEY))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text and "success" not in response.text


@pytest.mark.parametrize(("status", "body"), [(524, "html"), (502, "html"), (503, "empty"), (524, "envelope")])
def test_error_faults_answer_an_envelope_a_gateway_page_or_nothing(
    api: httpx.Client, emulator: EmulatorServer, status: int, body: str
) -> None:
    emulator.faults.add(FaultRule(kind="error", status=status, body=body, method="POST", after=True, count=1))
    response = api.post("/on-demand", json=media_body())
    assert response.status_code == status
    assert len(emulator.backend.media) == 1, "acted on before the answer was lost"
    if body == "html":
        assert response.headers["content-type"] == "text/html" and f"<title>{status} " in response.text
    elif body == "empty":
        assert response.content == b"" and "content-type" not in response.headers
    else:
        assert response.json()["error"]["code"] == status
    with pytest.raises(ValueError, match="body must be one of"):
        FaultRule(kind="error", body="xml")
    with pytest.raises(ValueError, match="body applies to error and rate_limit"):
        FaultRule(kind="drop", body="html")


def test_seeding_ten_thousand_media_is_fast_and_lists_newest_first() -> None:
    backend = OnDemandBackend(processing_delay=0.0)
    started = time.perf_counter()
    old = backend.seed_media(10_000, created_at=time.time() - 86_400, metadata={"seeded": "yes"})
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"seeding took {elapsed:.2f}s"
    new = backend.create_media(media_body())["id"]
    page, pagination = backend.list_media({"limit": "50", "orderBy": "desc"})
    assert pagination["totalRecords"] == 10_001
    assert [m["id"] for m in page] == [new, *old[::-1][:49]], "newest first; equal timestamps newest-made first"
    assert page[1]["status"] == "Ready" and page[1]["metadata"] == {"seeded": "yes"}
    first, _ = backend.list_media({"limit": "2", "orderBy": "asc"})
    assert [m["id"] for m in first] == old[:2]


def test_the_seed_hook_fills_a_chosen_workspace(emulator: EmulatorServer, second_workspace: tuple[str, str, str]) -> None:
    token, secret, _ = second_workspace
    seeded = httpx.post(emulator.base_url + "/_emulator/seed", json={"count": 3, "createdAt": 1_700_000_000,
                                                                    "accessTokenId": token}).json()["data"]["ids"]
    listed = httpx.get(emulator.api_url + "/on-demand", auth=(token, secret)).json()
    assert [m["id"] for m in listed["data"]] == seeded[::-1]
    assert listed["data"][0]["createdAt"].startswith("2023-11-14T22:13:20")
    assert emulator.backend.media == {}
    assert httpx.post(emulator.base_url + "/_emulator/seed", json={"count": -1}).status_code == 400


def test_drm_media_need_one_of_the_workspaces_drm_configurations(api: httpx.Client, emulator: EmulatorServer) -> None:
    listed = api.get("/on-demand/drm-configurations").json()
    [drm_id] = [c["id"] for c in listed["data"]]
    assert listed["pagination"] == {"totalRecords": 1, "currentOffset": 1, "offsetCount": 1}
    assert drm_id == emulator.backend.drm_configuration_ids[0] == OnDemandBackend().drm_configuration_ids[0], "stable"
    assert api.get(f"/on-demand/drm-configurations/{drm_id}").json()["data"] == {"id": drm_id}
    made = api.post("/on-demand", json=media_body(accessPolicy="drm", drmConfigurationId=drm_id))
    assert made.status_code == 201 and made.json()["data"]["playbackIds"][0]["accessPolicy"] == "drm"
    missing = api.post("/on-demand", json=media_body(accessPolicy="drm"))
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"] == [
        {"field": "drmConfigurationId", "message": "is required when accessPolicy is drm"}]
    unknown = api.post("/on-demand", json=media_body(accessPolicy="drm", drmConfigurationId=str(uuid.uuid4())))
    assert unknown.status_code == 400 and set(unknown.json()["error"]) == {"code", "message", "description"}
    emulator.backend.set_drm_configurations(0)
    try:
        assert api.get("/on-demand/drm-configurations").status_code == 400
    finally:
        emulator.backend.set_drm_configurations(1)


def test_a_non_ascii_password_is_refused_not_a_500(emulator: EmulatorServer) -> None:
    for auth in [(ACCESS_TOKEN_ID, "clé-secrète"), ("jürgen", SECRET_KEY)]:
        response = httpx.get(emulator.api_url + "/on-demand", auth=auth)
        assert response.status_code == 401
    with EmulatorServer(access_token_id="jürgen", secret_key="clé") as server:
        assert httpx.get(server.api_url + "/on-demand", auth=("jürgen", "clé")).status_code == 200
