"""Every kind of broken input yields the exact file:line:col, message and hint, all at once.

Each case is a small stack (files written to tmp_path; `reconciler.yaml` is `stack: test` unless
the case says otherwise) and the complete list of errors `read_stack` must report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from manifest_helpers import KINDS_WITH_WIDGET, write_tree

from reconciler.errors import ManifestError
from reconciler.manifests import load_stack, read_stack
from reconciler.models import KINDS

KNOWN_KINDS = ", ".join(sorted(KINDS))

CONFIG = "stack: test\n"
PROJECT = """
apiVersion: reconciler/v1
kind: Project
metadata: {name: support}
spec: {name: Support}
"""


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str]
    errors: list[tuple[str, str] | tuple[str, str, str | None]]
    config: str | None = CONFIG
    stack_name: str | None = None
    widgets: bool = False
    warnings: list[str] = field(default_factory=list)


CASES = [
    Case(
        "yaml-tab-indent",
        {"a.yaml": "apiVersion: reconciler/v1\nkind: Project\nmetadata:\n\tname: x\n"},
        [
            (
                "a.yaml:4:1",
                "YAML syntax error: found character '\\t' that cannot start any token",
                "YAML indents with spaces, never tabs",
            )
        ],
    ),
    Case(
        "yaml-unquoted-colon",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Project
            metadata: {name: support}
            spec:
              name: Support: Team
            """
        },
        [
            (
                "a.yaml:5:16",
                "YAML syntax error: mapping values are not allowed here",
                "quote a value that contains ': ', or check the indentation of this line",
            )
        ],
    ),
    Case(
        "yaml-unclosed-flow-mapping",
        {"a.yaml": "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: x\nspec: {}\n"},
        [
            (
                "a.yaml:4:5",
                "YAML syntax error: expected ',' or '}', but got ':'",
                "while parsing a flow mapping started at line 3",
            )
        ],
    ),
    Case(
        "yaml-duplicate-key-other-files-still-read",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Project
            metadata: {name: support}
            spec: {name: Support}
            spec: {name: Other}
            """,
            "b.yaml": """
            apiVersion: reconciler/v1
            kind: Projekt
            metadata: {name: other}
            spec: {name: Other}
            """,
        },
        [
            ("a.yaml:5:1", "duplicate key 'spec'"),
            (
                "b.yaml:2:7",
                "unknown kind 'Projekt'",
                f"did you mean 'Project'? (known kinds: {KNOWN_KINDS})",
            ),
        ],
    ),
    Case(
        "unknown-top-level-field",
        {"a.yaml": PROJECT.replace("spec:", "specs:")},
        [
            ("a.yaml:1:1", "missing required field 'spec'"),
            ("a.yaml:4:1", "unknown field 'specs'", "did you mean 'spec'?"),
        ],
    ),
    Case(
        "unknown-spec-field",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec:
              file: train.jsonl
              purpose: fine-tune
              fromat: chat
            """
        },
        [("a.yaml:7:3", "spec: unknown field 'fromat'", "did you mean 'format'?")],
    ),
    Case(
        "unknown-metadata-field-no-close-match",
        {"a.yaml": PROJECT.replace("{name: support}", "{name: support, owner: me}")},
        [("a.yaml:3:27", "metadata: unknown field 'owner'", "allowed fields: name, labels, id")],
    ),
    Case(
        "wrong-type-list-for-string",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec:
              file: [a.jsonl, b.jsonl]
              purpose: fine-tune
            """
        },
        [("a.yaml:5:9", "spec.file: expected a string, got a list")],
    ),
    Case(
        "wrong-type-number-label",
        {"a.yaml": PROJECT.replace("{name: support}", "{name: support, labels: {tier: 1}}")},
        [
            (
                "a.yaml:3:42",
                "metadata.labels.tier: expected a string, got a number (1)",
                "quote the value to keep it as text",
            )
        ],
    ),
    Case(
        "wrong-type-date-for-string",
        {"a.yaml": PROJECT.replace("{name: Support}", "{name: 2024-01-01}")},
        [
            (
                "a.yaml:4:14",
                "spec.name: expected a string, got a date (2024-01-01)",
                "quote the value to keep it as text",
            )
        ],
    ),
    Case(
        "number-as-key",
        {"a.yaml": PROJECT.replace("{name: Support}", "{name: Support, 1: one}")},
        [("a.yaml:4:23", "spec: keys must be strings, got a number (1)", "quote the key")],
    ),
    Case(
        "spec-is-a-string",
        {"a.yaml": PROJECT.replace("{name: Support}", "Support")},
        [("a.yaml:4:1", "spec: expected a mapping, got a string ('Support')")],
    ),
    Case(
        "spec-is-empty",
        {"a.yaml": PROJECT.replace(" {name: Support}", "")},
        [("a.yaml:4:1", "spec: expected a mapping, got null")],
    ),
    Case(
        "labels-not-a-mapping",
        {"a.yaml": PROJECT.replace("{name: support}", "{name: support, labels: [a]}")},
        [("a.yaml:3:35", "metadata.labels: expected a mapping, got a list")],
    ),
    Case(
        "missing-required-spec-field",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec:
              file: train.jsonl
            """
        },
        [
            (
                "a.yaml:4:1",
                "spec: missing required field 'purpose'",
                "add `purpose: ...` (The Files API `purpose` of the upload.)",
            )
        ],
    ),
    Case(
        "missing-metadata-name",
        {"a.yaml": PROJECT.replace("{name: support}", "{labels: {team: a}}")},
        [("a.yaml:3:1", "metadata: missing required field 'name'")],
    ),
    Case(
        "missing-kind",
        {"a.yaml": PROJECT.replace("kind: Project\n", "")},
        [("a.yaml:1:1", "missing required field 'kind'")],
    ),
    Case(
        "missing-api-version",
        {"a.yaml": "\n# a comment first\n" + PROJECT.replace("apiVersion: reconciler/v1\n", "")},
        [("a.yaml:3:1", "missing required field 'apiVersion'")],
    ),
    Case(
        "kind-not-a-string",
        {"a.yaml": PROJECT.replace("kind: Project", "kind: [Project]")},
        [("a.yaml:2:7", "kind: expected a string, got a list")],
    ),
    Case(
        "empty-file",
        {"a.yaml": "# nothing here yet\n"},
        [("a.yaml:1:1", "empty manifest file")],
    ),
    Case(
        "document-is-a-list",
        {"a.yaml": PROJECT + "---\n- kind: Project\n"},
        [("a.yaml:6:1", "a manifest must be a mapping, got a list")],
    ),
    Case(
        "document-is-a-scalar",
        {"a.yaml": PROJECT + "---\njust text\n"},
        [("a.yaml:5:1", "a manifest must be a mapping, got a string ('just text')")],
    ),
    Case(
        "duplicate-name-across-files",
        {"a.yaml": PROJECT, "sub/b.yaml": PROJECT.replace("{name: Support}", "{name: B}")},
        [
            (
                "sub/b.yaml:3:18",
                "duplicate name: Project/support is already declared at a.yaml:3:18",
                "names are unique per kind within a stack; rename one of them",
            )
        ],
    ),
    Case(
        "dangling-reference-with-suggestion",
        {
            "a.yaml": PROJECT,
            "b.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec: {file: t.jsonl, purpose: fine-tune, project: Project/suport}
            """,
        },
        [
            (
                "b.yaml:4:52",
                "spec.project: Project/suport is not declared in this stack",
                "did you mean 'Project/support'?",
            )
        ],
    ),
    Case(
        "dangling-reference-no-close-name",
        {
            "b.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec: {file: t.jsonl, purpose: fine-tune, project: Project/marketing}
            """,
        },
        [
            (
                "b.yaml:4:52",
                "spec.project: Project/marketing is not declared in this stack",
                "declare a Project named 'marketing', or fix the reference",
            )
        ],
    ),
    Case(
        "reference-to-wrong-kind",
        {
            "b.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec: {file: t.jsonl, purpose: fine-tune, project: Dataset/train}
            """,
        },
        [
            (
                "b.yaml:4:52",
                "spec.project: must reference a Project, not a Dataset (Dataset/train)",
                "project accepts Project references",
            )
        ],
    ),
    Case(
        "reference-without-kind",
        {
            "b.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec:
              file: t.jsonl
              purpose: fine-tune
              project: support
            """,
        },
        [
            (
                "b.yaml:7:12",
                "spec.project: expected a reference 'Project/<name>', got 'support'",
                "references are written Kind/name, e.g. 'Project/support'",
            )
        ],
    ),
    Case(
        "dependency-cycle",
        {
            "w.yaml": """
            apiVersion: reconciler/v1
            kind: Widget
            metadata: {name: a}
            spec: {needs: [Widget/b]}
            ---
            apiVersion: reconciler/v1
            kind: Widget
            metadata: {name: b}
            spec: {needs: [Widget/c]}
            ---
            apiVersion: reconciler/v1
            kind: Widget
            metadata: {name: c}
            spec: {needs: [Widget/a]}
            """,
        },
        [("w.yaml:4:16", "dependency cycle: Widget/a -> Widget/b -> Widget/c -> Widget/a")],
        widgets=True,
    ),
    Case(
        "self-reference-cycle",
        {
            "w.yaml": """
            apiVersion: reconciler/v1
            kind: Widget
            metadata: {name: a}
            spec:
              needs:
                - Widget/a
            """,
        },
        [("w.yaml:6:7", "dependency cycle: Widget/a -> Widget/a")],
        widgets=True,
    ),
    Case(
        "unknown-kind-no-close-match",
        {"a.yaml": PROJECT.replace("kind: Project", "kind: Deployment")},
        [("a.yaml:2:7", "unknown kind 'Deployment'", f"known kinds: {KNOWN_KINDS}")],
    ),
    Case(
        "unknown-api-version",
        {"a.yaml": PROJECT.replace("reconciler/v1", "reconciler/v2")},
        [
            (
                "a.yaml:1:13",
                "unknown apiVersion 'reconciler/v2' for kind Project",
                "use apiVersion: reconciler/v1",
            )
        ],
    ),
    Case(
        "bad-name-uppercase",
        {"a.yaml": PROJECT.replace("{name: support}", "{name: Support_Team}")},
        [("a.yaml:3:18", "metadata.name: invalid name 'Support_Team'")],
    ),
    Case(
        "bad-name-double-dash",
        {"a.yaml": PROJECT.replace("{name: support}", "{name: support--eu}")},
        [("a.yaml:3:18", "metadata.name: invalid name 'support--eu'")],
    ),
    Case(
        "bad-name-too-long",
        {"a.yaml": PROJECT.replace("{name: support}", "{name: " + "a" * 64 + "}")},
        [("a.yaml:3:18", "metadata.name: 64 characters is too long (at most 63)")],
    ),
    Case(
        "project-name-empty",
        {"a.yaml": PROJECT.replace("{name: Support}", '{name: ""}')},
        [("a.yaml:4:14", "spec.name: must not be empty")],
    ),
    Case(
        "purpose-not-a-file-purpose",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec: {file: t.jsonl, purpose: finetune}
            """
        },
        [
            (
                "a.yaml:4:32",
                "spec.purpose: expected one of 'fine-tune', 'batch', 'evals', 'user_data', "
                "'vision' or 'assistants', got a string ('finetune')",
                "did you mean 'fine-tune'?",
            )
        ],
    ),
    Case(
        "format-does-not-fit-purpose",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: requests}
            spec:
              file: requests.jsonl
              purpose: batch
              format: chat
            """
        },
        [
            (
                "a.yaml:7:11",
                "spec.format: format 'chat' does not fit purpose 'batch'",
                "'chat' files are uploaded with purpose 'fine-tune'",
            )
        ],
    ),
    Case(
        "batch-endpoint-without-batch-purpose",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata: {name: train}
            spec:
              file: t.jsonl
              purpose: fine-tune
              batch_endpoint: /v1/responses
            """
        },
        [
            (
                "a.yaml:7:19",
                "spec.batch_endpoint: batch_endpoint is only used with purpose 'batch', "
                "not 'fine-tune'",
            )
        ],
    ),
    Case(
        "config-unknown-field",
        {"a.yaml": PROJECT},
        [
            (
                "reconciler.yaml:2:1",
                "reconciler.yaml: unknown field 'default_projet'",
                "did you mean 'default_project'?",
            )
        ],
        config="stack: test\ndefault_projet: Project/support\n",
    ),
    Case(
        "config-bad-default-project",
        {"a.yaml": PROJECT},
        [
            (
                "reconciler.yaml:2:18",
                "default_project: expected a reference 'Project/<name>' or a live project id "
                "'proj_...', got 'support'",
            )
        ],
        config="stack: test\ndefault_project: support\n",
    ),
    Case(
        "config-default-project-not-declared",
        {"a.yaml": PROJECT},
        [
            (
                "reconciler.yaml:2:18",
                "default_project: Project/suport is not declared in this stack",
                "did you mean 'Project/support'?",
            )
        ],
        config="stack: test\ndefault_project: Project/suport\n",
    ),
    Case(
        "config-missing-stack",
        {"a.yaml": PROJECT},
        [("reconciler.yaml:1:1", "reconciler.yaml: missing required field 'stack'")],
        config="default_project: Project/support\n",
    ),
    Case(
        "config-empty",
        {"a.yaml": PROJECT},
        [("reconciler.yaml:1:1", "reconciler.yaml is empty")],
        config="# to do\n",
    ),
    Case(
        "config-prices-not-found",
        {"a.yaml": PROJECT},
        [("reconciler.yaml:2:9", "prices: file not found: prices.json")],
        config="stack: test\nprices: prices.json\n",
    ),
    Case(
        "no-config-and-no-stack-flag",
        {"a.yaml": PROJECT},
        [
            (
                "reconciler.yaml",
                "no reconciler.yaml in .",
                "create reconciler.yaml with `stack: <name>` (the name of what this repository "
                "owns), or pass the stack name with --stack",
            )
        ],
        config=None,
    ),
    Case(
        "invalid-stack-flag",
        {"a.yaml": PROJECT},
        [("", "invalid stack name 'My Stack' (from --stack)")],
        config=None,
        stack_name="My Stack",
    ),
    Case(
        "many-problems-in-many-files-at-once",
        {
            "a.yaml": """
            apiVersion: reconciler/v1
            kind: Dataset
            metadata:
              name: Train
              labels: {team: 7}
            spec:
              file: train.jsonl
              purpose: fine-tune
              format: chatml
              project: Project/nowhere
            ---
            apiVersion: reconciler/v1
            kind: Projcet
            metadata: {name: p}
            spec: {}
            """,
            "b.yaml": "spec: [\n",
            "c/d.yaml": PROJECT.replace("{name: Support}", "{title: Support}"),
        },
        [
            ("a.yaml:4:9", "metadata.name: invalid name 'Train'"),
            ("a.yaml:5:18", "metadata.labels.team: expected a string, got a number (7)"),
            (
                "a.yaml:9:11",
                "spec.format: expected one of 'chat', 'preference', 'reinforcement', 'batch' or "
                "'eval', got a string ('chatml')",
                "did you mean 'chat'?",
            ),
            (
                "a.yaml:10:12",
                "spec.project: Project/nowhere is not declared in this stack",
                "declare a Project named 'nowhere', or fix the reference "
                "(not all manifests could be read: b.yaml)",
            ),
            ("a.yaml:13:7", "unknown kind 'Projcet'"),
            (
                "b.yaml:2:1",
                "YAML syntax error: expected the node content, but found '<stream end>'",
            ),
            ("c/d.yaml:4:1", "spec: missing required field 'name'"),
            ("c/d.yaml:4:8", "spec: unknown field 'title'"),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_broken_stack_reports_every_error_exactly(case: Case, in_tmp: Path) -> None:
    files = dict(case.files)
    if case.config is not None:
        files["reconciler.yaml"] = case.config
    write_tree(in_tmp, files)
    kinds = KINDS_WITH_WIDGET if case.widgets else None

    reading = read_stack(Path("."), stack_name=case.stack_name, kinds=kinds)

    found = sorted((str(d.location or ""), d.message, d.hint) for d in reading.diagnostics.errors)
    expected = sorted(
        (entry[0], entry[1], entry[2] if len(entry) == 3 else None) for entry in case.errors
    )
    assert [f[:2] for f in found] == [e[:2] for e in expected]
    for (_, _, hint), (_, _, wanted_hint) in zip(found, expected, strict=True):
        if wanted_hint is not None:
            assert hint == wanted_hint


def test_load_stack_raises_with_all_diagnostics(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": CONFIG, "a.yaml": "x: [\n", "b.yaml": "- 1\n"})

    with pytest.raises(ManifestError) as raised:
        load_stack(Path("."))

    assert len(raised.value.diagnostics.errors) == 2
    assert "a.yaml:2:1" in str(raised.value)
    assert "b.yaml:1:1" in str(raised.value)
    assert "2 error(s)" in str(raised.value)


def test_the_document_is_shown_under_the_error(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": CONFIG, "a.yaml": PROJECT.replace("Project", "Projet")})

    rendered = read_stack(Path(".")).diagnostics.render()

    assert "a.yaml:2:7: error [unknown-kind]: unknown kind 'Projet'" in rendered
    assert "  > 2 | kind: Projet\n" in rendered
    assert "hint: did you mean 'Project'?" in rendered
