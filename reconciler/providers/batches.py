"""The `Batch` kind over the Files and Batch APIs: read by listing, created once, joined.

`BatchReader` (in `READERS`) lists `GET /batches` once per project of `ReadContext.projects`
(100 a page, the API's largest) and keeps the batches whose `metadata` carries this stack's
tags (`reconciler_stack`, `_name`, `_digest` of spec + input, `_replay`). `BatchProvider`:

- create: builds the input (a batch-format dataset's file as it is, or items rendered through
  the template, streamed to a temporary file), uploads it under a marked filename
  (`reconciler--<stack>--Batch--<name>--<digest>--r<n>.jsonl`, reused when an earlier attempt
  uploaded it), then creates the batch with the tags. A retried create lists the project's
  batches and returns the one an earlier attempt made: never a second billed batch.
- update: what the plan said (`next`): `replay` sends a new batch of only the requests that did
  not finish (tag `_replay` n); `write` downloads the output and error files of the generation,
  joins them to the requests by `custom_id` and writes `output` and `failures` (then records
  it under the stack's cache folder, so the next plan is a no-op).
- delete: cancels a running batch; a finished one is left as it is (results stay available).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from reconciler.batches import estimate, split
from reconciler.batches import requests as build
from reconciler.batches.results import Outcome, ResultsRecord, parse_jsonl, write_results
from reconciler.errors import PermanentApiError
from reconciler.manifests import Stack
from reconciler.models.batch import RUNNING_STATUSES, TAG_PREFIX
from reconciler.moderation.batches import flagged_words, moderate_outputs
from reconciler.providers.base import (
    JobProgress,
    KindProvider,
    Operation,
    ReadContext,
    ReadResult,
)
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.moderation import classify_with
from reconciler.state import HOME_PROJECT, LiveObject, Ownership

PAGE_SIZE = 100  # the largest page `GET /batches` serves


@dataclass(frozen=True)
class Written:
    """What joining a generation's results wrote: results, failures, and the actual cost."""

    results: int
    failures: int
    actual: estimate.Actual


def _batch_rates() -> Any:
    from reconciler.datasets.prices import PriceTable

    return estimate.batch_rates(PriceTable.load())


def tag(name: str) -> str:
    return f"{TAG_PREFIX}{name}"


def input_filename(stack: str, name: str, digest: str, replay: int) -> str:
    return f"reconciler--{stack}--Batch--{name}--{digest}--r{replay}.jsonl"


def list_batches(clients: Clients, project: str) -> list[Any]:
    where = "the API key's project" if project == HOME_PROJECT else f"project {project}"
    with api_errors(f"list batches in {where}"):
        return list(clients.reader(project).batches.list(limit=PAGE_SIZE))


def batch_objects(stack: str, project: str, batches: list[Any]) -> list[LiveObject]:
    """The stack's batches among `batches` of `project`."""
    found = []
    for batch in batches:
        metadata = dict(batch.metadata or {})
        if metadata.get(tag("stack")) != stack or not metadata.get(tag("name")):
            continue
        user = {k: v for k, v in metadata.items() if not k.startswith(TAG_PREFIX)}
        counts = batch.request_counts
        found.append(
            LiveObject(
                kind="Batch",
                key=batch.id,
                live_id=batch.id,
                attributes={
                    "endpoint": batch.endpoint,
                    "input": f"sha256:{metadata.get(tag('input'), '')}",
                    "completion_window": batch.completion_window,
                    "metadata": user,
                    "project": project,
                    "status": batch.status,
                },
                owned=batch.status
                in RUNNING_STATUSES,  # only a running batch has anything to cancel
                address=f"Batch/{metadata[tag('name')]}",
                status=batch.status,
                created_at=batch.created_at,
                info={
                    "digest": metadata.get(tag("digest")),
                    "replay": int(metadata.get(tag("replay"), "0") or 0),
                    "part": metadata.get(tag("part"), "1/1"),
                    "request_counts": counts.model_dump() if counts is not None else {},
                    "output_file_id": batch.output_file_id,
                    "error_file_id": batch.error_file_id,
                },
            )
        )
    return found


