"""Runs the sandbox app on a real uvicorn HTTP server on loopback.

`running_sandbox()` is the context manager used by `--sandbox` and by the end-to-end tests: it
binds a free port, serves from a background thread and yields the base URL and keys. `serve()`
is the blocking form behind `reconciler sandbox serve`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .faults import Faults


@dataclass(frozen=True)
class SandboxHandle:
    """Where a running sandbox listens and the keys to call it with."""

    base_url: str  # e.g. http://127.0.0.1:41234/v1 (what OPENAI_BASE_URL takes)
    admin_key: str
    project_key: str
    app: Starlette

    @property
    def control_url(self) -> str:
        return self.base_url.removesuffix("/v1") + "/_sandbox"


def _config(app: Starlette, host: str, sock_port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=sock_port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
    )


@contextmanager
def running_sandbox(
    state_file: Path | str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 1.0,
    faults: Faults | None = None,
) -> Iterator[SandboxHandle]:
    """Start a sandbox server in a thread (port 0 = any free port); stop it on exit."""
    app = create_app(state_file, speed=speed, faults=faults)
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # TCP; with proto 0 every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, host, bound_port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.005)
    sandbox = app.state.sandbox
    try:
        yield SandboxHandle(
            base_url=f"http://{host}:{bound_port}/v1",
            admin_key=sandbox.admin_key,
            project_key=sandbox.project_key,
            app=app,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
        sandbox.store.close()
