"""The YAML subset reader returns exactly what the manifest loader reads, or nothing.

The loader (`reconciler.manifests.source.read_yaml_file`, ruamel round-trip) is the reference:
for every text the subset reader accepts, the documents must be equal, with the same types,
and the loader's subset path (`subset=True`) must give the same source maps (every key and
value at the same line and column). Texts are a table of forms and a seeded random mix of
keys, values, indents and comments.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import Diagnostics
from reconciler.fastcheck.yaml_subset import read_documents
from reconciler.manifests.source import YamlDocument, read_yaml_file


def loader_documents(text: str, folder: Path) -> list[Any] | None:
    """What the manifest loader reads (None when it reports a problem)."""
    path = folder / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    read = read_yaml_file(path, diagnostics)
    if diagnostics.has_errors or not read.complete:
        return None
    return [document.data for document in read.documents]


def assert_same_source_maps(text: str, folder: Path) -> None:
    """The subset path of the loader reads what ruamel reads, at the same positions."""
    path = folder / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    slow = read_yaml_file(path, diagnostics)
    fast = read_yaml_file(path, diagnostics, subset=True)
    assert not diagnostics.has_errors and slow.complete and fast.complete, text
    assert len(fast.documents) == len(slow.documents), text
    for left, right in zip(fast.documents, slow.documents, strict=True):
        assert same_document(left, right), text


def same_document(left: YamlDocument, right: YamlDocument) -> bool:
    return (
        same_data(left.data, right.data)
        and (left.path, left.index) == (right.path, right.index)
        and left.source_map.root == right.source_map.root
        and left.source_map.spans == right.source_map.spans
    )


def same_data(left: Any, right: Any) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same_data(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same_data, left, right))
    return bool(left == right)


ACCEPTED = {
    "": [],
    "# only a comment\n": [],
    "---\n": [None],
    "a: 1\n---\n": [{"a": 1}, None],
    "---\n---\na: 1\n": [None, {"a": 1}],
    "--- # first\na: x\n": [{"a": "x"}],
    "a: 1\nb: -2\nc: 0\n": [{"a": 1, "b": -2, "c": 0}],
    "a: true\nb: false\nc: null\nd:\n": [{"a": True, "b": False, "c": None, "d": None}],
    "a: x y  z   # comment\n": [{"a": "x y  z"}],
    "a: 'it''s'\nb: \"x # y: z\"\nc: ''\n": [{"a": "it's", "b": "x # y: z", "c": ""}],
    "a: {b: [c, 'd'], e: {}, f: []}\n": [{"a": {"b": ["c", "d"], "e": {}, "f": []}}],
    "a:\n- x\n- 1\nb: z\n": [{"a": ["x", 1], "b": "z"}],
    "a:\n  - k: v\n    l:\n    - m\n  -\n    p: q\n  -\n": [
        {"a": [{"k": "v", "l": ["m"]}, {"p": "q"}, None]}
    ],
    "a: # comment\n  b: 1\n  # another\n  c: /v1/x\n": [{"a": {"b": 1, "c": "/v1/x"}}],
    "a: ./data/x.jsonl\nb: ../y\nc: Équipe\n": [
        {"a": "./data/x.jsonl", "b": "../y", "c": "Équipe"}
    ],
    "a.b/c-d_e: gpt-4.1-mini-2025-04-14\n": [{"a.b/c-d_e": "gpt-4.1-mini-2025-04-14"}],
}


@pytest.mark.parametrize("text", list(ACCEPTED), ids=repr)
def test_accepted_forms_read_as_the_loader_reads_them(text: str, tmp_path: Path) -> None:
    read = read_documents(text)

    assert read == ACCEPTED[text]
    assert same_data(read, loader_documents(text, tmp_path))
    assert_same_source_maps(text, tmp_path)


REFUSED = [
    "a: &anchor x\nb: *anchor\n",
    "a: !tag x\n",
    "a: |\n  block\n",
    "a: >\n  folded\n",
    "a: one\n  continued\n",
    "a: 1.5\n",
    "a: 1e3\n",
    "a: 0x1F\n",
    "a: 012\n",
    "a: 1_000\n",
    "a: .5\n",
    "a: .inf\n",
    "a: 2024-01-01\n",
    "a: 12:30\n",
    "a: yes\n",
    "a: y\n",
    "n: x\n",
    "a: True\n",
    "a: NULL\n",
    "a: ~\n",
    "on: x\n",
    "a: 1\na: 2\n",
    "a: {b: 1, b: 2}\n",
    "a:\tx\n",
    "a: x\r\n",
    'a: "escaped \\n"\n',
    "a: [b,\n  c]\n",
    "a: [b, ]\n",
    "a: {b}\n",
    "a: b: c\n",
    "a: x#y\n",
    "a: @x\n",
    "a: - x\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: 1\n...\n",
    "--- a: 1\n",
    "- a\n- b\n",
    "just text\n",
    "  a: 1\n",
    "a:\n  - - x\n",
    "'quoted key': 1\n",
    "a: 1\n b: 2\n",
    "a: x\ufeff\n",
]


@pytest.mark.parametrize("text", REFUSED, ids=repr)
def test_everything_else_is_left_to_ruamel(text: str) -> None:
    assert read_documents(text) is None


KEYS = ["a", "b", "name", "on", "True", "x.y", "_k", "k-", "a b", "1", "null", "Kind"]
VALUES = [
    *["x", "1", "01", "-1", "-0", "1.5", "2024-01-01", "true", "True", "yes", "null", "~", ""],
    *["a b", "a  b", "a: b", "a#b", "a #b", "'q'", "'q''r'", '"d"', '"d\\n"', "[a, b]", "[a,b]"],
    *["[a, ]", "{a: b}", "{a:b}", "{a: [b, {c: d}]}", "[]", "{}", "&x a", "*x", "!t a", "|"],
    *[">", "-", "- a", "./p", ".5", "/v1", "@x", "é", "a,b", "{a: b", "0x1F", "12:30", "-x"],
    *["+1", "0", "1_000", "a'b", 'a"b', "'a' b", "%x", "`x", "?", "a]", "Project/x", "(a)"],
]


def random_text(rng: random.Random) -> str:
    return "\n".join(random_block(rng, 0, 0)) + rng.choice(["\n", "", "\n\n"])


def random_block(rng: random.Random, depth: int, indent: int) -> list[str]:
    lines = []
    for _ in range(rng.randint(1, 3)):
        pad, draw = " " * indent, rng.random()
        if draw < 0.12 and depth < 3:
            lines.append(f"{pad}{rng.choice(KEYS)}:")
            lines.extend(random_nested(rng, depth, indent + rng.choice([0, 1, 2, 4])))
        elif draw < 0.17:
            lines.append(pad + "# comment")
        elif draw < 0.2:
            lines.append("---" + rng.choice(["", " # c", " x"]))
        else:
            separator, tail = rng.choice([" ", "  ", ""]), rng.choice(["", " # c", "#c", " "])
            lines.append(f"{pad}{rng.choice(KEYS)}:{separator}{rng.choice(VALUES)}{tail}")
    return lines


def random_nested(rng: random.Random, depth: int, indent: int) -> list[str]:
    if rng.random() < 0.5:
        return random_block(rng, depth + 1, indent)
    lines = []
    for _ in range(rng.randint(1, 3)):
        value = rng.choice([*VALUES, "k: v"])
        lines.append(f"{' ' * indent}- {value}".rstrip())
        if value == "k: v" and rng.random() < 0.5:
            lines.append(f"{' ' * (indent + rng.choice([1, 2, 3]))}k2: {rng.choice(VALUES)}")
    return lines


def test_random_texts_read_as_the_loader_reads_them_or_not_at_all(tmp_path: Path) -> None:
    rng = random.Random(7)
    accepted = 0
    for _ in range(1500):
        text = random_text(rng)
        read = read_documents(text)
        if read is None:
            continue
        accepted += 1
        assert same_data(read, loader_documents(text, tmp_path)), text
        assert_same_source_maps(text, tmp_path)
    assert accepted >= 80  # enough accepted texts to mean something


# -- a Hypothesis property: block structures of the subset, with nulls, comments and flows ---

INLINE = st.sampled_from(
    [
        *["x", "a b", "1", "-7", "0", "true", "null", "'q''r'", '"d e"', "./p", "Project/x"],
        *["[]", "{}", "[a, 1]", "{k: v, l: [m, {n: o}]}", "[ a , b ]", "{ k: null }"],
    ]
)
KEY = st.sampled_from(["a", "b", "name", "spec", "x.y", "k-1", "_k"])
PAD = st.sampled_from(["", " ", "  # note", "   "])


@st.composite
def block(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    """A block mapping at `indent`: each key inline, null, or over a nested block/sequence."""
    lines: list[str] = []
    keys = draw(st.lists(KEY, min_size=1, max_size=3, unique=True))
    for key in keys:
        lines.extend(draw(st.lists(st.sampled_from(["", "# c", "   # c"]), max_size=1)))
        shape = draw(
            st.sampled_from(
                ["inline", "null", "block", "items"] if depth < 3 else ["inline", "null"]
            )
        )
        head = " " * indent + key + ":"
        if shape == "inline":
            lines.append(f"{head} {draw(INLINE)}{draw(PAD)}")
        elif shape == "null":
            lines.append(head + draw(PAD))
        elif shape == "block":
            lines.append(head + draw(PAD))
            lines.extend(draw(block(indent + draw(st.sampled_from([1, 2, 4])), depth + 1)))
        else:
            lines.append(head)
            lines.extend(draw(items(indent + draw(st.sampled_from([0, 2])), depth + 1)))
    return lines


@st.composite
def items(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["inline", "null", "mapping", "under"]))
        dash = " " * indent + "-"
        if shape == "inline":
            lines.append(f"{dash} {draw(INLINE)}{draw(PAD)}")
        elif shape == "null":
            lines.append(dash + draw(PAD))
        elif shape == "mapping":
            nested = draw(block(indent + 2, depth + 1))
            lines.append(dash + " " + nested[0].lstrip(" ") if nested[0].strip() else dash)
            lines.extend(nested[1:])
        else:
            lines.append(dash)
            lines.extend(draw(block(indent + 2, depth + 1)))
    return lines


@st.composite
def subset_texts(draw: st.DrawFn) -> str:
    documents = draw(st.lists(block(0, 0), min_size=1, max_size=3))
    separator = draw(st.sampled_from(["---\n", "--- # doc\n", "---\n# c\n\n"]))
    text = separator.join("\n".join(lines) + "\n" for lines in documents)
    return draw(st.sampled_from(["", "---\n"])) + text + draw(st.sampled_from(["", "\n", "# end"]))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=subset_texts())
def test_generated_texts_have_ruamels_values_and_positions(text: str, tmp_path: Path) -> None:
    if read_documents(text) is None:
        return
    assert same_data(read_documents(text), loader_documents(text, tmp_path)), text
    assert_same_source_maps(text, tmp_path)
