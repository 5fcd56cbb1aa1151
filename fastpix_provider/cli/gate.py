"""The deletion gate: stop a pipeline whose `pulumi preview` would delete or replace media without approval.

    pulumi preview --json > preview.json
    fastpix-gate preview.json [--max-deletes 0] [--max-replaces 0] [--stack prod]
        [--output gate.md] [--comment-output comment.md] [--approved-by LOGIN | --allow]

Deleting a FastPix media cannot be undone, and a replace deletes the old media too (its playback ids
and URLs stop working). The gate lists every media the preview would delete or replace (key, media
id, title) as a Markdown table a pipeline can post on the pull request, and exits 1 when there are
more than allowed (by default: none), unless the run is approved: `--approved-by LOGIN` (who approved,
as the pipeline established it), `--allow`, or FASTPIX_ALLOW_DELETIONS=true.

A media removed while under `retainOnDelete` is *released*: Pulumi forgets it and FastPix keeps it, so
it is listed as "released (kept in FastPix)" and never counted as a deletion. A protected media is
marked: Pulumi refuses to delete it and the run fails. A preview that failed blocks, with its errors.

The comment version (`--comment-output`) starts with a hidden marker naming the stack, so a pipeline
finds and updates its own comment, and is cut to fit GitHub's comment limit (65,536 characters) with a
summary line and a note saying where the full table is. It reads `pulumi preview --json` output, or the
engine's event log (`--event-log`, one JSON event per line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import MEDIA_TYPE_SUFFIX

# `discard` removes a resource that was only read (`get`): Pulumi never deletes it.
DELETE_OPS = {"delete", "discard"}
REPLACE_OPS = {"replace", "create-replacement", "delete-replaced", "discard-replaced"}
OVERRIDE_VARIABLE = "FASTPIX_ALLOW_DELETIONS"
DEFAULT_MAX_DELETES = 0
DEFAULT_MAX_REPLACES = 0
GITHUB_COMMENT_LIMIT = 65_536
# Room under GitHub's limit: it is counted in characters, this cap in UTF-8 bytes (never fewer).
DEFAULT_COMMENT_CAP = 64_000
DEFAULT_FULL_REPORT_HINT = "the run's job summary and its `gate` artifact"
MAX_ERROR_CHARS = 500
MAX_ERRORS = 5


class PlanError(ValueError):
    """The input is neither `pulumi preview --json` output nor an engine event log."""


@dataclass(frozen=True)
class Removal:
    """A media the preview would delete, release (retainOnDelete) or replace (which deletes the old media)."""

    key: str
    action: str  # "delete" | "replace" | "release"
    media_id: str
    title: str
    protected: bool = False
    retained: bool = False  # under retainOnDelete: FastPix keeps the (old) media


@dataclass(frozen=True)
class Preview:
    """What the gate reads from one preview: the removals, and the errors the preview ended with."""

    removals: list[Removal]
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    removals: tuple[Removal, ...]
    max_deletes: int
    max_replaces: int
    override: bool
    approved_by: str = ""
    errors: tuple[str, ...] = ()

    @property
    def deletes(self) -> list[Removal]:
        return [r for r in self.removals if r.action == "delete"]

    @property
    def replaces(self) -> list[Removal]:
        return [r for r in self.removals if r.action == "replace"]

    @property
    def releases(self) -> list[Removal]:
        return [r for r in self.removals if r.action == "release"]

    @property
    def protected(self) -> list[Removal]:
        return [r for r in self.removals if r.protected]

    @property
    def over_limit(self) -> bool:
        return len(self.deletes) > self.max_deletes or len(self.replaces) > self.max_replaces

    @property
    def approved(self) -> bool:
        return self.override or bool(self.approved_by)

    @property
    def passed(self) -> bool:
        return not self.errors and (self.approved or not self.over_limit)


def removals_from_steps(steps: Iterable[Mapping[str, Any]]) -> list[Removal]:
    """Deletes, releases and replaces of media among preview steps (`op`, `urn`, `oldState`/`old`)."""
    found: dict[str, Removal] = {}
    for step in steps:
        op = str(step.get("op", ""))
        urn = str(step.get("urn", ""))
        old = step.get("oldState") or step.get("old") or {}
        kind = str(step.get("type") or old.get("type") or "")
        if not kind.endswith(MEDIA_TYPE_SUFFIX) or (op not in DELETE_OPS and op not in REPLACE_OPS):
            continue
        # The engine skips the provider's delete for these (pkg/resource/deploy/step.go, DeleteStep.Apply).
        retained = bool(old.get("retainOnDelete")) or bool(old.get("external")) or op in {"discard", "discard-replaced"}
        if op in DELETE_OPS:
            action = "release" if retained else "delete"
        else:
            action = "replace"
        values = {**(old.get("inputs") or {}), **(old.get("outputs") or {})}
        removal = Removal(key=urn.rsplit("::", 1)[-1], action=action,
                          media_id=str(old.get("id") or values.get("media_id") or ""),
                          title=str(values.get("title") or ""), protected=bool(old.get("protect")), retained=retained)
        # A replace shows up as several steps of one URN (replace, create-replacement, delete-replaced): one row.
        previous = found.get(urn)
        if previous is None or (action == "replace" and previous.action != "replace"):
            found[urn] = removal
        elif action == "replace":
            found[urn] = Removal(previous.key, "replace", previous.media_id or removal.media_id,
                                 previous.title or removal.title, previous.protected or removal.protected,
                                 previous.retained or removal.retained)
    order = {"delete": 0, "replace": 1, "release": 2}
    return sorted(found.values(), key=lambda r: (order[r.action], r.key))


def read_preview(text: str) -> Preview:
    """Removals and errors from `pulumi preview --json` output or an engine event log."""
    stripped = text.strip()
    if not stripped:
        raise PlanError("the input is empty: pass the output of `pulumi preview --json`")
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None
    if isinstance(document, dict) and "steps" in document:
        errors = [_message(d) for d in document.get("diagnostics") or []
                  if isinstance(d, dict) and d.get("severity") == "error"]
        return Preview(removals_from_steps(document["steps"] or []), errors)
    steps = []
    errors = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        try:
            event = json.loads(line)
        except ValueError:
            raise PlanError(f"line {number} is not JSON: pass `pulumi preview --json` output or an event log") from None
        if not isinstance(event, dict):
            continue
        metadata = (event.get("resourcePreEvent") or {}).get("metadata")
        if metadata:
            steps.append(metadata)
        diagnostic = event.get("diagnosticEvent") or {}
        if diagnostic.get("severity") == "error":
            errors.append(_message(diagnostic))
    if not steps and not (isinstance(document, dict) and "sequence" in document):
        raise PlanError("found no preview steps: pass the output of `pulumi preview --json`")
    return Preview(removals_from_steps(steps), errors)


def read_plan(text: str) -> list[Removal]:
    """Removals from `pulumi preview --json` output or an engine event log."""
    return read_preview(text).removals


def judge(removals: list[Removal], *, max_deletes: int, max_replaces: int, override: bool,
          approved_by: str = "", errors: Iterable[str] = ()) -> Verdict:
    return Verdict(tuple(removals), max_deletes, max_replaces, override, approved_by, tuple(errors))


def comment_marker(stack: str) -> str:
    """The hidden line that identifies the gate's comment for one stack on a pull request."""
    return f"<!-- fastpix-gate stack={stack or 'default'} -->"


