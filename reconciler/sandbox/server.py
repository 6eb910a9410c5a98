"""Runs the sandbox app on a real uvicorn HTTP server on loopback.

`running_sandbox()` is the context manager used by `--sandbox` and by the end-to-end tests: it
binds a free port, serves from a background thread and yields the base URL and keys; on exit
it stops the server promptly (`_PromptServer`). `reconciler sandbox serve` (sandbox/cli.py) is
the blocking form, on uvicorn's own server.
"""

from __future__ import annotations

import asyncio
import contextlib
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


class _PromptServer(uvicorn.Server):
    """uvicorn's server without its polling delays on the way out.

    uvicorn looks at `should_exit` every 0.1 s, then sleeps 0.1 s more after asking open
    connections to close and polls them in 0.1 s steps: about 0.15 s per stop, which was most
    of the test suite's time (every test starts and stops a server). `request_exit()` wakes the
    main loop at once, and `shutdown` takes uvicorn's steps with 1 ms polls, bounded.
    """

    POLL_SECONDS = 0.001
    GRACE_SECONDS = 5.0  # what running_sandbox waits for the thread

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake = asyncio.Event()  # bound to the server's loop at its first wait
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):  # the Date header, once a second, as uvicorn
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=0.1)

    def request_exit(self) -> None:
        """Called from another thread: stop serving now."""
        self.should_exit = True  # enough on its own before main_loop starts: it checks first
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # idle keep-alive connections close now, busy ones after
        deadline = time.monotonic() + self.GRACE_SECONDS
        state = self.server_state
        while (state.connections or state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(self.POLL_SECONDS)
        for task in state.tasks:
            task.cancel(msg="Task cancelled, the sandbox is stopping")
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 = any free port); OSError when it is taken.

    Bound here rather than by uvicorn so that the caller learns of a busy port before it starts
    anything (`sandbox serve` prints its keys only once the port is its own).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # TCP; with proto 0 every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's backlog; a second listener on the port fails here
    except OSError:
        sock.close()
        raise
    return sock


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
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    server = _PromptServer(_config(app, host, bound_port))
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
        server.request_exit()
        thread.join(timeout=_PromptServer.GRACE_SECONDS)
        sock.close()
        sandbox.store.close()
