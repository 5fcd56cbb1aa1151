"""Post the gate's report as one comment per stack on a pull request, updated in place.

    fastpix-pr-comment --pr N --body-file comment.md --marker '<!-- fastpix-gate stack=production -->'

The comment is found by its hidden marker among the comments of the workflow's own bot (never
someone else's, never the last comment of whoever posted last), edited if it is there, created
otherwise. A body over GitHub's limit is refused here, with a clear message, rather than by GitHub.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .github_api import BOT_LOGIN, GitHub, GitHubError

LIMIT = 65_536


def upsert(github: GitHub, number: int, body: str, marker: str, *, author: str = BOT_LOGIN) -> str:
    """Create or update the comment carrying `marker`; returns "created" or "updated"."""
    if marker not in body:
        body = f"{marker}\n{body}"
    if len(body) > LIMIT:
        raise ValueError(f"the comment has {len(body)} characters, over GitHub's {LIMIT}: cut it first (the gate's "
                         "--comment-output does)")
    mine = [c for c in github.comments(number)
            if marker in str(c.get("body") or "") and (c.get("user") or {}).get("login") == author]
    if mine:
        github.update_comment(int(mine[0]["id"]), body)
        return "updated"
    github.create_comment(number, body)
    return "created"


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pr", type=int, required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--marker", required=True, help="the hidden line that identifies this comment")
    parser.add_argument("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY)")
    args = parser.parse_args(argv)
    try:
        github = GitHub.from_environment(args.repo, environ)
        try:
            outcome = upsert(github, args.pr, args.body_file.read_text(encoding="utf-8"), args.marker)
        finally:
            github.close()
    except (GitHubError, ValueError, OSError) as error:
        print(f"pr_comment: {error}", file=sys.stderr)
        return 1
    print(f"comment {outcome} on #{args.pr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
