"""The local OpenAI API emulator (its own package: the reconciler core never imports it).

Public surface: `running_sandbox()` (a server on a free loopback port, as a context manager),
`create_app()` (the ASGI app) and the `sandbox` click group. See `docs/sandbox/README.md`.

The names are loaded on first use (PEP 562), so importing one sandbox module (`state`, `clock`,
a route module) does not import `app.py` and, through it, every other module: the package's
`__init__` would otherwise close an import circle through `app.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .server import SandboxHandle, running_sandbox

__all__ = ["SandboxHandle", "create_app", "running_sandbox"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("SandboxHandle", "running_sandbox"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
