"""More `recover` edges that `make mutation` showed unguarded: a failing `pulumi` command that still prints,
the file backend's layout marker, reading files under a non-UTF-8 locale, backups in UTC, long tags, and
the exact lines `recover` prints. The `pulumi` CLI is faked at subprocess.run, FastPix by a fake client
(helpers from tests/test_recover_edges.py).
"""

from __future__ import annotations

import builtins
import io
import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fastpix_provider.cli import recover
from fastpix_provider.cli.reconcile import Stale
from fastpix_provider.cli.recover import (
    RecoveryPlan,
    broken_state_sidecars,
    file_backend_root,
    organization_of,
    project_name,
    state_sidecars,
    write_backup,
)
from fastpix_provider.errors import error_for_status
from tests.test_recover_edges import (
    ELSEWHERE,
    OURS,
    PROJECT,
    STACK,
    FakeClient,
    FakePulumi,
    deployment,
    media,
    pending,
    project,  # noqa: F401 - a fixture
    resource,
    run,
    tag,
    urn,
)


@pytest.fixture
def ascii_locale(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Files opened without an encoding are read and written as ASCII, as under LANG=C."""
    real_open = io.open

    def open_as_in_c_locale(file: Any, mode: str = "r", buffering: int = -1, encoding: str | None = None,
                            *args: Any, **kwargs: Any) -> Any:
        if "b" not in mode and encoding in (None, "locale"):
            encoding = "ascii"
        return real_open(file, mode, buffering, encoding, *args, **kwargs)

    monkeypatch.setattr(io, "open", open_as_in_c_locale)
    monkeypatch.setattr(builtins, "open", open_as_in_c_locale)
    yield


# -- the small readers ------------------------------------------------------------------------------------------

def test_a_failed_org_lookup_that_still_prints_is_not_an_organisation(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(args: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 255, stdout="acme\n", stderr="error: not logged in\n")

    monkeypatch.setattr("fastpix_provider.cli.recover.subprocess.run", failing)
    with pytest.raises(SystemExit, match="cannot tell this stack's organisation"):
        organization_of(recover.StackRef.parse("dev"), "https://api.pulumi.com")


def test_a_failed_config_lookup_that_still_prints_falls_back_to_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("FASTPIX_API_URL", "http://127.0.0.1:7/v1")
    pulumi = FakePulumi({"deployment": deployment(resource("intro", "m-1"))})

    def config_fails_loudly(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        if args[1:3] == ["config", "get"]:
            return subprocess.CompletedProcess(args, 255, stdout="http://127.0.0.1:9/v1\n", stderr="error")
        return pulumi(args, **kwargs)

    code, made = run(monkeypatch, config_fails_loudly, FakeClient([]))  # type: ignore[arg-type]
    assert code == 0 and made == [("http://127.0.0.1:7/v1", "token-id", "s3cret-value")]


def test_the_file_backend_root_ends_at_the_first_question_mark(tmp_path: Path) -> None:
    assert file_backend_root(f"file://{tmp_path}?a=1?b=2") == tmp_path


def file_backend(root: Path, meta: str | None) -> Path:
    stacks = root / ".pulumi" / "stacks"
    (stacks / PROJECT).mkdir(parents=True)
    if meta is not None:
        (root / ".pulumi" / "meta.yaml").write_text(meta, encoding="utf-8")
    return stacks


@pytest.mark.parametrize("meta", ["version: 0\n", "version: '1'\n", "- version: 1\n", "version: [1]\n", "[\n"])
def test_only_a_meta_yaml_of_integer_version_1_or_more_means_project_folders(tmp_path: Path, meta: str) -> None:
    stacks = file_backend(tmp_path, meta)
    assert state_sidecars(tmp_path, PROJECT, STACK) == [stacks / f"{STACK}.json.attrs", stacks / f"{STACK}.json.gz.attrs"]


@pytest.mark.parametrize("version", [1, 2])
def test_a_meta_yaml_of_version_1_or_more_means_project_folders(tmp_path: Path, version: int) -> None:
    stacks = file_backend(tmp_path, f"version: {version}\n")
    assert state_sidecars(tmp_path, PROJECT, STACK)[0] == stacks / PROJECT / f"{STACK}.json.attrs"


def test_files_are_read_as_utf8_whatever_the_locale(tmp_path: Path, ascii_locale: None) -> None:
    stacks = file_backend(tmp_path, "version: 1  # écrit par pulumi\n")
    (stacks / PROJECT / f"{STACK}.json.attrs").write_text('{"user.note": "été"}', encoding="utf-8")
    assert broken_state_sidecars(tmp_path, PROJECT, STACK) == [], "a valid sidecar is not broken"
    assert state_sidecars(tmp_path, PROJECT, STACK)[0] == stacks / PROJECT / f"{STACK}.json.attrs"
    (tmp_path / "Pulumi.yaml").write_text("name: médias\n", encoding="utf-8")
    assert project_name(tmp_path) == "médias"


def test_a_second_backup_goes_into_the_existing_folder(tmp_path: Path) -> None:
    first = write_backup({"n": 1}, tmp_path, STACK, now=datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    second = write_backup({"n": 2}, tmp_path, STACK, now=datetime(2026, 5, 20, 9, 1, tzinfo=UTC))
    assert first.parent == second.parent and first != second
    assert json.loads(first.read_text()) == {"n": 1} and json.loads(second.read_text()) == {"n": 2}


def test_the_backup_is_named_in_utc_whatever_the_local_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, no daylight saving
    time.tzset()
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        path = write_backup({}, tmp_path, STACK)
        after = datetime.now(UTC)
    finally:
        monkeypatch.undo()  # the TZ this process had
        time.tzset()
    stamp = datetime.strptime(path.name, f"{STACK}-%Y%m%dT%H%M%S%fZ.json").replace(tzinfo=UTC)
    assert before <= stamp <= after


def test_a_long_tag_is_shown_cut_to_300_characters() -> None:
    long_tag = "x" * 400
    assert recover._tag_of(media("m-1", long_tag)) == "x" * 300
    assert recover._tag_of({"id": "m-1"}) == "None"


def test_a_cleared_pending_create_does_not_hide_the_operations_after_it() -> None:
    later = {"type": "updating", "resource": {"urn": urn("intro")}}
    plan = RecoveryPlan(PROJECT, STACK, OURS, to_clear=[urn("gone")])
    assert plan.repaired(deployment(pending_ops=(pending("gone"), later)))["pending_operations"] == [later]


# -- what `recover` prints --------------------------------------------------------------------------------------

def test_apply_prints_the_backup_and_how_to_put_it_back(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    state = deployment(resource("intro", "m-1"), pending_ops=(pending("new"),))
    pulumi = FakePulumi({"version": 3, "deployment": state})
    assert run(monkeypatch, pulumi, FakeClient([media("m-1", tag("intro")), media("m-2", tag("new"))]), "--apply")[0] == 0
    [backup] = (project / ".fastpix-recover").iterdir()
    assert capsys.readouterr().out.splitlines()[2:] == [
        f"saved the state as it was in {backup}; to put it back: pulumi stack import --stack {STACK} --file {backup}",
        "imported 1 media into the state and refreshed them from FastPix"]
    import_call = next(call for call in pulumi.calls if call[1:3] == ["stack", "import"])
    assert import_call[:5] == ["pulumi", "stack", "import", "--stack", STACK] and import_call[5] == "--file"
    assert not Path(import_call[6]).exists(), "the repaired state's temporary file is removed"


def test_deleting_orphans_prints_each_one(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    pulumi = FakePulumi({"deployment": deployment(resource("intro", "m-1"))})
    client = FakeClient([media("m-3", tag("lost")), media("m-4", tag("lost-too"))])
    assert run(monkeypatch, pulumi, client, "--apply", "--delete-orphans")[0] == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["deleted orphan m-3", "deleted orphan m-4"]


class DeletingRaises:
    """A client whose every delete raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def delete_media(self, media_id: str) -> None:
        raise self.error


@pytest.mark.parametrize("failure, orphans", [
    (error_for_status(503, method="DELETE", path="/on-demand/m-1", message="busy"), ("m-1", "m-2")),
    (error_for_status(404, method="DELETE", path="/on-demand/m-1", message="no route", fastpix_envelope=False), ("m-1",)),
], ids=["a-503-stops-before-the-rest", "a-router-404-is-no-proof-of-gone"])
def test_a_failed_orphan_deletion_says_which_and_why_and_stops(capsys: pytest.CaptureFixture[str], failure: Exception,
                                                               orphans: tuple[str, ...]) -> None:
    plan = RecoveryPlan(PROJECT, STACK, OURS, orphans=[media(m, tag(f"key-{m}")) for m in orphans])
    assert recover._delete_orphans(DeletingRaises(failure), plan) == 1  # type: ignore[arg-type]
    assert capsys.readouterr().err == (
        f"error: deleting orphan m-1 failed, the remaining orphans are kept: {failure}\n")


def test_an_orphan_already_gone_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    gone = error_for_status(404, method="DELETE", path="/on-demand/m-1", message="not found", fastpix_envelope=True)
    plan = RecoveryPlan(PROJECT, STACK, OURS, orphans=[media("m-1", tag("a"))])
    assert recover._delete_orphans(DeletingRaises(gone), plan) == 0  # type: ignore[arg-type]
    assert capsys.readouterr().out == "orphan m-1 was already gone\n"


def test_a_project_name_that_is_a_path_says_why_in_one_line(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    (project / "Pulumi.yaml").write_text("name: ../other\nruntime: python\n")
    assert run(monkeypatch, FakePulumi({}), FakeClient([]))[0] == 2
    assert capsys.readouterr().err == (
        "error: the project name in Pulumi.yaml: a stack or project name must not be a pattern or a path\n")


def stale(name: str, reason: str) -> Stale:
    return Stale(urn=urn(name), media_id=f"m-{name}", reason=reason)


def test_stale_resources_are_named_then_refreshed_alone(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    commands: list[list[str]] = []

    def fake_run(args: list[str]) -> str:
        commands.append(args)
        return ""

    monkeypatch.setattr(recover, "_run", fake_run)
    items = [stale("a", "gone"), stale("b", "drifted")]
    recover._refresh_stale(items, STACK, apply=False)
    assert capsys.readouterr().out.splitlines() == [
        "stale: a (media m-a): FastPix lists no media of that id; refreshing it",
        "stale: b (media m-b): FastPix holds other values; refreshing it",
        f"would refresh 2 resource(s) of {STACK}"]
    assert commands == []
    recover._refresh_stale(items, STACK, apply=True)
    assert capsys.readouterr().out.splitlines()[-1] == "refreshed 2 resource(s) from FastPix"
    assert commands == [["pulumi", "refresh", "--yes", "--skip-preview", "--stack", STACK,
                         "--target", urn("a"), "--target", urn("b")]]


def test_reconcile_refreshes_what_fastpix_no_longer_lists_and_only_with_it(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    state = {"deployment": deployment(resource("intro", "m-1"))}
    assert run(monkeypatch, FakePulumi(state), FakeClient([]))[0] == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{PROJECT}/{STACK}: nothing to recover."
    pulumi = FakePulumi(state)
    assert run(monkeypatch, pulumi, FakeClient([]), "--reconcile")[0] == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "stale: intro (media m-1): FastPix lists no media of that id; refreshing it", f"would refresh 1 resource(s) of {STACK}"]
    assert all(call[1] != "refresh" for call in pulumi.calls)
    pulumi = FakePulumi(state)
    assert run(monkeypatch, pulumi, FakeClient([]), "--reconcile", "--apply")[0] == 0
    assert capsys.readouterr().out.splitlines()[-1] == "refreshed 1 resource(s) from FastPix"
    assert pulumi.calls[-1] == ["pulumi", "refresh", "--yes", "--skip-preview", "--stack", STACK, "--target", urn("intro")]


def test_check_exits_3_and_changes_nothing_when_a_killed_run_left_orphans_or_pending_creates(
        project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    orphan = {"deployment": deployment(resource("intro", "m-1"))}
    pending_create = {"deployment": deployment(resource("intro", "m-1"), pending_ops=(pending("new"),))}
    for state, listed in ((orphan, [media("m-1", tag("intro")), media("m-9", tag("lost"))]),
                          (pending_create, [media("m-1", tag("intro")), media("m-2", tag("new"))])):
        pulumi = FakePulumi(state)
        assert run(monkeypatch, pulumi, FakeClient(listed), "--check")[0] == recover.CHECK_FOUND_WORK
        assert f"`fastpix-recover --stack {STACK} --reconcile --apply --unlock`" in capsys.readouterr().err
        assert all(call[1] not in {"refresh", "cancel"} and call[1:3] != ["stack", "import"] for call in pulumi.calls)
        assert not (project / ".fastpix-recover").exists()


def test_check_exits_0_when_only_refresh_has_work(project: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    state = {"deployment": deployment(resource("intro", "m-1"), resource("gone", "m-2"))}
    released = media("m-7", tag("archive", kept=True))
    assert run(monkeypatch, FakePulumi(state), FakeClient([media("m-1", tag("intro")), released]), "--check")[0] == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{PROJECT}/{STACK}: nothing to recover."


def test_check_refuses_apply(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        recover.main(["--stack", STACK, "--check", "--apply"])
    assert exited.value.code == 2 and "--check changes nothing; drop --apply" in capsys.readouterr().err


def test_an_import_refreshes_the_whole_stack_once_even_with_reconcile(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    state = deployment(resource("intro", "m-1"), pending_ops=(pending("new"),))
    pulumi = FakePulumi({"deployment": state})
    assert run(monkeypatch, pulumi, FakeClient([media("m-2", tag("new"))]), "--reconcile", "--apply")[0] == 0
    assert [call[1] for call in pulumi.calls if call[1] == "refresh"] == ["refresh"]
    assert "--target" not in pulumi.calls[-1]
    [backup] = (project / ".fastpix-recover").iterdir()
    assert backup.name.startswith(f"{STACK}-")


def test_a_state_naming_no_resource_is_named_by_pulumi_yaml_and_the_stack(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    assert run(monkeypatch, FakePulumi({"deployment": {}}), FakeClient([]))[0] == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{PROJECT}/{STACK}: nothing to recover."


def test_with_no_stack_id_known_it_says_unknown_and_proves_nothing(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    (project / "Pulumi.yaml").write_text("runtime: python\n")  # no name: the stack id cannot be computed
    other = tag("twin", stack_id=ELSEWHERE)
    state = {"deployment": deployment(resource("intro", "m-1", stack_id=None))}
    assert run(monkeypatch, FakePulumi(state), FakeClient([media("m-5", other)]))[0] == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{PROJECT}/{STACK}: stack id unknown (computed from the backend, organisation, project and stack)",
        f"not provably this stack's: media m-5 ({other}): tagged by stack id {ELSEWHERE}, and this stack's id is "
        "unknown; never deleted",
        f"{PROJECT}/{STACK}: nothing to recover."]


def test_a_cloud_backend_has_no_sidecar_to_repair(project: Path, monkeypatch, capsys) -> None:  # noqa: F811
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")
    assert run(monkeypatch, FakePulumi({"deployment": deployment(resource("intro", "m-1"))}), FakeClient([]))[0] == 0


def test_the_stack_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        recover.main([])
    assert exited.value.code == 2
    assert "the following arguments are required: --stack" in capsys.readouterr().err


def test_the_help_explains_each_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        recover.main(["--help"])
    assert exited.value.code == 0
    raw = capsys.readouterr().out
    assert "\nA killed run can also leave the stack locked (`--unlock` runs `pulumi cancel`, so use it only when no\n" in raw
    help_text = " ".join(raw.split())
    assert help_text.startswith("usage: fastpix-recover [-h] --stack STACK [--apply] [--delete-orphans] [--reconcile] "
                                "[--check] [--unlock]")
    for text in ("--stack STACK the stack to recover: stack, org/stack or org/project/stack (run from the project folder)",
                 "--apply run the refresh commands instead of printing them",
                 "--delete-orphans with --apply: delete the media that provably are this stack's orphans",
                 "--reconcile after a killed run of the fast mode (PULUMI_SKIP_CHECKPOINTS): also refresh the resources "
                 "whose media FastPix no longer lists or lists with other values, and, with --apply, delete this stack's "
                 "provable orphans (see fastpix_provider/cli/reconcile.py)",
                 "--check change nothing; exit 3 when a killed run left what only recovery puts right (a broken "
                 "state file, pending creates, this stack's orphans): what `fastpix-pipeline apply` asks before a "
                 "fast-mode run. Media edited or deleted outside the run are not counted: `pulumi up --refresh` puts "
                 "those right",
                 "--unlock with --apply: remove the killed run's lock (`pulumi cancel`); only if no run is going on"):
        assert text in help_text


def test_a_pending_create_with_a_stack_id_that_is_not_text_is_matched_as_one_without() -> None:
    odd = pending("new")
    odd["resource"]["inputs"]["stack_id"] = {"secret": "sealed"}
    plan = recover.plan_recovery(deployment(resource("intro", "m-1"), pending_ops=(odd,)), [media("m-2", tag("new"))])
    assert list(plan.to_import) == [urn("new")]


def test_a_pending_create_is_matched_by_the_stack_id_it_recorded() -> None:
    state = deployment(resource("intro", "m-1", stack_id=OURS), pending_ops=(pending("new", stack_id=ELSEWHERE),))
    plan = recover.plan_recovery(state, [media("m-2", tag("new", stack_id=ELSEWHERE))], stack_id=OURS)
    assert plan.stack_id == OURS and list(plan.to_import) == [urn("new")]


def test_a_urn_of_three_parts_names_the_stack_and_project() -> None:
    state = {"resources": [{"urn": f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack"}]}
    plan = recover.plan_recovery(state, [])
    assert (plan.project, plan.stack) == (PROJECT, STACK)


def test_a_refused_stack_name_is_quoted_cut_to_100_characters() -> None:
    with pytest.raises(ValueError) as raised:
        recover.StackRef.parse("*" * 150)
    assert str(raised.value).endswith(f"not a pattern or a path; got {'*' * 100!r}")


def test_a_broken_compressed_sidecar_is_found_when_the_plain_one_is_absent(tmp_path: Path) -> None:
    stacks = file_backend(tmp_path, "version: 1\n")
    (stacks / PROJECT / f"{STACK}.json.gz.attrs").write_text("")
    assert broken_state_sidecars(tmp_path, PROJECT, STACK) == [stacks / PROJECT / f"{STACK}.json.gz.attrs"]
