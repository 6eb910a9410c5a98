"""One moderation pass over the datasets the stack's policies govern.

The ModerationPolicy reader calls `moderate_policies(stack, classify, submit)`: each governed
dataset is streamed once per moderation model, its texts chunked and looked up in the score
cache; the chunks not cached are packed into requests (`MAX_INPUTS`, `MAX_REQUEST_CHARS`) as
the file streams, run through `submit` (the read pool), and cached. Then each policy's
thresholds turn the scores of each line into findings. No text leaves this module but through
`classify`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reconciler.manifests import Stack
from reconciler.models.base import Resource
from reconciler.models.dataset import DatasetSpec
from reconciler.models.moderation_policy import ModerationPolicySpec
from reconciler.moderation.batches import batch_line_texts, batch_source, gated_batches
from reconciler.moderation.cache import ScoreCache, score_key
from reconciler.moderation.chunks import MAX_INPUTS, MAX_REQUEST_CHARS, chunk_text
from reconciler.moderation.findings import DatasetFindings, PolicyFindings, flagged_categories
from reconciler.moderation.scores import Scores, merge
from reconciler.moderation.targets import governed_datasets, policies_needing_moderation
from reconciler.moderation.texts import file_line_texts

K = TypeVar("K")

Classify = Callable[[str, list[str]], Sequence[Scores]]
"""`classify(model, inputs)`: one Moderations request; one `Scores` per input, in order."""
Submit = Callable[..., "Future[Any]"]


@dataclass(frozen=True)
class ModerationRun:
    """The findings of every policy that governs a dataset, and the requests they needed."""

    policies: tuple[PolicyFindings, ...] = ()
    requests: int = 0


def moderate_policies(
    stack: Stack, classify: Classify, submit: Submit | None = None, *, use_cache: bool = True
) -> ModerationRun:
    policies = policies_needing_moderation(stack)
    if not policies:
        return ModerationRun()
    cache = ScoreCache(stack.cache_dir if use_cache else None)
    sender = _Sender(classify, submit or _inline, cache)
    scanned: dict[tuple[str, str], _Scan] = {}
    try:
        for policy in policies:
            spec = _spec(policy)
            for address in sorted(governed_datasets(spec, stack)):
                dataset = stack.resources.get(address)
                if dataset is not None and (spec.model, address) not in scanned:
                    scanned[spec.model, address] = _scan(stack, dataset, spec.model, sender)
            for batch in gated_batches(policy.address, stack):
                if (spec.model, batch.address) not in scanned:
                    scanned[spec.model, batch.address] = _scan_batch(
                        stack, batch, spec.model, sender
                    )
        sender.finish()
    finally:
        cache.save()
    found = tuple(_findings(policy, stack, scanned, sender) for policy in policies)
    return ModerationRun(found, sender.requests)


def _spec(policy: Resource) -> ModerationPolicySpec:
    assert isinstance(policy.spec, ModerationPolicySpec)
    return policy.spec


@dataclass
class _Scan:
    """One dataset read for one model: its file as shown, and each line's chunk keys."""

    file: str
    lines: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


def _scan(stack: Stack, dataset: Resource, model: str, sender: _Sender) -> _Scan:
    spec = dataset.spec
    assert isinstance(spec, DatasetSpec)
    path = dataset.base_dir / spec.file
    return _scan_lines(_shown(path, stack.root), file_line_texts(path, spec.format), model, sender)


def _scan_batch(stack: Stack, batch: Resource, model: str, sender: _Sender) -> _Scan:
    """A gated Batch's requests, by the line of their source (input file or items)."""
    path = batch_source(batch, stack)
    shown = _shown(path, stack.root) if path is not None else batch.address
    return _scan_lines(shown, batch_line_texts(batch, stack), model, sender)


def _scan_lines(
    shown: str, lines: Iterator[tuple[int, list[str]]], model: str, sender: _Sender
) -> _Scan:
    scan = _Scan(shown)
    try:
        for number, texts in lines:
            scan.lines.append((number, tuple(_need(texts, model, sender))))
    except OSError:
        pass  # `validate` reports a file that cannot be read; nothing to moderate
    return scan


