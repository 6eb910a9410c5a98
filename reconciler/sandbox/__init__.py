"""The local OpenAI API emulator (its own package: the reconciler core never imports it).

Public surface: `running_sandbox()` (a server on a free loopback port, as a context manager),
`create_app()` (the ASGI app) and the `sandbox` click group. See `docs/sandbox/README.md`.
"""

from .app import create_app
from .server import SandboxHandle, running_sandbox

__all__ = ["SandboxHandle", "create_app", "running_sandbox"]
