"""Guardrails as code: Rego policies over the plan JSON, evaluated with an embedded Rego engine.

Where it sits: `cli.py` calls `check_policies` right after `planner.build_plan` (plan, and apply
before anything is changed); the findings travel on `Plan.policy`, `render.py` shows them in
every format, and a `deny` makes apply refuse (exit 1). The input document is the plan JSON of
`reconciler plan --format json` (docs/plan-json.md), so the same files run under conftest/OPA
(`conftest test plan.json -p policies --all-namespaces --data params.yaml`). Rules follow
conftest's conventions: `deny`, `violation` and `warn` (and `deny_*`, `warn_*`), each a set of
strings or of objects with `msg` (and `resource`, the address the finding is about).

The engine is `regopy` (the optional extra `policy`); a stack that declares no policy never
imports it. Policies shipped with the package (`builtin:NAME`) are in `examples/`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.errors import ConfigError, Diagnostic, SourceLocation
from reconciler.plan import Plan, PolicyFinding

if TYPE_CHECKING:
    from reconciler.config import PolicyConfig

BUILTIN_PREFIX = "builtin:"
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_RULE = re.compile(r"^(deny|violation|warn)(_\w+)?$")
INSTALL_HINT = "pip install 'reconciler[policy]'"


def builtin_policies() -> dict[str, str]:
    """The shipped example policies: name → Rego source."""
    folder = resources.files("reconciler.policies").joinpath("examples")
    return {
        entry.name.removesuffix(".rego"): entry.read_text("utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".rego") and not entry.name.endswith("_test.rego")
    }


def policy_sources(config: PolicyConfig, root: Path) -> dict[str, str]:
    """Every policy file the config names (display name → source), in a stable order."""
    found: dict[str, str] = {}
    shipped: dict[str, str] | None = None
    for entry in config.paths:
        if entry.startswith(BUILTIN_PREFIX):
            shipped = shipped if shipped is not None else builtin_policies()
            name = entry.removeprefix(BUILTIN_PREFIX)
            if name not in shipped:
                known = ", ".join(f"{BUILTIN_PREFIX}{n}" for n in shipped)
                raise ConfigError(
                    f"reconciler.yaml: policies.paths: no shipped policy '{entry}'; the shipped "
                    f"ones are {known}"
                )
            found[entry] = shipped[name]
            continue
        path = root / entry
        files = sorted(path.rglob("*.rego")) if path.is_dir() else [path]
        if not path.exists():
            raise ConfigError(
                f"reconciler.yaml: policies.paths: '{entry}' does not exist (relative to "
                f"{root}): give a .rego file or a folder of them"
            )
        for file in files:
            if file.name.endswith("_test.rego"):
                continue  # `opa test` files: not policies
            name = file.relative_to(root).as_posix() if file.is_relative_to(root) else str(file)
            try:
                found[name] = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise ConfigError(f"{name}: cannot read the policy: {error}") from None
    return found


def check_policies(plan: Plan, config: PolicyConfig, root: Path) -> Plan:
    """`plan` with what the policies say about it (`Plan.policy`); unchanged without any."""
    if not config.paths:
        return plan
    sources = policy_sources(config, root)
    findings = evaluate(sources, plan_document(plan), config.params)
    return plan.model_copy(update={"policy": tuple(findings), "policy_files": tuple(sources)})


_WHERE = re.compile(r"^(\S+?\.rego):(\d+):(\d+)$", re.MULTILINE)


def policy_diagnostics(config: PolicyConfig, root: Path) -> list[Diagnostic]:
    """For `validate` (offline): the policies can be read and compiled; a problem is an error
    at the policy's `file:line:col` when the engine gives one."""
    if not config.paths:
        return []
    try:
        evaluate(policy_sources(config, root), {"changes": [], "cost": None}, config.params)
    except ConfigError as error:
        from reconciler.manifests.source import display_path

        text = str(error)
        where = _WHERE.search(text)
        first, _, rest = text.partition("\n")
        if where is None:
            return [Diagnostic(first, hint=rest.strip() or None)]
        shown = display_path(root / where[1])
        location = SourceLocation(shown, int(where[2]), int(where[3]))
        message = first.removeprefix(f"{where[1]}: ")
        hint = "fix the policy, or take it out of `policies.paths` in reconciler.yaml"
        return [Diagnostic(message, location, hint=hint)]
    return []


