"""The deletion gate, on real `pulumi preview --json` output and on handcrafted plans."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fastpix_emulator import EmulatorServer
from fastpix_provider.cli.gate import (
    DEFAULT_MAX_DELETES,
    GITHUB_COMMENT_LIMIT,
    PlanError,
    Removal,
    comment_marker,
    judge,
    main,
    read_plan,
    read_preview,
    render_markdown,
)
from pulumi_local import CliStack
from tests.conftest import PROJECT_ROOT
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, CatalogFile, entry

MEDIA = "pulumi-python:dynamic/fastpix:Media"
# A real `pulumi preview --json` (engine 3.260, against the emulator) of a stack of three media, all three
# removed from the catalog: `a` under retainOnDelete, `b` plain, `c` protected (so the preview failed).
REAL_PREVIEW = PROJECT_ROOT / "tests" / "gitops_support" / "preview-retain-protect.json"


def step(op: str, key: str, media_id: str = "m-1", title: str = "T", **options: bool) -> dict:
    urn = f"urn:pulumi:dev::fastpix-media::{MEDIA}::{key}"
    return {"op": op, "urn": urn,
            "oldState": {"urn": urn, "type": MEDIA, "id": media_id, "outputs": {"title": title}, **options}}


def test_deletes_and_replaces_of_media_are_found_and_nothing_else() -> None:
    plan = {"steps": [step("delete", "old"), step("same", "kept"), step("update", "edited"),
                      step("replace", "recut", "m-2"), step("create-replacement", "recut", "m-2"),
                      step("delete-replaced", "recut", "m-2"),
                      {"op": "delete", "urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b",
                       "oldState": {"type": "aws:s3/bucket:Bucket", "id": "b"}}]}
    assert read_plan(json.dumps(plan)) == [Removal("old", "delete", "m-1", "T"), Removal("recut", "replace", "m-2", "T")]


def test_limits_and_the_override() -> None:
    deletes = [Removal(f"k{i}", "delete", f"m{i}", "") for i in range(4)]
    assert judge(deletes[:3], max_deletes=3, max_replaces=0, override=False).passed
    assert not judge(deletes, max_deletes=3, max_replaces=0, override=False).passed
    assert judge(deletes, max_deletes=3, max_replaces=0, override=True).passed
    assert not judge([Removal("r", "replace", "m", "")], max_deletes=3, max_replaces=0, override=False).passed


def test_the_report_is_a_markdown_table_naming_each_media() -> None:
    verdict = judge([Removal("intro", "delete", "m-1", "Intro | cut"), Removal("tour", "replace", "m-2", "Tour")],
                    max_deletes=0, max_replaces=0, override=False)
    report = render_markdown(verdict)
    assert report.startswith("### FastPix deletion gate: blocked")
    assert "| `intro` | delete | `m-1` | Intro \\| cut |" in report
    assert "| `tour` | replace | `m-2` | Tour |" in report
    assert "FASTPIX_ALLOW_DELETIONS=true" in report


@pytest.mark.parametrize("text", ["", "not json", '{"nothing": 1}'])
def test_input_that_is_not_a_preview_is_an_error_not_a_pass(text: str) -> None:
    with pytest.raises(PlanError):
        read_plan(text)


def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing.json")], environ={}) == 2
    assert "fastpix gate:" in capsys.readouterr().err


@pytest.mark.engine
def test_the_gate_on_real_previews_blocks_names_and_lets_approved_changes_through(
    emulator: EmulatorServer, toolchain, tmp_path: Path
) -> None:
    catalog = CatalogFile(tmp_path / "media.yaml", {f"clip-{i}": entry(title=f"Clip {i}") for i in range(5)})
    cli = CliStack(tmp_path / "cli", toolchain, {"FASTPIX_CATALOG": str(catalog.path), "FASTPIX_API_URL": emulator.api_url,
                                                 "FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY})
    cli.up()
    ids = {key: value["id"] for key, value in json.loads(cli.run("stack", "output", "--json").stdout).items()}
    for key in ("clip-0", "clip-1", "clip-2", "clip-3"):
        catalog.remove(key)
    catalog.set("clip-4", entry(url="https://static.fastpix.com/other.mp4", title="Clip 4"))
    preview = tmp_path / "preview.json"
    preview.write_text(cli.run("preview", "--json").stdout)

    def gate(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "fastpix_provider.cli.gate", str(preview), *args], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, env={"PATH": "", **env})

    blocked = gate("--max-deletes", "3")
    assert gate().returncode == 1, "by default, no deletion passes without approval"
    assert blocked.returncode == 1
    assert "deletes 4** and **replaces 1**" in blocked.stdout
    for key in ("clip-0", "clip-1", "clip-2", "clip-3"):
        assert f"| `{key}` | delete | `{ids[key]}` | Clip {key[-1]} |" in blocked.stdout
    assert f"| `clip-4` | replace | `{ids['clip-4']}` | Clip 4 |" in blocked.stdout
    assert gate("--max-deletes", "4", "--max-replaces", "1").returncode == 0
    approved = gate(FASTPIX_ALLOW_DELETIONS="true")
    assert approved.returncode == 0 and "Approved" in approved.stdout
    assert gate("--max-deletes", "4").returncode == 1, "a replace counts against its own limit"



def test_a_retain_on_delete_removal_in_a_real_preview_is_a_release_not_a_deletion() -> None:
    preview = read_preview(REAL_PREVIEW.read_text())
    by_key = {removal.key: removal for removal in preview.removals}
    assert by_key["a"].action == "release" and by_key["a"].retained
    assert by_key["b"].action == "delete" and not by_key["b"].retained
    verdict = judge(preview.removals, max_deletes=2, max_replaces=0, override=False)
    assert [r.key for r in verdict.releases] == ["a"]
    assert sorted(r.key for r in verdict.deletes) == ["b", "c"]
    assert f"| `a` | released (kept in FastPix) | `{by_key['a'].media_id}` | A |" in render_markdown(verdict)


def test_protected_media_in_a_real_preview_are_marked() -> None:
    preview = read_preview(REAL_PREVIEW.read_text())
    assert [r.key for r in preview.removals if r.protected] == ["c"]
    report = render_markdown(judge(preview.removals, max_deletes=5, max_replaces=0, override=False))
    assert "| `c` | delete (protected: the run will fail) |" in report
    assert "| `b` | delete |" in report


def test_a_failed_preview_blocks_even_when_approved_and_says_why() -> None:
    preview = read_preview(REAL_PREVIEW.read_text())
    assert any("cannot be deleted" in error and "protected" in error for error in preview.errors)
    verdict = judge(preview.removals, max_deletes=5, max_replaces=0, override=True, errors=preview.errors)
    assert not verdict.passed
    report = render_markdown(verdict)
    assert report.startswith("### FastPix deletion gate: blocked")
    assert "blocked: the preview failed" in report and "> The preview failed: " in report


def test_four_retained_removals_pass_the_default_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "preview.json"
    plan.write_text(json.dumps({"steps": [step("delete", f"k{i}", f"m{i}", retainOnDelete=True) for i in range(4)]}))
    assert DEFAULT_MAX_DELETES == 0
    assert main([str(plan)], environ={}) == 0
    out = capsys.readouterr().out
    assert "deletes 0, replaces 0, releases 4" in out
    assert out.count("released (kept in FastPix)") == 4


def test_one_deletion_needs_an_approval_by_default_and_the_report_names_the_approver(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "preview.json"
    plan.write_text(json.dumps({"steps": [step("delete", "intro")]}))
    assert main([str(plan)], environ={}) == 1
    assert "someone other than the pull request's author" in capsys.readouterr().out
    assert main([str(plan), "--approved-by", "alice"], environ={}) == 0
    assert "Approved by @alice" in capsys.readouterr().out


def test_a_replace_of_a_retained_media_still_counts_but_says_the_old_media_is_kept() -> None:
    steps = [step(op, "recut", "m-2", retainOnDelete=True) for op in ("replace", "create-replacement", "delete-replaced")]
    removals = read_plan(json.dumps({"steps": steps}))
    assert removals == [Removal("recut", "replace", "m-2", "T", retained=True)]
    assert "replace (old media kept in FastPix)" in render_markdown(judge(removals, max_deletes=0, max_replaces=0,
                                                                          override=False))


def test_retain_on_delete_is_read_from_an_event_log_too() -> None:
    urn = f"urn:pulumi:dev::fastpix-media::{MEDIA}::kept"
    events = [{"sequence": 1, "resourcePreEvent": {"metadata": {
        "op": "delete", "urn": urn, "type": MEDIA, "old": {"type": MEDIA, "id": "m-9", "retainOnDelete": True,
                                                          "outputs": {"title": "Kept"}}}}}]
    assert read_plan("\n".join(json.dumps(e) for e in events)) == [Removal("kept", "release", "m-9", "Kept", retained=True)]


def test_a_500_deletion_comment_fits_under_githubs_limit_with_a_summary_and_a_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Keys, ids and titles as long as a real catalog's: the old gate made a 69,367-character comment here.
    steps = [step("delete", f"course-physics-lesson-{i:04d}-intro", f"{i:08d}-3fb8-4865-a839-c80a0256e4d0",
                  f"Physics {i}: an introduction to waves, with worked examples | part {i}") for i in range(500)]
    plan, full, comment = tmp_path / "preview.json", tmp_path / "gate.md", tmp_path / "comment.md"
    plan.write_text(json.dumps({"steps": steps}))
    assert main([str(plan), "--stack", "production", "--output", str(full), "--comment-output", str(comment)],
                environ={}) == 1
    body = comment.read_text()
    assert len(body) < GITHUB_COMMENT_LIMIT and len(body.encode()) < GITHUB_COMMENT_LIMIT
    assert body.splitlines()[0] == comment_marker("production")
    assert "**blocked**: deletes 500, replaces 0, releases 0" in body
    assert "The full table is in the run's job summary" in body and "more rows not shown" in body
    shown = body.count("| delete |")
    assert 100 < shown < 500 and f"{shown} of 500 rows shown" in body
    assert "someone other than the pull request's author" in body, "the advice survives the cut"
    assert full.read_text().count("| delete |") == 500, "the job summary keeps every row"
    assert len(capsys.readouterr().out) > GITHUB_COMMENT_LIMIT


def test_a_small_report_is_not_cut_and_each_stack_has_its_own_marker() -> None:
    verdict = judge([Removal("intro", "delete", "m-1", "Intro")], max_deletes=0, max_replaces=0, override=False)
    comment = render_markdown(verdict, stack="staging", marker=True, max_chars=64_000)
    assert comment.startswith(comment_marker("staging") + "\n### FastPix deletion gate (staging): blocked")
    assert "rows not shown" not in comment
    assert comment_marker("staging") != comment_marker("production")
    assert comment_marker("production") not in comment


@pytest.mark.parametrize(("count", "title"), [(1, "T"), (499, "é" * 90), (500, "x" * 3), (5000, "Wellen 🌊 " * 12),
                                              (3, "y" * 100_000)])
def test_the_comment_never_exceeds_its_cap(count: int, title: str) -> None:
    removals = [Removal(f"key-{i}", "delete", f"m-{i}", title) for i in range(count)]
    errors = [f"error {i}: " + "z" * 2000 for i in range(50)]
    for verdict in (judge(removals, max_deletes=0, max_replaces=0, override=False),
                    judge(removals, max_deletes=0, max_replaces=0, override=False, errors=errors)):
        comment = render_markdown(verdict, stack="production", marker=True, max_chars=64_000)
        assert len(comment.encode()) <= 64_000
        assert comment.startswith(comment_marker("production")) and "**blocked" in comment
