"""QA: `429 insufficient_quota` is not a rate limit: apply must not retry it, and must say why.

The sandbox has no quota fault, so a small stand-in server answers the demo's first apply:
empty file and project lists, then the quota error on its first write.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .e2e import Workspace

QUOTA_ERROR = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}


class _OutOfQuota(BaseHTTPRequestHandler):
    posts: list[str] = []

    def do_GET(self) -> None:
        self._answer(200, {"object": "list", "data": [], "has_more": False})

    def do_POST(self) -> None:
        self.posts.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(429, QUOTA_ERROR)

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def out_of_quota() -> Iterator[str]:
    _OutOfQuota.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OutOfQuota)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_insufficient_quota_fails_at_once_saying_to_check_billing(
    ws: Workspace, out_of_quota: str
) -> None:
    ws.env["OPENAI_BASE_URL"] = out_of_quota
    result = ws.run("apply", "specs", "--auto-approve")
    assert result.exit_code == 1, result.output
    assert "retrying" not in result.output
    assert "You exceeded your current quota" in result.output
    assert "Check the organization's billing and usage limits" in result.output
    assert _OutOfQuota.posts == ["/v1/files"]  # the first write (the stack's lock), sent once
