"""The scheduled drift check: one issue per stack, opened on drift, updated while it lasts, closed when clean.

    fastpix-drift-issue --stack production [--repo OWNER/NAME] [--run-url URL] [--preview-file drift.json]
    fastpix-drift-issue --list-drifted   # the stacks whose drift issue is open, one a line (opt-in auto-fix)

Runs `pulumi preview --refresh --expect-no-changes --json` (or reads its saved output): every step
that is not `same` is drift, a change made outside the catalog (a title edited in the dashboard, a
media deleted there) that the next `pulumi up` would undo. The issue is found by a hidden marker
naming the stack among the open issues labelled `fastpix-drift`: there is never more than one per
stack. A preview that failed for another reason decides nothing (exit 2): an outage is not "clean".
Writes `drift=true|false` to GITHUB_OUTPUT.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .github_api import GitHub, GitHubError

LABEL = "fastpix-drift"
LIMIT = 64_000  # GitHub refuses an issue body over 65,536 characters
EXPECTED_NO_CHANGES = "no changes were expected"


@dataclass(frozen=True)
class Change:
    key: str
    op: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Drift:
    changes: list[Change]
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Action:
    kind: str  # "open" | "update" | "close" | "none"
    number: int | None = None
    body: str = ""


def marker(stack: str) -> str:
    return f"<!-- fastpix-drift stack={stack} -->"


def drifted_stacks(open_issues: Sequence[Mapping[str, Any]]) -> list[str]:
    """The stacks named by the markers of open drift issues (only names made of safe characters)."""
    found = {m.group(1) for issue in open_issues
             for m in re.finditer(r"<!-- fastpix-drift stack=([A-Za-z0-9_.-]+) -->", str(issue.get("body") or ""))}
    return sorted(found)


def read_drift(text: str) -> Drift:
    """The changes and the unexpected errors of a `pulumi preview --refresh --expect-no-changes --json`."""
    try:
        document = json.loads(text)
    except ValueError:
        return Drift([], [f"the preview printed no JSON: {text.strip()[:300]!r}"])
    if not isinstance(document, dict):
        return Drift([], ["the preview printed no JSON object"])
    changes = []
    for step in document.get("steps") or []:
        op = str(step.get("op") or "")
        if op in {"same", "read", "refresh"}:
            continue
        changes.append(Change(str(step.get("urn", "")).rsplit("::", 1)[-1], op, _fields(step)))
    errors = [" ".join(str(d.get("message") or "").split()) for d in document.get("diagnostics") or []
              if isinstance(d, dict) and d.get("severity") == "error"]
    errors = [e for e in errors if EXPECTED_NO_CHANGES not in e and e not in {"error: preview failed"}]
    if "steps" not in document and not errors:
        errors.append("the preview's JSON has no steps")
    return Drift(changes, errors)


def _fields(step: Mapping[str, Any]) -> tuple[str, ...]:
    """What differs: `field: "in FastPix" → "in the catalog"`, from the refreshed old and the new inputs.

    Fields the catalog leaves unset (null in the new inputs) are not listed: FastPix's value stands.
    """
    old = (step.get("oldState") or {}).get("inputs") or {}
    new = (step.get("newState") or {}).get("inputs") or {}
    names = {k for k in new if new.get(k) is not None and old.get(k) != new.get(k)}
    return tuple(f"{name}: {_short(old.get(name))} → {_short(new.get(name))}" for name in sorted(names)
                 if not name.startswith("__"))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def render(stack: str, drift: Drift, run_url: str = "") -> str:
    where = f" ([run]({run_url}))" if run_url else ""
    lines = [marker(stack), f"Drift found in stack `{stack}`{where}: {len(drift.changes)} resources differ from the "
             "catalog. The next `pulumi up` puts them back as the catalog says; to keep a change made in the "
             "dashboard, put it in media.yaml.", "", "| resource | change | fields |", "|---|---|---|"]
    footer = ["", "This issue is updated by the scheduled drift check and closed when the stack is clean again."]
    for number, change in enumerate(drift.changes):
        fields = ", ".join(change.fields).replace("|", "\\|").replace("\n", " ") or "-"
        row = f"| `{change.key}` | {change.op} | {fields} |"
        if len("\n".join([*lines, row, *footer])) > LIMIT - 200:
            lines.append(f"| … | {len(drift.changes) - number} more not shown: see the run's log | |")
            break
        lines.append(row)
    return "\n".join(lines + footer) + "\n"


def decide(open_issues: Sequence[Mapping[str, Any]], stack: str, drift: Drift, run_url: str = "") -> Action:
    """What to do with the stack's drift issue; raises when the preview could not tell."""
    if drift.errors:
        raise RuntimeError("the drift check failed, so it decides nothing: " + "; ".join(drift.errors)[:1000])
    mine = sorted((i for i in open_issues if marker(stack) in str(i.get("body") or "")), key=lambda i: int(i["number"]))
    if drift.changes:
        body = render(stack, drift, run_url)
        return Action("update", int(mine[0]["number"]), body) if mine else Action("open", None, body)
    return Action("close", int(mine[0]["number"])) if mine else Action("none")


def carry_out(github: GitHub, action: Action, stack: str) -> None:
    if action.kind == "open":
        github.create_issue(f"Drift in FastPix stack {stack}", action.body, [LABEL])
    elif action.kind == "update" and action.number is not None:
        github.update_issue(action.number, body=action.body)
    elif action.kind == "close" and action.number is not None:
        github.update_issue(action.number, state="closed", state_reason="completed")


def run_preview(stack: str, pulumi: str = "pulumi") -> str:
    result = subprocess.run([pulumi, "preview", "--refresh", "--expect-no-changes", "--json", "--stack", stack,
                             "--non-interactive"], capture_output=True, text=True)
    return result.stdout


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack")
    which.add_argument("--list-drifted", action="store_true", help="print the stacks with an open drift issue")
    parser.add_argument("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY)")
    parser.add_argument("--run-url", default="", help="a link to this run, shown in the issue")
    parser.add_argument("--preview-file", type=Path, help="a saved preview instead of running one")
    parser.add_argument("--pulumi", default="pulumi", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.list_drifted:
        try:
            github = GitHub.from_environment(args.repo, environ)
            try:
                print("\n".join(drifted_stacks(github.open_issues(LABEL))))
            finally:
                github.close()
        except GitHubError as error:
            print(f"drift_issue: {error}", file=sys.stderr)
            return 2
        return 0
    text = args.preview_file.read_text() if args.preview_file else run_preview(args.stack, args.pulumi)
    drift = read_drift(text)
    try:
        github = GitHub.from_environment(args.repo, environ)
        try:
            action = decide(github.open_issues(LABEL), args.stack, drift, args.run_url)
            carry_out(github, action, args.stack)
        finally:
            github.close()
    except (GitHubError, RuntimeError) as error:
        print(f"drift_issue: {error}", file=sys.stderr)
        return 2
    print(f"stack {args.stack}: {len(drift.changes)} drifted; issue: {action.kind}"
          + (f" #{action.number}" if action.number else ""))
    if environ.get("GITHUB_OUTPUT"):
        with open(environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            out.write(f"drift={'true' if drift.changes else 'false'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
