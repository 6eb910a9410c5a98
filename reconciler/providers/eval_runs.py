"""`Eval` and `EvalRun` in the provider layer: samples through the API, results as filenames.

An Eval is local: `EvalReader` reads nothing and `EvalProvider` does nothing. `EvalRunReader`
lists the API key's project's files once and keeps this stack's result files
(`reconciler.evals.summary`: the summary is in the filename, since `user_data` files cannot be
downloaded). `EvalRunProvider.create` runs the samples (one Responses or Chat Completions call
per item, `SAMPLING_CONCURRENCY` at a time), recording each answer in a local progress file as
it arrives, so a retried or killed apply resumes without paying for an item twice; then it
grades locally, writes the per-item results next to the progress file and uploads the result
file. A retried create first looks for the result file an earlier attempt uploaded. Delete
keeps the results (they are the record of what was measured).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from reconciler.batches.results import Outcome, parse_jsonl
from reconciler.errors import PermanentApiError, TemporaryApiError
from reconciler.evals import model_graders, python_grader, winners
from reconciler.evals import summary as summaries
from reconciler.evals.cosine import EMBEDDING_CHUNK, EMBEDDING_MODEL, is_cosine, similarity
from reconciler.evals.cosine import texts as cosine_texts
from reconciler.evals.graders import Grade, grade, use_wordnet
from reconciler.evals.items import Item, read_items, render_messages
from reconciler.evals.promotion import candidate_of, judge
from reconciler.manifests import Stack
from reconciler.models.batch import RUNNING_STATUSES
from reconciler.models.promotion import Gate
from reconciler.providers.base import (
    KindProvider,
    LocalProvider,
    Operation,
    ReadContext,
    ReadResult,
)
from reconciler.providers.batches import PAGE_SIZE as BATCHES_PAGE_SIZE
from reconciler.providers.batches import list_batches, tag
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.files import FILES_PAGE_SIZE, list_files
from reconciler.state import HOME_PROJECT, LiveObject, Ownership

SAMPLING_CONCURRENCY = 4
RESULT_PURPOSE: Literal["user_data"] = "user_data"


class EvalReader:
    kind = "Eval"

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return False  # local: nothing to read

    def read(self, ctx: ReadContext) -> ReadResult:
        return ReadResult()


class EvalProvider(LocalProvider):
    kind = "Eval"


def result_objects(stack: str, files: list[Any]) -> list[LiveObject]:
    """The stack's EvalRun result files among `files` (one live object per file)."""
    found = []
    for file in files:
        parsed = summaries.parse_filename(stack, str(file.filename))
        if parsed is None:
            continue
        name, summary = parsed
        found.append(
            LiveObject(
                kind="EvalRun",
                key=str(file.filename),
                live_id=str(file.id),
                attributes={"digest": summary.digest, "results": "graded"},
                owned=False,  # results are kept when their manifest goes
                address=f"EvalRun/{name}",
                created_at=int(file.created_at or 0),
                info={"stack": stack},
            )
        )
    return found


def batch_objects(stack: str, project: str, batches: list[Any]) -> list[LiveObject]:
    """The batches of this stack's `via: batch` runs (tagged `reconciler_evalrun`)."""
    found = []
    for batch in batches:
        metadata = dict(batch.metadata or {})
        name = metadata.get(tag("evalrun"))
        if metadata.get(tag("stack")) != stack or not name:
            continue
        counts = batch.request_counts
        found.append(
            LiveObject(
                kind="EvalRun",
                key=str(batch.id),
                live_id=str(batch.id),
                attributes={
                    "digest": metadata.get(tag("digest"), ""),
                    "results": "not graded",
                    "project": project,
                },
                owned=batch.status in RUNNING_STATUSES,  # only a running batch can be cancelled
                address=f"EvalRun/{name}",
                status=batch.status,
                created_at=int(batch.created_at or 0),
                info={
                    "batch": True,
                    "phase": metadata.get(tag("phase"), "sample"),
                    "request_counts": counts.model_dump() if counts is not None else {},
                    "output_file_id": batch.output_file_id,
                    "error_file_id": batch.error_file_id,
                },
            )
        )
    return found


