"""`recover`, without the engine: which media it imports, deletes, and never deletes; its backup; `.attrs`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fastpix_provider.cli import recover
from fastpix_provider.cli.recover import (
    RecoveryPlan,
    StackRef,
    broken_state_sidecars,
    organization_of,
    plan_recovery,
    state_sidecars,
    this_stack_id,
    write_backup,
)
from fastpix_provider.errors import FastPixError, error_for_status
from fastpix_provider.owner import OWNER_METADATA_KEY, OwnerTag, owner_path, stack_id_for

PROJECT, STACK = "fastpix-media", "dev"
OURS = stack_id_for("file:///srv/state", "organization", PROJECT, STACK)
# The same project and stack names, in another backend: a stack that merely shares the workspace.
ELSEWHERE = stack_id_for("https://api.pulumi.com", "acme", PROJECT, STACK)
GOLDEN = Path(__file__).resolve().parent / "golden" / "state-0.1.0.json"


def urn(name: str, stack: str = STACK, project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::pulumi-python:dynamic/fastpix:Media::{name}"


def inputs(name: str, stack_id: str | None = OURS) -> dict[str, Any]:
    values: dict[str, Any] = {"url": "https://example.com/a.mp4", "owner": owner_path(PROJECT, STACK, name)}
    if stack_id is not None:
        values["stack_id"] = stack_id
    return values


def resource(name: str, media_id: str, stack_id: str | None = OURS) -> dict[str, Any]:
    return {"urn": urn(name), "type": "pulumi-python:dynamic/fastpix:Media", "custom": True, "id": media_id,
            "inputs": inputs(name, stack_id), "outputs": {**inputs(name, stack_id), "media_id": media_id}}


def pending(name: str, stack_id: str | None = OURS) -> dict[str, Any]:
    return {"type": "creating", "resource": {"urn": urn(name), "type": "pulumi-python:dynamic/fastpix:Media",
                                             "custom": True, "inputs": inputs(name, stack_id)}}


def deployment(*resources: dict[str, Any], pending_ops: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    stack_resource = {"urn": f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}",
                      "type": "pulumi:pulumi:Stack"}
    return {"resources": [stack_resource, *resources], "pending_operations": list(pending_ops)}


def tag(name: str, *, stack_id: str | None = OURS, kept: bool = False, nonce: str = "0a1b2c3d",
        project: str = PROJECT, stack: str = STACK) -> str:
    return OwnerTag(owner_path(project, stack, name), nonce, stack_id=stack_id, kept=kept).render()


def media(media_id: str, owner_tag: str | None, **fields: Any) -> dict[str, Any]:
    metadata = {"team": "a"}
    if owner_tag is not None:
        metadata[OWNER_METADATA_KEY] = owner_tag
    return {"id": media_id, "metadata": metadata, "workspaceId": "ws-1", **fields}


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# -- classification ---------------------------------------------------------------------------------

def test_media_in_the_state_are_left_alone() -> None:
    plan = plan_recovery(deployment(resource("intro", "m-1")), [media("m-1", tag("intro"))])
    assert plan.clean and not plan.released and not plan.unproven


def test_a_media_with_this_stacks_id_in_no_state_is_an_orphan() -> None:
    plan = plan_recovery(deployment(resource("intro", "m-1")), [media("m-1", tag("intro")), media("m-2", tag("gone"))])
    assert ids(plan.orphans) == ["m-2"]
    assert plan.stack_id == OURS
    assert not plan.clean and not plan.edits_state


def test_a_media_released_by_retain_on_delete_is_never_an_orphan() -> None:
    plan = plan_recovery(deployment(resource("intro", "m-1")), [media("m-2", tag("archived", kept=True))])
    assert plan.orphans == []
    assert ids(plan.released) == ["m-2"]
    assert plan.clean, "a released media needs no recovery"


def test_a_0_1_0_tag_naming_this_stack_is_not_provably_this_stacks() -> None:
    plan = plan_recovery(deployment(resource("intro", "m-1")), [media("m-2", tag("old", stack_id=None))])
    assert plan.orphans == []
    [unproven] = plan.unproven
    assert unproven.media["id"] == "m-2"
    assert "0.1.0 format" in unproven.reason


def test_a_same_named_stack_of_another_backend_is_not_this_stack() -> None:
    workspace = [media("m-2", tag("intro", stack_id=ELSEWHERE)), media("m-3", tag("x", stack_id=ELSEWHERE, kept=True))]
    plan = plan_recovery(deployment(resource("intro", "m-1")), workspace)
    assert plan.orphans == [] and plan.released == []
    assert [u.media["id"] for u in plan.unproven] == ["m-2", "m-3"]
    assert f"tagged by stack id {ELSEWHERE}" in plan.unproven[0].reason
    assert f"this stack's id is {OURS}" in plan.unproven[0].reason
    assert "released by retainOnDelete" in plan.unproven[1].reason


def test_other_projects_and_stacks_and_untagged_media_are_not_this_recoverys_business() -> None:
    workspace = [
        media("m-2", tag("intro", project="other-project")),
        media("m-3", tag("intro", stack="prod")),
        media("m-4", tag("intro", stack="dev2")),  # a prefix of ours must not match
        media("m-5", None),
        media("m-6", "fastpix-media/dev/intro"),  # not a tag: no nonce
        {"id": "m-7", "metadata": None},
        {"id": "m-8"},
    ]
    plan = plan_recovery(deployment(resource("intro", "m-1")), workspace)
    assert plan.orphans == [] and plan.released == [] and plan.unproven == []


def test_a_stack_id_alone_is_not_enough_the_tag_must_name_this_stack() -> None:
    plan = plan_recovery(deployment(resource("intro", "m-1")), [media("m-2", tag("intro", project="other"))])
    assert plan.orphans == []


# -- pending creates --------------------------------------------------------------------------------

def test_a_pending_create_is_matched_by_owner_path_and_stack_id() -> None:
    state = deployment(resource("intro", "m-1"), pending_ops=(pending("new"), pending("never")))
    found = media("m-2", tag("new"), createdAt="2026-05-20T09:06:43Z")
    plan = plan_recovery(state, [found])
    assert plan.to_import == {urn("new"): found}
    assert plan.to_clear == [urn("never")]
    assert plan.orphans == []
    repaired = plan.repaired(state)
    assert repaired["pending_operations"] == []
    [imported] = [r for r in repaired["resources"] if r["urn"] == urn("new")]
    assert imported["id"] == "m-2"
    assert imported["outputs"]["owner_tag"] == tag("new")
    assert imported["outputs"]["workspace_id"] == "ws-1"
    assert imported["outputs"]["stack_id"] == OURS


def test_a_pending_create_is_not_matched_to_another_stacks_media_of_the_same_name() -> None:
    state = deployment(resource("intro", "m-1"), pending_ops=(pending("new"),))
    plan = plan_recovery(state, [media("m-2", tag("new", stack_id=ELSEWHERE))])
    assert plan.to_import == {}
    assert plan.to_clear == [urn("new")]
    assert [u.media["id"] for u in plan.unproven] == ["m-2"]


def test_a_pending_create_recorded_with_a_stack_id_does_not_match_a_0_1_0_tag() -> None:
    plan = plan_recovery(deployment(pending_ops=(pending("new"),)), [media("m-2", tag("new", stack_id=None))])
    assert plan.to_import == {}
    assert [u.media["id"] for u in plan.unproven] == ["m-2"]


def test_media_tagged_in_the_0_1_0_format_are_still_found_by_recover() -> None:
    # A run of 0.1.0 killed mid-create: its pending create records no stack id, its media a 0.1.0 tag.
    state = deployment(resource("intro", "m-1", stack_id=None), pending_ops=(pending("new", stack_id=None),))
    found = media("m-2", tag("new", stack_id=None))
    plan = plan_recovery(state, [found], stack_id=OURS)
    assert plan.to_import == {urn("new"): found}
    assert plan.to_clear == []


def test_a_0_1_0_pending_create_matches_a_tag_with_this_stacks_id_but_not_another() -> None:
    state = deployment(pending_ops=(pending("a", stack_id=None), pending("b", stack_id=None)))
    workspace = [media("m-a", tag("a")), media("m-b", tag("b", stack_id=ELSEWHERE))]
    plan = plan_recovery(state, workspace, stack_id=OURS)
    assert list(plan.to_import) == [urn("a")]
    assert plan.to_clear == [urn("b")]


def test_a_second_media_of_one_pending_create_is_an_orphan() -> None:
    state = deployment(resource("intro", "m-1"), pending_ops=(pending("new"),))
    plan = plan_recovery(state, [media("m-2", tag("new")), media("m-3", tag("new", nonce="ffffffff"))])
    assert [found["id"] for found in plan.to_import.values()] == ["m-2"]
    assert ids(plan.orphans) == ["m-3"]


def test_a_kept_pending_create_is_imported_not_released() -> None:
    state = deployment(pending_ops=(pending("archive"),))
    plan = plan_recovery(state, [media("m-2", tag("archive", kept=True))])
    assert list(plan.to_import) == [urn("archive")]
    assert plan.released == []


# -- which stack id is this stack's ---------------------------------------------------------------

def test_the_stack_id_comes_from_the_state_first() -> None:
    state = deployment(resource("intro", "m-1"))
    assert this_stack_id(state, computed=ELSEWHERE) == (OURS, "recorded in the state")
    plan = plan_recovery(state, [media("m-2", tag("x"))], stack_id=ELSEWHERE)
    assert ids(plan.orphans) == ["m-2"]


def test_the_stack_id_of_pending_creates_counts_when_no_media_is_recorded() -> None:
    plan = plan_recovery(deployment(pending_ops=(pending("new"),)), [media("m-2", tag("x"))])
    assert plan.stack_id == OURS
    assert ids(plan.orphans) == ["m-2"]


def test_without_a_recorded_stack_id_the_computed_one_is_used() -> None:
    state = deployment(resource("intro", "m-1", stack_id=None))
    plan = plan_recovery(state, [media("m-2", tag("x")), media("m-3", tag("y", stack_id=ELSEWHERE))], stack_id=OURS)
    assert ids(plan.orphans) == ["m-2"]
    assert [u.media["id"] for u in plan.unproven] == ["m-3"]


def test_with_no_stack_id_at_all_nothing_is_an_orphan() -> None:
    state = deployment(resource("intro", "m-1", stack_id=None))
    plan = plan_recovery(state, [media("m-2", tag("x")), media("m-3", tag("y", kept=True))])
    assert plan.stack_id is None
    assert plan.orphans == [] and plan.released == []
    assert all("this stack's id is unknown" in u.reason for u in plan.unproven)
    assert len(plan.unproven) == 2


def test_several_recorded_stack_ids_prove_none_unless_one_is_this_stacks() -> None:
    state = deployment(resource("a", "m-1"), resource("b", "m-2", stack_id=ELSEWHERE))
    assert this_stack_id(state, computed=None)[0] is None
    assert plan_recovery(state, [media("m-3", tag("x"))]).orphans == []
    assert this_stack_id(state, computed=OURS)[0] == OURS
    assert ids(plan_recovery(state, [media("m-3", tag("x"))], stack_id=OURS).orphans) == ["m-3"]


def test_a_state_naming_no_resource_uses_the_stack_given() -> None:
    empty: dict[str, list[Any]] = {"resources": [], "pending_operations": []}
    with pytest.raises(ValueError, match="names no resource"):
        plan_recovery(empty, [])
    plan = plan_recovery(empty, [media("m-2", tag("x"))], stack_id=OURS, project=PROJECT, stack=STACK)
    assert ids(plan.orphans) == ["m-2"]


def test_the_golden_0_1_0_state_is_recovered_without_deleting_anything() -> None:
    state = json.loads(GOLDEN.read_text())
    golden = [r for r in state["resources"] if r["type"].endswith("fastpix:Media")]
    workspace = [media(r["id"], r["outputs"]["owner_tag"]) for r in golden]
    workspace.append(media("m-old", "fastpix-media/golden/removed#12345678"))
    plan = plan_recovery(state, workspace, stack_id=stack_id_for("file:///x", "organization", "fastpix-media", "golden"))
    assert plan.clean
    assert [u.media["id"] for u in plan.unproven] == ["m-old"]


# -- the command line: --stack, the .attrs sidecar, the backup, the deletions ----------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("dev", StackRef("dev", "dev")),
    ("acme/dev", StackRef("acme/dev", "dev", organization="acme")),
    ("organization/fastpix-media/dev", StackRef("organization/fastpix-media/dev", "dev", "organization", "fastpix-media")),
    ("my_stack.v2", StackRef("my_stack.v2", "my_stack.v2")),
    ("-dev", StackRef("-dev", "-dev")),
])
def test_stack_names_are_parsed(text: str, expected: StackRef) -> None:
    assert StackRef.parse(text) == expected


@pytest.mark.parametrize("text", ["*", "de*", "d?v", "[d]ev", "a/b/c/d", "../dev", "a//dev", "", "/dev", "dev/",
                                  "dev\\x", "..", "a b", "**/dev", "a/./dev", "dev!"])
def test_a_stack_is_never_a_pattern_or_a_path(text: str) -> None:
    with pytest.raises(ValueError, match="not a pattern or a path"):
        StackRef.parse(text)


def test_the_cli_refuses_a_pattern_for_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        recover.main(["--stack", "*"])
    assert "not a pattern or a path" in capsys.readouterr().err


def file_backend(root: Path, *, project_scoped: bool = True) -> Path:
    stacks = root / ".pulumi" / "stacks"
    stacks.mkdir(parents=True)
    if project_scoped:
        (root / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    return stacks


def test_only_the_exact_sidecar_of_the_given_stack_is_repaired(tmp_path: Path) -> None:
    stacks = file_backend(tmp_path)
    for project in ("fastpix-media", "other-project"):
        (stacks / project).mkdir()
        (stacks / project / "dev.json").write_text("{}")
        (stacks / project / "dev.json.attrs").write_text("")  # broken in both projects
    (stacks / "fastpix-media" / "prod.json.attrs").write_text("")
    (stacks / "fastpix-media" / "nested").mkdir()
    (stacks / "fastpix-media" / "nested" / "dev.json.attrs").write_text("")
    assert broken_state_sidecars(tmp_path, "fastpix-media", "dev") == [stacks / "fastpix-media" / "dev.json.attrs"]
    (stacks / "fastpix-media" / "dev.json.attrs").write_text('{"user.cache_control": ""}')
    assert broken_state_sidecars(tmp_path, "fastpix-media", "dev") == []


def test_the_legacy_layout_keeps_stacks_directly_under_stacks(tmp_path: Path) -> None:
    stacks = file_backend(tmp_path, project_scoped=False)
    (stacks / "dev.json.attrs").write_text("{")
    (stacks / "fastpix-media").mkdir()
    (stacks / "fastpix-media" / "dev.json.attrs").write_text("")
    assert broken_state_sidecars(tmp_path, "fastpix-media", "dev") == [stacks / "dev.json.attrs"]
    assert state_sidecars(tmp_path, None, "dev") == [stacks / "dev.json.attrs", stacks / "dev.json.gz.attrs"]


def test_a_sidecar_path_is_never_built_from_a_pattern(tmp_path: Path) -> None:
    file_backend(tmp_path)
    for stack in ("*", "**/dev", "../dev", "d?v", "..", "."):
        with pytest.raises(ValueError):
            state_sidecars(tmp_path, "fastpix-media", stack)


def test_the_backup_is_private_and_named_after_the_stack(tmp_path: Path) -> None:
    exported = {"version": 3, "deployment": deployment(resource("intro", "m-1"))}
    when = datetime(2026, 5, 20, 9, 6, 26, 123456, tzinfo=UTC)
    path = write_backup(exported, tmp_path, "dev", now=when)
    assert path == tmp_path / ".fastpix-recover" / "dev-20260520T090626123456Z.json"
    assert json.loads(path.read_text()) == exported
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with pytest.raises(FileExistsError):
        write_backup(exported, tmp_path, "dev", now=when)  # never overwrites an earlier backup


def test_the_organisation_comes_from_the_stack_name_then_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    assert organization_of(StackRef.parse("acme/fastpix-media/dev"), "https://api.pulumi.com") == "acme"
    assert organization_of(StackRef.parse("dev"), "file:///srv/state") == "organization"
    assert organization_of(StackRef.parse("dev"), "s3://bucket/state") == "organization"
    calls: list[list[str]] = []

    def fake_run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, stdout="acme\n", stderr="")

    monkeypatch.setattr("fastpix_provider.cli.recover.subprocess.run", fake_run)
    assert organization_of(StackRef.parse("dev"), "https://api.pulumi.com") == "acme"
    assert calls == [["pulumi", "org", "get-default"]]


class FakeClient:
    def __init__(self, workspace: list[dict[str, Any]], failures: dict[str, Exception] | None = None) -> None:
        self.workspace = workspace
        self.failures = failures or {}
        self.deleted: list[str] = []

    def list_media(self, **_: Any) -> list[dict[str, Any]]:
        return self.workspace

    def delete_media(self, media_id: str) -> None:
        if media_id in self.failures:
            raise self.failures[media_id]
        self.deleted.append(media_id)


def not_found(envelope: bool = True) -> FastPixError:
    return error_for_status(404, method="DELETE", path="/on-demand/x", message="media not found",
                            fastpix_envelope=envelope)


def orphan_plan(*media_ids: str) -> RecoveryPlan:
    return RecoveryPlan(PROJECT, STACK, OURS, orphans=[media(i, tag(i)) for i in media_ids])


def test_an_orphan_already_gone_is_reported_not_fatal(capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient([], {"m-1": not_found()})
    assert recover._delete_orphans(client, orphan_plan("m-1", "m-2")) == 0  # type: ignore[arg-type]
    assert client.deleted == ["m-2"]
    assert "orphan m-1 was already gone" in capsys.readouterr().out


@pytest.mark.parametrize("failure", [
    error_for_status(503, method="DELETE", path="/on-demand/m-1", message="busy"),
    error_for_status(401, method="DELETE", path="/on-demand/m-1", message="no", fastpix_envelope=True),
    not_found(envelope=False),  # a router's 404, not FastPix saying the media is gone
])
def test_any_other_failure_stops_the_deletions(failure: FastPixError, capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeClient([], {"m-1": failure})
    assert recover._delete_orphans(client, orphan_plan("m-1", "m-2")) == 1  # type: ignore[arg-type]
    assert client.deleted == []
    assert "deleting orphan m-1 failed, the remaining orphans are kept" in capsys.readouterr().err


def test_apply_saves_a_backup_before_importing_and_says_how_to_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = deployment(resource("intro", "m-1"), pending_ops=(pending("new"),))
    exported = {"version": 3, "deployment": state}
    workspace = [media("m-1", tag("intro")), media("m-2", tag("new")), media("m-3", tag("lost")),
                 media("m-4", tag("kept", kept=True)), media("m-5", tag("twin", stack_id=ELSEWHERE)),
                 media("m-6", tag("older", stack_id=None))]
    client = FakeClient(workspace)
    commands: list[list[str]] = []
    backups_at_import: list[list[Path]] = []

    def fake_run(args: list[str]) -> str:
        commands.append(args)
        if args[:3] == ["pulumi", "stack", "export"]:
            return json.dumps(exported)
        if args[:3] == ["pulumi", "stack", "import"]:
            backups_at_import.append(sorted((tmp_path / ".fastpix-recover").glob("*.json")))
            imported = json.loads(Path(args[args.index("--file") + 1]).read_text())
            assert imported["deployment"]["pending_operations"] == []
        return ""

    (tmp_path / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    monkeypatch.setenv("FASTPIX_USERNAME", "id")
    monkeypatch.setenv("FASTPIX_PASSWORD", "key")
    monkeypatch.setattr(recover, "_run", fake_run)
    monkeypatch.setattr(recover, "_stack_config", lambda stack, key: "http://127.0.0.1:9/v1")
    monkeypatch.setattr(recover, "FastPixClient", lambda *a, **k: client)

    assert recover.main(["--stack", STACK, "--apply", "--delete-orphans"]) == 0
    out = capsys.readouterr().out
    [[backup]] = backups_at_import
    assert json.loads(backup.read_text()) == exported
    assert f"saved the state as it was in {backup}; to put it back: pulumi stack import --stack dev --file {backup}" in out
    assert [c[:3] for c in commands] == [["pulumi", "stack", "export"], ["pulumi", "stack", "import"],
                                         ["pulumi", "refresh", "--yes"]]
    assert client.deleted == ["m-3"], "only the provable orphan is deleted"
    assert "released (kept by retainOnDelete): media m-4" in out
    assert "not provably this stack's: media m-5" in out
    assert "not provably this stack's: media m-6" in out
    assert os.listdir(tmp_path / ".fastpix-recover") == [backup.name]