def summary_line(verdict: Verdict) -> str:
    if verdict.errors:
        state = "blocked: the preview failed"
    elif not verdict.passed:
        state = "blocked"
    elif verdict.over_limit:
        state = "approved"
    else:
        state = "passed"
    return (f"**{state}**: deletes {len(verdict.deletes)}, replaces {len(verdict.replaces)}, "
            f"releases {len(verdict.releases)} (kept in FastPix); allowed without approval: "
            f"{verdict.max_deletes} deletes, {verdict.max_replaces} replaces.")


def render_markdown(verdict: Verdict, *, stack: str = "", marker: bool = False, max_chars: int | None = None,
                    full_report_hint: str = DEFAULT_FULL_REPORT_HINT) -> str:
    """The report; with `max_chars`, rows are left out (and counted) so it fits in that many UTF-8 bytes."""
    where = f" ({stack})" if stack else ""
    state = "passed" if verdict.passed else "blocked"
    head = [comment_marker(stack)] if marker else []
    head += [f"### FastPix deletion gate{where}: {state}", "", summary_line(verdict), ""]
    for error in verdict.errors[:MAX_ERRORS]:
        head.append(f"> The preview failed: {_cell(error[:MAX_ERROR_CHARS])}")
    if len(verdict.errors) > MAX_ERRORS:
        head.append(f"> … and {len(verdict.errors) - MAX_ERRORS} more errors: see the preview's output.")
    if verdict.errors:
        head.append("")
    if not verdict.removals:
        return "\n".join([*head, "This change deletes, releases and replaces no media.", ""])
    if verdict.deletes or verdict.replaces:
        head.append(f"This change **deletes {len(verdict.deletes)}** and **replaces {len(verdict.replaces)}** media. "
                    "FastPix cannot restore a deleted media; a replace deletes the old media and its playback URLs.")
        head.append("")
    head += ["| key | action | media id | title |", "|---|---|---|---|"]
    rows = [_row(removal) for removal in verdict.removals]
    tail = ["", *_advice(verdict)]
    text = "\n".join(head + rows + tail) + "\n"
    if max_chars is None or _size(text) <= max_chars:
        return text
    # Keep as many rows as fit, with a note saying how many are left out and where the full table is.
    def cut(shown: int) -> str:
        note = [f"| … | {len(rows) - shown} more rows not shown | | |", "",
                f"The table is cut to fit a comment: {shown} of {len(rows)} rows shown. "
                f"The full table is in {full_report_hint}."]
        return "\n".join(head + rows[:shown] + note + tail) + "\n"

    shown = 0
    budget = max_chars - _size(cut(0)) - 16  # the counts in the note may grow by a few digits
    while shown < len(rows) and _size(rows[shown]) + 1 <= budget:
        budget -= _size(rows[shown]) + 1
        shown += 1
    return cut(shown)


