"""Property-based fuzzing of manifests and dataset files (issue 7's hostile-input harness).

Hypothesis writes a stack: a Project and a Dataset built from valid documents whose keys,
values and types are mutated, then rendered as YAML text that is mutated again (tags, anchors
and aliases, separators, control characters, odd unicode, invalid bytes, deep brackets, long
numbers), and a JSONL file of generated lines. `validate` runs through the click command and
through the fast path. Whatever the input: no traceback, exit 0 or 1, every error is located
(a manifest's at file:line:col), bounded time, and the fast path never accepts what the
command refuses. Seeded (derandomize) and bounded; the long variant is marked `slow`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import cli
from reconciler.fastcheck.entry import try_fast_validate

SECONDS_PER_RUN = 10.0
# A diagnostic's first line: `location: error [code]: message` (location: file[:line[:col]]).
HEADER = re.compile(r"^(?P<location>\S.*?): (?P<severity>error|warning)(?: \[[\w-]+\])?: ")
MANIFEST_LOCATION = re.compile(r"^[^:]+\.ya?ml:\d+:\d+$")
PLAIN_WORD = re.compile(r"[A-Za-z0-9][\w./~-]*")
DATASET_LOCATION = re.compile(r"^[^:]+\.jsonl(?::\d+(?::\d+)?)?$")

PROJECT: dict[str, Any] = {
    "apiVersion": "reconciler/v1",
    "kind": "Project",
    "metadata": {"name": "support", "labels": {"team": "support"}},
    "spec": {"name": "Support"},
}
DATASET: dict[str, Any] = {
    "apiVersion": "reconciler/v1",
    "kind": "Dataset",
    "metadata": {"name": "train"},
    "spec": {
        "file": "data.jsonl",
        "purpose": "fine-tune",
        "format": "chat",
        "project": "Project/support",
    },
}

# -- strategies ------------------------------------------------------------------------------

odd_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from("\x00\x1b\u202e\ufeff\u2028:#&*!|>-[]{}'\"%@`"),
    max_size=12,
)
words = st.sampled_from(
    [
        "name", "spec", "kind", "metadata", "file", "purpose", "format", "project", "labels",
        "Project", "Dataset", "Project/support", "Dataset/train", "reconciler/v1", "chat",
        "fine-tune", "batch", "../data.jsonl", "/etc/passwd", "data.jsonl", "support--x",
        "yes", "null", "~", "1e999", "0x1F", "2024-13-45", "<<", ".inf", "-", "",
    ]
)  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    words,
    odd_text,
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(words | odd_text, inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated_document(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """A copy of `base` with a few keys dropped, renamed or given values of any type."""
    document: Any = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(0, 3))):
        target = document
        path = draw(st.lists(st.sampled_from(["spec", "metadata", "name", "labels"]), max_size=2))
        for key in path:
            if isinstance(target, dict) and isinstance(target.get(key), dict):
                target = target[key]
        if not isinstance(target, dict) or not target:
            break
        key = draw(st.sampled_from(sorted(target, key=str)))
        action = draw(st.sampled_from(["drop", "rename", "retype"]))
        if action == "drop":
            del target[key]
        elif action == "rename":
            target[draw(words | odd_text)] = target.pop(key)
        else:
            target[key] = draw(values)
    return document if draw(st.integers(0, 9)) else draw(values)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML; words plain (so the resolver reads `yes`, `2024-13-45`, `1e999`),
    other scalars as JSON (a YAML subset)."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        return "".join(f"{pad}{scalar(str(k))}:" + _nested(v, indent) for k, v in value.items())
    if isinstance(value, list) and value:
        return "".join(f"{pad}-" + _nested(v, indent) for v in value)
    return f"{pad}{scalar(value)}\n"


def scalar(value: Any) -> str:
    if isinstance(value, str) and PLAIN_WORD.fullmatch(value):
        return value
    return json.dumps(value)


def _nested(value: Any, indent: int) -> str:
    if isinstance(value, dict | list) and value:
        return "\n" + to_yaml(value, indent + 2)
    return " " + scalar(value) + "\n"


SNIPPETS = [
    "!!binary ", "!!python/object:os.system ", "!foo ", "! ", "&a ", "*a ", "*zz ", "<<: *a\n",
    "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "\t", "\x1b[31m", "\x00", "\u202e",
    "\ufeff", "? ", "|\n", ">-\n", "[" * 80, "{" * 80, "1" * 5000, "- ", ": ", "#", "'", '"',
    "a: &a [*a]\n", "x: &x [1, 2]\ny: [*x, *x, *x]\n",
]  # fmt: skip


@st.composite
def manifest_text(draw: st.DrawFn) -> bytes:
    """YAML for two documents, then a few text mutations and, rarely, invalid bytes."""
    documents = [draw(mutated_document(PROJECT)), draw(mutated_document(DATASET))]
    text = "---\n".join(to_yaml(document) for document in documents)
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "random"]))
        if action == "insert":
            text = text[:position] + draw(st.sampled_from(SNIPPETS)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 20)) :]
        else:
            text = text[:position] + draw(odd_text) + text[position:]
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 19)) == 0:
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(min_size=1, max_size=4)) + data[position:]
    return data


chat_line = st.builds(
    lambda user, answer: json.dumps(
        {
            "messages": [
                {"role": "user", "content": user},
                {"role": "assistant", "content": answer},
            ]
        }
    ).encode(),
    odd_text,
    odd_text,
)
jsonl_lines = st.lists(
    chat_line
    | values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=20)
    | st.sampled_from([b"", b"\xff\xfe", b"\x1b]0;title\x07", b"[", b'{"messages": "x"}']),
    max_size=15,
)


# -- the properties --------------------------------------------------------------------------


def check_validate(manifest: bytes, lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        Path("reconciler.yaml").write_text("stack: fuzz\n", encoding="utf-8")
        Path("a.yaml").write_bytes(manifest)
        Path("data.jsonl").write_bytes(b"\n".join(lines))

        started = time.monotonic()
        result = CliRunner().invoke(cli, ["validate", "."])
        assert time.monotonic() - started < SECONDS_PER_RUN
        fast = _fast_validate()

    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the test fails with it
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.output
    assert_errors_are_located(result.stderr)
    assert fast in (None, 0)
    if fast == 0:
        assert result.exit_code == 0, "the fast path accepted what validate refuses"


def _fast_validate() -> int | None:
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        started = time.monotonic()
        code = try_fast_validate(["validate", "."])
        assert time.monotonic() - started < SECONDS_PER_RUN
    return code


def assert_errors_are_located(stderr: str) -> None:
    """Every error names where: a manifest's at file:line:col, a dataset's at least its file."""
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", stderr), "a raw control character"
    for line in stderr.splitlines():
        header = HEADER.match(line)
        if header is None or header["severity"] != "error":
            continue
        location = header["location"]
        assert MANIFEST_LOCATION.match(location) or DATASET_LOCATION.match(location), line


FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(manifest=manifest_text(), lines=jsonl_lines)
def test_validate_survives_generated_manifests_and_datasets(
    manifest: bytes, lines: list[bytes]
) -> None:
    check_validate(manifest, lines)


@pytest.mark.slow
@settings(FUZZ, max_examples=3_000)
@given(manifest=manifest_text(), lines=jsonl_lines)
def test_validate_survives_many_more_generated_stacks(manifest: bytes, lines: list[bytes]) -> None:
    check_validate(manifest, lines)


# -- no request: the SDK is never imported, plan stops before the API -------------------------

HOSTILE = (
    b"apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: !!binary c3VwcG9ydA==}\n"
    b"spec: {name: x}\n---\nx: &x [1]\ny: [*x, *x]\n\x1b[2J\xff\n"
)


def run_python(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_validate_never_imports_the_sdk(tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text("stack: fuzz\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_bytes(HOSTILE)
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom reconciler.cli import cli\n"
        "result = CliRunner().invoke(cli, ['validate', '.'])\n"
        "print(result.exit_code, 'openai' in sys.modules)\n"
    )

    result = run_python(["-c", code], tmp_path)

    assert result.stdout.split() == ["1", "False"], result.stderr


def test_plan_on_a_broken_stack_exits_before_contacting_the_api(tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text("stack: fuzz\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_bytes(HOSTILE.replace(b"\x1b[2J\xff\n", b""))

    result = run_python(
        ["-m", "reconciler", "plan", "."],
        tmp_path,
        OPENAI_API_KEY="sk-test",
        OPENAI_ADMIN_KEY="sk-admin-test",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",  # a closed port: any request would fail
    )

    assert result.returncode == 1
    assert "a.yaml:3:18: error [yaml-tag]: YAML tag '!!binary' is not allowed" in result.stderr
    assert "connect" not in result.stderr.lower() and "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr
