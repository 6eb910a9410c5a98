"""QA: keys the API refuses and base URLs that are not the OpenAI API, through the real CLI.

Each case must fail with exit code 1, no traceback, a message naming the environment variable
to fix and how, no key value anywhere in the output, and nothing created.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, active_projects, set_faults

NAME = "TechCorp Support"
WRONG_PROJECT_KEY = "sk-proj-wrong-1111111111111111111111111111"
WRONG_ADMIN_KEY = "sk-admin-wrong-2222222222222222222222222222"


def refused(ws: Workspace, admin_client: openai.OpenAI, *args: str) -> str:
    """Run `plan specs` (or `args`), check the failure is clean; return stderr."""
    result = ws.run(*(args or ("plan", "specs")))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "\nerror: " in "\n" + result.stderr, result.stderr  # after any retry notices
    for key in (*ws.env.values(), WRONG_PROJECT_KEY, WRONG_ADMIN_KEY):
        if key and key.startswith("sk-"):
            assert key[8:] not in result.output  # not even the tail of a key
    assert active_projects(admin_client, NAME) == []
    return result.stderr


def test_a_wrong_project_key_names_the_variable(ws: Workspace, admin_client: openai.OpenAI) -> None:
    ws.env["OPENAI_API_KEY"] = WRONG_PROJECT_KEY
    message = refused(ws, admin_client)
    assert "HTTP 401" in message
    assert "Check OPENAI_API_KEY: the API refused that key" in message


def test_a_wrong_admin_key_names_the_variable(ws: Workspace, admin_client: openai.OpenAI) -> None:
    ws.env["OPENAI_ADMIN_KEY"] = WRONG_ADMIN_KEY
    message = refused(ws, admin_client)
    assert "list projects: HTTP 401" in message
    assert "Check OPENAI_ADMIN_KEY: the API refused that key" in message


def test_a_project_key_given_as_admin_key_is_named_as_such(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    ws.env["OPENAI_ADMIN_KEY"] = sandbox.project_key
    message = refused(ws, admin_client)
    assert "OPENAI_ADMIN_KEY holds a project key (sk-proj-...)" in message
    assert "set it to an admin key (sk-admin-...)" in message


def test_an_admin_key_given_as_project_key_is_named_as_such(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    ws.env["OPENAI_API_KEY"] = sandbox.admin_key
    message = refused(ws, admin_client)
    assert "OPENAI_API_KEY holds an admin key (sk-admin-...)" in message
    assert "set it to a project API key (sk-proj-...)" in message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_nothing_listening_at_the_base_url_names_it(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    origin = f"http://127.0.0.1:{free_port()}"
    ws.env["OPENAI_BASE_URL"] = origin + "/v1"
    message = refused(ws, admin_client)
    assert f"could not reach the API at {origin} (connection refused)" in message
    assert "Check OPENAI_BASE_URL, and that the server is running" in message


def test_a_base_url_that_is_not_an_openai_api_says_so(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    ws.env["OPENAI_BASE_URL"] = sandbox.control_url  # the sandbox's control routes
    message = refused(ws, admin_client)
    assert f"GET {sandbox.control_url}/files is not an OpenAI API route (HTTP 404)" in message
    assert "Check OPENAI_BASE_URL (it usually ends in /v1" in message


class _NotAnApi(BaseHTTPRequestHandler):
    """A web server that answers every GET with 200 and a body of `content_type`."""

    content_type = "text/html"
    body = b"<html><body>Welcome to nginx!</body></html>"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _PlainText(_NotAnApi):
    content_type = "text/plain"
    body = b"OK"


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A base URL (ending in /v1) served by `handler` on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_base_url_answering_web_pages_says_so(ws: Workspace, admin_client: openai.OpenAI) -> None:
    with serving(_NotAnApi) as url:
        ws.env["OPENAI_BASE_URL"] = url
        message = refused(ws, admin_client)
    assert f"{url}/files answered with a web page (HTTP 200), not the OpenAI API" in message
    assert "Check OPENAI_BASE_URL (it usually ends in /v1" in message


def test_a_base_url_answering_something_else_than_json_says_so(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    with serving(_PlainText) as url:
        ws.env["OPENAI_BASE_URL"] = url
        message = refused(ws, admin_client)
    assert "list files in the API key's project: the answer is not the OpenAI API's JSON" in message
    assert "Check OPENAI_BASE_URL (it usually ends in /v1" in message


def test_dropped_connections_are_not_blamed_on_the_base_url(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    set_faults(sandbox, [{"kind": "drop", "route": "/v1/files", "method": "GET"}])
    message = refused(ws, admin_client)
    assert "(the connection closed before the answer was complete)" in message
    assert "OPENAI_BASE_URL" not in message
    assert "If it keeps happening, check the network" in message


def test_a_failing_api_after_retries_says_to_try_again_later(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    set_faults(sandbox, [{"kind": "503", "retry_after": 0.05}])
    result = ws.run("plan", "specs")
    assert result.exit_code == 1, result.output
    assert result.stderr.count("retrying in 0.1s") == 4  # announced, then given up
    assert "error: list files in the API key's project: HTTP 503" in result.stderr
    assert "The API is failing on its side: try again in a few minutes" in result.stderr
