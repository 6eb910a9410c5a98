"""End to end: `max_key_age` rotates a service account's key through the CLI against the
sandbox: the API revokes no single key of a service account, so the account is replaced: the
new one's key to the sink first, then the old account (and its key) removed. A young key is a
no-op, and the key appears in the sink and nowhere else."""

from __future__ import annotations

import datetime as dt
import json

import openai
import pytest

from .e2e import Workspace
from .test_org_e2e import PROJECT, every_written_file, write_stack

ACCOUNT = (
    "---\napiVersion: reconciler/v1\nkind: ServiceAccount\nmetadata: {name: bot}\n"
    "spec: {project: Project/team, name: bot-sa, key_sink: {file: secrets/bot.key}, "
    "max_key_age: 90d}\n"
)


def in_days(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def project_keys(admin_client: openai.OpenAI) -> list[str]:
    projects = admin_client.admin.organization.projects
    team = next(p for p in projects.list() if p.name == "Org Team")
    return [k.id for k in projects.api_keys.list(team.id)]


def account_names(admin_client: openai.OpenAI) -> list[str]:
    projects = admin_client.admin.organization.projects
    team = next(p for p in projects.list() if p.name == "Org Team")
    return [a.name for a in projects.service_accounts.list(team.id)]


def test_an_old_key_is_rotated_new_key_first_then_the_old_one_revoked(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "org", ACCOUNT)
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    sink = specs / "secrets" / "bot.key"
    old = sink.read_text(encoding="utf-8").strip()
    (old_id,) = project_keys(admin_client)

    young = ws.run("plan", str(specs), "--detailed-exitcode")
    assert young.exit_code == 0, young.output  # a key made today is not due

    ws.env["RECONCILER_TODAY"] = in_days(91)
    planned = ws.run("plan", str(specs), "--format", "json", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    (change,) = [c for c in json.loads(planned.stdout)["changes"] if c["kind"] == "ServiceAccount"]
    assert change["action"] == "update"  # in place for the manifest: a new account behind it
    assert change["reason"].startswith("rotate the key")
    drift = ws.run("drift", str(specs))
    assert drift.exit_code == 2, drift.output

    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    new = sink.read_text(encoding="utf-8").strip()
    assert new != old and new.startswith("sk-")
    assert sink.stat().st_mode & 0o777 == 0o600
    keys = project_keys(admin_client)
    assert len(keys) == 1 and keys != [old_id]  # the old key is revoked
    assert account_names(admin_client) == ["bot-sa"]  # one account, same name
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key=old, base_url=str(client.base_url), max_retries=0).models.list()
    assert openai.OpenAI(api_key=new, base_url=str(client.base_url)).models.list() is not None

    del ws.env["RECONCILER_TODAY"]  # back to today, when the new key was made
    again = ws.run("plan", str(specs), "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # the new key is young
    for output in (young.output, planned.output, drift.output, applied.output, again.output):
        assert new[-12:] not in output and old[-12:] not in output
    for path in every_written_file(ws.root, sink):
        assert new[-12:].encode() not in path.read_bytes(), path


def test_without_max_key_age_no_key_listing_is_read(ws: Workspace) -> None:
    account = ACCOUNT.replace(", max_key_age: 90d", "")
    specs = write_stack(ws.root / "org", account)
    assert ws.run("apply", str(specs), "--auto-approve").exit_code == 0
    ws.env["RECONCILER_TODAY"] = in_days(400)
    planned = ws.run("plan", str(specs), "--format", "json", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["requests"] == json.loads(planned.stdout)["minimum_requests"]
    assert PROJECT  # the same project as the other org tests
