"""The request count of a plan is the list-page minimum, and it grows with pages, not objects.

A stack of N projects and N datasets (most in the default project, a few in a second declared
project) is applied to the sandbox, then planned again: the plan must read each collection it
uses once, at the largest page size (the API key's files, the organization's projects, the
files of the two projects holding datasets), whatever N. N = 150 makes the projects listing
take two pages. Both dataset projects exist beforehand, each with its own key named under
`project_keys` (a project key acts only in its own project). A kind added later that reads
once per object fails here. If the ownership registry starts downloading its records, their
requests show here too: count them on purpose.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import openai
import pytest

from .e2e import Workspace, project_key

EXAMPLE = {
    "messages": [
        {"role": "user", "content": "Where is my order?"},
        {"role": "assistant", "content": "It ships tomorrow."},
    ]
}
SANDBOX_PROJECTS = 1  # the sandbox's default project is listed with the stack's own
PROJECTS_PAGE = 100  # GET /organization/projects: limit 1-100
DATASET_PROJECTS = 2  # Project/p-0 (the default project) and Project/p-1


def write_stack(root: Path, count: int) -> Path:
    """`count` projects and `count` datasets; every 50th dataset (from the 2nd) in Project/p-1."""
    specs = root / f"stack-{count}"
    (specs / "data").mkdir(parents=True)
    (specs / "reconciler.yaml").write_text(
        "stack: scale\ndefault_project: Project/p-0\n"
        "project_keys: {Project/p-0: P0_KEY, Project/p-1: P1_KEY}\n"
    )
    documents = []
    for index in range(count):
        documents.append(
            f"apiVersion: reconciler/v1\nkind: Project\nmetadata: {{name: p-{index}}}\n"
            f"spec: {{name: Scale {index}}}\n"
        )
        project = "\n  project: Project/p-1" if index % 50 == 1 else ""
        documents.append(
            f"apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {{name: d-{index}}}\n"
            f"spec:\n  file: data/d-{index}.jsonl\n  purpose: fine-tune{project}\n"
        )
        lines = [json.dumps({**EXAMPLE, "id": f"{index}-{n}"}) for n in range(10)]
        (specs / "data" / f"d-{index}.jsonl").write_text("\n".join(lines) + "\n")
    (specs / "stack.yaml").write_text("---\n".join(documents))
    return specs


def expected_minimum(count: int) -> int:
    projects_pages = math.ceil((count + SANDBOX_PROJECTS) / PROJECTS_PAGE)
    return 1 + projects_pages + DATASET_PROJECTS  # the API key's files, projects, dataset files


@pytest.mark.parametrize("count", [5, 150])
def test_a_plan_reads_each_collection_once_whatever_the_number_of_objects(
    ws: Workspace, admin_client: openai.OpenAI, count: int
) -> None:
    specs = write_stack(ws.root, count)
    for index in (0, 1):  # the dataset projects, made beforehand, with a key each
        project = admin_client.admin.organization.projects.create(name=f"Scale {index}")
        ws.env[f"P{index}_KEY"] = project_key(admin_client, project.id)
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    planned = ws.run("plan", str(specs), "--format", "json", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["summary"]["noop"] == 2 * count
    assert plan["minimum_requests"] == expected_minimum(count)
    assert plan["requests"] == plan["minimum_requests"]
