"""Manifests in, typed resources out: the front door of every command.

`load_stack(path)` finds the YAML files, reads them with ruamel.yaml (round-trip, so every key
keeps its line and column), validates each document against its kind's model and checks the
stack as a whole; it returns a `Stack` or raises `ManifestError` carrying every problem.
"""

from __future__ import annotations

from reconciler.manifests.discovery import find_manifest_files
from reconciler.manifests.source import display_path
from reconciler.manifests.stack import (
    Stack,
    StackReading,
    check_references,
    load_stack,
    read_stack,
)

__all__ = [
    "Stack",
    "StackReading",
    "check_references",
    "display_path",
    "find_manifest_files",
    "load_stack",
    "read_stack",
]