def _need(texts: list[str], model: str, sender: _Sender) -> list[str]:
    """The score keys of `texts`' chunks, each asked of `sender` (cache, else a request)."""
    keys = []
    for text in texts:
        for chunk in chunk_text(text):
            key = score_key(model, chunk)
            sender.need(model, key, chunk)
            keys.append(key)
    return keys


def score_lines(
    lines: Iterable[tuple[K, list[str]]], model: str, classify: Classify, cache: ScoreCache
) -> tuple[dict[K, Scores], int]:
    """Scores of each (id, texts), chunked, cached and packed like a dataset's lines; and the
    number of requests sent (0 when every chunk was cached)."""
    sender = _Sender(classify, _inline, cache)
    keyed = [(line_id, _need(texts, model, sender)) for line_id, texts in lines]
    sender.finish()
    return {i: merge(sender.scores[k] for k in keys) for i, keys in keyed}, sender.requests


def _findings(
    policy: Resource, stack: Stack, scanned: Mapping[tuple[str, str], _Scan], sender: _Sender
) -> PolicyFindings:
    spec = _spec(policy)
    thresholds = {str(category): limit for category, limit in spec.categories.items()}
    datasets: dict[str, DatasetFindings] = {}
    batches = {b.address for b in gated_batches(policy.address, stack)}
    for address in sorted(governed_datasets(spec, stack) | batches):
        scan = scanned.get((spec.model, address))
        if scan is None:
            continue
        flagged: dict[int, dict[str, float]] = {}
        for number, keys in scan.lines:
            line = flagged_categories(merge(sender.scores[k] for k in keys), thresholds)
            if line:
                flagged[number] = line
        datasets[address] = DatasetFindings(scan.file, len(scan.lines), flagged)
    return PolicyFindings(
        policy=policy.address,
        action=spec.action,
        model=spec.model,
        datasets=datasets,
        requests=sender.requests,
        texts=sender.texts,
        cached=sender.cached,
    )


class _Sender:
    """Chunks not in the cache, packed into requests as they come, sent through `submit`."""

    def __init__(self, classify: Classify, submit: Submit, cache: ScoreCache) -> None:
        self.classify, self.submit, self.cache = classify, submit, cache
        self.scores: dict[str, Scores] = {}
        self.requests = self.texts = self.cached = 0
        self._model = ""
        self._pending: dict[str, str] = {}
        self._chars = 0
        self._sent: list[tuple[list[str], Future[Any]]] = []
        self._asked: set[str] = set()

    def need(self, model: str, key: str, text: str) -> None:
        self.texts += 1
        if key in self.scores or key in self._asked:
            return
        cached = self.cache.get(key)
        if cached is not None:
            self.scores[key] = cached
            self.cached += 1
            return
        if model != self._model or not self._fits(text):
            self.flush()
        self._model = model
        self._asked.add(key)
        self._pending[key] = text
        self._chars += len(text)

    def _fits(self, text: str) -> bool:
        full = len(self._pending) >= MAX_INPUTS
        return not full and self._chars + len(text) <= MAX_REQUEST_CHARS

    def flush(self) -> None:
        if not self._pending:
            return
        keys, inputs = list(self._pending), list(self._pending.values())
        self._sent.append((keys, self.submit(self.classify, self._model, inputs)))
        self.requests += 1
        self._pending, self._chars = {}, 0

    def finish(self) -> None:
        self.flush()
        for keys, future in self._sent:
            for key, scores in zip(keys, future.result(), strict=True):
                self.scores[key] = scores
                self.cache.put(key, scores)
        self._sent.clear()


def _inline(function: Callable[..., Any], *args: Any) -> Future[Any]:
    future: Future[Any] = Future()
    try:
        future.set_result(function(*args))
    except BaseException as error:
        future.set_exception(error)
    return future


def _shown(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.as_posix()
