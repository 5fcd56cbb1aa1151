"""The plan and apply jobs of the pipeline workflow, as one command the workflow and the rehearsal both run.

    fastpix-pipeline plan  --stack S --out DIR [--pr N | --commit SHA] [--max-deletes 0] [--max-replaces 0]
    fastpix-pipeline apply --stack S --plan-dir DIR [--commit SHA]

plan (read-only credentials): records a digest of the stack's state, runs
`pulumi preview --refresh --json --save-plan DIR/plan.json`, asks who approved the pull request's
deletions (approval.py), and runs the deletion gate. DIR then holds the reviewed plan, the preview,
the gate's full report (gate.md, also the job summary) and its comment (comment.md). Exits 1 when the
preview failed or the gate blocks.

apply (write credentials, after the environment's reviewers saw the plan job's summary): refuses
when the state moved since the plan (plan_digest.py), asks again who approved (the plan job's word is
not taken for it), runs the gate on the reviewed preview, then applies exactly the reviewed plan:
`pulumi up --refresh --plan DIR/plan.json` (Pulumi refuses any step the plan does not contain). Before it,
`fastpix-recover --check` must find nothing an interrupted run left behind (orphans, pending creates),
which would otherwise become duplicates. The run skips the engine's checkpoints (the fast mode: linear,
not quadratic, in the catalog's size) when every reviewed step is one `fastpix-recover --reconcile` can
redo after a crash; otherwise it checkpoints as usual (fast_mode.py; `--checkpoints always` forces that).
Run from the Pulumi project's folder, with `pulumi` on PATH; GitHub's API is asked when GH_TOKEN is set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from . import fast_mode, plan_digest
from .approval import Approval, decide, merged_pull_of
from .github_api import GitHub, GitHubError
from .recover import CHECK_FOUND_WORK

SUMMARY_LIMIT = 1_000_000  # GitHub keeps at most 1 MiB of a step's summary


def ask_approval(pr: int | None, commit: str | None, environ: Mapping[str, str]) -> Approval:
    if pr is None and not commit:
        return Approval("", ["no pull request: deletions are not approved"])
    if not (environ.get("GH_TOKEN") or environ.get("GITHUB_TOKEN")):
        return Approval("", ["no GitHub token: deletions are not approved"])
    github = GitHub.from_environment(None, environ)
    try:
        pull = github.pull(pr) if pr is not None else merged_pull_of(str(commit), github.pulls_of_commit(str(commit)))
        if not pull:
            return Approval("", [f"commit {str(commit)[:12]} is no merged pull request's"])
        return decide(pull, github.reviews(int(pull["number"])))
    finally:
        github.close()


def gate(stack: str, out: Path, approval: Approval, args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "fastpix_provider.cli.gate", str(out / "preview.json"), "--stack", stack,
               "--max-deletes", str(args.max_deletes), "--max-replaces", str(args.max_replaces),
               "--output", str(out / "gate.md"), "--comment-output", str(out / "comment.md"),
               "--full-report-hint", f"the job summary of the plan job and its `plan-{stack}` artifact"]
    if approval.approved:
        command += ["--approved-by", approval.by]
    return subprocess.run(command, env={k: v for k, v in os.environ.items() if k != "FASTPIX_ALLOW_DELETIONS"}).returncode


def report_approval(approval: Approval) -> None:
    print(f"deletions approved by @{approval.by}" if approval.approved else "deletions not approved", flush=True)
    for reason in approval.reasons:
        print(f"  {reason}", flush=True)


def plan(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    plan_digest.record(args.stack, out / "state.json", pulumi=args.pulumi)
    with open(out / "preview.json", "w", encoding="utf-8") as preview:
        previewed = subprocess.run([args.pulumi, "preview", "--refresh", "--json", "--save-plan", str(out / "plan.json"),
                                    "--stack", args.stack, "--non-interactive"], stdout=preview)
    approval = ask_approval(args.pr, args.commit, environ)
    report_approval(approval)
    gated = gate(args.stack, out, approval, args)
    if environ.get("GITHUB_STEP_SUMMARY") and (out / "gate.md").exists():
        full = (out / "gate.md").read_text(encoding="utf-8")
        summary = full if len(full.encode()) <= SUMMARY_LIMIT else (out / "comment.md").read_text(encoding="utf-8")
        with open(environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary)
    (out / "meta.json").write_text(json.dumps({"stack": args.stack, "approved_by": approval.by,
                                               "preview_exit": previewed.returncode, "gate_exit": gated}) + "\n")
    if environ.get("GITHUB_OUTPUT"):
        with open(environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(f"gate={'passed' if gated == 0 else 'blocked'}\n")
    if previewed.returncode != 0:
        print(f"pipeline: `pulumi preview` failed (exit {previewed.returncode}); see gate.md", file=sys.stderr)
        return 1
    return 0 if gated == 0 else 1


def apply(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    folder: Path = args.plan_dir
    try:
        plan_digest.verify(args.stack, folder / "state.json", pulumi=args.pulumi)
    except plan_digest.StateMoved as error:
        print(f"pipeline: refusing to apply: {error}", file=sys.stderr)
        return 1
    approval = ask_approval(None, args.commit, environ)
    report_approval(approval)
    if gate(args.stack, folder, approval, args) != 0:
        print("pipeline: refusing to apply: the deletion gate blocks this plan", file=sys.stderr)
        return 1
    return subprocess.run([args.pulumi, "up", "--yes", "--refresh", "--plan", str(folder / "plan.json"),
                           "--stack", args.stack, "--non-interactive"],
                          env=up_environment(args, folder, environ)).returncode


def up_environment(args: argparse.Namespace, folder: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the apply's `pulumi up`, once nothing an interrupted run left is in the way.

    Raises RuntimeError when `fastpix-recover --check` finds leftovers of an interrupted run (they would
    become duplicates, whatever the mode) or cannot tell. The fast mode only where fast_mode_allowed says so.
    """
    env = {k: v for k, v in environ.items() if k != fast_mode.SKIP_CHECKPOINTS}  # never the job's own say
    check = subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", args.stack, "--check"],
                           env=env)
    if check.returncode == CHECK_FOUND_WORK:
        raise RuntimeError("refusing to apply: an interrupted run left media or state behind (see above); recover "
                           "the stack, then plan the change again")
    if check.returncode != 0:
        raise RuntimeError(f"refusing to apply: could not check for what an interrupted run may have left behind "
                           f"(`fastpix-recover --check` exited {check.returncode}, see above); nothing was applied")
    if fast_mode_allowed(args, folder):
        env[fast_mode.SKIP_CHECKPOINTS] = "true"
    return env


