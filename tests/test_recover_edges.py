"""`recover` end to end without the engine: what it prints, which `pulumi` commands it runs, and the
small readers it relies on (Pulumi.yaml, the file backend, the stack id) - the edges `make mutation`
showed unguarded. The `pulumi` CLI is faked at subprocess.run; FastPix by a recorded fake client.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fastpix_provider.cli import recover
from fastpix_provider.cli.recover import (
    RecoveryPlan,
    file_backend_root,
    organization_of,
    plan_recovery,
    project_name,
    recorded_stack_ids,
    this_stack_id,
)
from fastpix_provider.errors import error_for_status
from fastpix_provider.owner import OWNER_METADATA_KEY, OwnerTag, owner_path, stack_id_for

PROJECT, STACK = "fastpix-media", "dev"
OURS = stack_id_for("file:///srv/state", "organization", PROJECT, STACK)
ELSEWHERE = stack_id_for("https://api.pulumi.com", "acme", PROJECT, STACK)
MEDIA_TYPE = "pulumi-python:dynamic/fastpix:Media"


def urn(name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{MEDIA_TYPE}::{name}"


def inputs(name: str, stack_id: str | None = OURS, *, owner: bool = True) -> dict[str, Any]:
    values: dict[str, Any] = {"url": "https://example.com/a.mp4"}
    if owner:
        values["owner"] = owner_path(PROJECT, STACK, name)
    if stack_id is not None:
        values["stack_id"] = stack_id
    return values


def resource(name: str, media_id: str, stack_id: str | None = OURS) -> dict[str, Any]:
    return {"urn": urn(name), "type": MEDIA_TYPE, "id": media_id, "inputs": inputs(name, stack_id),
            "outputs": {**inputs(name, stack_id), "media_id": media_id}}


def pending(name: str, stack_id: str | None = OURS, *, owner: bool = True, kind: str = "creating") -> dict[str, Any]:
    return {"type": kind, "resource": {"urn": urn(name), "type": MEDIA_TYPE, "inputs": inputs(name, stack_id, owner=owner)}}


def deployment(*resources: dict[str, Any], pending_ops: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    stack_resource = {"urn": f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}",
                      "type": "pulumi:pulumi:Stack"}
    return {"resources": [stack_resource, *resources], "pending_operations": list(pending_ops)}


def tag(name: str, *, stack_id: str | None = OURS, kept: bool = False) -> str:
    return OwnerTag(owner_path(PROJECT, STACK, name), "0a1b2c3d", stack_id=stack_id, kept=kept).render()


def media(media_id: str, owner_tag: str | None) -> dict[str, Any]:
    metadata = {OWNER_METADATA_KEY: owner_tag} if owner_tag is not None else {}
    return {"id": media_id, "metadata": metadata, "workspaceId": "ws-1"}


class FakePulumi:
    """`pulumi` as recover calls it: every call captured, text output, answers from a small script."""

    def __init__(self, exported: dict[str, Any], *, api_url: str | None = "http://127.0.0.1:9/v1",
                 org: str = "acme\n", cancel: tuple[int, str, str] = (0, "", ""),
                 fail: dict[str, str] | None = None) -> None:
        self.exported = exported
        self.api_url = api_url
        self.org = org
        self.cancel = cancel
        self.fail = fail or {}
        self.calls: list[list[str]] = []
        self.imported: list[dict[str, Any]] = []

    def __call__(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert kwargs == {"capture_output": True, "text": True}, "recover reads pulumi's output as text"
        self.calls.append(args)
        command = " ".join(args[1:3])
        if command in self.fail:
            return subprocess.CompletedProcess(args, 255, stdout="", stderr=self.fail[command] + "\n")
        if command == "stack export":
            return subprocess.CompletedProcess(args, 0, stdout=json.dumps(self.exported), stderr="")
        if command == "config get":
            assert args[3:] == ["fastpix:apiUrl", "--stack", STACK]
            if self.api_url is None:
                return subprocess.CompletedProcess(args, 255, stdout="", stderr="error: configuration key not found")
            return subprocess.CompletedProcess(args, 0, stdout=self.api_url + "\n", stderr="")
        if command == "org get-default":
            return subprocess.CompletedProcess(args, 0, stdout=self.org, stderr="")
        if args[1] == "cancel":
            return subprocess.CompletedProcess(args, *self.cancel)
        if command == "stack import":
            self.imported.append(json.loads(Path(args[args.index("--file") + 1]).read_text()))
        return subprocess.CompletedProcess(args, 0, stdout="", stderr="")


class FakeClient:
    made: list[tuple[str, Any]] = []

    def __init__(self, workspace: list[dict[str, Any]], failure: Exception | None = None) -> None:
        self.workspace = workspace
        self.failure = failure
        self.deleted: list[str] = []

    def list_media(self, **_: Any) -> list[dict[str, Any]]:
        if self.failure:
            raise self.failure
        return self.workspace

    def delete_media(self, media_id: str) -> None:
        self.deleted.append(media_id)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    monkeypatch.setenv("FASTPIX_USERNAME", "token-id")
    monkeypatch.setenv("FASTPIX_PASSWORD", "s3cret-value")
    monkeypatch.delenv("FASTPIX_API_URL", raising=False)
    return tmp_path


def run(monkeypatch: pytest.MonkeyPatch, pulumi: FakePulumi, client: FakeClient, *args: str) -> tuple[int, list[Any]]:
    made: list[Any] = []

    def make_client(api_url: str, credentials: Any) -> FakeClient:
        made.append((api_url, credentials.access_token_id, credentials.secret_key))
        return client

    monkeypatch.setattr("fastpix_provider.cli.recover.subprocess.run", pulumi)
    monkeypatch.setattr(recover, "FastPixClient", make_client)
    return recover.main(["--stack", STACK, *args]), made


LOOSE_ENDS = deployment(resource("intro", "m-1"), pending_ops=(pending("new"), pending("gone")))
WORKSPACE = [media("m-1", tag("intro")), media("m-2", tag("new")), media("m-3", tag("lost")),
             media("m-4", tag("kept", kept=True)), media("m-5", tag("twin", stack_id=ELSEWHERE)),
             media("m-6", tag("older", stack_id=None)), media("m-7", None)]


def test_a_dry_run_reports_every_finding_and_changes_nothing(project, monkeypatch, capsys) -> None:
    pulumi = FakePulumi({"version": 3, "deployment": LOOSE_ENDS})
    client = FakeClient(WORKSPACE)
    code, made = run(monkeypatch, pulumi, client)
    assert code == 0
    assert made == [("http://127.0.0.1:9/v1", "token-id", "s3cret-value")]
    assert capsys.readouterr().out.splitlines() == [
        f"{PROJECT}/{STACK}: stack id {OURS} (recorded in the state)",
        "pending create new: found media m-2; importing it",
        "pending create gone: no media was created; clearing it",
        f"orphan: media m-3 ({tag('lost')}) is in no state",
        f"released (kept by retainOnDelete): media m-4 ({tag('kept', kept=True)}); never deleted",
        f"not provably this stack's: media m-5 ({tag('twin', stack_id=ELSEWHERE)}): tagged by stack id {ELSEWHERE}: "
        f"a stack of the same name in another backend or organisation (this stack's id is {OURS}); never deleted",
        f"not provably this stack's: media m-6 ({tag('older', stack_id=None)}): tagged in the 0.1.0 format, which "
        "names neither the backend nor the organisation; never deleted",
        f"would import 1 media into the state of {STACK} and refresh them (after saving the state to .fastpix-recover/)",
        "orphans are kept; rerun with --apply --delete-orphans to delete them",
    ]
    assert [call[:3] for call in pulumi.calls] == [["pulumi", "stack", "export"], ["pulumi", "config", "get"]]
    assert pulumi.calls[0] == ["pulumi", "stack", "export", "--stack", STACK]
    assert client.deleted == [] and not (project / ".fastpix-recover").exists()


def test_apply_imports_refreshes_and_deletes_only_when_asked(project, monkeypatch, capsys) -> None:
    pulumi = FakePulumi({"version": 3, "deployment": LOOSE_ENDS})
    client = FakeClient(WORKSPACE)
    assert run(monkeypatch, pulumi, client, "--apply")[0] == 0
    out = capsys.readouterr().out
    assert "imported 1 media into the state and refreshed them from FastPix" in out
    assert out.rstrip().endswith("orphans are kept; rerun with --apply --delete-orphans to delete them")
    assert client.deleted == []
    assert pulumi.calls[-1] == ["pulumi", "refresh", "--yes", "--skip-preview", "--stack", STACK]
    [imported] = pulumi.imported
    assert imported["version"] == 3
    assert [r["urn"] for r in imported["deployment"]["resources"]][1:] == [urn("intro"), urn("new")]
    assert list(project.iterdir()) == [project / ".fastpix-recover", project / "Pulumi.yaml"] or \
        sorted(p.name for p in project.iterdir()) == [".fastpix-recover", "Pulumi.yaml"]

    capsys.readouterr()
    client = FakeClient([media("m-1", tag("intro")), media("m-3", tag("lost"))])
    pulumi = FakePulumi({"version": 3, "deployment": deployment(resource("intro", "m-1"))})
    assert run(monkeypatch, pulumi, client, "--apply", "--delete-orphans")[0] == 0
    assert client.deleted == ["m-3"]
    assert capsys.readouterr().out.rstrip().endswith("deleted orphan m-3")


def test_a_clean_stack_has_nothing_to_recover(project, monkeypatch, capsys) -> None:
    pulumi = FakePulumi({"version": 3, "deployment": deployment(resource("intro", "m-1"))})
    assert run(monkeypatch, pulumi, FakeClient([media("m-1", tag("intro"))]), "--apply")[0] == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{PROJECT}/{STACK}: nothing to recover."
    assert [call[1] for call in pulumi.calls] == ["stack", "config"]


def test_the_api_url_falls_back_to_the_environment_when_the_stack_sets_none(project, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FASTPIX_API_URL", "http://127.0.0.1:7/v1")
    pulumi = FakePulumi({"version": 3, "deployment": deployment(resource("intro", "m-1"))}, api_url=None)
    assert run(monkeypatch, pulumi, FakeClient([]))[1] == [("http://127.0.0.1:7/v1", "token-id", "s3cret-value")]


def test_without_a_recorded_stack_id_it_is_computed_for_the_backend(project, monkeypatch, capsys) -> None:
    state = deployment(resource("intro", "m-1", stack_id=None))
    backend = f"file://{project / 'state'}"
    computed = stack_id_for(backend, "organization", PROJECT, STACK)
    lost = OwnerTag(owner_path(PROJECT, STACK, "lost"), "0a1b2c3d", stack_id=computed).render()
    code, _ = run(monkeypatch, FakePulumi({"deployment": state}), FakeClient([media("m-3", lost)]))
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{PROJECT}/{STACK}: stack id {computed} (computed from the backend, organisation, project and stack)"
    assert out[1] == f"orphan: media m-3 ({lost}) is in no state"


def test_unlock_runs_pulumi_cancel_and_says_what_happened(project, monkeypatch, capsys) -> None:
    clean = {"deployment": deployment(resource("intro", "m-1"))}
    pulumi = FakePulumi(clean)
    run(monkeypatch, pulumi, FakeClient([]), "--apply", "--unlock")
    assert pulumi.calls[0] == ["pulumi", "cancel", "--yes", "--stack", STACK]
    assert capsys.readouterr().out.splitlines()[0] == f"removed the lock of stack {STACK}"
    run(monkeypatch, FakePulumi(clean, cancel=(255, "", "error: the stack is not locked\n")), FakeClient([]),
        "--apply", "--unlock")
    assert capsys.readouterr().out.splitlines()[0] == "no lock removed: error: the stack is not locked"
    run(monkeypatch, FakePulumi(clean, cancel=(255, "nothing to cancel\n", "")), FakeClient([]), "--apply", "--unlock")
    assert capsys.readouterr().out.splitlines()[0] == "no lock removed: nothing to cancel"
    pulumi = FakePulumi(clean)
    run(monkeypatch, pulumi, FakeClient([]), "--unlock")  # without --apply: never
    assert all(call[1] != "cancel" for call in pulumi.calls)


def test_a_broken_sidecar_is_reported_then_removed_with_apply(project, monkeypatch, capsys) -> None:
    stacks = project / "state" / ".pulumi" / "stacks" / PROJECT
    stacks.mkdir(parents=True)
    (project / "state" / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    sidecar = stacks / f"{STACK}.json.attrs"
    sidecar.write_text("")
    clean = {"deployment": deployment(resource("intro", "m-1"))}
    run(monkeypatch, FakePulumi(clean), FakeClient([]))
    assert capsys.readouterr().out.splitlines()[0] == f"would remove the broken state metadata file {sidecar}"
    assert sidecar.exists()
    run(monkeypatch, FakePulumi(clean), FakeClient([]), "--apply")
    assert capsys.readouterr().out.splitlines()[0] == f"removed the broken state metadata file {sidecar}"
    assert not sidecar.exists()


def test_a_failed_pulumi_command_stops_with_its_error(project, monkeypatch) -> None:
    pulumi = FakePulumi({}, fail={"stack export": "error: no stack named 'dev' found"})
    with pytest.raises(SystemExit) as raised:
        run(monkeypatch, pulumi, FakeClient([]))
    assert str(raised.value) == f"`pulumi stack export --stack {STACK}` failed:\nerror: no stack named 'dev' found"


def test_fastpix_and_state_errors_are_one_line_and_exit_1(project, monkeypatch, capsys) -> None:
    failure = error_for_status(401, method="GET", path="/on-demand", message="unauthorized", fastpix_envelope=True)
    clean = {"deployment": deployment(resource("intro", "m-1"))}
    assert run(monkeypatch, FakePulumi(clean), FakeClient([], failure))[0] == 1
    assert capsys.readouterr().err == f"error: {failure}\n"
    monkeypatch.delenv("FASTPIX_PASSWORD")
    assert run(monkeypatch, FakePulumi(clean), FakeClient([]))[0] == 1
    assert capsys.readouterr().err.startswith("error: FastPix credentials are missing: set FASTPIX_PASSWORD")
    monkeypatch.setenv("FASTPIX_PASSWORD", "s3cret-value")
    (project / "Pulumi.yaml").write_text("runtime: python\n")  # no project name, and a state naming nothing
    assert run(monkeypatch, FakePulumi({"deployment": {"resources": []}}), FakeClient([]))[0] == 1
    assert capsys.readouterr().err == "error: the exported state names no resource, so there is nothing to recover\n"


def test_a_project_name_that_is_a_path_is_refused_before_any_pulumi_command(project, monkeypatch, capsys) -> None:
    (project / "Pulumi.yaml").write_text("name: ../other\nruntime: python\n")
    pulumi = FakePulumi({})
    assert run(monkeypatch, pulumi, FakeClient([]))[0] == 2
    assert capsys.readouterr().err.startswith("error: the project name in Pulumi.yaml: ")
    assert pulumi.calls == []


# -- the readers recover relies on ----------------------------------------------------------------------


def test_the_project_name_comes_from_pulumi_yaml_or_yml(tmp_path: Path) -> None:
    assert project_name(tmp_path) is None
    (tmp_path / "Pulumi.yml").write_text("name: from-yml\n")
    assert project_name(tmp_path) == "from-yml"
    (tmp_path / "Pulumi.yaml").write_text("name: [not, a, name]\n")
    assert project_name(tmp_path) == "from-yml"
    (tmp_path / "Pulumi.yaml").write_text("- a list\n")
    assert project_name(tmp_path) == "from-yml"
    (tmp_path / "Pulumi.yaml").write_text("name: médias\n", encoding="utf-8")
    assert project_name(tmp_path) == "médias"


def test_the_file_backend_root_ignores_query_options_and_other_backends(tmp_path: Path) -> None:
    assert file_backend_root(f"file://{tmp_path}?no_checkpoint=true") == tmp_path
    assert file_backend_root(f"file://{tmp_path}") == tmp_path
    assert file_backend_root("https://api.pulumi.com") is None
    assert file_backend_root("s3://bucket/file://x") is None


def test_an_http_backend_asks_pulumi_for_the_default_organisation(monkeypatch: pytest.MonkeyPatch) -> None:
    pulumi = FakePulumi({}, org="acme\n")
    monkeypatch.setattr("fastpix_provider.cli.recover.subprocess.run", pulumi)
    assert organization_of(recover.StackRef.parse("dev"), "http://pulumi.internal") == "acme"
    pulumi = FakePulumi({}, org="", fail={"org get-default": "error: not logged in"})
    monkeypatch.setattr("fastpix_provider.cli.recover.subprocess.run", pulumi)
    with pytest.raises(SystemExit) as raised:
        organization_of(recover.StackRef.parse("dev"), "https://api.pulumi.com")
    assert str(raised.value) == "cannot tell this stack's organisation: name it in --stack org/project/stack"


def test_the_stack_id_sources_are_named() -> None:
    assert this_stack_id(deployment(), "abc") == ("abc", "computed from the backend, organisation, project and stack")
    several = deployment(resource("a", "m-1", stack_id=OURS), resource("b", "m-2", stack_id=ELSEWHERE))
    assert this_stack_id(several, OURS) == (OURS, "computed, and among the ids the state records")
    assert this_stack_id(several, None) == (
        None, f"the state records several stack ids ({', '.join(sorted([OURS, ELSEWHERE]))}), none of them this stack's")


def test_stack_ids_are_read_from_inputs_and_outputs_of_media_and_pending_creates_only() -> None:
    only_outputs = {"urn": urn("a"), "type": MEDIA_TYPE, "id": "m-1", "inputs": {},
                    "outputs": {"stack_id": OURS}}
    other_type = {"urn": "urn:pulumi:dev::p::aws:s3:Bucket::b", "type": "aws:s3/bucket:Bucket",
                  "inputs": {"stack_id": ELSEWHERE}}
    untyped = {"urn": "urn:pulumi:dev::p::x::y", "inputs": {"stack_id": ELSEWHERE}}
    empty = {"urn": urn("b"), "type": MEDIA_TYPE, "inputs": {"stack_id": ""}, "outputs": {"stack_id": 7}}
    updating = pending("c", stack_id=ELSEWHERE, kind="updating")
    untyped_pending = {"type": "creating", "resource": {"urn": "urn:x", "inputs": {"stack_id": ELSEWHERE}}}
    state = {"resources": [only_outputs, other_type, untyped, empty], "pending_operations": [updating, untyped_pending]}
    assert recorded_stack_ids(state) == {OURS}


def test_a_pending_create_without_an_owner_input_is_matched_by_its_resource_name() -> None:
    state = deployment(pending_ops=(pending("new", owner=False),))
    plan = plan_recovery(state, [media("m-2", tag("new"))])
    assert list(plan.to_import) == [urn("new")]
    assert (plan.project, plan.stack) == (PROJECT, STACK)


def test_two_pending_creates_of_one_path_each_get_their_own_media() -> None:
    first, second = pending("new"), pending("new")
    second["resource"] = {**second["resource"], "urn": urn("new") + "-2"}
    plan = plan_recovery(deployment(pending_ops=(first, second)),
                         [media("m-2", tag("new")), media("m-3", tag("new"))])
    assert sorted(found["id"] for found in plan.to_import.values()) == ["m-2", "m-3"]


def test_a_0_1_0_pending_create_expects_this_stacks_id_not_its_own_absence() -> None:
    plan = plan_recovery(deployment(resource("intro", "m-1"), pending_ops=(pending("new", stack_id=None),)),
                         [media("m-2", tag("new", stack_id=ELSEWHERE))])
    assert plan.to_import == {} and [u.media["id"] for u in plan.unproven] == ["m-2"]


def test_a_released_media_of_another_stack_says_so() -> None:
    plan = plan_recovery(deployment(resource("intro", "m-1")), [media("m-5", tag("twin", stack_id=ELSEWHERE,
                                                                                     kept=True))])
    assert plan.unproven[0].reason == (
        f"tagged by stack id {ELSEWHERE}, released by retainOnDelete: a stack of the same name in another backend or "
        f"organisation (this stack's id is {OURS})")


def test_the_stack_is_named_by_the_first_urn_even_without_media_or_with_only_a_stack_or_project() -> None:
    state = {"resources": [{"urn": f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::x"}]}
    assert (plan_recovery(state, []).project, plan_recovery(state, []).stack) == (PROJECT, STACK)
    short = {"resources": [{"urn": "urn:pulumi:dev::p"}, {"no": "urn"}, {"urn": "x::y::z"}]}
    with pytest.raises(ValueError, match=r"^the exported state names no resource, so there is nothing to recover$"):
        plan_recovery(short, [], project=PROJECT)
    with pytest.raises(ValueError):
        plan_recovery(short, [], stack=STACK)
    assert plan_recovery(short, [], project=PROJECT, stack=STACK).stack == STACK


def test_the_repaired_state_keeps_every_other_resource_and_operation() -> None:
    other_op = {"type": "updating", "resource": {"urn": urn("intro")}}
    creating_other = {"type": "creating", "resource": {"urn": "urn:pulumi:dev::p::aws:s3:Bucket::b"}}
    state = deployment(resource("intro", "m-1"), pending_ops=(other_op, pending("new"), creating_other, pending("gone")))
    plan = RecoveryPlan(PROJECT, STACK, OURS, to_import={urn("new"): media("m-2", tag("new"))}, to_clear=[urn("gone")])
    fixed = plan.repaired(state)
    assert fixed["pending_operations"] == [other_op, creating_other]
    [_stack, intro, new] = fixed["resources"]
    assert intro == resource("intro", "m-1")
    assert new["id"] == "m-2" and new["outputs"]["media_id"] == "m-2"
    assert new["outputs"]["owner_tag"] == tag("new") and new["outputs"]["workspace_id"] == "ws-1"
    assert plan.repaired({"pending_operations": [pending("gone")]}) == {"resources": [], "pending_operations": []}
