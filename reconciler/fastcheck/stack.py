"""The fast stack check: is everything under a path clearly valid, with the standard library?

Called by `fastcheck.entry` before anything heavy is imported. It repeats what `validate`
checks (files found, reconciler.yaml, each document against its kind's schema and cross-field
rules, unique names, references, cycles, files present, clean cached dataset reports) and
answers with the cached dataset warnings to show, or None as soon as anything is not clearly
valid. It never explains a problem: on None the caller runs `reconciler.validation`.
"""

from __future__ import annotations

import json
import os
import re
import stat
from functools import cache
from pathlib import Path

from reconciler.fastcheck.cross_field import passes_cross_field_checks
from reconciler.fastcheck.dataset_cache import CachedProblem, cached_problems
from reconciler.fastcheck.schema_subset import conforms
from reconciler.fastcheck.yaml_subset import read_documents

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

RULES_FILE = Path(__file__).with_name("rules.json")
MANIFEST_SUFFIXES = (".yaml", ".yml")
# Must equal reconciler.manifests.files.MANIFEST_MAX_BYTES (tests/fastcheck compares them).
MANIFEST_MAX_BYTES = 1 << 20
DATASET_KIND = "Dataset"  # validation.py checks the contents of this kind's files


class NotClearlyValid(Exception):
    """Stop the fast check: the slow path decides (and explains)."""


class DatasetWarning:
    """A warning of a cached dataset report, with the file as `validate` shows it."""

    __slots__ = ("file", "problem")

    def __init__(self, file: str, problem: CachedProblem) -> None:
        self.file = file
        self.problem = problem


class _Resource:
    __slots__ = ("address", "base_dir", "kind", "references", "spec")

    def __init__(
        self, address: str, kind: str, spec: dict[str, Any], base_dir: Path, references: list[str]
    ) -> None:
        self.address = address
        self.kind = kind
        self.spec = spec
        self.base_dir = base_dir
        self.references = references


@cache
def load_rules(path: Path = RULES_FILE) -> dict[str, Any]:
    rules: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return rules


def check_stack(
    path: Path, stack_name: str | None, rules: dict[str, Any] | None = None
) -> list[DatasetWarning] | None:
    """The dataset warnings `validate` would print when the stack is clearly valid, else None.

    `rules` defaults to the shipped rules.json (tests pass rules built for other kinds)."""
    try:
        return _check(Path(path).absolute(), stack_name, rules or load_rules())
    except NotClearlyValid:
        return None


def _check(path: Path, stack_name: str | None, rules: dict[str, Any]) -> list[DatasetWarning]:
    if not path.exists():
        raise NotClearlyValid("no such path")
    root = path if path.is_dir() else path.parent
    config = _read_config(root, stack_name, rules)
    resources = [
        resource
        for file in _manifest_files(path, rules["config"]["file"])
        for resource in _read_manifest(file, rules)
    ]
    by_address = _unique(resources)
    _add_default_project(resources, config, by_address, rules)
    _check_no_cycle(by_address)
    cache_dir = root / config.get("cache_dir", rules["config"]["default_cache_dir"])
    inside = _resolved_folder(root)
    return [
        warning
        for resource in resources
        for warning in _check_files(resource, rules["kinds"][resource.kind], cache_dir, inside)
    ]


# As reconciler.datasets.tables.lookup_model_key: a table key, or one followed by a version.
_MODEL_VERSION = re.compile(r"(?:-(?:\d{4}-\d{2}-\d{2}|\d{4}|latest|preview))+$")
MODELS_FILE = Path(__file__).parent.parent / "datasets" / "models.json"


@cache
def _model_keys() -> frozenset[str]:
    return frozenset(json.loads(MODELS_FILE.read_text(encoding="utf-8"))["models"])


def _is_known_model(model: Any) -> bool:
    if not isinstance(model, str):
        return False
    name = model.strip()
    if name.startswith("ft:"):
        parts = name.split(":")
        name = parts[1] if len(parts) > 1 and parts[1] else name
    name = name.lower()
    return name in _model_keys() or _MODEL_VERSION.sub("", name) in _model_keys()