def fast_mode_allowed(args: argparse.Namespace, folder: Path) -> bool:
    """Whether this apply may skip the engine's checkpoints (fast_mode.py); says why on stdout either way."""
    if args.checkpoints == "always":
        print("pipeline: checkpointed run (--checkpoints always)", flush=True)
        return False
    preview = json.loads((folder / "preview.json").read_text(encoding="utf-8") or "{}")
    blockers = fast_mode.decide(preview)
    if blockers:
        print(f"pipeline: checkpointed run: {len(blockers)} step(s) recovery cannot redo after a crash, e.g. "
              f"{blockers[0]}", flush=True)
        return False
    print("pipeline: fast run (the engine's checkpoints skipped; crash-safe with fastpix-recover --reconcile)",
          flush=True)
    return True


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=["plan", "apply"])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", type=Path, default=Path("plan-out"), help="plan: the folder to write")
    parser.add_argument("--plan-dir", type=Path, default=Path("plan-out"), help="apply: the plan job's folder")
    parser.add_argument("--pr", type=int, help="plan: the pull request being previewed")
    parser.add_argument("--commit", help="the commit on main being planned or applied")
    parser.add_argument("--max-deletes", type=int, default=0)
    parser.add_argument("--max-replaces", type=int, default=0)
    parser.add_argument("--checkpoints", choices=["auto", "always"], default="auto",
                        help="apply: 'auto' skips the engine's checkpoints (the fast mode) when every planned step is "
                             "one recovery can redo after a crash (see fastpix_provider/cli/fast_mode.py)")
    parser.add_argument("--pulumi", default="pulumi", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        return plan(args, environ) if args.job == "plan" else apply(args, environ)
    except (GitHubError, RuntimeError, OSError, ValueError) as error:
        print(f"pipeline: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