def plan_document(plan: Plan) -> dict[str, Any]:
    """The policies' input: the plan JSON, without earlier findings."""
    from reconciler.render import plan_to_dict

    document = plan_to_dict(plan)
    document.pop("policy", None)
    return document


def evaluate(
    sources: dict[str, str], document: dict[str, Any], params: dict[str, Any]
) -> list[PolicyFinding]:
    """Every deny/warn finding of `sources` (name → Rego) over `document`."""
    try:
        from regopy import Interpreter, RegoError
    except ImportError:
        raise ConfigError(
            f"reconciler.yaml declares policies, but the Rego engine is not installed: "
            f"{INSTALL_HINT}"
        ) from None
    interpreter = Interpreter()
    packages: dict[str, list[str]] = {}
    for name, source in sources.items():
        match = _PACKAGE.search(source)
        if match is None:
            raise ConfigError(f"{name}: not a Rego policy: no `package` line")
        packages.setdefault(match[1], []).append(name)
        _quietly(RegoError, name, interpreter.add_module, name, source)
    interpreter.add_data_json(json.dumps({"params": params}))
    interpreter.set_input_term(json.dumps(document, default=str))
    findings: list[PolicyFinding] = []
    for package, files in packages.items():
        output = _quietly(RegoError, ", ".join(files), interpreter.query, f"data.{package}")
        if not output.ok():
            raise ConfigError(f"{', '.join(files)}: the policy failed: {output}")
        values = json.loads(str(output))["expressions"][0]
        findings.extend(_findings(package, files, values))
    return sorted(findings, key=lambda f: (f.level != "deny", f.rule, f.resource or "", f.message))


def _findings(package: str, files: list[str], values: Any) -> Iterator[PolicyFinding]:
    if not isinstance(values, dict):
        return
    for rule, result in sorted(values.items()):
        match = _RULE.match(rule)
        if match is None:
            continue
        level = "warn" if match[1] == "warn" else "deny"
        for item in _items(result):
            message, resource = _message(item)
            yield PolicyFinding(
                level=level,
                rule=f"{package}.{rule}",
                file=", ".join(files),
                resource=resource,
                message=message,
            )


def _items(result: Any) -> list[Any]:
    """A rule's value as a list: a set (list), a v0 partial set written as an object of
    `msg: true`, or a single message."""
    if isinstance(result, list):
        return result
    if isinstance(result, dict) and "msg" not in result:
        return [key for key, value in result.items() if value is True]
    if isinstance(result, bool):
        return []
    return [result]


def _message(item: Any) -> tuple[str, str | None]:
    if isinstance(item, dict):
        resource = item.get("resource", item.get("address"))
        text = item.get("msg", json.dumps(item, sort_keys=True))
        return str(text), str(resource) if resource is not None else None
    return str(item), None


def _rego_error(name: str, printed: str) -> str:
    """The engine's own message (`file:line:col` and the line), as it printed it."""
    lines = [line for line in printed.splitlines() if line.strip()]
    body = [line for line in lines if line not in ("Errors:", "--")]
    body = [line for line in body if not line.startswith(("Pass ", "wellformed_error", "~~~"))]
    body = [line.removeprefix("-- ") for line in body]
    message = body[0] if body else "invalid Rego"
    rest = "\n".join(body[1:])
    return f"{name}: the policy is not valid Rego: {message}" + (f"\n{rest}" if rest else "")


def _quietly(error_type: type[Exception], name: str, call: Any, *args: Any) -> Any:
    """`call(*args)` with the engine's printing kept off the command's output (the Rego
    engine prints its errors on the process's stdout, fd 1, which may be the plan JSON); an
    error becomes a ConfigError with the engine's message (`file:line:col`)."""
    sys.stdout.flush()
    saved = os.dup(1)
    failed = False
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        try:
            result = call(*args)
        except error_type:
            failed = True
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        if failed:
            sink.seek(0)
            raise ConfigError(_rego_error(name, sink.read().decode("utf-8", "replace")))
    return result
