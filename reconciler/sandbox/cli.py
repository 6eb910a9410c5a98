"""`reconciler sandbox ...` commands: the sandbox's own entry point, added to the main CLI.

`serve` binds its port first (a port in use fails with exit 1 before any key is printed), then
prints the base URL and the two keys to use and serves until interrupted.
"""

from __future__ import annotations

import errno
import json
import socket
from pathlib import Path

import click

from .app import ADMIN_KEY, PROJECT_KEY, create_app
from .faults import Faults


@click.group("sandbox")
def sandbox_group() -> None:
    """The local OpenAI API emulator."""


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--state",
    "state_file",
    default=".reconciler/sandbox.sqlite3",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite state file (kept across restarts).",
)
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=float,
    help="Sandbox seconds per wall-clock second (lifecycles run faster when higher).",
)
@click.option(
    "--fault",
    "fault_rules",
    multiple=True,
    help='A fault rule as JSON, e.g. \'{"kind": "429", "rate": 0.1, "route": "/v1/*"}\'.',
)
@click.option(
    "--admin-rate-limit",
    type=int,
    default=None,
    help="Admin API requests per minute before 429 (like the real admin API).",
)
def serve_command(
    host: str,
    port: int,
    state_file: Path,
    speed: float,
    fault_rules: tuple[str, ...],
    admin_rate_limit: int | None,
) -> None:
    """Serve the OpenAI API emulator over HTTP until interrupted."""
    import uvicorn

    from .server import _config

    sock = _listen(host, port)  # before anything is printed: a busy port prints no keys
    faults = Faults.from_env()
    if fault_rules:
        faults.set_rules([json.loads(rule) for rule in fault_rules])
    if admin_rate_limit is not None:
        faults.admin_rate_limit_per_minute = admin_rate_limit
    app = create_app(state_file, speed=speed, faults=faults)
    base_url = f"http://{host}:{port}/v1"
    click.echo(f"OpenAI API sandbox listening on {base_url}  (state: {state_file})")
    click.echo(f"  export OPENAI_BASE_URL={base_url}")
    click.echo(f"  export OPENAI_API_KEY={PROJECT_KEY}")
    click.echo(f"  export OPENAI_ADMIN_KEY={ADMIN_KEY}")
    click.echo(f"  control routes: http://{host}:{port}/_sandbox/  (clock, faults, switches)")
    try:
        uvicorn.Server(_config(app, host, port)).run(sockets=[sock])
    finally:
        sock.close()


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, or a one-line error naming the port and what to do (exit 1)."""
    from .server import bind_socket

    try:
        return bind_socket(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {host} is already in use (another sandbox may be running). "
                f"Stop what is using it, or pick a free port with --port."
            ) from None
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. "
            "Pick another address with --host or --port."
        ) from None
