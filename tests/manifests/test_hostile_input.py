"""Hostile and broken input (issue 7): `validate` ends quickly with exit 1 and a located error.

A manifest may come from an untrusted pull request. Each case here was a hang, a memory blow-up,
a leak of a file outside the stack or Python's own wording before; now it is one error at
file:line:col in our words, found without reading what the stack should not read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from manifest_helpers import write_tree

from reconciler.cli import cli
from reconciler.errors import Diagnostics, ManifestError, SourceLocation
from reconciler.fastcheck.entry import try_fast_validate
from reconciler.fastcheck.stack import MANIFEST_MAX_BYTES as FAST_MAX_BYTES
from reconciler.manifests import read_stack
from reconciler.manifests.bounded import MAX_DEPTH, MAX_VALUES
from reconciler.manifests.files import MANIFEST_MAX_BYTES
from reconciler.validation import run_validate

PROJECT = """\
apiVersion: reconciler/v1
kind: Project
metadata: {name: support}
spec: {name: Support}
"""
DATASET = """\
apiVersion: reconciler/v1
kind: Dataset
metadata: {name: train}
spec:
  file: %s
  purpose: fine-tune
"""
LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefg", "bcdefgh", strict=True)
)
BILLION_LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + LAUGHS


def errors(path: Path) -> list[tuple[str, str, str | None]]:
    """(location, message, code) of every error `validate` reports for the stack at `path`."""
    with pytest.raises(ManifestError) as raised:
        run_validate(path, None)
    found = raised.value.diagnostics.errors
    return sorted((str(d.location), d.message, d.code) for d in found)


def validate_cli(path: str = ".") -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", path])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr


# -- 1. alias expansion ----------------------------------------------------------------------


def test_billion_laughs_stops_at_the_alias_that_passes_the_limit(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": BILLION_LAUGHS})
    assert len(BILLION_LAUGHS) < 700  # expands to 9**8 = 43 million strings

    started = time.monotonic()
    found = errors(in_tmp)

    assert time.monotonic() - started < 5
    assert found == [
        (
            "a.yaml:6:12",
            f"the alias *e makes this file expand to more than {MAX_VALUES:,} values",
            "yaml-too-large",
        )
    ]


def test_aliases_that_stay_small_are_still_read(in_tmp: Path) -> None:
    labels = "metadata: {name: a, labels: &l {team: x}}\n"
    write_tree(
        in_tmp,
        {
            "reconciler.yaml": "stack: t\n",
            "a.yaml": PROJECT.replace("metadata: {name: support}\n", labels),
        },
    )
    assert run_validate(in_tmp, None).errors == []


def test_an_anchor_defined_twice_is_a_located_error_not_a_ruamel_warning(in_tmp: Path) -> None:
    """Found by the long fuzzer: ruamel only warns (its own words, no location) and reads on."""
    twice = "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: &a x}\nspec: {name: &a y}\n"
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": twice})
    assert errors(in_tmp) == [
        (
            "a.yaml:4:14",
            "the anchor &a is defined twice (first defined on line 3)",
            "yaml-duplicate-anchor",
        )
    ]


# -- 2. FIFOs, devices, symlinks to them, size -----------------------------------------------


@pytest.mark.parametrize("where", ["manifest", "symlinked-manifest", "config"])
def test_a_fifo_is_refused_without_being_opened(in_tmp: Path, where: str) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "p.yaml": PROJECT})
    if where == "config":
        (in_tmp / "reconciler.yaml").unlink()
        os.mkfifo(in_tmp / "reconciler.yaml")
        shown = "reconciler.yaml"
    elif where == "manifest":
        os.mkfifo(in_tmp / "x.yaml")
        shown = "x.yaml"
    else:
        os.mkfifo(in_tmp / "pipe")
        (in_tmp / "x.yaml").symlink_to(in_tmp / "pipe")
        shown = "x.yaml"

    found = errors(in_tmp)  # before: blocked forever in open()

    assert [(location, message) for location, message, _ in found] == [
        (shown, "not a regular file: a FIFO (named pipe)")
    ]


def test_a_symlink_to_a_device_is_refused(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "p.yaml": PROJECT})
    (in_tmp / "x.yaml").symlink_to("/dev/urandom")

    assert errors(in_tmp) == [  # before: read /dev/urandom until memory ran out
        ("x.yaml", "not a regular file: a character device", "unreadable-file")
    ]


def test_the_fast_path_never_opens_a_fifo(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "p.yaml": PROJECT})
    os.mkfifo(in_tmp / "pipe")
    (in_tmp / "x.yaml").symlink_to(in_tmp / "pipe")
    (in_tmp / "reconciler.yaml").unlink()
    os.mkfifo(in_tmp / "reconciler.yaml")

    assert try_fast_validate(["validate", "."]) is None  # before: blocked forever
    assert capsys.readouterr().out == ""


def test_a_manifest_over_the_size_limit_is_refused(in_tmp: Path) -> None:
    padding = "# padding\n" * (MANIFEST_MAX_BYTES // 10 + 1)
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": PROJECT + padding})

    assert errors(in_tmp) == [("a.yaml", "file too large: more than 1 MiB", "unreadable-file")]
    assert FAST_MAX_BYTES == MANIFEST_MAX_BYTES


def test_a_dataset_fifo_is_named_as_such(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "d.yaml": DATASET % "data.jsonl"})
    os.mkfifo(in_tmp / "data.jsonl")

    assert errors(in_tmp) == [
        (
            "d.yaml:5:9",
            "spec.file: data.jsonl is a FIFO (named pipe), not a regular file",
            "file-not-found",
        )
    ]


# -- 3. files outside the stack folder -------------------------------------------------------


@pytest.mark.parametrize("written", ["/etc/passwd", "../outside.jsonl", "link.jsonl"])
def test_a_dataset_outside_the_stack_folder_is_refused_at_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    stack = tmp_path / "stack"
    write_tree(stack, {"reconciler.yaml": "stack: t\n", "d.yaml": DATASET % written})
    (tmp_path / "outside.jsonl").write_text("secret: first line\n", encoding="utf-8")
    (stack / "link.jsonl").symlink_to(tmp_path / "outside.jsonl")
    monkeypatch.chdir(stack)

    code, stderr = validate_cli()

    assert code == 1
    assert f"d.yaml:5:9: error [outside-stack]: spec.file: {written} is outside the stack" in stderr
    assert "secret" not in stderr and "root:" not in stderr  # before: the first line, echoed


def test_a_symlinked_manifest_leading_out_of_the_stack_is_not_read(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    write_tree(stack, {"reconciler.yaml": "stack: t\n", "p.yaml": PROJECT})
    (tmp_path / "secret.yaml").write_text("token: hunter2\n", encoding="utf-8")
    (stack / "x.yaml").symlink_to(tmp_path / "secret.yaml")

    reading = read_stack(stack)

    assert [d.code for d in reading.diagnostics.errors] == ["outside-stack"]
    assert "hunter2" not in reading.diagnostics.render()


def test_a_price_table_outside_the_stack_folder_is_refused(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\nprices: /etc/passwd\n", "p.yaml": PROJECT})

    assert errors(in_tmp) == [
        ("reconciler.yaml:2:9", "prices: /etc/passwd is outside the stack folder", "outside-stack")
    ]


# -- 4. rendering reads each file once -------------------------------------------------------


def test_four_thousand_errors_in_one_file_render_in_linear_time(tmp_path: Path) -> None:
    source = tmp_path / "big.jsonl"
    source.write_text("".join(f'{{"line": {n}}}\n' for n in range(40_000)), encoding="utf-8")
    diagnostics = Diagnostics()
    for line in range(1, 40_000, 10):
        diagnostics.error("bad line", SourceLocation(str(source), line, 1))

    started = time.monotonic()
    text = diagnostics.render()

    assert time.monotonic() - started < 3  # before: 4,000 reads of 40,000 lines (~30 s)
    assert text.count("> ") == 4_000 and '> 39991 | {"line": 39990}' in text


# -- 5. tags, long numbers, depth ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('!!binary "c3VwcG9ydA=="', "YAML tag '!!binary' is not allowed"),
        ('!!int "abc"', "YAML tag '!!int' is not allowed"),
        ("!!python/object:os.system {}", "YAML tag '!!python/object:os.system' is not allowed"),
        ("!!set {a: 1}", "YAML tag '!!set' is not allowed"),
        ("!custom x", "YAML tag '!custom' is not allowed"),
        ("! x", "YAML tag '!' is not allowed"),
        ("1" * 5000, "number too long: 5,000 characters"),
        ("1." + "5" * 100, "number too long: 102 characters"),
        ("2024-13-45", "cannot read '2024-13-45' as a date or time (month must be in 1..12)"),
    ],
)
def test_tags_and_long_numbers_are_refused_in_our_words(
    in_tmp: Path, value: str, message: str
) -> None:
    text = PROJECT.replace("{name: Support}", f"{{name: {value}}}")
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": text})

    [(location, found, _)] = errors(in_tmp)

    assert (location, found) == ("a.yaml:4:14", message)


def test_deep_nesting_is_refused_at_the_level_that_passes_the_limit(in_tmp: Path) -> None:
    text = PROJECT + "extra: " + "[" * 100_000 + "]" * 100_000 + "\n"
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": text})

    [(location, message, code)] = errors(in_tmp)

    assert (location, message, code) == (
        f"a.yaml:5:{7 + MAX_DEPTH}",  # the mapping is level 1, the first '[' level 2
        f"nested more than {MAX_DEPTH} levels deep",
        "yaml-too-deep",
    )


# -- 6. encoding errors and control characters -----------------------------------------------


def test_invalid_utf8_is_located_and_never_echoed(in_tmp: Path) -> None:
    (in_tmp / "reconciler.yaml").write_text("stack: t\n", encoding="utf-8")
    (in_tmp / "a.yaml").write_bytes(PROJECT.encode() + b"spec2: caf\xc3\xa9 \xff\x1b[2J\n")

    code, stderr = validate_cli()

    assert code == 1
    assert "a.yaml:5:13: error [unreadable-file]: not UTF-8 text: byte 0xff" in stderr
    assert "\x1b" not in stderr and "\\x1b[2J" in stderr


def test_control_characters_are_located_and_escaped(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": PROJECT + "x: \x1b[31mred\n"})

    code, stderr = validate_cli()

    assert code == 1
    assert "a.yaml:5:4: error [unreadable-file]: control character U+001B" in stderr
    assert "\x1b" not in stderr and "x: \\x1b[31mred" in stderr


def test_escapes_in_values_are_shown_escaped(in_tmp: Path) -> None:
    text = PROJECT.replace("kind: Project", 'kind: "Pro\\e[2Jject\\u202e"')
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": text})

    code, stderr = validate_cli()

    assert code == 1
    assert "unknown kind 'Pro\\x1b[2Jject\\u202e'" in stderr
    assert "\x1b" not in stderr and "\u202e" not in stderr


def test_a_binary_dataset_is_never_echoed(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "d.yaml": DATASET % "data.jsonl"})
    (in_tmp / "data.jsonl").write_bytes(b'{"messages": []}\n\x1b]0;pwned\x07\xff\xfe\x00\n')

    code, stderr = validate_cli()

    assert code == 1
    assert "data.jsonl:2:1: error [invalid_json]" in stderr
    assert not any(c in stderr for c in "\x1b\x07\x00")


# -- 7. empty documents ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        PROJECT + "---\n---\n",
        "---\n" + PROJECT + "---\n# only a comment\n---\n",
        "# header\n---\n" + PROJECT + "...\n---\n",
    ],
    ids=["stray-separators", "comment-only-document", "document-end-marker"],
)
def test_empty_documents_are_ignored_as_kubectl_does(in_tmp: Path, text: str) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": text})

    assert run_validate(in_tmp, None).errors == []


# -- no request, no SDK ----------------------------------------------------------------------


def test_plan_on_a_hostile_stack_stops_before_the_api(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": BILLION_LAUGHS})
    environment = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_ADMIN_KEY": "sk-admin-test",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",  # nothing listens: a request would fail
    }

    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "."],
        cwd=in_tmp,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "a.yaml:6:12: error [yaml-too-large]" in result.stderr
    assert "connect" not in result.stderr.lower() and "Traceback" not in result.stderr