class EvalRunReader:
    kind = "EvalRun"

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return bool(stack.of_kind("EvalRun") or stack.of_kind("Promotion"))

    def read(self, ctx: ReadContext) -> ReadResult:
        files = ctx.submit(list_files, ctx.clients, HOME_PROJECT)
        by_batch = any(
            getattr(r.spec, "via", None) == "batch" for r in ctx.stack.of_kind("EvalRun")
        )
        batches = {
            project: ctx.submit(list_batches, ctx.clients, project)
            for project in (sorted(ctx.projects) if by_batch else [])
        }
        listed = files.result()
        objects = result_objects(ctx.stack.name, listed) + winner_objects(ctx.stack.name, listed)
        pages = max(1, math.ceil(len(listed) / FILES_PAGE_SIZE))
        for project, listing in batches.items():
            found = listing.result()
            objects += batch_objects(ctx.stack.name, project, found)
            pages += max(1, math.ceil(len(found) / BATCHES_PAGE_SIZE))
        return ReadResult(tuple(objects), pages)


class EvalRunProvider(KindProvider):
    kind = "EvalRun"

    def __init__(self, clients: Clients, root: Path) -> None:
        self._clients = clients
        self._root = root

    def create(self, op: Operation) -> str:
        payload = op.payload
        found = self._find_result(payload)
        if found is not None:  # an earlier attempt uploaded it (its answer was lost)
            return found
        items = self._items(payload)
        if payload.get("via") == "batch":
            return self._submit_batch(op, items)
        progress = Progress(self._progress_path(payload))
        self._sample(op, items, progress)
        judged = Progress(self._grades_path(payload))
        self._judge(op, items, progress, judged)
        return self._finish(payload, items, progress, judged)

    def update(self, op: Operation) -> str:
        """Grade a finished batch (the only update the plan makes): its output, joined by
        `custom_id`, becomes the progress records. With model graders, their requests go in a
        second batch (the run's `grade` phase) and this update returns it; the update after it
        completes reads its answers. Then the result file as for `responses`."""
        payload = op.payload
        found = self._find_result(payload)
        if found is not None:
            return found
        items = self._items(payload)
        done = self._completed_batches(payload)
        progress = Progress(self._progress_path(payload))
        if any(item.line not in progress.records for item in items):
            sampled = done.get("sample") or payload.get("batch") or {}
            outcome = self._outcome(payload, sampled)
            for item in items:
                if item.line in progress.records:
                    continue
                body = outcome.succeeded.get(f"item-{item.line}")
                if body is None:
                    why = outcome.failed.get(f"item-{item.line}", {}).get("reason", "not run")
                    progress.add(item.line, {"error": str(why)})
                else:
                    progress.add(
                        item.line,
                        {"output_text": _body_text(body), "usage": body.get("usage") or {}},
                    )
        judged = Progress(self._grades_path(payload))
        requests = self._grading_requests(payload, items, progress)
        for phase in sorted(p for p in done if p.startswith("grade:")):
            if all(key in judged.records for key, _ in requests):
                break
            outcome = self._outcome(payload, done[phase])
            for key, body in requests:
                if key in judged.records or _grade_phase(body) != phase:
                    continue
                body = outcome.succeeded.get(_grade_custom_id(key))
                if body is None:
                    why = outcome.failed.get(_grade_custom_id(key), {}).get("reason", "not run")
                    judged.add(key, {"error": str(why)})
                else:
                    judged.add(key, {"output_text": _body_text(body)})
        pending = [(key, body) for key, body in requests if key not in judged.records]
        if pending:
            return self._submit_grading_batches(payload, pending)
        result = self._finish(payload, items, progress, judged)
        self._forget_input(payload)
        return result

    def delete(self, op: Operation) -> None:
        """Cancel a running batch; results (result files, finished batches) are kept."""
        attributes = op.change.live_attributes
        batch_id = op.change.live_id
        if (
            not batch_id
            or not str(batch_id).startswith("batch_")
            or attributes.get("status") not in RUNNING_STATUSES
        ):
            return None
        try:
            with api_errors(f"cancel batch {batch_id}", missing_ok=True):
                project = str(attributes.get("project") or HOME_PROJECT)
                self._clients.writer(project).batches.cancel(str(batch_id))
        except PermanentApiError as error:
            if error.status != 409:  # 409: it finished meanwhile, nothing to cancel
                raise

    # -- via: batch ----------------------------------------------------------------------

    def _completed_batches(self, payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The newest completed batch of this run's digest per phase (`sample`, `grade`)."""
        found: dict[str, LiveObject] = {}
        for batch in batch_objects(
            str(payload["stack"]),
            str(payload["project"]),
            list_batches(self._clients, str(payload["project"])),
        ):
            if (
                batch.attributes["digest"] != payload["digest"]
                or batch.address != f"EvalRun/{payload['name']}"
                or batch.status != "completed"
            ):
                continue
            phase = str(batch.info.get("phase"))
            if phase not in found or (batch.created_at or 0) > (found[phase].created_at or 0):
                found[phase] = batch
        return {
            phase: {
                "id": batch.live_id,
                "output_file_id": batch.info.get("output_file_id"),
                "error_file_id": batch.info.get("error_file_id"),
            }
            for phase, batch in found.items()
        }

    def _outcome(self, payload: dict[str, Any], batch: dict[str, Any]) -> Outcome:
        outcome = Outcome()
        for key, add in (
            ("output_file_id", outcome.add_output_line),
            ("error_file_id", outcome.add_error_line),
        ):
            file_id = batch.get(key)
            if file_id:
                for line in parse_jsonl(self._download(str(payload["project"]), str(file_id))):
                    add(line)
        return outcome

    def _submit_grading_batches(
        self, payload: dict[str, Any], pending: list[tuple[str, dict[str, Any]]]
    ) -> str:
        """One batch per grader model (a batch has one model), each tagged with its phase
        `grade:<model>` and found again by its tags after a retry; the last one's id."""
        by_phase: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for key, body in pending:
            by_phase.setdefault(_grade_phase(body), []).append((key, body))
        return [self._submit_grading_batch(payload, p, jobs) for p, jobs in by_phase.items()][-1]

    def _submit_grading_batch(
        self, payload: dict[str, Any], phase: str, pending: list[tuple[str, dict[str, Any]]]
    ) -> str:
        found = self._find_batch(payload, phase=phase)
        if found is not None:
            return found
        name = input_filename(payload, phase=phase)
        project = str(payload["project"])
        file_id = None
        for file in list_files(self._clients, project):
            if file.filename == name and file.status != "error":
                file_id = str(file.id)
        if file_id is None:
            lines = [
                json.dumps(
                    {
                        "custom_id": _grade_custom_id(key),
                        "method": "POST",
                        "url": "/v1/responses",
                        "body": body,
                    },
                    ensure_ascii=False,
                )
                + "\n"
                for key, body in pending
            ]
            with api_errors(f"upload {name}"):
                file_id = str(
                    self._clients.writer(project)
                    .files.create(file=(name, "".join(lines).encode()), purpose="batch")
                    .id
                )
        metadata = {
            tag("stack"): str(payload["stack"]),
            tag("evalrun"): str(payload["name"]),
            tag("digest"): str(payload["digest"]),
            tag("phase"): phase,
        }
        with api_errors(f"create the grading batch of EvalRun/{payload['name']}"):
            batch = self._clients.writer(project).batches.create(
                input_file_id=file_id,
                endpoint="/v1/responses",
                completion_window="24h",
                metadata=metadata,
            )
        return str(batch.id)

    def _submit_batch(self, op: Operation, items: list[Item]) -> str:
        payload = op.payload
        found = self._find_batch(payload)
        if found is not None:  # an earlier attempt created it
            return found
        file_id = self._batch_input(payload, items)
        metadata = {
            tag("stack"): str(payload["stack"]),
            tag("evalrun"): str(payload["name"]),
            tag("digest"): str(payload["digest"]),
        }
        with api_errors(f"create the batch of EvalRun/{payload['name']}"):
            batch = self._clients.writer(str(payload["project"])).batches.create(
                input_file_id=file_id,
                endpoint=_endpoint(payload),
                completion_window="24h",
                metadata=metadata,
            )
        return str(batch.id)

    def _find_batch(self, payload: dict[str, Any], phase: str = "sample") -> str | None:
        for batch in batch_objects(
            str(payload["stack"]),
            str(payload["project"]),
            list_batches(self._clients, str(payload["project"])),
        ):
            ended_badly = batch.status in ("failed", "expired", "cancelled", "cancelling")
            if (
                batch.attributes["digest"] == payload["digest"]
                and batch.address == f"EvalRun/{payload['name']}"
                and batch.info.get("phase") == phase
                and not ended_badly
            ):
                return batch.live_id
        return None

    def _batch_input(self, payload: dict[str, Any], items: list[Item]) -> str:
        name = input_filename(payload)
        project = str(payload["project"])
        for file in list_files(self._clients, project):
            if file.filename == name and file.status != "error":
                return str(file.id)
        lines = []
        for item in items:
            body = _request_body(payload, render_messages(payload["template"], item.data))
            request = {
                "custom_id": f"item-{item.line}",
                "method": "POST",
                "url": _endpoint(payload),
                "body": body,
            }
            lines.append(json.dumps(request, ensure_ascii=False) + "\n")
        with api_errors(f"upload {name}"):
            file = self._clients.writer(project).files.create(
                file=(name, "".join(lines).encode()), purpose="batch"
            )
        return str(file.id)

    def _forget_input(self, payload: dict[str, Any]) -> None:
        """The batches' input files once graded (their requests are in the progress files)."""
        sample = input_filename(payload)
        grades = input_filename(payload, phase="grade:")[: -len(".jsonl")]
        project = str(payload["project"])
        for file in list_files(self._clients, project):
            name = str(file.filename)
            if name == sample or name.startswith(grades):
                with api_errors(f"delete {name}", missing_ok=True):
                    self._clients.writer(project).files.delete(str(file.id))

    def _download(self, project: str, file_id: str) -> bytes:
        with api_errors(f"download {file_id}"):
            return self._clients.reader(project).files.content(file_id).read()

    # -- sampling ------------------------------------------------------------------------

    def _sample(self, op: Operation, items: list[Item], progress: Progress) -> None:
        call = self._caller(op.payload)
        self._run_calls(op, [(item.line, item) for item in items], progress, call)

    def _judge(
        self, op: Operation, items: list[Item], progress: Progress, judged: Progress
    ) -> None:
        """The model graders' requests of every sampled item, one Responses call each."""
        requests = self._grading_requests(op.payload, items, progress)
        if not requests:
            return
        client = self._clients.writer(str(op.payload["project"]))
        address = f"EvalRun/{op.payload['name']}"

        def call(body: dict[str, Any]) -> dict[str, Any]:
            with api_errors(f"grade a sample of {address} with {body['model']}"):
                answer = client.responses.create(**body)
            used = answer.usage.model_dump() if answer.usage is not None else {}
            return {"output_text": answer.output_text, "usage": used}

        self._run_calls(op, requests, judged, call)

    def _run_calls(
        self,
        op: Operation,
        calls: list[tuple[Any, Any]],
        progress: Progress,
        call: Callable[[Any], dict[str, Any]],
    ) -> None:
        """`call(argument)` for every (key, argument) whose key has no record yet,
        `SAMPLING_CONCURRENCY` at a time, each answer recorded as it arrives."""
        todo = [(key, argument) for key, argument in calls if key not in progress.records]
        op.progress(len(calls) - len(todo), len(calls))
        if not todo:
            return
        stop = threading.Event()
        failures: list[TemporaryApiError] = []
        permanent: list[PermanentApiError] = []

        def run(job: tuple[Any, Any]) -> None:
            key, argument = job
            if stop.is_set():
                return
            try:
                progress.add(key, call(argument))
            except TemporaryApiError as error:  # the apply engine retries; progress is kept
                stop.set()
                failures.append(error)
            except PermanentApiError as error:
                if error.status != 400:  # the key, the model or the project: stop the run
                    stop.set()
                    permanent.append(error)
                else:  # this request cannot be answered (too long, refused): counted as failed
                    progress.add(key, {"error": str(error)})
            op.progress(len(progress.records), len(calls))

        with ThreadPoolExecutor(SAMPLING_CONCURRENCY, thread_name_prefix="reconciler-eval") as pool:
            list(pool.map(run, todo))
        if permanent or failures:
            raise (permanent or failures)[0]

    def _grading_requests(
        self, payload: dict[str, Any], items: list[Item], progress: Progress
    ) -> list[tuple[str, dict[str, Any]]]:
        """(`line:criterion`, Responses body) of every model grader on every sampled item."""
        criteria = payload["criteria"]
        model_criteria = [
            (i, c) for i, c in enumerate(criteria) if model_graders.is_model_grader(c)
        ]
        found = []
        for item in items:
            record = progress.records.get(item.line)
            if not model_criteria or record is None or "error" in record:
                continue
            sample = _sample_of(record)
            for index, criterion in model_criteria:
                body = model_graders.request(criterion, item.data, sample)
                found.append((f"{item.line}:{index}", body))
        return found

    def _caller(self, payload: dict[str, Any]) -> Callable[[Item], dict[str, Any]]:
        client = self._clients.writer(str(payload["project"]))
        model = str(payload["model"])
        template = payload["template"]
        address = f"EvalRun/{payload['name']}"

        def call(item: Item) -> dict[str, Any]:
            messages = render_messages(template, item.data)
            started = time.monotonic()
            with api_errors(f"sample item {item.line} of {address} with {model}"):
                body = _request_body(payload, messages)
                if payload["api"] == "responses":
                    answer: Any = client.responses.create(**body)
                    text, usage = answer.output_text, answer.usage
                else:
                    answer = client.chat.completions.create(**body)
                    text, usage = answer.choices[0].message.content or "", answer.usage
            latency = round((time.monotonic() - started) * 1000)
            used = usage.model_dump() if usage is not None else {}
            return {"output_text": text, "usage": used, "latency_ms": latency}

        return call

    # -- grading and the result file ---------------------------------------------------

    def _finish(
        self,
        payload: dict[str, Any],
        items: list[Item],
        progress: Progress,
        judged: Progress | None = None,
    ) -> str:
        criteria = payload["criteria"]
        answers = judged.records if judged is not None else {}
        coded = self._python_grades(payload, items, progress)
        use_wordnet(Path(payload["wordnet"]) if payload.get("wordnet") else None)
        cosines = self._cosine_grades(payload, items, progress)

        def grade_one(index: int, criterion: dict[str, Any], item: Item, sample: Any) -> Grade:
            if criterion.get("type") == "python":
                outcome = coded[index][item.line]
                if outcome.score is None:
                    return Grade(0.0, False)
                return Grade(outcome.score, python_grader.passes(criterion, outcome.score))
            if is_cosine(criterion):
                score = cosines[index][item.line]
                return Grade(score, score >= float(criterion["pass_threshold"]))
            if not model_graders.is_model_grader(criterion):
                return grade(criterion, item.data, sample)
            answer = answers.get(f"{item.line}:{index}") or {}
            return model_graders.grade_of(criterion, answer.get("output_text"))

        graded: list[list[Any] | None] = []
        details = []
        for item in items:
            record = progress.records[item.line]
            if "error" in record:
                graded.append(None)
                details.append({"line": item.line, "error": record["error"]})
                continue
            sample = _sample_of(record)
            grades = [grade_one(i, c, item, sample) for i, c in enumerate(criteria)]
            graded.append(grades)
            details.append(
                {
                    "line": item.line,
                    "output_text": record["output_text"],
                    "grades": {c["name"]: vars(g) for c, g in zip(criteria, grades, strict=True)},
                    "usage": record.get("usage", {}),
                    "latency_ms": record.get("latency_ms"),
                }
            )
        records = [progress.records[item.line] for item in items]
        used = [r.get("usage") or {} for r in records if "error" not in r]
        tokens = (
            sum(int(u.get("input_tokens") or u.get("prompt_tokens") or 0) for u in used),
            sum(int(u.get("output_tokens") or u.get("completion_tokens") or 0) for u in used),
        )
        latencies = [int(r["latency_ms"]) for r in records if r.get("latency_ms") is not None]
        summary = summaries.summarize(
            str(payload["digest"]), graded, len(criteria), tokens=tokens, latencies=latencies
        )
        results = self._progress_path(payload).with_suffix(".results.jsonl")
        results.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in details))
        name = summaries.filename(str(payload["stack"]), str(payload["name"]), summary)
        body = {
            "eval_run": payload["name"],
            "model": payload["model"],
            "criteria": [c["name"] for c in criteria],
            "summary": [vars(c) for c in summary.criteria],
        }
        with api_errors(f"upload the results of EvalRun/{payload['name']}"):
            file = self._clients.writer().files.create(
                file=(name, json.dumps(body).encode(), "application/json"),
                purpose=RESULT_PURPOSE,
            )
        return str(file.id)

    def _find_result(self, payload: dict[str, Any]) -> str | None:
        stack, name = str(payload["stack"]), str(payload["name"])
        for found in result_objects(stack, list_files(self._clients, HOME_PROJECT)):
            if (
                found.address == f"EvalRun/{name}"
                and found.attributes["digest"] == payload["digest"]
            ):
                return found.live_id
        return None

    def _items(self, payload: dict[str, Any]) -> list[Item]:
        if "source" in payload:
            return list(read_items(self._root / str(payload["source"])))
        return [Item(index, row) for index, row in enumerate(payload["content"], start=1)]

    def _python_grades(
        self, payload: dict[str, Any], items: list[Item], progress: Progress
    ) -> dict[int, dict[int, python_grader.Outcome]]:
        """Each python criterion's outcome per item line, from one child process each."""
        found: dict[int, dict[int, python_grader.Outcome]] = {}
        sampled = [i for i in items if "error" not in progress.records[i.line]]
        for index, criterion in enumerate(payload["criteria"]):
            if criterion.get("type") != "python":
                continue
            if not payload.get("python_graders"):
                raise PermanentApiError(
                    f"{criterion['name']} is a python grader: {python_grader.OPT_IN_HINT}",
                    operation=f"grade EvalRun/{payload['name']}",
                )
            jobs = [(i.data, _sample_of(progress.records[i.line])) for i in sampled]
            outcomes = python_grader.run(
                str(criterion["source"]), jobs, float(payload.get("python_timeout") or 10)
            )
            found[index] = {i.line: o for i, o in zip(sampled, outcomes, strict=True)}
        return found

    def _cosine_grades(
        self, payload: dict[str, Any], items: list[Item], progress: Progress
    ) -> dict[int, dict[int, float]]:
        """Each cosine criterion's score per item line: the distinct texts embedded in chunks."""
        wanted = {
            index: {
                i.line: cosine_texts(c, i.data, _sample_of(progress.records[i.line]))
                for i in items
                if "error" not in progress.records[i.line]
            }
            for index, c in enumerate(payload["criteria"])
            if is_cosine(c)
        }
        distinct = sorted(
            {t for pairs in wanted.values() for pair in pairs.values() for t in pair if t}
        )  # the API refuses empty inputs: an empty text scores 0 (1 against an empty one)
        vectors: dict[str, list[float]] = {}
        client = self._clients.writer(str(payload["project"]))
        for start in range(0, len(distinct), EMBEDDING_CHUNK):
            chunk = distinct[start : start + EMBEDDING_CHUNK]
            with api_errors(f"embed the texts of EvalRun/{payload['name']} ({EMBEDDING_MODEL})"):
                answer = client.embeddings.create(model=EMBEDDING_MODEL, input=chunk)
            for row in answer.data:
                vectors[chunk[row.index]] = list(row.embedding)

        def score(a: str, b: str) -> float:
            if not a or not b:
                return 1.0 if a == b else 0.0
            return similarity(vectors[a], vectors[b])

        return {
            index: {line: score(a, b) for line, (a, b) in pairs.items()}
            for index, pairs in wanted.items()
        }

    def _grades_path(self, payload: dict[str, Any]) -> Path:
        return self._progress_path(payload).with_suffix(".grades.jsonl")

    def _progress_path(self, payload: dict[str, Any]) -> Path:
        folder = self._root / str(payload["cache_dir"]) / "evals"
        return folder / f"{payload['stack']}--{payload['name']}--{payload['digest']}.jsonl"


