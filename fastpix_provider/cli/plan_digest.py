"""Refuse to apply a reviewed plan to a state that moved since the plan was made.

    python -m fastpix_provider.cli.plan_digest record --stack S --output state.sha256    # plan job, before the preview
    python -m fastpix_provider.cli.plan_digest verify --stack S --expected state.sha256  # apply job, before up --plan

The digest is a SHA-256 of `pulumi stack export` (the checkpoint as the backend holds it, secrets
still encrypted), read with the same JSON canonical form at both ends. Pulumi's own `up --plan`
does not notice a state that moved (an `up` that ran in between is applied over), hence this check;
the apply job's concurrency group keeps another apply from slipping in between the check and the up.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path


class StateMoved(RuntimeError):
    """The stack's state is not the one the plan was made from."""


def digest(export_text: str) -> str:
    """SHA-256 of a `pulumi stack export`, independent of whitespace and key order."""
    canonical = json.dumps(json.loads(export_text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def export_state(stack: str, pulumi: str = "pulumi", cwd: str | None = None) -> str:
    result = subprocess.run([pulumi, "stack", "export", "--stack", stack, "--non-interactive"], cwd=cwd,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"`pulumi stack export --stack {stack}` failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def record(stack: str, output: Path, *, pulumi: str = "pulumi", cwd: str | None = None) -> str:
    value = digest(export_state(stack, pulumi, cwd))
    output.write_text(json.dumps({"stack": stack, "sha256": value}) + "\n")
    return value


def verify(stack: str, expected: Path, *, pulumi: str = "pulumi", cwd: str | None = None) -> str:
    planned = json.loads(expected.read_text())
    if planned.get("stack") != stack:
        raise StateMoved(f"the plan is for stack {planned.get('stack')!r}, not {stack!r}")
    value = digest(export_state(stack, pulumi, cwd))
    if value != planned.get("sha256"):
        raise StateMoved(f"the state of stack {stack!r} changed since the plan was made (sha256 {value[:12]}, "
                         f"planned from {str(planned.get('sha256'))[:12]}): another run applied in between. "
                         "Nothing was applied; re-run the workflow to plan and review again.")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["record", "verify"])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--output", type=Path, help="record: where to write the digest")
    parser.add_argument("--expected", type=Path, help="verify: the digest the plan job recorded")
    parser.add_argument("--pulumi", default="pulumi", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.action == "record":
            if not args.output:
                parser.error("record needs --output")
            print(f"state of {args.stack}: sha256 {record(args.stack, args.output, pulumi=args.pulumi)}")
        else:
            if not args.expected:
                parser.error("verify needs --expected")
            print(f"state of {args.stack} is the planned one: sha256 {verify(args.stack, args.expected, pulumi=args.pulumi)}")
    except (StateMoved, RuntimeError, OSError, ValueError) as error:
        print(f"plan_digest: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
