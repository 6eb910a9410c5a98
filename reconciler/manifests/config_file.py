"""Read reconciler.yaml (the stack config) at the root of the manifests.

Called by the stack loader before the manifests. The file is parsed like a manifest (same source
map, so errors point at file:line:col) and validated against `StackConfig`. Without the file the
stack name must come from `--stack`; a `--stack` given with the file overrides its `stack:`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from reconciler.config import CONFIG_FILENAME, StackConfig
from reconciler.errors import Diagnostics, SourceLocation
from reconciler.manifests.files import is_inside
from reconciler.manifests.problems import describe_value, report_validation_error
from reconciler.manifests.source import SourceMap, display_path, read_yaml_file
from reconciler.models.base import NAME_MAX_LENGTH, NAME_PATTERN, NAME_RULE

_CONFIG_HINT = "reconciler.yaml holds `stack: <name>` and optionally default_project, prices"


@dataclass(frozen=True)
class ConfigReading:
    config: StackConfig
    location: SourceLocation | None
    default_project_location: SourceLocation | None


def read_config(
    root: Path, stack_name: str | None, diagnostics: Diagnostics, *, subset: bool = True
) -> ConfigReading | None:
    """The stack config under `root`, or None (with diagnostics) when it is unusable.

    `subset`: read by the subset reader when the text allows (see `read_yaml_file`), and
    read again by ruamel alone when there is any error, so that ruamel's reading explains it.
    """
    if not subset:
        return _read_config(root, stack_name, diagnostics, subset=False)
    found = Diagnostics()
    reading = _read_config(root, stack_name, found, subset=True)
    if found.has_errors:
        return _read_config(root, stack_name, diagnostics, subset=False)
    diagnostics.extend(found)
    return reading


def _read_config(
    root: Path, stack_name: str | None, diagnostics: Diagnostics, *, subset: bool
) -> ConfigReading | None:
    if stack_name is not None and not _is_valid_stack_name(stack_name, diagnostics):
        return None
    path = root / CONFIG_FILENAME
    if not os.path.lexists(path):
        return _config_from_flag(path, stack_name, diagnostics)
    if not is_inside(path, root):
        diagnostics.error(
            f"{CONFIG_FILENAME} is a symlink to a file outside the stack folder",
            SourceLocation(display_path(path)),
            hint=f"write the stack settings in {display_path(path)} itself",
            code="outside-stack",
        )
        return None
    reading = _read_config_file(path, diagnostics, subset=subset)
    if reading is None or stack_name is None or stack_name == reading.config.stack:
        return reading
    diagnostics.warning(
        f"--stack {stack_name} overrides stack '{reading.config.stack}' from {CONFIG_FILENAME}",
        reading.location,
    )
    config = reading.config.model_copy(update={"stack": stack_name})
    return ConfigReading(config, reading.location, reading.default_project_location)


def _is_valid_stack_name(stack_name: str, diagnostics: Diagnostics) -> bool:
    if re.match(NAME_PATTERN, stack_name) and len(stack_name) <= NAME_MAX_LENGTH:
        return True
    diagnostics.error(f"invalid stack name {stack_name!r} (from --stack)", hint=NAME_RULE)
    return False


def _config_from_flag(
    path: Path, stack_name: str | None, diagnostics: Diagnostics
) -> ConfigReading | None:
    if stack_name is None:
        diagnostics.error(
            f"no {CONFIG_FILENAME} in {display_path(path.parent) or '.'}",
            SourceLocation(display_path(path)),
            hint=f"create {display_path(path)} with `stack: <name>` (the name of what this "
            "repository owns), or pass the stack name with --stack",
            code="missing-config",
        )
        return None
    return ConfigReading(StackConfig(stack=stack_name), None, None)


def _read_config_file(
    path: Path, diagnostics: Diagnostics, *, subset: bool
) -> ConfigReading | None:
    shown = display_path(path)
    yaml_file = read_yaml_file(path, diagnostics, subset=subset)
    if not yaml_file.complete:
        return None
    documents = [d for d in yaml_file.documents if d.data is not None]
    if len(documents) != 1:
        problem = "is empty" if not documents else "holds more than one document"
        diagnostics.error(
            f"{CONFIG_FILENAME} {problem}", SourceLocation(shown, 1, 1), hint=_CONFIG_HINT
        )
        return None
    data, source_map = documents[0].data, documents[0].source_map
    if not isinstance(data, dict):
        diagnostics.error(
            f"{CONFIG_FILENAME} must be a mapping, got {describe_value(data)}",
            source_map.root,
            hint=_CONFIG_HINT,
        )
        return None
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as error:
        report_validation_error(
            error,
            prefix=(),
            model=StackConfig,
            source_map=source_map,
            diagnostics=diagnostics,
            root_label=CONFIG_FILENAME,
        )
        return None
    if not _prices_file_exists(config, path.parent, source_map, diagnostics):
        return None
    project_location = source_map.anchor(("default_project",)) if config.default_project else None
    return ConfigReading(config, source_map.root, project_location)


def _prices_file_exists(
    config: StackConfig, root: Path, source_map: SourceMap, diagnostics: Diagnostics
) -> bool:
    if config.prices is None:
        return True
    path = root / config.prices
    if not is_inside(path, root):
        diagnostics.error(
            f"prices: {config.prices} is outside the stack folder",
            source_map.anchor(("prices",)),
            hint=f"the price table must be a file under {CONFIG_FILENAME}'s folder "
            "(absolute paths, '..' and symlinks leading out are refused)",
            code="outside-stack",
        )
        return False
    if path.is_file():
        return True
    diagnostics.error(
        f"prices: file not found: {config.prices}",
        source_map.anchor(("prices",)),
        hint=f"the path is relative to {CONFIG_FILENAME}'s folder",
        code="file-not-found",
    )
    return False
