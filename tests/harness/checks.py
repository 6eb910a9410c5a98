""" "0 duplicates", checked the same way for every kind, through two independent views.

`find_duplicates` reads the organization through the SDK (every active project by name; in every
project, the stack's marked files by the name they carry; the stack's other files, such as its
ownership registry, by the address they name) and through `reconciler.providers.read_live_state`
(every live object's address once). It knows no registry format beyond its files naming an
address as `--<Kind>--<name>--` parts, so a reworked registry keeps being checked.
`assert_no_duplicates` fails listing every duplicate found, with the ids.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai

from reconciler.manifests import load_stack
from reconciler.providers import Clients, Credentials, read_live_state
from reconciler.sandbox import SandboxHandle


@dataclass
class Duplicates:
    """What was found more than once: `what -> [ids]`, by the view that found it."""

    projects: dict[str, list[str]] = field(default_factory=dict)  # SDK: active name
    files: dict[str, list[str]] = field(default_factory=dict)  # SDK: marked dataset name
    records: dict[str, list[str]] = field(default_factory=dict)  # SDK: address of a stack file
    live: dict[str, list[str]] = field(default_factory=dict)  # read_live_state: address
    seen: dict[str, int] = field(default_factory=dict)  # what was read, for the report

    @property
    def count(self) -> int:
        groups = (self.projects, self.files, self.records, self.live)
        return sum(len(ids) - 1 for group in groups for ids in group.values())

    def describe(self) -> str:
        lines = [f"{self.count} duplicate(s); read {self.seen}"]
        for title, group in (
            ("active projects named", self.projects),
            ("dataset files of", self.files),
            ("stack files (ownership records, ...) naming", self.records),
            ("read_live_state objects at", self.live),
        ):
            for what, ids in group.items():
                lines.append(f"  {len(ids)} {title} {what}: {', '.join(ids)}")
        return "\n".join(lines)


def find_duplicates(sandbox: SandboxHandle, stack_root: Path) -> Duplicates:
    stack = load_stack(stack_root)
    found = Duplicates()
    with _admin_client(sandbox) as sdk:
        projects = [p for p in sdk.admin.organization.projects.list(limit=100) if _active(p)]
        found.projects = _repeated((p.name or "", p.id) for p in projects)
        files = _stack_files(sdk, stack.name)
    datasets = {f.id: f for f in files if _dataset_name(stack.name, f.filename) is not None}
    others = [f for f in files if f.id not in datasets]
    found.files = _repeated(
        (f"Dataset/{_dataset_name(stack.name, f.filename)}", f"{f.id} ({f.project})")
        for f in datasets.values()
    )
    credentials = Credentials(
        api_key=sandbox.project_key, admin_key=sandbox.admin_key, base_url=sandbox.base_url
    )
    with Clients(credentials) as clients:
        live = read_live_state(stack, clients)
    addressed = [o for o in live.objects if o.address is not None and o.is_active]
    found.live = _repeated((o.address or "", o.live_id) for o in addressed)
    addresses = set(stack.resources) | {o.address or "" for o in addressed}
    found.records = _repeated(
        (address, f"{f.id} {f.filename}")
        for f in others
        for address in _named(f.filename, addresses)
    )
    found.seen = {
        "active projects": len(projects),
        "dataset files": len(datasets),
        "other stack files": len(others),
        "live objects": len(live.objects),
    }
    return found


def assert_no_duplicates(sandbox: SandboxHandle, stack_root: Path, *, label: str = "") -> int:
    """Fail with every duplicate found; return how many objects were checked."""
    found = find_duplicates(sandbox, stack_root)
    assert found.count == 0, f"{label}: {found.describe()}"
    return sum(found.seen.values())


def note_duplicates(
    sandbox: SandboxHandle, stack_root: Path, where: str, failures: list[str]
) -> int:
    """Count the duplicates of one case, noting them in `failures` under `where` (the tests
    that try many cases report them all at the end)."""
    found = find_duplicates(sandbox, stack_root)
    if found.count:
        failures.append(f"{where}: {found.describe()}")
    return found.count


@dataclass(frozen=True)
class _File:
    id: str
    filename: str
    project: str


def _admin_client(sandbox: SandboxHandle) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=sandbox.project_key,
        admin_api_key=sandbox.admin_key,
        base_url=sandbox.base_url,
        max_retries=4,
    )


def _active(project: Any) -> bool:
    return (project.status or "active") == "active" and not project.archived_at


def _stack_files(sdk: openai.OpenAI, stack: str) -> list[_File]:
    """Files of `stack` in the API key's own project, where the harness stack puts its data
    (the key acts in no other project)."""
    prefix = f"reconciler--{stack}--"
    return [
        _File(f.id, f.filename, "home") for f in sdk.files.list() if f.filename.startswith(prefix)
    ]


def _dataset_name(stack: str, filename: str) -> str | None:
    """The name in `reconciler--<stack>--<name>--<sha256[:16]><ext>` (the README's mark)."""
    match = re.match(
        rf"^reconciler--{re.escape(stack)}--((?:(?!--).)+)--[0-9a-f]{{16}}(\.[A-Za-z0-9]+)?$",
        filename,
    )
    return match[1] if match else None


def _named(filename: str, addresses: Iterable[str]) -> list[str]:
    """The addresses whose `<Kind>--<name>` parts appear, in order, in a stack file's name."""
    parts = filename.split("--")
    parts[-1] = parts[-1].split(".")[0]
    pairs = set(itertools.pairwise(parts))
    return [a for a in addresses if tuple(a.split("/", 1)) in pairs]


def _repeated(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: defaultdict[str, list[str]] = defaultdict(list)
    for what, identifier in pairs:
        grouped[what].append(identifier)
    return {what: sorted(ids) for what, ids in sorted(grouped.items()) if len(ids) > 1}
