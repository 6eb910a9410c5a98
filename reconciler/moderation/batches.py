"""Moderation of a Batch's requests (before submit) and of its results (after completion).

A Batch with `moderation: ModerationPolicy/x` is gated by that policy on both sides:

- inputs, in `plan`: `run.moderate_policies` scans each gated Batch's requests
  (`batch_line_texts`: the request bodies' texts, by source line) with the datasets, so the
  findings sit under the Batch's address in the policy's `PolicyFindings`; the Batch planner
  leaves the flagged requests out of what it submits (`action: block`) and sends them to
  `failures` with their categories;
- outputs, in `apply` (when the results are written): `moderate_outputs` scores the text of
  every succeeded response (`response_texts`) through the same chunking, request packing and
  score cache, and returns the flagged ones, which go to `failures` instead of `output`.

Pure: the Moderations request is the `classify` the provider passes; no text is kept or returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from reconciler.batches import requests as build
from reconciler.manifests import Stack
from reconciler.models.base import Resource
from reconciler.models.batch import BatchSpec
from reconciler.models.dataset import DatasetSpec
from reconciler.moderation.cache import ScoreCache
from reconciler.moderation.findings import flagged_categories
from reconciler.moderation.texts import file_line_texts, line_texts


def gated_batches(policy_address: str, stack: Stack) -> list[Resource]:
    """The stack's Batches whose `moderation` names this policy."""
    found = []
    for batch in stack.of_kind("Batch"):
        spec = batch.spec
        if isinstance(spec, BatchSpec) and spec.moderation == policy_address:
            found.append(batch)
    return found


def batch_source(batch: Resource, stack: Stack) -> Path | None:
    """The file a Batch's requests come from (its input_file or items dataset), if declared."""
    spec = batch.spec
    assert isinstance(spec, BatchSpec)
    source = stack.resources.get(spec.input_file or spec.items or "")
    if source is None or not isinstance(source.spec, DatasetSpec):
        return None
    return source.base_dir / source.spec.file


def batch_line_texts(batch: Resource, stack: Stack) -> Iterator[tuple[int, list[str]]]:
    """(source line, texts of its request body) for every request of the Batch, streamed.

    A template that cannot be rendered yields nothing from that item on: the planner blocks
    the Batch with the template error anyway."""
    spec = batch.spec
    assert isinstance(spec, BatchSpec)
    path = batch_source(batch, stack)
    if path is None:
        return
    if spec.template is None:
        yield from file_line_texts(path, "batch")
        return
    cache_key = build.template_cache_key(stack.name, batch.name, spec.template)
    try:
        for request in build.template_requests(path, spec.template, spec.endpoint, cache_key):
            texts = [t for t in line_texts(request.request, "batch") if t.strip()]
            yield request.line, texts
    except (build.TemplateError, ValueError):
        return


def response_texts(body: Any) -> list[str]:
    """The generated text of one response body: a Responses API `output` (message text
    parts), chat completion `choices[].message.content`, or completion `choices[].text`."""
    if not isinstance(body, dict):
        return []
    texts: list[str] = []
    for item in body.get("output") or []:
        if isinstance(item, dict):
            for part in item.get("content") or []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    texts.append(part["text"])
    for choice in body.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        message = choice.get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            texts.append(message["content"])
        if isinstance(choice.get("text"), str):
            texts.append(choice["text"])
    return [t for t in texts if t.strip()]


def moderate_outputs(
    responses: Iterable[tuple[str, Any]],
    *,
    model: str,
    thresholds: Mapping[str, float],
    classify: Any,
    cache_dir: Path | None,
) -> tuple[dict[str, dict[str, float]], int]:
    """Score the text of each (custom_id, response body); (custom_id -> flagged categories and
    scores, for flagged ones only; moderation requests sent). Scores are cached by content."""
    from reconciler.moderation.run import score_lines

    cache = ScoreCache(cache_dir)
    entries = ((custom_id, response_texts(body)) for custom_id, body in responses)
    try:
        scores, sent = score_lines(entries, model, classify, cache)
    finally:
        cache.save()
    flagged = {}
    for custom_id, line_scores in scores.items():
        categories = flagged_categories(line_scores, thresholds)
        if categories:
            flagged[custom_id] = categories
    return flagged, sent


def flagged_words(policy: str, categories: Mapping[str, float], side: str) -> str:
    """`moderation: ModerationPolicy/x flagged the input (violence 0.62)`: never the text."""
    scores = ", ".join(f"{c} {s:.2f}" for c, s in sorted(categories.items()))
    return f"moderation: {policy} flagged the {side} ({scores})"