class Progress:
    """The answers received so far, one JSON line per item, appended as they arrive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[Any, dict[str, Any]] = {}  # item line, or `line:criterion`
        self._lock = threading.Lock()
        if path.exists():
            for raw in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(raw)
                except json.JSONDecodeError:
                    continue  # a line cut by a kill: that item is sampled again
                self.records[record["line"]] = record

    def add(self, line: int | str, record: dict[str, Any]) -> None:
        with self._lock:
            self.records[line] = {"line": line, **record}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(self.records[line], ensure_ascii=False) + "\n")
                handle.flush()


def input_filename(payload: dict[str, Any], phase: str = "sample") -> str:
    """The batch input of a `via: batch` run (deleted once graded); `grade`: its graders'."""
    stack, name, digest = payload["stack"], payload["name"], payload["digest"]
    suffix = "input" if phase == "sample" else "grades-" + phase.partition(":")[2]
    return f"reconciler--{stack}--EvalRun--{name}--{digest}--{suffix.replace(':', '~')}.jsonl"


def _grade_phase(body: dict[str, Any]) -> str:
    """The phase tag of the batch that holds a grading request: one batch per grader model."""
    return f"grade:{body['model']}"


def _grade_custom_id(key: str) -> str:
    line, _, index = key.partition(":")
    return f"grade-{line}-{index}"


