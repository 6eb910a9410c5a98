"""The repository explains itself (issue 13, new-user item 9): every relative link in the
README, ARCHITECTURE.md and docs/ resolves to a file inside the repository, never to a design
file elsewhere on the author's machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "ARCHITECTURE.md", *(ROOT / "docs").rglob("*.md")])
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    links = [m[1].split("#")[0] for m in _LINK.finditer(text)]
    return [link for link in links if link and not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_stay_in_the_repository_and_exist(doc: Path) -> None:
    for link in _relative_links(doc):
        target = (doc.parent / link).resolve()
        assert target.is_relative_to(ROOT.resolve()), f"{doc.name} links outside: {link}"
        assert target.exists(), f"{doc.name} links to a missing file: {link}"


def test_the_rule_sees_links() -> None:
    assert "docs/design.md" in _relative_links(ROOT / "ARCHITECTURE.md")
