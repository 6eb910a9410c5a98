"""Providers against the sandbox over HTTP: uploads in parts, error mapping, masked keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openai
import pytest

from reconciler.errors import ConfigError, PermanentApiError
from reconciler.plan import Action, ResourceChange
from reconciler.providers.base import Operation
from reconciler.providers.client import Clients, Credentials
from reconciler.providers.files import DatasetProvider, list_files
from reconciler.providers.projects import list_projects
from reconciler.sandbox import SandboxHandle
from reconciler.state import HOME_PROJECT


def clients_for(sandbox: SandboxHandle, *, api_key: str | None = None) -> Clients:
    key = api_key or sandbox.project_key
    return Clients(Credentials(api_key=key, admin_key=sandbox.admin_key, base_url=sandbox.base_url))


def test_large_files_go_through_the_uploads_api_in_parts(
    sandbox: SandboxHandle, client: openai.OpenAI, tmp_path: Path
) -> None:
    data = b"".join(b'{"n": %d}\n' % i for i in range(100))
    (tmp_path / "big.jsonl").write_bytes(data)
    payload = {
        "filename": "reconciler--demo--big--0123456789abcdef.jsonl",
        "path": "big.jsonl",
        "purpose": "batch",
        "project": HOME_PROJECT,
    }
    change = ResourceChange(
        address="Dataset/big", kind="Dataset", name="big", action=Action.CREATE, reason="test"
    )
    progress: list[tuple[int, int]] = []
    with clients_for(sandbox) as clients:
        provider = DatasetProvider(clients, tmp_path, files_api_limit=500, part_size=400)
        operation = Operation(change, payload, lambda done, total: progress.append((done, total)))
        file_id = provider.create(operation)
        assert provider.create(operation) == file_id  # found by its name: not uploaded twice
        assert [f.id for f in list_files(clients, HOME_PROJECT)] == [file_id]
    assert progress == [(400, len(data)), (800, len(data)), (len(data), len(data))]
    assert client.files.content(file_id).read() == data


def test_api_errors_are_mapped_and_keys_masked(sandbox: SandboxHandle) -> None:
    wrong_key = "sk-proj-wrong-0000000000000000000000000000"
    with (
        clients_for(sandbox, api_key=wrong_key) as clients,
        pytest.raises(PermanentApiError) as caught,
    ):
        list_files(clients, HOME_PROJECT)
    assert caught.value.status == 401
    assert "list files in the API key's project: HTTP 401" in str(caught.value)
    assert wrong_key not in str(caught.value) and "0000000000" not in str(caught.value)


def test_project_reads_need_an_admin_key(sandbox: SandboxHandle) -> None:
    credentials = Credentials(api_key=sandbox.project_key, base_url=sandbox.base_url)
    with Clients(credentials) as clients, pytest.raises(ConfigError, match="OPENAI_ADMIN_KEY"):
        clients.require_admin_key("read projects")
    with clients_for(sandbox) as clients:
        assert [p.name for p in list_projects(clients)] == ["Default project"]
        assert clients.requests == 1


def test_validate_never_imports_the_sdk() -> None:
    specs = Path(__file__).parents[2] / "specs"
    script = (
        "import sys\n"
        "from reconciler.cli import cli\n"
        "try:\n"
        f"    cli.main(['validate', {str(specs)!r}], standalone_mode=False)\n"
        "finally:\n"
        "    print('openai' in sys.modules, 'reconciler.sandbox' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "False False"
    assert "valid." in result.stdout
