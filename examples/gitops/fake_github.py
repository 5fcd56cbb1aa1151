"""A small in-process stand-in for the parts of GitHub's REST API the pipeline uses, for the rehearsal and tests.

    with FakeGitHub(token="t") as github:
        number = github.add_pull(author="alice", head_sha="abc")
        ...  # run the scripts with GITHUB_API_URL=github.url, GH_TOKEN=t, GITHUB_REPOSITORY=github.repo

It keeps pull requests, reviews, comments and issues in plain lists, serves them on 127.0.0.1 like
GitHub does (JSON, `Link: rel="next"` pages of `per_page`, 401 without the token), and refuses a
comment or issue body over 65,536 characters with 422, as GitHub does.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

BOT = {"login": "github-actions[bot]", "type": "Bot"}
BODY_LIMIT = 65_536


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeGitHub:
    token: str = "fake-github-token"
    repo: str = "acme/media"
    pulls: list[dict[str, Any]] = field(default_factory=list)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    _next_id: int = 1000

    # The model, as tests arrange it
    def add_pull(self, *, author: str, head_sha: str, merge_commit_sha: str | None = None) -> int:
        number = len(self.pulls) + len(self.issues) + 1
        self.pulls.append({"number": number, "user": {"login": author, "type": "User"}, "head": {"sha": head_sha},
                           "merge_commit_sha": merge_commit_sha, "merged_at": _now() if merge_commit_sha else None,
                           "state": "closed" if merge_commit_sha else "open"})
        return number

    def merge(self, number: int, merge_commit_sha: str) -> None:
        pull = self.pull(number)
        pull.update(merge_commit_sha=merge_commit_sha, merged_at=_now(), state="closed")

    def review(self, number: int, *, by: str, state: str = "APPROVED", body: str = "", commit: str | None = None,
               association: str = "MEMBER") -> None:
        self.reviews.setdefault(number, []).append({
            "id": self._id(), "user": {"login": by, "type": "User"}, "state": state, "body": body,
            "commit_id": commit or self.pull(number)["head"]["sha"], "author_association": association,
            "submitted_at": _now()})

    def pull(self, number: int) -> dict[str, Any]:
        return next(p for p in self.pulls if p["number"] == number)

    def open_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues if i["state"] == "open"]

    # The server
    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PATCH(self) -> None:
                fake._handle(self, "PATCH")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.calls.append(f"{method} {parts.path}")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._send(request, 401, {"message": "Bad credentials"})
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"{}") if length else {}
        prefix = f"/repos/{self.repo}"
        if not parts.path.startswith(prefix + "/"):
            return self._send(request, 404, {"message": "Not Found"})
        path = parts.path[len(prefix):]
        if isinstance(body, dict) and len(str(body.get("body") or "")) > BODY_LIMIT:
            return self._send(request, 422, {"message": "Validation Failed",
                                             "errors": [{"message": f"body is too long (maximum is {BODY_LIMIT} characters)"}]})
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"/pulls/(\d+)", lambda n: self.pull(int(n))),
            ("GET", r"/pulls/(\d+)/reviews", lambda n: self.reviews.get(int(n), [])),
            ("GET", r"/commits/(\w+)/pulls", lambda sha: [p for p in self.pulls if p["merge_commit_sha"] == sha]),
            ("GET", r"/issues/(\d+)/comments", lambda n: self.comments.get(int(n), [])),
            ("POST", r"/issues/(\d+)/comments", lambda n: self._add_comment(int(n), body)),
            ("PATCH", r"/issues/comments/(\d+)", lambda i: self._edit_comment(int(i), body)),
            ("GET", r"/issues", lambda: [self._issue_view(i) for i in self.issues
                                         if i["state"] == query.get("state", "open")
                                         and (not query.get("labels") or query["labels"] in i["labels"])]),
            ("POST", r"/issues", lambda: self._add_issue(body)),
            ("PATCH", r"/issues/(\d+)", lambda n: self._edit_issue(int(n), body)),
        ]
        for route_method, pattern, action in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                try:
                    result = action(*match.groups())
                except (StopIteration, KeyError):
                    return self._send(request, 404, {"message": "Not Found"})
                if isinstance(result, list):
                    return self._send_page(request, parts.path, query, result)
                return self._send(request, 201 if method == "POST" else 200, result)
        return self._send(request, 404, {"message": "Not Found"})

    def _add_comment(self, number: int, body: dict[str, Any]) -> dict[str, Any]:
        comment = {"id": self._id(), "body": body["body"], "user": dict(BOT), "created_at": _now()}
        self.comments.setdefault(number, []).append(comment)
        return comment

    def _edit_comment(self, comment_id: int, body: dict[str, Any]) -> dict[str, Any]:
        comment = next(c for cs in self.comments.values() for c in cs if c["id"] == comment_id)
        comment["body"] = body["body"]
        return comment

    def _add_issue(self, body: dict[str, Any]) -> dict[str, Any]:
        issue = {"number": len(self.pulls) + len(self.issues) + 1, "title": body["title"], "body": body.get("body", ""),
                 "labels": list(body.get("labels") or []), "state": "open", "user": dict(BOT)}
        self.issues.append(issue)
        return self._issue_view(issue)

    def _edit_issue(self, number: int, body: dict[str, Any]) -> dict[str, Any]:
        issue = next(i for i in self.issues if i["number"] == number)
        issue.update({k: v for k, v in body.items() if k in {"title", "body", "state", "state_reason"}})
        return self._issue_view(issue)

    @staticmethod
    def _issue_view(issue: dict[str, Any]) -> dict[str, Any]:
        return {**issue, "labels": [{"name": name} for name in issue["labels"]]}

    def _send_page(self, request: BaseHTTPRequestHandler, path: str, query: dict[str, str], items: list[Any]) -> None:
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page:page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?{urlencode({**query, "page": page + 1})}>; rel="next"'
        self._send(request, 200, chunk, headers)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
