"""Who approved the deletions of a pull request: an approval its author cannot give or forge.

    python -m fastpix_provider.cli.approval (--pr N | --commit SHA) [--repo OWNER/NAME] [--github-output FILE]

An approval counts when a reviewer's latest review of the pull request (GitHub records who wrote
it; nobody can approve their own pull request)
- is APPROVED (a later "changes requested" or a dismissal withdraws it),
- is by someone other than the pull request's author, who is an owner, member or collaborator,
- was given on the pull request's final head commit (a push after it voids it), and
- says `approve-media-deletions` in its text: approving the code is not approving deletions.

With `--commit` (a push to main), the pull request is the merged one whose merge commit that is; a
push that is no merged pull request's has no approval. Prints the decision and its reasons; writes
`approved_by=LOGIN` (empty when none) to --github-output (GITHUB_OUTPUT). Exits 0 whatever it
decides, 2 when GitHub cannot be asked.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .github_api import GitHub, GitHubError

PHRASE = "approve-media-deletions"
TRUSTED = {"OWNER", "MEMBER", "COLLABORATOR"}
DECISIVE = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}


@dataclass(frozen=True)
class Approval:
    by: str  # the approver's login; empty when nobody approved
    reasons: list[str] = field(default_factory=list)  # why each other review did not count

    @property
    def approved(self) -> bool:
        return bool(self.by)


def decide(pull: Mapping[str, Any], reviews: Sequence[Mapping[str, Any]], *, phrase: str = PHRASE) -> Approval:
    """The approval of a pull request's deletions, from its reviews (in GitHub's order: oldest first)."""
    author = str((pull.get("user") or {}).get("login") or "")
    head = str((pull.get("head") or {}).get("sha") or "")
    latest: dict[str, Mapping[str, Any]] = {}
    for review in reviews:
        login = str((review.get("user") or {}).get("login") or "")
        if login and str(review.get("state")) in DECISIVE:
            latest[login] = review
    reasons = []
    words = re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)
    for login, review in latest.items():
        user = review.get("user") or {}
        if review.get("state") != "APPROVED":
            reasons.append(f"@{login}: latest review is {str(review.get('state')).lower().replace('_', ' ')}")
        elif login == author:
            reasons.append(f"@{login}: is the pull request's author")
        elif user.get("type") == "Bot":
            reasons.append(f"@{login}: is a bot")
        elif str(review.get("author_association")) not in TRUSTED:
            reasons.append(f"@{login}: is not an owner, member or collaborator")
        elif not head or review.get("commit_id") != head:
            reasons.append(f"@{login}: approved an earlier commit, not the final {head[:12]}")
        elif not words.search(str(review.get("body") or "")):
            reasons.append(f"@{login}: approved the code without saying `{phrase}`")
        else:
            return Approval(login, reasons)
    if not latest:
        reasons.append("no review approves the pull request")
    return Approval("", reasons)


def merged_pull_of(commit: str, pulls: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The merged pull request whose merge commit is `commit` (a squash, merge or rebase of it)."""
    merged = [p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == commit]
    return merged[0] if len(merged) == 1 else None


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--pr", type=int, help="the pull request's number")
    which.add_argument("--commit", help="a commit on main: the merged pull request behind it")
    parser.add_argument("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY)")
    parser.add_argument("--github-output", default=environ.get("GITHUB_OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        github = GitHub.from_environment(args.repo, environ)
        try:
            if args.pr is not None:
                pull: Mapping[str, Any] | None = github.pull(args.pr)
            else:
                pull = merged_pull_of(args.commit, github.pulls_of_commit(args.commit))
            approval = decide(pull, github.reviews(int(pull["number"]))) if pull else \
                Approval("", [f"commit {args.commit[:12]} is no merged pull request's"])
        finally:
            github.close()
    except GitHubError as error:
        print(f"approval: cannot ask GitHub: {error}", file=sys.stderr)
        return 2
    print(f"deletions approved by @{approval.by}" if approval.approved else "deletions not approved")
    for reason in approval.reasons:
        print(f"  {reason}")
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as out:
            out.write(f"approved_by={approval.by}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
