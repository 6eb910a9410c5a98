"""Find the manifest files of a stack: `*.yaml`/`*.yml` under a folder, or one given file.

Called first by the stack loader. Hidden files and folders and `.reconciler/` (the local cache)
are skipped; `reconciler.yaml` at the root is the stack config, not a manifest; one found in a
subfolder is skipped with a warning. A file that is not regular (a FIFO, a device, a symlink to
one) or a symlink leading out of the stack folder is an error, checked with `stat` only: it is
never opened. The order is sorted, so diagnostics and stacks are stable.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.config import CONFIG_FILENAME
from reconciler.errors import Diagnostics, SourceLocation
from reconciler.manifests.files import is_inside, not_a_regular_file
from reconciler.manifests.source import display_path

MANIFEST_SUFFIXES = (".yaml", ".yml")


def stack_root(path: Path) -> Path:
    """The folder holding reconciler.yaml: the path itself, or a single file's folder."""
    return path if path.is_dir() else path.parent


def find_manifest_files(path: Path, diagnostics: Diagnostics) -> list[Path]:
    """Manifest files under `path` (or `path` itself when it is a file), sorted."""
    if not path.exists():
        diagnostics.error(
            f"no such file or directory: {display_path(path)}",
            hint="give the folder that holds your manifests (and reconciler.yaml)",
        )
        return []
    if not path.is_dir():
        readable = _is_readable(path, path.parent, diagnostics)
        return [] if path.name == CONFIG_FILENAME or not readable else [path]
    found = sorted(_walk(path))
    for nested in (f for f in found if f.name == CONFIG_FILENAME and f.parent != path):
        diagnostics.warning(
            f"skipping {CONFIG_FILENAME} in a subfolder",
            SourceLocation(display_path(nested)),
            hint=f"only {display_path(path / CONFIG_FILENAME)} configures this stack",
        )
    manifests = [
        f for f in found if f.name != CONFIG_FILENAME and _is_readable(f, path, diagnostics)
    ]
    if not manifests:
        diagnostics.warning(f"no manifests (*.yaml, *.yml) found under {display_path(path)}")
    return manifests


def _is_readable(file: Path, root: Path, diagnostics: Diagnostics) -> bool:
    """A regular file inside the stack folder (after symlinks); else an error, and the file
    is never opened: a FIFO would block, a device never end, a symlink leak what it names."""
    kind = not_a_regular_file(file)
    if kind is not None:
        diagnostics.error(
            f"not a regular file: {kind}",
            SourceLocation(display_path(file)),
            hint="manifests are read from regular files only; replace or remove this one",
            code="unreadable-file",
        )
        return False
    if not is_inside(file, root):
        diagnostics.error(
            "this manifest is a symlink to a file outside the stack folder",
            SourceLocation(display_path(file)),
            hint=f"manifests are read from under {display_path(root) or '.'} only; "
            "copy the file into the stack folder instead",
            code="outside-stack",
        )
        return False
    return True


def _walk(root: Path) -> list[Path]:
    files: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        files.extend(
            Path(folder, name)
            for name in names
            if name.endswith(MANIFEST_SUFFIXES) and not name.startswith(".")
        )
    return files
