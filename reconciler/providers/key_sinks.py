"""Where a new service-account key goes: the sink its manifest names, and nowhere else.

`ServiceAccountProvider` calls `check_sink` before it asks the API for an account (so a sink
that cannot take the key stops the create before a key exists) and `deliver_key` with the key
the API returned. A `file` sink is written atomically with mode 0600 (a temporary file in the
same folder, then renamed); a relative path must resolve inside the stack's folder (symlinks
included), and a folder created for it gets a `.gitignore` of `*` so the key stays out of Git.
A `github_output` sink appends `NAME=<key>` to `$GITHUB_OUTPUT` after the `::add-mask::`
workflow command, the one line that must reach stdout for GitHub to mask the key in logs.
The key is never logged, and never part of an error message.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError


def sink_path(sink: Mapping[str, Any], root: Path) -> Path | None:
    """The file a `file` sink names, checked to stay in the stack's folder when relative."""
    file = sink.get("file")
    if file is None:
        return None
    path = Path(str(file))
    if path.is_absolute():
        return path
    resolved = (root / path).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ConfigError(
            f"key_sink.file '{file}' resolves outside the stack's folder ({resolved}): give a "
            "path inside it, or an absolute path"
        )
    return resolved


def check_sink(
    sink: Mapping[str, Any], root: Path, environ: Mapping[str, str] | None = None
) -> None:
    """Raise ConfigError when the sink cannot take a key (before the key exists)."""
    env = os.environ if environ is None else environ
    if "github_output" in sink and sink["github_output"] is not None:
        if not env.get("GITHUB_OUTPUT"):
            raise ConfigError(
                f"key_sink.github_output '{sink['github_output']}': GITHUB_OUTPUT is not set "
                "(this sink works in a GitHub Actions step); use key_sink.file elsewhere"
            )
        return
    path = sink_path(sink, root)
    assert path is not None
    existing = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"key_sink.file '{sink['file']}': cannot create a file in {existing}")


def deliver_key(
    sink: Mapping[str, Any], key: str, root: Path, environ: Mapping[str, str] | None = None
) -> str:
    """Write `key` to the sink; a description of where it went (without the key)."""
    env = os.environ if environ is None else environ
    name = sink.get("github_output")
    if name is not None:
        sys.stdout.write(f"::add-mask::{key}\n")
        sys.stdout.flush()
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
            output.write(f"{name}={key}\n")
        return f"GitHub Actions output {name}"
    path = sink_path(sink, root)
    assert path is not None
    _make_parents(path.parent, root)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return f"file {path}"


def _make_parents(folder: Path, root: Path) -> None:
    """Create `folder` (mode 0700); the topmost folder created inside the stack gets a
    `.gitignore` of `*`."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    if not missing:
        return
    for created in reversed(missing):
        created.mkdir(mode=0o700, exist_ok=True)
        created.chmod(0o700)
    top = missing[-1]
    if top.resolve().is_relative_to(root.resolve()):
        (top / ".gitignore").write_text("*\n", encoding="utf-8")
