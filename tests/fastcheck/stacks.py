"""Valid stacks for the fast-path tests, written as text so that tests can mutate them."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path

from .conftest import chat_lines

RICH_STACK = {
    "reconciler.yaml": """
        # Stack-wide settings
        stack: rich
        default_project: Project/core   # datasets without `project:` go here
        """,
    "projects.yaml": """
        apiVersion: reconciler/v1
        kind: Project
        metadata:
          name: core
          labels: {team: platform, tier: "1"}
        spec:
          name: Core Platform
        ---
        # the second project
        apiVersion: reconciler/v1
        kind: Project
        metadata: {name: support}
        spec: {name: 'TechCorp''s Support'}
        """,
    "sets/train.yml": """
        apiVersion: reconciler/v1
        kind: Dataset
        metadata:
          name: train
          labels:
            team: support
        spec:
          file: ../data/train.jsonl
          purpose: fine-tune
          format: chat
          model: gpt-4.1-mini-2025-04-14
          project: Project/support
        """,
    "sets/batch.yaml": """
        apiVersion: reconciler/v1
        kind: Dataset
        metadata: {name: requests}
        spec:
          file: ../data/requests.jsonl
          purpose: batch
          format: batch
          batch_endpoint: /v1/chat/completions
        """,
    "sets/raw.yaml": """
        apiVersion: reconciler/v1
        kind: Dataset
        metadata: {name: notes, id: file-abc}
        spec: {file: ../data/notes.txt, purpose: user_data}
        """,
    ".hidden/broken.yaml": "::: not: [valid\n",
}


def batch_lines(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "custom_id": f"r{n}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "gpt-4.1-mini",
                    "messages": [{"role": "user", "content": f"Hello {n}"}],
                },
            }
        )
        for n in range(count)
    ]


def write_stack(root: Path, files: Mapping[str, str]) -> None:
    """Write manifests (dedented) and the data files RICH_STACK names."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data = root / "data"
    data.mkdir(exist_ok=True)
    (data / "train.jsonl").write_text("\n".join(chat_lines(12)) + "\n", encoding="utf-8")
    (data / "requests.jsonl").write_text("\n".join(batch_lines(3)) + "\n", encoding="utf-8")
    (data / "notes.txt").write_text("free text\n", encoding="utf-8")
