"""Fixtures for the dataset-check tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .lines import Line, Writer, dump


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Writer:
    """write_jsonl(lines, name="data.jsonl") -> path; dict lines are JSON-encoded."""

    def write(lines: list[Line], name: str = "data.jsonl") -> Path:
        path = tmp_path / name
        path.write_text("".join(dump(line) + "\n" for line in lines), encoding="utf-8")
        return path

    return write
