"""The Administration API benchmarks' stack (bench_admin_budget.py, bench_admin_refresh.py).

`write_admin_stack(root, projects, config)`: `projects` Projects, each with rate limits, a spend
limit and model permissions, one ProjectMember (EMAIL) and one ServiceAccount whose key goes to
a file sink; `config` is the reconciler.yaml text.
"""

from __future__ import annotations

from pathlib import Path

EMAIL = "alice@example.com"


def write_admin_stack(root: Path, projects: int, config: str = "stack: bench\n") -> Path:
    root.mkdir(parents=True)
    (root / "reconciler.yaml").write_text(config, encoding="utf-8")
    documents = []
    for n in range(projects):
        documents.append(
            f"kind: Project\nmetadata: {{name: p{n}}}\nspec:\n  name: Bench {n}\n"
            "  rate_limits: {gpt-4.1: {max_requests_per_1_minute: 400}}\n"
            "  spend_limit: {threshold_amount: 50000}\n"
            "  model_permissions: {mode: allow_list, model_ids: [gpt-4.1]}\n"
        )
        documents.append(
            f"kind: ProjectMember\nmetadata: {{name: alice-p{n}}}\n"
            f"spec: {{project: Project/p{n}, email: {EMAIL}, role: member}}\n"
        )
        documents.append(
            f"kind: ServiceAccount\nmetadata: {{name: bot-p{n}}}\n"
            f"spec: {{project: Project/p{n}, name: bot, role: member, "
            f"key_sink: {{file: secrets/bot-p{n}.key}}}}\n"
        )
    text = "---\n".join(f"apiVersion: reconciler/v1\n{d}" for d in documents)
    (root / "stack.yaml").write_text(text, encoding="utf-8")
    return root
