"""The GitOps example's scripts (examples/gitops/*.py), against a fake of GitHub's API: fast, no engine."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from examples.gitops import fake_github
from fastpix_provider.cli import approval, drift_issue, github_api, plan_digest, pr_comment
from fastpix_provider.cli.gate import comment_marker, judge, read_plan, render_markdown

MEDIA = "pulumi-python:dynamic/fastpix:Media"


@pytest.fixture
def github() -> Any:
    with fake_github.FakeGitHub() as fake:
        yield fake


@pytest.fixture
def client(github: Any) -> Any:
    api = github_api.GitHub(github.repo, github.token, github.url)
    yield api
    api.close()


def pull(author: str = "alice", head: str = "c1") -> dict[str, Any]:
    return {"number": 1, "user": {"login": author}, "head": {"sha": head}}


def review(by: str, state: str = "APPROVED", body: str = "approve-media-deletions", commit: str = "c1",
           association: str = "MEMBER", kind: str = "User") -> dict[str, Any]:
    return {"user": {"login": by, "type": kind}, "state": state, "body": body, "commit_id": commit,
            "author_association": association}


# approval.py: who approved the deletions

def test_an_approval_by_another_member_on_the_final_commit_that_says_so_counts() -> None:
    assert approval.decide(pull(), [review("bob")]).by == "bob"
    assert approval.decide(pull(), [review("bob", body="Checked: APPROVE-MEDIA-DELETIONS.")]).by == "bob"


@pytest.mark.parametrize(("reviews", "reason"), [
    ([], "no review approves"),
    ([review("alice")], "is the pull request's author"),
    ([review("bob", association="CONTRIBUTOR")], "not an owner, member or collaborator"),
    ([review("bob", association="NONE")], "not an owner, member or collaborator"),
    ([review("bob", commit="c0")], "approved an earlier commit"),
    ([review("bob", body="LGTM")], "without saying"),
    ([review("bob", body="do-not-approve-media-deletions")], "without saying"),
    ([review("ci[bot]", kind="Bot")], "is a bot"),
    ([review("bob"), review("bob", state="CHANGES_REQUESTED", body="")], "latest review is changes requested"),
    ([review("bob"), review("bob", state="DISMISSED", body="")], "latest review is dismissed"),
])
def test_what_is_not_an_approval(reviews: list[dict[str, Any]], reason: str) -> None:
    decision = approval.decide(pull(), reviews)
    assert not decision.approved
    assert any(reason in text for text in decision.reasons), decision.reasons


def test_a_comment_after_an_approval_does_not_withdraw_it_and_one_valid_approval_is_enough() -> None:
    reviews = [review("carol", body="LGTM"), review("bob"), review("bob", state="COMMENTED", body="nit")]
    assert approval.decide(pull(), reviews).by == "bob"


def test_the_pull_request_of_a_commit_on_main_is_the_merged_one_with_that_merge_commit() -> None:
    merged = {"number": 3, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": "m3"}
    assert approval.merged_pull_of("m3", [merged]) == merged
    assert approval.merged_pull_of("m3", [{**merged, "merged_at": None}]) is None
    assert approval.merged_pull_of("m4", [merged]) is None


def test_the_approval_command_asks_github_and_writes_the_approver(github: Any, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    number = github.add_pull(author="alice", head_sha="c9", merge_commit_sha="m9")
    github.review(number, by="alice", body="approve-media-deletions")
    github.review(number, by="bob", body="approve-media-deletions")
    output = tmp_path / "github_output"
    env = {"GH_TOKEN": github.token, "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": github.repo}
    assert approval.main(["--commit", "m9", "--github-output", str(output)], environ=env) == 0
    assert output.read_text() == "approved_by=bob\n"
    assert "@alice: is the pull request's author" in capsys.readouterr().out
    assert approval.main(["--commit", "other", "--github-output", str(output)], environ=env) == 0
    assert output.read_text().splitlines()[-1] == "approved_by="
    assert approval.main(["--pr", str(number)], environ={**env, "GH_TOKEN": "wrong"}) == 2


# pr_comment.py: one comment per stack, found by its marker

def test_the_comment_is_created_once_then_updated_in_place_per_stack(github: Any, client: Any) -> None:
    number = github.add_pull(author="alice", head_sha="c1")
    production, staging = comment_marker("production"), comment_marker("staging")
    github.comments[number] = [{"id": 1, "body": f"{production} quoted by a human", "user": {"login": "bob"}}]
    assert pr_comment.upsert(client, number, f"{production}\nfirst", production) == "created"
    assert pr_comment.upsert(client, number, "second", production) == "updated"
    assert pr_comment.upsert(client, number, f"{staging}\nstaging", staging) == "created"
    bodies = [c["body"] for c in github.comments[number]]
    assert bodies == [f"{production} quoted by a human", f"{production}\nsecond", f"{staging}\nstaging"]


def test_a_500_deletion_gate_comment_is_accepted_where_the_whole_table_is_refused(github: Any, client: Any) -> None:
    steps = [{"op": "delete", "urn": f"urn:pulumi:p::fastpix-media::{MEDIA}::course-physics-lesson-{i:04d}-intro",
              "oldState": {"type": MEDIA, "id": f"{i:08d}-3fb8-4865-a839-c80a0256e4d0",
                           "outputs": {"title": f"Physics {i}: an introduction to waves, with worked examples"}}}
             for i in range(500)]
    verdict = judge(read_plan(json.dumps({"steps": steps})), max_deletes=0, max_replaces=0, override=False)
    number = github.add_pull(author="alice", head_sha="c1")
    marker = comment_marker("production")
    with pytest.raises(ValueError, match="over GitHub's 65536"):
        pr_comment.upsert(client, number, render_markdown(verdict, stack="production", marker=True), marker)
    body = render_markdown(verdict, stack="production", marker=True, max_chars=64_000)
    assert pr_comment.upsert(client, number, body, marker) == "created"
    assert len(github.comments[number][0]["body"]) < 65_536


def test_lists_follow_githubs_pages(github: Any, client: Any) -> None:
    number = github.add_pull(author="alice", head_sha="c1")
    github.comments[number] = [{"id": i, "body": str(i), "user": {"login": "bob"}} for i in range(250)]
    assert [c["id"] for c in client.comments(number)] == list(range(250))
    assert github.calls.count(f"GET /repos/{github.repo}/issues/{number}/comments") == 3


# drift_issue.py: one issue per stack

def drift_preview(*titles: tuple[str, str]) -> str:
    steps: list[dict[str, Any]] = [{"op": "same", "urn": "urn:pulumi:p::fastpix-media::pulumi:pulumi:Stack::s"}]
    for key, title in titles:
        urn = f"urn:pulumi:p::fastpix-media::{MEDIA}::{key}"
        steps.append({"op": "refresh", "urn": urn})
        steps.append({"op": "update", "urn": urn, "oldState": {"inputs": {"title": title, "mp4_support": "none"}},
                      "newState": {"inputs": {"title": "From the catalog", "mp4_support": None}}})
    return json.dumps({"steps": steps, "changeSummary": {}})


def test_drift_is_read_from_the_preview_with_what_differs() -> None:
    drift = drift_issue.read_drift(drift_preview(("intro", "edited | in the dashboard")))
    assert drift.errors == []
    assert drift.changes == [drift_issue.Change("intro", "update",
                                                ('title: "edited | in the dashboard" → "From the catalog"',))]
    assert "\\|" in drift_issue.render("production", drift)


@pytest.mark.parametrize("text", ["", "Error: no Pulumi.yaml", json.dumps({"diagnostics": [
    {"severity": "error", "message": "error: failed to reach FastPix"}]})])
def test_a_failed_check_decides_nothing(text: str) -> None:
    drift = drift_issue.read_drift(text)
    assert drift.errors
    with pytest.raises(RuntimeError, match="decides nothing"):
        drift_issue.decide([{"number": 3, "body": drift_issue.marker("production")}], "production", drift)


def test_the_expected_no_changes_error_is_not_a_failure() -> None:
    text = json.loads(drift_preview(("intro", "x")))
    text["diagnostics"] = [{"severity": "error", "message": "error: no changes were expected but changes were proposed"},
                           {"severity": "error", "message": "error: preview failed"}]
    assert drift_issue.read_drift(json.dumps(text)).errors == []


def test_open_update_close_or_leave_alone() -> None:
    drifted, clean = drift_issue.read_drift(drift_preview(("intro", "x"))), drift_issue.read_drift(drift_preview())
    mine = {"number": 7, "body": drift_issue.marker("production") + "\nold"}
    other = {"number": 5, "body": drift_issue.marker("staging")}
    assert drift_issue.decide([other], "production", drifted).kind == "open"
    assert drift_issue.decide([other, mine], "production", drifted).number == 7
    assert drift_issue.decide([other, mine], "production", drifted).kind == "update"
    assert drift_issue.decide([other, mine], "production", clean) == drift_issue.Action("close", 7)
    assert drift_issue.decide([other], "production", clean) == drift_issue.Action("none")


def test_a_huge_drift_fits_in_an_issue() -> None:
    body = drift_issue.render("production", drift_issue.read_drift(drift_preview(*[(f"k{i}", "x" * 50) for i in range(5000)])))
    assert len(body) < 65_536 and "more not shown" in body


def test_the_drift_command_opens_updates_and_closes_one_issue(github: Any, tmp_path: Path) -> None:
    env = {"GH_TOKEN": github.token, "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": github.repo}
    preview = tmp_path / "drift.json"

    def check(text: str) -> int:
        preview.write_text(text)
        return drift_issue.main(["--stack", "production", "--preview-file", str(preview)], environ=env)

    assert check(drift_preview(("intro", "x"))) == 0 and len(github.open_issues()) == 1
    assert check(drift_preview(("intro", "y"))) == 0 and len(github.issues) == 1
    assert '"y"' in github.issues[0]["body"] and github.issues[0]["labels"] == ["fastpix-drift"]
    assert check("not json") == 2 and len(github.open_issues()) == 1, "an outage does not close the issue"
    assert check(drift_preview()) == 0 and github.open_issues() == []


def test_the_drifted_stacks_are_read_from_open_issues_and_only_safe_names() -> None:
    issues = [{"body": drift_issue.marker("production")}, {"body": drift_issue.marker("staging") + "x"},
              {"body": "<!-- fastpix-drift stack=$(rm -rf) -->"}]
    assert drift_issue.drifted_stacks(issues) == ["production", "staging"]


# plan_digest.py: refuse a plan made from another state

def fake_pulumi(tmp_path: Path, state: Path) -> str:
    path = tmp_path / "pulumi"
    path.write_text(f"#!/bin/sh\ncat {state}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_the_digest_ignores_formatting_and_notices_any_change() -> None:
    assert plan_digest.digest('{"a": 1, "b": [1, 2]}') == plan_digest.digest('{\n "b": [1,2],\n "a": 1}')
    assert plan_digest.digest('{"a": 1}') != plan_digest.digest('{"a": 2}')


def test_verify_refuses_when_the_state_moved_or_the_stack_differs(tmp_path: Path) -> None:
    state = tmp_path / "export.json"
    state.write_text('{"deployment": {"resources": [1]}}')
    pulumi = fake_pulumi(tmp_path, state)
    recorded = tmp_path / "state.json"
    plan_digest.record("production", recorded, pulumi=pulumi)
    plan_digest.verify("production", recorded, pulumi=pulumi)
    with pytest.raises(plan_digest.StateMoved, match="not 'staging'"):
        plan_digest.verify("staging", recorded, pulumi=pulumi)
    state.write_text('{"deployment": {"resources": [1, 2]}}')
    with pytest.raises(plan_digest.StateMoved, match="changed since the plan was made"):
        plan_digest.verify("production", recorded, pulumi=pulumi)
    assert plan_digest.main(["verify", "--stack", "production", "--expected", str(recorded), "--pulumi", pulumi]) == 1
