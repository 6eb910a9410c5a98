"""The offline validate pipeline: local files, all problems at once, and no SDK import."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from manifest_helpers import write_tree

from reconciler.errors import ManifestError
from reconciler.manifests import load_stack
from reconciler.validation import run_validate, validate_stack

ROOT = Path(__file__).resolve().parents[2]
DATASET = """
apiVersion: reconciler/v1
kind: Dataset
metadata: {name: train}
spec:
  file: data/train.jsonl
  purpose: fine-tune
"""


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of specs/ (validate writes the dataset cache under the stack's .reconciler/)."""
    return Path(shutil.copytree(ROOT / "specs", tmp_path / "specs"))


def chat_lines(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Question {n}?"},
                    {"role": "assistant", "content": f"Answer {n}."},
                ]
            }
        )
        for n in range(count)
    ]


def errors_of(raised: pytest.ExceptionInfo[ManifestError]) -> list[tuple[str, str]]:
    return sorted((str(d.location), d.message) for d in raised.value.diagnostics.errors)


def test_demo_specs_validate_cleanly(demo: Path) -> None:
    assert run_validate(demo, None).errors == []


def test_dataset_contents_are_checked_with_jsonl_line_numbers(in_tmp: Path) -> None:
    lines = [*chat_lines(12), "{not json"]
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "d.yaml": DATASET})
    (in_tmp / "data").mkdir()
    (in_tmp / "data/train.jsonl").write_text("\n".join(lines) + "\n")

    with pytest.raises(ManifestError) as raised:
        run_validate(in_tmp, None)

    locations = [d.location for d in raised.value.diagnostics.errors if d.location]
    assert [(loc.file, loc.line) for loc in locations] == [("data/train.jsonl", 13)]


def test_missing_dataset_file_is_located_at_its_field(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "sets/train.yaml": DATASET})

    with pytest.raises(ManifestError) as raised:
        run_validate(in_tmp, None)

    assert errors_of(raised) == [("sets/train.yaml:5:9", "spec.file: data/train.jsonl not found")]
    (diagnostic,) = raised.value.diagnostics.errors
    assert diagnostic.hint == (
        "paths are relative to the manifest's folder; this one resolves to sets/data/train.jsonl"
    )


def test_a_folder_is_not_a_dataset_file(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "d.yaml": DATASET})
    (in_tmp / "data/train.jsonl").mkdir(parents=True)

    with pytest.raises(ManifestError) as raised:
        run_validate(in_tmp, None)

    assert errors_of(raised) == [
        ("d.yaml:5:9", "spec.file: data/train.jsonl is a folder, not a file")
    ]


def test_file_problems_and_manifest_problems_come_together(in_tmp: Path) -> None:
    write_tree(
        in_tmp,
        {"reconciler.yaml": "stack: t\n", "d.yaml": DATASET, "e.yaml": "kind: [\n"},
    )

    with pytest.raises(ManifestError) as raised:
        run_validate(in_tmp, None)

    assert errors_of(raised) == [
        ("d.yaml:5:9", "spec.file: data/train.jsonl not found"),
        ("e.yaml:2:1", "YAML syntax error: expected the node content, but found '<stream end>'"),
    ]


def test_validate_stack_checks_a_loaded_stack(demo: Path) -> None:
    stack = load_stack(demo)

    assert validate_stack(stack).errors == []
    assert validate_stack(stack, check_datasets=False).errors == []


def test_validate_does_not_import_the_sdk(demo: Path) -> None:
    code = (
        "import sys; from pathlib import Path; "
        "from reconciler.validation import run_validate; "
        f"run_validate(Path({str(demo)!r}), None); "
        "heavy = sorted(m for m in ('openai', 'rich', 'httpx') if m in sys.modules); "
        "assert not heavy, heavy"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
