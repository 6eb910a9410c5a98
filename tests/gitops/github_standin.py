"""A stand-in for GitHub's REST API on 127.0.0.1 (http.server in a thread): the endpoints the
action's script calls, with in-memory issues, comments, pull requests, runs and artifacts,
`Link` pagination, and every request recorded for the tests to read."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str


@dataclass
class GitHubState:
    repository: str = "acme/platform"
    page_size: int = 100  # lower it to make every list paginate
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    next_id: int = 1000
    refuse: int | None = None  # answer every request with this status
    flaky: list[int] = field(default_factory=list)  # statuses of the next answers (Retry-After: 0)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_pull_request(self, number: int) -> None:
        self.issues[number] = {
            "number": number,
            "title": f"PR {number}",
            "body": "",
            "state": "open",
            "pull_request": {"url": "…"},
        }

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == number]

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests if r.method != "GET"]


class _Handler(BaseHTTPRequestHandler):
    state: GitHubState
    lock: threading.Lock

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> None:
        size = min(int(query.get("per_page", ["30"])[0]), self.state.page_size)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(items):
            parts = urlsplit(self.path)
            rest = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "page")
            host = f"http://{self.headers['Host']}"
            headers["Link"] = f'<{host}{parts.path}?{rest}&page={page + 1}>; rel="next"'
        self._answer(200, chunk, headers)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        with self.lock:
            self.state.requests.append(
                Recorded(method, parts.path, query, body, self.headers.get("Authorization", ""))
            )
            if self.state.flaky:
                status = self.state.flaky.pop(0)
                self._answer(status, {"message": "Server Error"}, {"Retry-After": "0"})
                return
            if self.state.refuse:
                self._answer(
                    self.state.refuse, {"message": "Resource not accessible by integration"}
                )
                return
            self._route(method, parts.path, query, body)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
        s = self.state
        base = f"/repos/{s.repository}"
        if not path.startswith(base):
            self._answer(404, {"message": "Not Found"})
            return
        rest = path[len(base) :]
        if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
            number = int(m[1])
            if number not in s.issues:
                self._answer(404, {"message": "Not Found"})
            elif method == "GET":
                self._page(sorted(s.comments_on(number), key=lambda c: c["id"]), query)
            else:
                made = {"id": s.new_id(), "issue": number, "body": body["body"]}
                s.comments[made["id"]] = made
                self._answer(201, made)
        elif m := re.fullmatch(r"/issues/comments/(\d+)", rest):
            comment = s.comments.get(int(m[1]))
            if comment is None:
                self._answer(404, {"message": "Not Found"})
            else:
                comment["body"] = body["body"]
                self._answer(200, comment)
        elif rest == "/issues" and method == "GET":
            state = query.get("state", ["open"])[0]
            found = [i for i in s.issues.values() if state == "all" or i["state"] == state]
            self._page(sorted(found, key=lambda i: i["number"]), query)
        elif rest == "/issues" and method == "POST":
            number = max([0, *s.issues]) + 1
            s.issues[number] = {"number": number, "state": "open", "labels": [], **body}
            self._answer(201, s.issues[number])
        elif m := re.fullmatch(r"/issues/(\d+)", rest):
            issue = s.issues.get(int(m[1]))
            if issue is None:
                self._answer(404, {"message": "Not Found"})
            else:
                issue.update(body or {})
                self._answer(200, issue)
        elif m := re.fullmatch(r"/commits/([0-9a-f]+)/pulls", rest):
            self._answer(200, s.commit_pulls.get(m[1], []))
        elif rest == "/actions/runs":
            sha, event = query.get("head_sha", [""])[0], query.get("event", [""])[0]
            runs = [r for r in s.runs if r["head_sha"] == sha and r["event"] == event]
            self._answer(200, {"total_count": len(runs), "workflow_runs": runs})
        elif m := re.fullmatch(r"/actions/runs/(\d+)/artifacts", rest):
            name = query.get("name", [""])[0]
            found = [a for a in s.artifacts.get(int(m[1]), []) if not name or a["name"] == name]
            self._answer(200, {"total_count": len(found), "artifacts": found})
        else:
            self._answer(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")


@contextmanager
def github_standin() -> Iterator[tuple[str, GitHubState]]:
    """(base URL, state) of a stand-in GitHub API on a free loopback port."""
    state = GitHubState()
    handler = type("Handler", (_Handler,), {"state": state, "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
