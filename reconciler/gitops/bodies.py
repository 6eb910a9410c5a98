"""The texts the action posts: the plan comment of a pull request, the apply result, the drift
issue. Pure functions; each text starts with its hidden marker (how the next run finds it)
and stays under GitHub's 65,536-character limit for a comment or an issue body."""

from __future__ import annotations

import re
from dataclasses import dataclass

GITHUB_BODY_LIMIT = 65_536
_SINCE = re.compile(r"<!-- reconciler:drift-since (.+?) -->")


def plan_marker(stack: str) -> str:
    return f"<!-- reconciler:plan stack={stack} -->"


def apply_marker(stack: str) -> str:
    return f"<!-- reconciler:apply stack={stack} -->"


def drift_marker(stack: str) -> str:
    return f"<!-- reconciler:drift stack={stack} -->"


@dataclass(frozen=True)
class RunInfo:
    """Where a text came from: the commit and the workflow run (a link to its log)."""

    sha: str = ""
    run_url: str = ""
    when: str = ""

    def footer(self) -> str:
        parts = []
        if self.sha:
            parts.append(f"commit `{self.sha[:12]}`")
        if self.run_url:
            parts.append(f"[workflow run]({self.run_url})")
        if self.when:
            parts.append(self.when)
        return f"<sub>{' · '.join(parts)}</sub>" if parts else ""


def plan_comment(stack: str, markdown: str, run: RunInfo, *, artifact: str = "") -> str:
    """The PR comment of a plan: the CLI's markdown (summary first, details collapsible)."""
    tail = []
    if artifact:
        tail.append(
            f"The saved plan is kept as the artifact `{artifact}` of this run: the apply on "
            "merge applies exactly this plan, and stops if the manifests or the live state "
            "changed since."
        )
    return _assemble(plan_marker(stack), markdown, [*tail, run.footer()])


def invalid_comment(stack: str, diagnostics: str, run: RunInfo) -> str:
    """The PR comment when the manifests are invalid: every located error, nothing planned."""
    head = (
        f"### Reconciler plan: stack `{stack}`\n\n"
        "**The manifests are invalid: nothing was planned.** Each error is also shown inline "
        "in the pull request's diff.\n\n"
    )
    return _assemble(plan_marker(stack), head + _code_block(diagnostics), [run.footer()])


def failed_comment(stack: str, markdown: str, error: str, run: RunInfo, *, title: str) -> str:
    """A plan (or apply) that ended in an error: what was rendered, then the error."""
    head = f"### {title}: stack `{stack}`\n\n**{_first_line(error)}**\n"
    parts = [head, _code_block(error)]
    if markdown.strip():
        parts.append(markdown)
    marker = apply_marker(stack) if title.startswith("Reconciler apply") else plan_marker(stack)
    return _assemble(marker, "\n".join(parts), [run.footer()])


def apply_comment(stack: str, headline: str, output: str, run: RunInfo, *, extra: str = "") -> str:
    """The merged PR's comment about its apply: applied, or refused and why."""
    body = f"### Reconciler apply: stack `{stack}`\n\n**{headline}**\n\n"
    body += details("Output of `reconciler apply`", _code_block(output))
    if extra:
        body += "\n" + extra
    return _assemble(apply_marker(stack), body, [run.footer()])


def drift_title(stack: str) -> str:
    return f"Drift in stack {stack}: live state differs from Git"


def drift_issue(stack: str, markdown: str, run: RunInfo, *, since: str) -> str:
    """The drift issue's body: since when, the latest report, what to do."""
    head = (
        f"The scheduled `reconciler drift` finds objects of stack `{stack}` that differ from "
        f"the manifests in Git (drifting since {since}; last checked {run.when}). This issue "
        "is updated on each run while the drift lasts and closed when a run finds none.\n\n"
        "To resolve it, either change the manifests to match (a pull request whose plan shows "
        "no changes), or undo the change by applying the manifests as they are in Git (run "
        "the apply workflow by hand).\n\n"
    )
    since_marker = f"<!-- reconciler:drift-since {since} -->"
    return _assemble(drift_marker(stack) + "\n" + since_marker, head + markdown, [run.footer()])


def drift_since(body: str) -> str | None:
    """When the drift of an open issue was first seen (written by `drift_issue`)."""
    found = _SINCE.search(body)
    return found[1] if found else None


def drift_closed_comment(run: RunInfo) -> str:
    return ("No drift any more: the live state matches Git. Closing.\n\n" + run.footer()).strip()


# -- pieces -------------------------------------------------------------------------------------


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "reconciler failed"


def _code_block(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text.rstrip()}\n{fence}\n"


def details(summary: str, inner: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{inner}\n</details>\n"


def _assemble(marker: str, main: str, tail: list[str], limit: int = GITHUB_BODY_LIMIT) -> str:
    """marker, main text, tail; `main` cut (at a block boundary when it can) to fit `limit`."""
    end = "\n\n".join(part for part in tail if part)
    fixed = len(marker) + len(end) + 4
    if fixed + len(main) > limit:
        note = (
            "\n\n_The rest is not shown: it would exceed GitHub's "
            f"{limit:,}-character limit. The workflow run's log has it all._\n"
        )
        budget = limit - fixed - len(note) - 8  # room to close a code fence
        cut = main[:budget]
        boundary = max(cut.rfind("\n<details>"), cut.rfind("\n\n"))
        if boundary > budget // 2:
            cut = cut[:boundary]
        if cut.count("```") % 2:
            cut += "\n```"
        main = cut + note
    return f"{marker}\n{main.rstrip()}\n\n{end}\n" if end else f"{marker}\n{main.rstrip()}\n"