def _row(removal: Removal) -> str:
    if removal.action == "release":
        action = "released (kept in FastPix)"
    elif removal.action == "replace" and removal.retained:
        action = "replace (old media kept in FastPix)"
    else:
        action = removal.action
    if removal.protected:
        action += " (protected: the run will fail)"
    return f"| `{_cell(removal.key)}` | {action} | `{_cell(removal.media_id)}` | {_cell(removal.title)} |"


def _advice(verdict: Verdict) -> list[str]:
    lines = []
    if verdict.releases:
        lines.append(f"{len(verdict.releases)} media under `retainOnDelete` leave the stack and stay in FastPix "
                     "(their playback URLs keep working); they need no approval.")
    if verdict.over_limit and verdict.approved:
        who = f"@{verdict.approved_by}" if verdict.approved_by else f"{OVERRIDE_VARIABLE} / --allow"
        lines.append(f"Approved by {who}, so the gate lets this change through.")
    elif verdict.over_limit:
        lines.append("To apply it, it needs an approval given by someone other than the pull request's author "
                     f"(the pipeline passes it as `--approved-by`; locally `--allow` or {OVERRIDE_VARIABLE}=true). "
                     "Or keep the media: restore the catalog entries; or first merge a change that marks them "
                     "`retainOnDelete: true` (applied by `pulumi up`), then remove them: they are then released, "
                     "not deleted.")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _message(diagnostic: Mapping[str, Any]) -> str:
    return " ".join(str(diagnostic.get("message") or "").split())


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="fastpix-gate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", nargs="?", default="-", help="preview JSON or event log file; - for standard input")
    parser.add_argument("--max-deletes", type=int, default=DEFAULT_MAX_DELETES)
    parser.add_argument("--max-replaces", type=int, default=DEFAULT_MAX_REPLACES)
    parser.add_argument("--allow", action="store_true", help=f"approved: pass whatever it deletes (or {OVERRIDE_VARIABLE}=true)")
    parser.add_argument("--approved-by", default="", metavar="LOGIN",
                        help="approved by this person (as the pipeline established it): pass, naming them")
    parser.add_argument("--stack", default="", help="the stack's name, shown in the heading and the comment marker")
    parser.add_argument("--output", help="also write the full Markdown report to this file (a job summary)")
    parser.add_argument("--comment-output", metavar="FILE",
                        help="also write the pull-request comment: marker first, cut to fit GitHub's limit")
    parser.add_argument("--comment-limit", type=int, default=DEFAULT_COMMENT_CAP, help=argparse.SUPPRESS)
    parser.add_argument("--full-report-hint", default=DEFAULT_FULL_REPORT_HINT,
                        help="where a reader finds the full table when the comment is cut")
    args = parser.parse_args(argv)
    if args.max_deletes < 0 or args.max_replaces < 0:
        parser.error("--max-deletes and --max-replaces must be 0 or more")
    try:
        text = sys.stdin.read() if args.plan == "-" else open(args.plan, encoding="utf-8").read()
        preview = read_preview(text)
    except (OSError, PlanError) as error:
        print(f"fastpix gate: {error}", file=sys.stderr)
        return 2
    verdict = judge(preview.removals, max_deletes=args.max_deletes, max_replaces=args.max_replaces,
                    override=args.allow or _truthy(environ.get(OVERRIDE_VARIABLE)), approved_by=args.approved_by.strip(),
                    errors=preview.errors)
    report = render_markdown(verdict, stack=args.stack)
    print(report, end="")
    if args.output:
        _write(args.output, report)
    if args.comment_output:
        _write(args.comment_output, render_markdown(verdict, stack=args.stack, marker=True, max_chars=args.comment_limit,
                                                    full_report_hint=args.full_report_hint))
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
