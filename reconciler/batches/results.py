"""Join a batch's output and error lines back to its requests, and remember what was written.

`providers/batches.py` downloads the output and error files of every batch of one generation
(the first batch and its replays, oldest first) and calls `Outcome.add_*`; a later success
wins over an earlier failure. `write_results` writes `output` (one line per succeeded request,
in input order: `custom_id`, the source `line`, the `item` in template mode, the `response`
body) and `failures` (`custom_id`, `line`, `reason`, `status_code`, `error`). Which batches were
written is recorded under the stack's cache folder (`ResultsRecord`), so the next plan knows
the files are current without a request.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.batches.requests import RequestLine


class Bodies(MutableMapping[str, Any]):
    """custom_id -> response body, kept as compact JSON text (a parsed body takes several
    times its size in memory): parsed again when read, written out as it is."""

    def __init__(self) -> None:
        self._raw: dict[str, str] = {}

    def __getitem__(self, key: str) -> Any:
        return json.loads(self._raw[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self._raw[key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def __delitem__(self, key: str) -> None:
        del self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def raw(self, key: str) -> str:
        return self._raw[key]


@dataclass
class Outcome:
    """The result of every request of a generation, by custom_id."""

    succeeded: Bodies = field(default_factory=Bodies)  # custom_id -> response body
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)  # custom_id -> reason
    flags: dict[str, dict[str, float]] = field(default_factory=dict)  # warn: category -> score

    def add_output_line(self, line: dict[str, Any]) -> None:
        custom_id = str(line.get("custom_id"))
        response = line.get("response") or {}
        status = response.get("status_code")
        if status == 200 and not line.get("error"):
            self.succeeded[custom_id] = response.get("body")
            self.failed.pop(custom_id, None)
        else:
            self.add_error_line(line)

    def add_error_line(self, line: dict[str, Any]) -> None:
        custom_id = str(line.get("custom_id"))
        if custom_id in self.succeeded:
            return
        self.failed[custom_id] = failure_reason(line)

    def add_unfinished(self, custom_ids: Iterable[str], reason: str) -> None:
        for custom_id in custom_ids:
            if custom_id not in self.succeeded and custom_id not in self.failed:
                self.failed[custom_id] = {"reason": reason}


def failure_reason(line: dict[str, Any]) -> dict[str, Any]:
    """Why a request failed, from its error line: the batch error, or the API's error body."""
    error = line.get("error")
    if isinstance(error, dict):
        code = error.get("code") or "error"
        return {"reason": f"{code}: {error.get('message', '')}".strip(), "error": error}
    response = line.get("response") or {}
    body = response.get("body") or {}
    api_error = body.get("error") if isinstance(body, dict) else None
    status = response.get("status_code")
    if isinstance(api_error, dict):
        reason = f"HTTP {status}: {api_error.get('message', '')}".strip()
        return {"reason": reason, "status_code": status, "error": api_error}
    return {"reason": f"HTTP {status}", "status_code": status}


def parse_jsonl(data: bytes) -> Iterator[dict[str, Any]]:
    for raw in io.BytesIO(data):
        if raw.strip():
            value = json.loads(raw)
            if isinstance(value, dict):
                yield value


def write_results(
    requests: Iterable[RequestLine],
    outcome: Outcome,
    *,
    output: Path | None,
    failures: Path | None,
    items: dict[int, Any] | None = None,
) -> tuple[int, int]:
    """Write the joined results and failures, in input order; (results, failures) written.

    Each file is written to a temporary name and renamed, so a reader never sees half a file."""
    written = [0, 0]
    handles = [_open_temporary(output), _open_temporary(failures)]
    try:
        for request in requests:
            if request.custom_id in outcome.succeeded:
                record: dict[str, Any] = {"custom_id": request.custom_id, "line": request.line}
                if items is not None:
                    record["item"] = items.get(request.line)
                text = json.dumps(record, ensure_ascii=False)[:-1]
                text += ', "response": ' + outcome.succeeded.raw(request.custom_id)
                if request.custom_id in outcome.flags:
                    text += ', "moderation": ' + json.dumps(outcome.flags[request.custom_id])
                written[0] += 1
                if handles[0] is not None:
                    handles[0][1].write(text + "}\n")
                continue
            reason = outcome.failed.get(request.custom_id, {"reason": "not run"})
            record = {"custom_id": request.custom_id, "line": request.line, **reason}
            written[1] += 1
            if handles[1] is not None:
                handles[1][1].write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        for opened in handles:
            if opened is not None:
                opened[1].close()
    for path, opened in zip((output, failures), handles, strict=True):
        if path is not None and opened is not None:
            os.replace(opened[0], path)
    return written[0], written[1]


def _open_temporary(path: Path | None) -> tuple[Path, Any] | None:
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    return temporary, temporary.open("w", encoding="utf-8")


# -- what was written ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsRecord:
    """Which batches' results the local `output`/`failures` files hold (and their sizes)."""

    batch_ids: tuple[str, ...]
    files: dict[str, int]
    actual: dict[str, Any] | None = field(default=None, compare=False)
    """What the requests cost (`estimate.Actual.to_json`), shown by the plan."""

    @staticmethod
    def path(cache_dir: Path, stack: str, name: str) -> Path:
        return cache_dir / "batches" / f"{stack}--{name}.json"

    @classmethod
    def of(
        cls,
        batch_ids: Iterable[str],
        files: Iterable[Path | None],
        actual: dict[str, Any] | None = None,
    ) -> ResultsRecord:
        sizes = {str(p): p.stat().st_size for p in files if p is not None and p.exists()}
        return cls(tuple(sorted(batch_ids)), sizes, actual)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"batch_ids": list(self.batch_ids), "files": self.files, "actual": self.actual}
        path.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ResultsRecord | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = {str(k): int(v) for k, v in data["files"].items()}
            actual = data.get("actual")
            return cls(
                tuple(data["batch_ids"]), files, actual if isinstance(actual, dict) else None
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def is_current(self, batch_ids: Iterable[str], files: Iterable[Path | None]) -> bool:
        """Whether these batches' results are written and the files are still as written."""
        return self == ResultsRecord.of(batch_ids, files)
