"""The organization's settings as code, end to end through the CLI against the sandbox
(issue 12): spend limit, spend alerts and data retention set, a second plan a no-op, changed
in place, a change made outside Git reported by drift; a setting left out is never touched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from .e2e import Workspace

SETTINGS = """apiVersion: reconciler/v1
kind: Organization
metadata: {name: org}
spec:
  spend_limit: {threshold_amount: LIMIT}
  spend_alerts:
    - threshold_amount: 50000
      notification_channel: {recipients: [finance@example.com]}
  data_retention: {retention_type: zero_data_retention}
"""


def write_stack(root: Path, limit: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: orgsettings\n", encoding="utf-8")
    (root / "org.yaml").write_text(SETTINGS.replace("LIMIT", str(limit)), encoding="utf-8")
    return root


def plan(ws: Workspace, specs: Path, exits: tuple[int, ...] = (0, 2)) -> dict[str, Any]:
    result = ws.run("plan", str(specs), "--format", "json")
    assert result.exit_code in exits, result.output
    return {c["address"]: c for c in json.loads(result.stdout)["changes"]}


def apply(ws: Workspace, specs: Path) -> None:
    result = ws.run("apply", str(specs), "--auto-approve")
    assert result.exit_code == 0, result.output


def test_organization_settings_are_set_changed_in_place_and_drift_is_reported(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    org = admin_client.admin.organization
    specs = write_stack(ws.root / "o", 100000)
    first = plan(ws, specs)["Organization/org"]
    assert first["action"] == "update"
    apply(ws, specs)
    assert org.spend_limit.retrieve().threshold_amount == 100000
    assert [a.threshold_amount for a in org.spend_alerts.list()] == [50000]
    assert org.data_retention.retrieve().type == "zero_data_retention"
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    write_stack(ws.root / "o", 250000)
    change = plan(ws, specs)["Organization/org"]
    assert change["action"] == "update"
    assert "spend_limit.threshold_amount: 100000 → 250000" in change["reason"]
    apply(ws, specs)
    assert org.spend_limit.retrieve().threshold_amount == 250000
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    org.data_retention.update(retention_type="modified_abuse_monitoring")
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output
    assert "Organization/org" in drift.output and "modified_abuse_monitoring" in drift.output
    apply(ws, specs)
    assert org.data_retention.retrieve().type == "zero_data_retention"

    (specs / "org.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Organization\nmetadata: {name: org}\n"
        "spec: {data_retention: {retention_type: zero_data_retention}}\n",
        encoding="utf-8",
    )
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0
    apply(ws, specs)
    assert org.spend_limit.retrieve().threshold_amount == 250000  # left out: untouched


def test_two_manifests_declaring_a_setting_differently_are_blocked(ws: Workspace) -> None:
    specs = write_stack(ws.root / "o", 100000)
    (specs / "other.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Organization\nmetadata: {name: zz}\n"
        "spec: {spend_limit: {threshold_amount: 5}}\n",
        encoding="utf-8",
    )
    change = plan(ws, specs, exits=(1,))["Organization/zz"]
    assert change["action"] == "blocked"
    assert (
        "Organization/org declares the organization's spend_limit differently" in change["reason"]
    )


PEM = "-----BEGIN CERTIFICATE-----\nMIIBsandbox\n-----END CERTIFICATE-----\n"


def test_certificates_are_activated_by_name_or_id_and_the_others_deactivated(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    org = admin_client.admin.organization
    edge = org.certificates.create(certificate=PEM, name="edge")
    core = org.certificates.create(certificate=PEM, name="core")
    org.certificates.activate(certificate_ids=[core.id])
    specs = ws.root / "o"
    specs.mkdir()
    (specs / "reconciler.yaml").write_text("stack: certs\n", encoding="utf-8")
    manifest = specs / "org.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: Organization\nmetadata: {name: org}\n"
        "spec: {certificates: [edge]}\n",
        encoding="utf-8",
    )
    assert plan(ws, specs)["Organization/org"]["action"] == "update"
    apply(ws, specs)
    assert {c.name: c.active for c in org.certificates.list()} == {"edge": True, "core": False}
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    org.certificates.activate(certificate_ids=[core.id])
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2 and "Organization/org" in drift.output, drift.output
    manifest.write_text(manifest.read_text().replace("[edge]", f"[edge, {core.id}]"))
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0
    assert edge.id != core.id

    manifest.write_text(manifest.read_text().replace("[edge, ", "[gone, "))
    change = plan(ws, specs, exits=(1,))["Organization/org"]
    assert change["action"] == "blocked"
    assert "no uploaded certificate 'gone'" in change["reason"]


def test_certificates_are_activated_in_a_project(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    org = admin_client.admin.organization
    edge = org.certificates.create(certificate=PEM, name="edge")
    specs = ws.root / "p"
    specs.mkdir()
    (specs / "reconciler.yaml").write_text("stack: projcerts\n", encoding="utf-8")
    manifest = specs / "project.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: tls}\n"
        f"spec: {{name: TLS, certificates: [{edge.id}]}}\n",
        encoding="utf-8",
    )
    apply(ws, specs)
    project = next(p for p in org.projects.list() if p.name == "TLS")
    assert [c.active for c in org.projects.certificates.list(project.id)] == [True]
    assert not org.certificates.list().data[0].active  # the organization's own is untouched
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0

    manifest.write_text(manifest.read_text().replace(f"[{edge.id}]", "[]"))
    assert plan(ws, specs)["Project/tls"]["action"] == "update"
    apply(ws, specs)
    assert [c.active for c in org.projects.certificates.list(project.id)] == [False]
    assert ws.run("plan", str(specs), "--detailed-exitcode").exit_code == 0
