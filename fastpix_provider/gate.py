"""The deletion gate: stop a pipeline whose `pulumi preview` would delete or replace too many media.

    pulumi preview --json > preview.json
    python -m fastpix_provider.gate preview.json [--max-deletes 3] [--max-replaces 0] [--allow]

Deleting a FastPix media cannot be undone, and a replace deletes the old media too (its playback ids
and URLs stop working). The gate lists every media the preview would delete or replace (key, media
id, title) as a Markdown table a pipeline can post on the pull request, and exits 1 when there are
more than allowed, unless the run is approved: `--allow`, or FASTPIX_ALLOW_DELETIONS=true, which a
pipeline sets from a reviewer's approval. It reads `pulumi preview --json` output, or the engine's
event log (`--event-log`, one JSON event per line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MEDIA_TYPE_SUFFIX = "fastpix:Media"
DELETE_OPS = {"delete", "discard"}
REPLACE_OPS = {"replace", "create-replacement", "delete-replaced", "discard-replaced"}
OVERRIDE_VARIABLE = "FASTPIX_ALLOW_DELETIONS"
DEFAULT_MAX_DELETES = 3
DEFAULT_MAX_REPLACES = 0


class PlanError(ValueError):
    """The input is neither `pulumi preview --json` output nor an engine event log."""


@dataclass(frozen=True)
class Removal:
    """A media the preview would delete, or replace (which deletes the old media)."""

    key: str
    action: str  # "delete" | "replace"
    media_id: str
    title: str
    protected: bool = False


@dataclass(frozen=True)
class Verdict:
    removals: tuple[Removal, ...]
    max_deletes: int
    max_replaces: int
    override: bool

    @property
    def deletes(self) -> list[Removal]:
        return [r for r in self.removals if r.action == "delete"]

    @property
    def replaces(self) -> list[Removal]:
        return [r for r in self.removals if r.action == "replace"]

    @property
    def over_limit(self) -> bool:
        return len(self.deletes) > self.max_deletes or len(self.replaces) > self.max_replaces

    @property
    def passed(self) -> bool:
        return self.override or not self.over_limit


def removals_from_steps(steps: Iterable[Mapping[str, Any]]) -> list[Removal]:
    """Deletes and replaces of media among preview steps (`op`, `urn`, `oldState`/`old`)."""
    found: dict[str, Removal] = {}
    for step in steps:
        op = str(step.get("op", ""))
        urn = str(step.get("urn", ""))
        old = step.get("oldState") or step.get("old") or {}
        kind = str(step.get("type") or old.get("type") or "")
        if not kind.endswith(MEDIA_TYPE_SUFFIX) or (op not in DELETE_OPS and op not in REPLACE_OPS):
            continue
        action = "delete" if op in DELETE_OPS else "replace"
        values = {**(old.get("inputs") or {}), **(old.get("outputs") or {})}
        removal = Removal(key=urn.rsplit("::", 1)[-1], action=action, media_id=str(old.get("id") or values.get("media_id") or ""),
                          title=str(values.get("title") or ""), protected=bool(old.get("protect")))
        # A replace shows up as several steps of one URN; one row each.
        if urn not in found or action == "replace":
            found[urn] = removal
    return sorted(found.values(), key=lambda r: (r.action, r.key))


def read_plan(text: str) -> list[Removal]:
    """Removals from `pulumi preview --json` output or an engine event log."""
    stripped = text.strip()
    if not stripped:
        raise PlanError("the input is empty: pass the output of `pulumi preview --json`")
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None
    if isinstance(document, dict) and "steps" in document:
        return removals_from_steps(document["steps"] or [])
    steps = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        try:
            event = json.loads(line)
        except ValueError:
            raise PlanError(f"line {number} is not JSON: pass `pulumi preview --json` output or an event log") from None
        metadata = (event.get("resourcePreEvent") or {}).get("metadata") if isinstance(event, dict) else None
        if metadata:
            steps.append(metadata)
    if not steps and not (isinstance(document, dict) and "sequence" in document):
        raise PlanError("found no preview steps: pass the output of `pulumi preview --json`")
    return removals_from_steps(steps)


def judge(removals: list[Removal], *, max_deletes: int, max_replaces: int, override: bool) -> Verdict:
    return Verdict(tuple(removals), max_deletes, max_replaces, override)


def render_markdown(verdict: Verdict) -> str:
    if not verdict.removals:
        return "### FastPix deletion gate: passed\n\nThis change deletes and replaces no media.\n"
    state = "passed" if verdict.passed else "blocked"
    lines = [f"### FastPix deletion gate: {state}", ""]
    lines.append(f"This change **deletes {len(verdict.deletes)}** and **replaces {len(verdict.replaces)}** media "
                 f"(allowed without approval: {verdict.max_deletes} deletes, {verdict.max_replaces} replaces). "
                 "FastPix cannot restore a deleted media; a replace deletes the old media and its playback URLs.")
    lines += ["", "| key | action | media id | title |", "|---|---|---|---|"]
    for removal in verdict.removals:
        note = " (protected: the run will fail)" if removal.protected else ""
        lines.append(f"| `{removal.key}` | {removal.action}{note} | `{removal.media_id}` | {_cell(removal.title)} |")
    lines.append("")
    if verdict.over_limit and verdict.override:
        lines.append(f"Approved: {OVERRIDE_VARIABLE} is set, so the gate lets this change through.")
    elif verdict.over_limit:
        lines.append(f"To apply it, have it approved: the pipeline sets {OVERRIDE_VARIABLE}=true (or passes `--allow`). "
                     "Or keep the media: restore the catalog entries, or mark them `retainOnDelete: true`.")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastpix_provider.gate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", nargs="?", default="-", help="preview JSON or event log file; - for standard input")
    parser.add_argument("--max-deletes", type=int, default=DEFAULT_MAX_DELETES)
    parser.add_argument("--max-replaces", type=int, default=DEFAULT_MAX_REPLACES)
    parser.add_argument("--allow", action="store_true", help=f"approved: pass whatever it deletes (or {OVERRIDE_VARIABLE}=true)")
    parser.add_argument("--output", help="also write the Markdown report to this file (for a PR comment)")
    args = parser.parse_args(argv)
    if args.max_deletes < 0 or args.max_replaces < 0:
        parser.error("--max-deletes and --max-replaces must be 0 or more")
    try:
        text = sys.stdin.read() if args.plan == "-" else open(args.plan, encoding="utf-8").read()
        removals = read_plan(text)
    except (OSError, PlanError) as error:
        print(f"fastpix gate: {error}", file=sys.stderr)
        return 2
    verdict = judge(removals, max_deletes=args.max_deletes, max_replaces=args.max_replaces,
                    override=args.allow or _truthy(environ.get(OVERRIDE_VARIABLE)))
    report = render_markdown(verdict)
    print(report, end="")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(report)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
