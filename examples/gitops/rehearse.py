"""Rehearse the GitOps pipeline locally: the jobs of the template's workflow, offline, through the real engine.

    .venv/bin/python -m examples.gitops.rehearse

Starts the FastPix emulator and a fake of GitHub's API (fake_github.py), keeps the state on a file://
backend in a temporary folder, and plays pull requests through the very commands the workflow runs:
`fastpix-pipeline plan` (state digest, `pulumi preview --refresh --save-plan`, approval, deletion gate),
`fastpix-pr-comment` (one comment per stack, found by its marker), `fastpix-pipeline apply` (state check,
approval, gate, `pulumi up --plan`) and `fastpix-drift-issue` (the scheduled drift check). Each step checks
what it expects and says what it saw; the script exits 0 only if every expectation held.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml

from examples.gitops.fake_github import FakeGitHub
from fastpix_emulator.process import EmulatorProcess
from pulumi_local import CliStack, find_toolchain

AUTH = ("rehearsal-token", "rehearsal-secret")
URL = "https://static.fastpix.com/fp-sample-video.mp4"
STACK = "production"
MARKER = f"<!-- fastpix-gate stack={STACK} -->"
EXPECTATIONS = (
    "the gate passes a change that only creates",
    "the apply creates the nine media of the reviewed plan",
    "a pull request removing four media is blocked at plan",
    "the comment names every media it would delete",
    "one comment per stack, updated in place",
    "an approval by the author or without the phrase does not count",
    "blocked at apply without approval: FastPix and the state untouched",
    "an approval by another person lets the plan through",
    "the apply deletes exactly those four media",
    "an apply after the state moved refuses, and applies nothing",
    "planned again, the same change applies",
    "four retainOnDelete removals pass the gate without approval",
    "the release leaves FastPix untouched and the state without them",
    "the drift check opens one issue for a dashboard edit",
    "a second drift check updates that issue, opens no other",
    "after `pulumi up` the drift check closes the issue",
)


class Rehearsal:
    def __init__(self, work: Path, api_url: str, github: FakeGitHub) -> None:
        self.work = work
        self.catalog = work / "media.yaml"
        self.entries: dict[str, dict[str, object]] = {}
        self.api_url = api_url
        self.github = github
        self.stack = CliStack(work / "pulumi", find_toolchain(), {
            "FASTPIX_CATALOG": str(self.catalog), "FASTPIX_API_URL": api_url,
            "FASTPIX_USERNAME": AUTH[0], "FASTPIX_PASSWORD": AUTH[1]}, stack=STACK)
        self.runs = 0

    def commit(self, entries: dict[str, dict[str, object]]) -> None:
        self.entries = entries
        self.catalog.write_text(yaml.safe_dump(entries, sort_keys=False))

    def script(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**self.stack.env, "GH_TOKEN": self.github.token, "GITHUB_API_URL": self.github.url,
               "GITHUB_REPOSITORY": self.github.repo}
        env.pop("FASTPIX_ALLOW_DELETIONS", None)
        # The pipeline's commands, as the workflow runs them from the installed package.
        module = f"fastpix_provider.cli.{name.removesuffix('.py')}"
        result = subprocess.run([sys.executable, "-m", module, *args], cwd=self.stack.folder, env=env,
                                capture_output=True, text=True, timeout=600)
        return result

    def plan(self, *, pr: int | None = None, commit: str | None = None) -> tuple[int, Path, str]:
        """The plan job (and, on a pull request, its comment job); returns the exit code, its folder and output."""
        self.runs += 1
        out = self.work / "runs" / f"{self.runs}"
        which = ["--pr", str(pr)] if pr is not None else ["--commit", str(commit)]
        result = self.script("pipeline.py", "plan", "--stack", STACK, "--out", str(out), *which)
        if pr is not None and (out / "comment.md").exists():
            posted = self.script("pr_comment.py", "--pr", str(pr), "--body-file", str(out / "comment.md"),
                                 "--marker", MARKER)
            expect_quietly(posted.returncode == 0, f"pr_comment.py failed: {posted.stderr}")
        output = result.stdout + result.stderr
        print(f"  plan {'#' + str(pr) if pr is not None else commit}: exit {result.returncode}")
        return result.returncode, out, output

    def apply(self, plan_dir: Path, commit: str) -> tuple[int, str]:
        result = self.script("pipeline.py", "apply", "--stack", STACK, "--plan-dir", str(plan_dir), "--commit", commit)
        print(f"  apply {commit}: exit {result.returncode}")
        return result.returncode, result.stdout + result.stderr

    def drift_check(self) -> str:
        result = self.script("drift_issue.py", "--stack", STACK, "--run-url", "https://ci.example/run/1")
        expect_quietly(result.returncode == 0, f"drift_issue.py failed: {result.stdout}{result.stderr}")
        return result.stdout

    def media(self) -> dict[str, dict[str, Any]]:
        with httpx.Client(base_url=self.api_url, auth=AUTH) as client:
            return {m["id"]: m for m in client_pages(client)}

    def state_ids(self) -> set[str]:
        resources = json.loads(self.stack.run("stack", "export").stdout)["deployment"].get("resources") or []
        return {r["id"] for r in resources if str(r.get("type", "")).endswith("fastpix:Media")}

    def outputs(self) -> dict[str, Any]:
        return dict(json.loads(self.stack.run("stack", "output", "--json").stdout))

    def comments(self, pr: int) -> list[dict[str, Any]]:
        return [c for c in self.github.comments.get(pr, []) if MARKER in c["body"]]


def client_pages(client: httpx.Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 1
    while True:
        body = client.get("/on-demand", params={"limit": 50, "offset": offset}).json()
        items += body["data"]
        if offset >= body["pagination"]["offsetCount"]:
            return items
        offset += 1


def expect(condition: bool, what: str) -> None:
    print(f"  {'ok ' if condition else 'FAILED'} {what}", flush=True)
    if not condition:
        raise SystemExit(f"rehearsal failed: {what}")


def expect_quietly(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"rehearsal failed: {what}")


def lessons(*numbers: int, title: str = "Lesson {}") -> dict[str, dict[str, object]]:
    return {f"lesson-{i}": {"url": URL, "title": title.format(i)} for i in numbers}


def play(r: Rehearsal) -> None:
    archive = {f"archive-{i}": {"url": URL, "title": f"Archive {i}", "retainOnDelete": True} for i in range(1, 5)}
    print("\n--- pull request #1 (alice): a first catalog of five lessons and four archived talks")
    r.commit({**lessons(1, 2, 3, 4, 5), **archive})
    pr = r.github.add_pull(author="alice", head_sha="c1")
    code, _, _ = r.plan(pr=pr)
    expect(code == 0 and "**passed**" in r.comments(pr)[0]["body"], EXPECTATIONS[0])
    r.github.merge(pr, "m1")
    code, run, _ = r.plan(commit="m1")
    expect_quietly(code == 0, "the plan of main passes")
    code, output = r.apply(run, "m1")
    expect(code == 0 and len(r.media()) == 9, EXPECTATIONS[1])
    expect_quietly("pipeline: checkpointed run" in output and "retainOnDelete" in output,
                   "creating retainOnDelete media keeps the engine's checkpoints")
    ids = {key: value["id"] for key, value in r.outputs().items()}

    print("\n--- pull request #2 (alice): retire lessons 2-5, no valid approval")
    doomed = ["lesson-2", "lesson-3", "lesson-4", "lesson-5"]
    r.commit({**lessons(1), **archive})
    pr = r.github.add_pull(author="alice", head_sha="c2")
    code, _, output = r.plan(pr=pr)
    expect(code == 1 and "**blocked**: deletes 4" in r.comments(pr)[0]["body"], EXPECTATIONS[2])
    expect(all(ids[key] in r.comments(pr)[0]["body"] for key in doomed), EXPECTATIONS[3])
    r.github.review(pr, by="alice", body="approve-media-deletions")  # GitHub refuses this; the check must too
    r.github.review(pr, by="bob", body="LGTM")
    code, _, output = r.plan(pr=pr)
    expect(len(r.comments(pr)) == 1, EXPECTATIONS[4])
    expect(code == 1 and "is the pull request's author" in output and "without saying" in output, EXPECTATIONS[5])
    r.github.merge(pr, "m2")
    before_media, before_state = r.media(), r.state_ids()
    code, run, _ = r.plan(commit="m2")
    expect_quietly(code == 1, "the plan of main is blocked too")
    code, output = r.apply(run, "m2")
    expect(code == 1 and "deletion gate blocks" in output and r.media() == before_media
           and r.state_ids() == before_state, EXPECTATIONS[6])

    print("\n--- pull request #3 (alice): the same, approved by bob for deletions")
    pr = r.github.add_pull(author="alice", head_sha="c3")
    r.github.review(pr, by="bob", body="Checked the list: approve-media-deletions")
    code, _, output = r.plan(pr=pr)
    expect(code == 0 and "Approved by @bob" in r.comments(pr)[0]["body"], EXPECTATIONS[7])
    r.github.merge(pr, "m3")
    code, run, _ = r.plan(commit="m3")
    expect_quietly(code == 0, "the plan of main passes with the approval")
    code, output = r.apply(run, "m3")
    expect(code == 0 and set(before_media) - set(r.media()) == {ids[key] for key in doomed}
           and len(r.media()) == 5, EXPECTATIONS[8])
    expect_quietly("pipeline: fast run" in output, "deleting media runs in the fast mode")

    print("\n--- pull request #4: retitle lesson 1, while someone applies another change in between")
    r.commit({**lessons(1, title="Lesson {}, recut"), **archive})
    pr = r.github.add_pull(author="alice", head_sha="c4", merge_commit_sha="m4")
    code, stale, _ = r.plan(commit="m4")
    expect_quietly(code == 0, "the plan of main passes")
    reviewed = dict(r.entries)
    r.commit({**lessons(1, title="Lesson {}, hotfix"), **archive})
    r.stack.up()  # someone with write access, from a laptop
    r.commit(reviewed)
    code, output = r.apply(stale, "m4")
    titles = {m["title"] for m in r.media().values()}
    expect(code == 1 and "changed since the plan was made" in output and "Lesson 1, hotfix" in titles, EXPECTATIONS[9])
    code, run, _ = r.plan(commit="m4")
    code, output = r.apply(run, "m4") if code == 0 else (code, "")
    expect(code == 0 and "Lesson 1, recut" in {m["title"] for m in r.media().values()}, EXPECTATIONS[10])

    print("\n--- pull request #5 (alice): release the four archived talks (retainOnDelete)")
    before_media = r.media()
    r.commit(lessons(1, title="Lesson {}, recut"))
    pr = r.github.add_pull(author="alice", head_sha="c5")
    code, _, _ = r.plan(pr=pr)
    comment = r.comments(pr)[0]["body"]
    expect(code == 0 and "releases 4" in comment and comment.count("released (kept in FastPix)") == 4, EXPECTATIONS[11])
    r.github.merge(pr, "m5")
    code, run, _ = r.plan(commit="m5")
    code, output = r.apply(run, "m5") if code == 0 else (code, "")
    archived = {ids[key] for key in archive}
    expect(code == 0 and r.media() == before_media and not (archived & r.state_ids()), EXPECTATIONS[12])

    print("\n--- the scheduled drift check")
    with httpx.Client(base_url=r.api_url, auth=AUTH) as client:
        client.patch(f"/on-demand/{ids['lesson-1']}", json={"title": "edited in the dashboard"})
    r.drift_check()
    issues = r.github.open_issues()
    expect(len(issues) == 1 and "`lesson-1` | update | title: \"edited in the dashboard\"" in issues[0]["body"], EXPECTATIONS[13])
    r.drift_check()
    expect(len(r.github.issues) == 1 and len(r.github.open_issues()) == 1, EXPECTATIONS[14])
    r.stack.up("--refresh")
    r.drift_check()
    expect(r.github.open_issues() == [] and r.github.issues[0]["state"] == "closed", EXPECTATIONS[15])


def main() -> int:
    emulator = EmulatorProcess(*AUTH, "--processing-delay", "0").start()
    try:
        with tempfile.TemporaryDirectory(prefix="fastpix-rehearsal-") as work, FakeGitHub() as github:
            os.environ.pop("FASTPIX_ALLOW_DELETIONS", None)
            play(Rehearsal(Path(work), emulator.api_url, github))
    finally:
        emulator.stop()
    print("\nrehearsal passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