class BatchReader:
    kind = "Batch"

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return bool(stack.of_kind("Batch"))

    def needed_by_files(self, stack: str, filenames: frozenset[str]) -> bool:
        """Whether the plan's file listings hold an input this stack uploaded for a batch: its
        Batch manifest may be gone while the batch runs (to be cancelled)."""
        prefix = f"reconciler--{stack}--Batch--"
        return any(name.startswith(prefix) for name in filenames)

    def read(self, ctx: ReadContext) -> ReadResult:
        listings: dict[str, Future[list[Any]]] = {
            project: ctx.submit(list_batches, ctx.clients, project)
            for project in sorted(ctx.projects)
        }
        objects: list[LiveObject] = []
        minimum = 0
        for project, listing in listings.items():
            batches = listing.result()
            minimum += max(1, math.ceil(len(batches) / PAGE_SIZE))
            objects += batch_objects(ctx.stack.name, project, batches)
        return ReadResult(tuple(objects), minimum)


class BatchProvider(KindProvider):
    kind = "Batch"

    def __init__(self, clients: Clients, root: Path) -> None:
        self._clients = clients
        self._root = root
        self._sent: set[tuple[str, str, int]] = set()  # batches that may have been created

    def create(self, op: Operation) -> str:
        return self._submit(op, replay=0, skip=set())

    def update(self, op: Operation) -> str:
        payload = op.payload
        before = int(payload["replay"]) if payload.get("next") in ("replay", "resume") else None
        outcome = self._outcome(payload, before=before)
        if payload.get("next") in ("replay", "resume"):
            resume = payload["next"] == "resume"
            return self._submit(
                op, replay=int(payload["replay"]), skip=set(outcome.succeeded), resume=resume
            )
        self._write(payload, outcome)
        return str(op.change.live_id)

    def delete(self, op: Operation) -> None:
        batch_id = op.change.live_id
        status = op.change.live_attributes.get("status")
        if batch_id is None or status not in RUNNING_STATUSES:
            return  # finished: nothing to cancel, its results stay available
        project = str(op.change.live_attributes.get("project", HOME_PROJECT))
        try:
            with api_errors(f"cancel batch {batch_id}", missing_ok=True):
                self._clients.writer(project).batches.cancel(batch_id)
        except Exception as error:  # finished meanwhile: 409, nothing left to cancel
            cause = error.__cause__
            if not (isinstance(cause, openai.APIStatusError) and cause.status_code == 409):
                raise

    def progress(self, live_id: str, project: str) -> JobProgress:
        """`Waitable`: the batch's status and its finished requests of all (one request); for
        a batch split into parts, all parts of its submission together (one listing more)."""
        with api_errors(f"read batch {live_id}"):
            batch = self._clients.reader(project).batches.retrieve(live_id)
        metadata = dict(batch.metadata or {})
        parts = [batch]
        if split.parse_part(metadata.get(tag("part")))[1] > 1:
            keys = ("stack", "name", "digest", "replay")
            parts = [
                b
                for b in list_batches(self._clients, project)
                if all(dict(b.metadata or {}).get(tag(k)) == metadata.get(tag(k)) for k in keys)
            ] or [batch]
        done = total = 0
        for part in parts:
            counts = part.request_counts
            if counts is not None:
                done, total = done + counts.completed + counts.failed, total + counts.total
        running = [p for p in parts if p.status in RUNNING_STATUSES]
        status = running[0].status if running else batch.status
        ended = None if running else "succeeded"
        if not running and any(p.status in ("failed", "cancelled", "expired") for p in parts):
            ended = "failed"
        shown = f"{done:,} of {total:,} requests"
        if len(parts) > 1:
            shown += f" in {len(parts)} parts"
        return JobProgress(status, done, total, shown, ended)

    # -- create and replay -----------------------------------------------------------------

    def _submit(self, op: Operation, *, replay: int, skip: set[str], resume: bool = False) -> str:
        """Send this replay's requests (those not in `skip` nor blocked by moderation) as one
        batch per part (`batches.split`); the id of the first. A retry, or a resumed
        submission, first looks for the parts an earlier attempt created."""
        payload = op.payload
        project, digest = str(payload["project"]), str(payload["digest"])
        key = (project, digest, replay)
        existing = self._find(project, payload, replay) if resume or key in self._sent else {}
        blocked = set(payload.get("blocked") or {})
        selected = (
            r
            for r in self._requests(payload)
            if r.custom_id not in skip and str(r.line) not in blocked
        )
        found = split.Limits.from_json(payload.get("split"))
        with split.write_parts(selected, found) as parts:
            if len(existing) == len(parts) and parts:  # every part exists already
                return existing[1]
            ids = []
            total = len(parts)
            for index, part in enumerate(parts, start=1):
                if index in existing:
                    ids.append(existing[index])
                    continue
                file_id = self._input_file(op, replay, part, index, total)
                metadata = {
                    **payload["metadata"],
                    tag("stack"): payload["stack"],
                    tag("name"): payload["name"],
                    tag("digest"): digest,
                    tag("input"): payload["input"],
                    tag("replay"): str(replay),
                    tag("part"): split.part_tag(index, total),
                }
                self._sent.add(key)
                with api_errors(f"create batch for {op.address}"):
                    batch = self._clients.writer(project).batches.create(
                        input_file_id=file_id,
                        endpoint=payload["endpoint"],
                        completion_window=payload["completion_window"],
                        metadata=metadata,
                    )
                ids.append(str(batch.id))
        if not ids:
            raise PermanentApiError(
                f"{op.address}: no request left to submit (every one is blocked or done)",
                operation=f"create batch for {op.address}",
            )
        return ids[0]

    def _find(self, project: str, payload: dict[str, Any], replay: int) -> dict[int, str]:
        """Part index -> id of this generation's batches of `replay` that exist already."""
        found: dict[int, str] = {}
        for batch in list_batches(self._clients, project):
            metadata = dict(batch.metadata or {})
            if (
                metadata.get(tag("stack")) == payload["stack"]
                and metadata.get(tag("name")) == payload["name"]
                and metadata.get(tag("digest")) == payload["digest"]
                and metadata.get(tag("replay")) == str(replay)
            ):
                index, _total = split.parse_part(metadata.get(tag("part")))
                found.setdefault(index, str(batch.id))
        return found

    def _input_file(
        self, op: Operation, replay: int, part: split.Part, index: int, total: int
    ) -> str:
        """The uploaded input of one part: found by its marked filename, else uploaded."""
        payload = op.payload
        project = str(payload["project"])
        filename = input_filename(payload["stack"], payload["name"], payload["digest"], replay)
        if total > 1:
            filename = filename.removesuffix(".jsonl") + f"--p{index}of{total}.jsonl"
        with api_errors(f"list files in {project}"):
            for file in self._clients.reader(project).files.list(limit=10_000):
                if file.filename == filename and file.status != "error":
                    return str(file.id)
        op.progress(0, part.size)
        with api_errors(f"upload {filename}"):
            file = self._clients.writer(project).files.create(
                file=(filename, part.handle), purpose="batch"
            )
        op.progress(part.size, part.size)
        return str(file.id)

    def _requests(self, payload: dict[str, Any]) -> Iterator[build.RequestLine]:
        source = self._root / str(payload["source"])
        if payload["mode"] == "template":
            return build.template_requests(
                source, payload["template"], payload["endpoint"], str(payload["cache_key"])
            )
        return build.file_requests(source)

    # -- results -----------------------------------------------------------------------------

    def _outcome(self, payload: dict[str, Any], *, before: int | None = None) -> Outcome:
        """Every request's result across the generation's batches (all parts), oldest first;
        only those of replays before `before` when given (what a replay must skip)."""
        outcome = Outcome()
        project = str(payload["project"])
        for batch in payload.get("batches", []):
            if before is not None and int(batch.get("replay", 0)) >= before:
                continue
            for key, add in (
                ("output_file_id", outcome.add_output_line),
                ("error_file_id", outcome.add_error_line),
            ):
                file_id = batch.get(key)
                if file_id:
                    for line in parse_jsonl(self._download(project, str(file_id))):
                        add(line)
        return outcome

    def _download(self, project: str, file_id: str) -> bytes:
        with api_errors(f"download {file_id}"):
            return self._clients.reader(project).files.content(file_id).read()

    def _write(self, payload: dict[str, Any], outcome: Outcome) -> Written:
        """Write the declared `output` and `failures`, and record it for the next plan."""
        output = self._root / payload["output"] if payload.get("output") else None
        failures = self._root / payload["failures"] if payload.get("failures") else None
        written = self.join_results(payload, outcome, output=output, failures=failures)
        record_ids = payload.get("record_ids") or [b["id"] for b in payload.get("batches", [])]
        record = ResultsRecord.of(record_ids, [output, failures], written.actual.to_json())
        cache_dir = self._root / str(payload["cache_dir"])
        record.save(ResultsRecord.path(cache_dir, payload["stack"], payload["name"]))
        return written

    def download_results(
        self, payload: dict[str, Any], *, to: tuple[Path, Path] | None = None
    ) -> Written:
        """Download every batch of the planned generation and join them (`reconciler
        output`): into `to` (results, failures), else where the manifest says, recorded as
        apply records it. The platform's files and the source are enough."""
        if to is None:
            return self._write(payload, self._outcome(payload))
        output, failures = to
        return self.join_results(payload, self._outcome(payload), output=output, failures=failures)

    def join_results(
        self,
        payload: dict[str, Any],
        outcome: Outcome,
        *,
        output: Path | None,
        failures: Path | None,
    ) -> Written:
        """Moderation-blocked and unfinished requests into `outcome`, outputs moderated, the
        actual cost from the responses' usage; then the files written in input order."""
        batches = payload.get("batches", [])
        last = batches[-1]["status"] if batches else "unknown"
        blocked = dict(payload.get("blocked") or {})
        ids = set()
        for request in self._requests(payload):
            reason = blocked.get(str(request.line))
            if reason is not None:  # never submitted: moderation flagged its input
                outcome.failed[request.custom_id] = {"reason": reason}
            ids.add(request.custom_id)
        outcome.add_unfinished(ids, f"not run (the batch ended {last})")
        actual = estimate.actual_cost(outcome.succeeded.values(), _batch_rates())
        self._moderate_outputs(payload, outcome)
        items = None
        if payload["mode"] == "template":
            items = dict(build.read_jsonl(self._root / str(payload["source"])))
        results, failed = write_results(
            self._requests(payload), outcome, output=output, failures=failures, items=items
        )
        return Written(results, failed, actual)

    def _moderate_outputs(self, payload: dict[str, Any], outcome: Outcome) -> None:
        """Flagged outputs go to failures with their categories (`block`), or stay in the
        output marked with them (`warn`); scores are cached by content, many per request."""
        gate = payload.get("moderation")
        if not gate or not outcome.succeeded:
            return
        flagged, _sent = moderate_outputs(
            ((custom_id, outcome.succeeded[custom_id]) for custom_id in sorted(outcome.succeeded)),
            model=str(gate["model"]),
            thresholds=dict(gate["categories"]),
            classify=classify_with(self._clients),
            cache_dir=self._root / str(payload["cache_dir"]),
        )
        for custom_id, categories in flagged.items():
            if gate["action"] == "block":
                outcome.succeeded.pop(custom_id, None)
                reason = flagged_words(str(gate["policy"]), categories, "output")
                outcome.failed[custom_id] = {"reason": reason, "categories": categories}
            else:
                outcome.flags[custom_id] = categories