def _sample_of(record: dict[str, Any]) -> dict[str, Any]:
    return {"output_text": record["output_text"], "output_json": _json(record)}


def _endpoint(payload: dict[str, Any]) -> Literal["/v1/responses", "/v1/chat/completions"]:
    return "/v1/responses" if payload["api"] == "responses" else "/v1/chat/completions"


def _request_body(payload: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The request of one item: the same for a direct call and a batch line."""
    params = dict(payload["sampling_params"])
    if payload["api"] == "responses":
        return {"model": payload["model"], "input": messages, **_responses_params(params)}
    return {"model": payload["model"], "messages": messages, **params}


def _body_text(body: dict[str, Any]) -> str:
    """The text of a Responses or Chat Completions body (from a batch's output line)."""
    if "choices" in body:
        return str((body["choices"][0].get("message") or {}).get("content") or "")
    texts = [
        part.get("text", "")
        for output in body.get("output") or []
        if output.get("type") == "message"
        for part in output.get("content") or []
        if part.get("type") == "output_text"
    ]
    return "".join(texts)


def _responses_params(params: dict[str, Any]) -> dict[str, Any]:
    """Chat-style sampling params as the Responses API names them (it has no seed)."""
    mapped = {k: v for k, v in params.items() if k in ("temperature", "top_p")}
    if "max_completion_tokens" in params:
        mapped["max_output_tokens"] = params["max_completion_tokens"]
    return mapped


def _json(record: dict[str, Any]) -> Any:
    try:
        return json.loads(record["output_text"])
    except (TypeError, ValueError):
        return None


class PromotionReader:
    """Reads nothing itself: winner records come from `EvalRunReader`'s listing of the same
    files (a Promotion's candidates are EvalRuns, so that reader always runs)."""

    kind = "Promotion"

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return False

    def read(self, ctx: ReadContext) -> ReadResult:
        return ReadResult()


class PromotionProvider(KindProvider):
    """Writes the winner record: the other records of the Promotion are deleted first, so a
    killed apply leaves at most one (the next plan writes it again when none is left)."""

    kind = "Promotion"

    def __init__(self, clients: Clients) -> None:
        self._clients = clients

    def create(self, op: Operation) -> str:
        payload = op.payload
        if payload.get("deferred"):
            payload = {**payload, **self._decide(payload)}
        stack = str(payload["stack"])
        wanted = winners.filename(
            stack,
            winners.Winner(
                str(payload["name"]),
                str(payload["run"]),
                str(payload["digest"]),
                str(payload["model"]),
            ),
        )
        found = None
        for file in list_files(self._clients, HOME_PROJECT):
            record = winners.parse_filename(stack, str(file.filename))
            if record is None or record.promotion != payload["name"]:
                continue
            if file.filename == wanted and found is None:
                found = str(file.id)
            else:
                self._delete(str(file.id))
        if found is not None:
            return found
        body = json.dumps(
            {"promotion": payload["name"], "winner": payload["run"], "model": payload["model"]}
        )
        with api_errors(f"record the winner of Promotion/{payload['name']}"):
            file = self._clients.writer().files.create(
                file=(wanted, body.encode(), "application/json"), purpose=RESULT_PURPOSE
            )
        return str(file.id)

    def update(self, op: Operation) -> str:
        return self.create(op)

    def delete(self, op: Operation) -> None:
        if op.change.live_id and not str(op.change.live_id).startswith(("local:", "pending:")):
            self._delete(str(op.change.live_id))

    def _decide(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The decision the plan deferred: the runs' result files exist now."""
        stack = str(payload["stack"])
        summaries_by_run = {
            (obj.address, obj.attributes["digest"]): summaries.parse_filename(stack, obj.key)
            for obj in result_objects(stack, list_files(self._clients, HOME_PROJECT))
        }
        found = {}
        for address, run in payload["deferred"].items():
            parsed = summaries_by_run.get((address, run["digest"]))
            if parsed is None:
                raise PermanentApiError(
                    f"{address} has no result file of digest {run['digest']}: run it first",
                    operation=f"decide Promotion/{payload['name']}",
                )
            found[address] = candidate_of(
                address,
                run["model"],
                run["names"],
                parsed[1],
                batch=run["batch"],
                digest=run["digest"],
            )
        gates = [Gate.model_validate(g) for g in payload["gates"]]
        decision = judge(found, payload["candidates"], payload["baseline"], gates)
        if decision.winner is None:
            raise PermanentApiError(
                f"Promotion/{payload['name']}: {decision.blocked}",
                operation=f"decide Promotion/{payload['name']}",
            )
        winner = decision.winner
        return {
            "run": winner.address.partition("/")[2],
            "digest": winner.digest,
            "model": winner.model,
        }

    def _delete(self, file_id: str) -> None:
        with api_errors(f"delete winner record {file_id}", missing_ok=True):
            self._clients.writer().files.delete(file_id)


def winner_objects(stack: str, files: list[Any]) -> list[LiveObject]:
    """The stack's Promotion winner records among `files`."""
    found = []
    for file in files:
        record = winners.parse_filename(stack, str(file.filename))
        if record is None:
            continue
        found.append(
            LiveObject(
                kind="Promotion",
                key=str(file.filename),
                live_id=str(file.id),
                attributes={"winner": record.run_address, "model": record.model},
                owned=True,
                address=f"Promotion/{record.promotion}",
                created_at=int(file.created_at or 0),
                info={"digest": record.digest},
            )
        )
    return found
