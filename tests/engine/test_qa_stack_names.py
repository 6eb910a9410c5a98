"""QA: a stack never takes another stack's datasets for its own.

Dataset files are owned through their filename, `reconciler--<stack>--<name>--<sha>.jsonl`.
Stack `demo` once read `reconciler--demo--x--y--<sha>.jsonl` (a file of a stack `demo--x`, as
an older version could make) as its own dataset `x--y`, and planned to delete it. Names can no
longer contain `--`, and files whose name parts contain it are never claimed.
"""

from __future__ import annotations

import shutil

import openai

from .e2e import SPECS, Workspace

DATASET = """\
apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: {name}}}
spec: {{file: data/support-train.jsonl, purpose: fine-tune}}
"""


def make_stack(ws: Workspace, folder: str, stack: str, dataset: str) -> str:
    root = ws.root / folder
    shutil.copytree(SPECS / "data", root / "data")
    (root / "reconciler.yaml").write_text(f"stack: {stack}\n", encoding="utf-8")
    (root / "dataset.yaml").write_text(DATASET.format(name=dataset), encoding="utf-8")
    return folder


def test_a_stack_leaves_alone_the_datasets_of_a_stack_named_like_it(
    ws: Workspace, client: openai.OpenAI
) -> None:
    foreign = "reconciler--demo--x--y--0123456789abcdef.jsonl"
    data = (SPECS / "data" / "support-train.jsonl").read_bytes()
    client.files.create(file=(foreign, data), purpose="fine-tune")
    mine = make_stack(ws, "mine", "demo", "z")
    planned = ws.run("plan", mine)
    assert planned.exit_code == 0, planned.output
    assert "Dataset/x--y" not in planned.stdout
    assert "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete" in planned.stdout
    applied = ws.run("apply", mine, "--auto-approve", "--allow-delete")
    assert applied.exit_code == 0, applied.output
    assert [f.filename for f in client.files.list() if "--demo--x--y--" in f.filename]


def test_a_name_with_a_double_dash_is_refused_at_its_line(ws: Workspace) -> None:
    mine = make_stack(ws, "mine", "demo", "x--y")
    planned = ws.run("plan", mine)
    assert planned.exit_code == 1, planned.output
    assert "dataset.yaml:3:" in planned.output
    assert "invalid name 'x--y'" in planned.output
    assert "have no '--'" in planned.output
