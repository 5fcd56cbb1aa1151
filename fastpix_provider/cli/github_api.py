"""The few GitHub REST calls the pipeline's scripts make, over httpx.

The token comes from GH_TOKEN (or GITHUB_TOKEN), the API's address from GITHUB_API_URL and the
repository from GITHUB_REPOSITORY, as GitHub Actions sets them. Lists follow the `Link: rel="next"`
pages. Tests and the local rehearsal point GITHUB_API_URL at `fake_github.py`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

Json = dict[str, Any]
BOT_LOGIN = "github-actions[bot]"  # who GITHUB_TOKEN's comments and issues are by


class GitHubError(RuntimeError):
    """A call to GitHub's API failed; the message names the call and the status."""


class GitHub:
    def __init__(self, repo: str, token: str, api_url: str = "https://api.github.com",
                 transport: httpx.BaseTransport | None = None) -> None:
        if "/" not in repo:
            raise GitHubError(f"the repository must be OWNER/NAME, not {repo!r}")
        self.repo = repo
        self._client = httpx.Client(base_url=api_url.rstrip("/"), transport=transport, timeout=30, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "fastpix-gitops"})

    @classmethod
    def from_environment(cls, repo: str | None = None, environ: Mapping[str, str] = os.environ) -> GitHub:
        token = environ.get("GH_TOKEN") or environ.get("GITHUB_TOKEN")
        repo = repo or environ.get("GITHUB_REPOSITORY")
        if not token or not repo:
            raise GitHubError("GH_TOKEN (or GITHUB_TOKEN) and GITHUB_REPOSITORY (or --repo) are needed")
        return cls(repo, token, environ.get("GITHUB_API_URL") or "https://api.github.com")

    def close(self) -> None:
        self._client.close()

    # Pull requests and reviews (pull-requests: read)
    def pull(self, number: int) -> Json:
        return dict(self._call("GET", f"/repos/{self.repo}/pulls/{number}"))

    def pulls_of_commit(self, sha: str) -> list[Json]:
        return self._list(f"/repos/{self.repo}/commits/{sha}/pulls")

    def reviews(self, number: int) -> list[Json]:
        return self._list(f"/repos/{self.repo}/pulls/{number}/reviews")

    # Comments on a pull request (pull-requests: write)
    def comments(self, number: int) -> list[Json]:
        return self._list(f"/repos/{self.repo}/issues/{number}/comments")

    def create_comment(self, number: int, body: str) -> Json:
        return dict(self._call("POST", f"/repos/{self.repo}/issues/{number}/comments", {"body": body}))

    def update_comment(self, comment_id: int, body: str) -> Json:
        return dict(self._call("PATCH", f"/repos/{self.repo}/issues/comments/{comment_id}", {"body": body}))

    # Issues (issues: write)
    def open_issues(self, label: str) -> list[Json]:
        items = self._list(f"/repos/{self.repo}/issues", {"state": "open", "labels": label})
        return [item for item in items if "pull_request" not in item]

    def create_issue(self, title: str, body: str, labels: list[str]) -> Json:
        return dict(self._call("POST", f"/repos/{self.repo}/issues", {"title": title, "body": body, "labels": labels}))

    def update_issue(self, number: int, **fields: Any) -> Json:
        return dict(self._call("PATCH", f"/repos/{self.repo}/issues/{number}", fields))

    def _call(self, method: str, path: str, body: Json | None = None, params: Mapping[str, Any] | None = None) -> Any:
        try:
            response = self._client.request(method, path, json=body, params=params)
        except httpx.HTTPError as error:
            raise GitHubError(f"{method} {path}: {type(error).__name__}") from None
        if response.status_code >= 300:
            raise GitHubError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()

    def _list(self, path: str, params: Mapping[str, Any] | None = None) -> list[Json]:
        items: list[Json] = []
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": 100, **(params or {})}
        while url:
            try:
                response = self._client.get(url, params=query)
            except httpx.HTTPError as error:
                raise GitHubError(f"GET {path}: {type(error).__name__}") from None
            if response.status_code >= 300:
                raise GitHubError(f"GET {path}: HTTP {response.status_code} {response.text[:200]}")
            items += response.json()
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query
        return items