def _require(condition: bool, why: str) -> None:
    if not condition:
        raise NotClearlyValid(why)


# -- files and reconciler.yaml ---------------------------------------------------------------


def _manifest_files(path: Path, config_name: str) -> list[Path]:
    """As `reconciler.manifests.discovery.find_manifest_files`, refusing its warning cases."""
    if path.is_file():
        _require(path.name != config_name, "only reconciler.yaml given")
        return [path]
    found: list[Path] = []
    for folder, subfolders, names in os.walk(path):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        found.extend(
            Path(folder, name)
            for name in names
            if name.endswith(MANIFEST_SUFFIXES) and not name.startswith(".")
        )
    _require(not any(f.name == config_name and f.parent != path for f in found), "nested config")
    manifests = sorted(f for f in found if f.name != config_name)
    _require(bool(manifests), "no manifests")
    return manifests


def _read_yaml(path: Path) -> list[Any]:
    documents = read_documents(_read_regular_file(path).decode("utf-8"))
    if documents is None:
        raise NotClearlyValid("YAML outside the fast subset")
    return documents


def _read_regular_file(path: Path) -> bytes:
    """As `reconciler.manifests.files.read_limited_bytes`: a FIFO or a device is never waited
    on (O_NONBLOCK, then fstat), and a file over the manifest limit is not clearly valid."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as handle:
        _require(stat.S_ISREG(os.fstat(descriptor).st_mode), "not a regular file")
        data = handle.read(MANIFEST_MAX_BYTES + 1)
    _require(len(data) <= MANIFEST_MAX_BYTES, "manifest too large")
    return data


def _read_config(root: Path, stack_name: str | None, rules: dict[str, Any]) -> dict[str, Any]:
    """The stack config; refused when `validate` would warn (e.g. --stack overrides it)."""
    if stack_name is not None:
        _require(_is_stack_name(stack_name, rules), "invalid --stack")
    path = root / rules["config"]["file"]
    if not path.is_file():
        _require(stack_name is not None, "no reconciler.yaml and no --stack")
        return {"stack": stack_name}
    documents = [document for document in _read_yaml(path) if document is not None]
    _require(len(documents) == 1 and rules["config"]["supported"], "config shape")
    config: dict[str, Any] = documents[0]
    schema = rules["config"]["schema"]
    _require(type(config) is dict and conforms(config, schema, schema), "config schema")
    _require(stack_name in (None, config["stack"]), "--stack overrides the config")
    _require(config.get("prices") is None, "a price table override")
    _require(config.get("model_shutdowns") is None, "a model shutdown table override")
    _require(not config.get("policies"), "policies (compiled by the full validator)")
    return config


def _is_stack_name(name: str, rules: dict[str, Any]) -> bool:
    return bool(re.match(rules["name_pattern"], name)) and len(name) <= rules["name_max_length"]


# -- documents -------------------------------------------------------------------------------


def _read_manifest(file: Path, rules: dict[str, Any]) -> list[_Resource]:
    documents = _read_yaml(file)
    _require(bool(documents), "empty manifest file")
    base_dir = _resolved_folder(file.parent)
    return [_read_document(document, base_dir, rules) for document in documents]


@cache
def _resolved_folder(folder: Path) -> Path:
    return folder.resolve()


def _names_a_model(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            (key == "model" and isinstance(item, str)) or _names_a_model(item)
            for key, item in value.items()
        )
    return isinstance(value, list) and any(_names_a_model(item) for item in value)


def _read_document(document: Any, base_dir: Path, rules: dict[str, Any]) -> _Resource:
    _require(type(document) is dict, "not a mapping")
    kind = document.get("kind")
    _require(type(kind) is str and kind in rules["kinds"], "unknown kind")
    kind_rules = rules["kinds"][kind]
    schema = kind_rules["schema"]
    _require(kind_rules["supported"] and conforms(document, schema, schema), "schema")
    spec = document["spec"]
    cross_field = kind_rules["cross_field_checks"]
    if cross_field is not None:
        _require(passes_cross_field_checks(kind, spec, cross_field), "cross-field check")
    if kind != DATASET_KIND:  # a model that shuts down soon is a warning only validation.py gives
        _require(not _names_a_model(spec), "names a model: validation.py checks its shutdown")
    address = f"{kind}/{document['metadata']['name']}"
    references = _references(spec, kind_rules["reference_fields"], rules["reference_pattern"])
    return _Resource(address, kind, spec, base_dir, references)


def _references(spec: dict[str, Any], fields: dict[str, list[str]], pattern: str) -> list[str]:
    """`Kind/name` values of the reference fields (strings, or strings in a list)."""
    found = []
    for written, allowed in fields.items():
        name, _, item_key = written.partition("[].")
        value = spec.get(name)
        items = value if isinstance(value, list) else [] if item_key else [value]
        for item in items:
            if item_key:  # `projects[].id`: the `id` of each item of the list `projects`
                item = item.get(item_key) if isinstance(item, dict) else None
            if isinstance(item, str):
                _require(bool(re.match(pattern, item)), "bad reference")
                _require(item.partition("/")[0] in allowed, "reference to a wrong kind")
                found.append(item)
    return found


# -- the stack as a whole --------------------------------------------------------------------


def _unique(resources: list[_Resource]) -> dict[str, _Resource]:
    by_address = {resource.address: resource for resource in resources}
    _require(len(by_address) == len(resources), "duplicate name")
    for resource in resources:
        _require(all(r in by_address for r in resource.references), "dangling reference")
    return by_address


def _add_default_project(
    resources: list[_Resource],
    config: dict[str, Any],
    by_address: dict[str, _Resource],
    rules: dict[str, Any],
) -> None:
    """The default project must be declared; it is a dependency of project-scoped kinds."""
    default = config.get("default_project")
    if not isinstance(default, str) or not default.startswith("Project/"):
        return
    _require(default in by_address, "default project not declared")
    for resource in resources:
        kind_rules = rules["kinds"][resource.kind]
        names_project = "project" in kind_rules["reference_fields"] and any(
            isinstance(item, str) for item in _as_list(resource.spec.get("project"))
        )
        if kind_rules["depends_on_project"] and not names_project:
            resource.references.append(default)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_no_cycle(by_address: dict[str, _Resource]) -> None:
    done: set[str] = set()
    for start in by_address:
        on_path: set[str] = set()
        stack = [(start, iter(by_address[start].references))]
        on_path.add(start)
        while stack:
            node, pending = stack[-1]
            following = next((n for n in pending if n not in done), None)
            if following is None:
                stack.pop()
                on_path.discard(node)
                done.add(node)
                continue
            _require(following not in on_path, "dependency cycle")
            on_path.add(following)
            stack.append((following, iter(by_address[following].references)))


# -- local files -----------------------------------------------------------------------------


def _check_files(
    resource: _Resource, kind_rules: dict[str, Any], cache_dir: Path, root: Path
) -> list[DatasetWarning]:
    """Files named by `resource`: regular files inside the stack folder `root` (resolved)."""
    warnings: list[DatasetWarning] = []
    for name in kind_rules["file_fields"]:
        written = resource.spec.get(name)
        if not isinstance(written, str):
            continue
        path = resource.base_dir / written
        _require(path.is_file(), "file not found")
        _require(path.resolve().is_relative_to(root), "file outside the stack folder")
        if resource.kind == DATASET_KIND:
            warnings.extend(_dataset_warnings(path, resource.spec, cache_dir))
    return warnings


def _dataset_warnings(path: Path, spec: dict[str, Any], cache_dir: Path) -> list[DatasetWarning]:
    model = spec.get("model")
    _require(model is None or _is_known_model(model), "unknown model: validation.py warns")
    problems = cached_problems(path, spec, cache_dir)
    if problems is None:
        raise NotClearlyValid("dataset not in the cache")
    _require(all(p.severity != "error" for p in problems), "dataset has errors")
    shown = display_path(path)
    return [DatasetWarning(shown, problem) for problem in problems]


def display_path(path: Path) -> str:
    """As `reconciler.manifests.source.display_path`: relative to the working directory."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative
