"""File-level rules and statistics, run after the line rules of the whole file are merged.

`check.py` calls `file_checks` (counts and sizes per purpose and format, batch limits,
duplicate examples) and `dataset_stats` (tokens, epochs, billed tokens, estimated cost from the
price table). Thresholds and their reasons are in docs/datasets.md.
"""

from __future__ import annotations

from typing import Any

from reconciler.datasets.batch_rules import MAX_EMBEDDING_INPUTS, MAX_FILE_BYTES, MAX_REQUESTS
from reconciler.datasets.pipeline import Merged
from reconciler.datasets.prices import PriceTable
from reconciler.datasets.problems import ProblemLog
from reconciler.datasets.report import DatasetStats
from reconciler.datasets.rulebase import CheckOptions

MIN_EXAMPLES = 10
RECOMMENDED_MIN_EXAMPLES = 50
MANY_EXAMPLES = 50_000
# The cookbook's rule for OpenAI's automatic epoch count.
TARGET_EPOCHS, MIN_TARGET_EXAMPLES, MAX_TARGET_EXAMPLES = 3, 100, 25_000
MIN_DEFAULT_EPOCHS, MAX_DEFAULT_EPOCHS = 1, 25


def default_epochs(examples: int) -> int:
    """OpenAI's automatic epoch count for a dataset size (data-preparation cookbook rule)."""
    epochs = TARGET_EPOCHS
    if examples == 0:
        return epochs
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    elif examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return epochs


def file_checks(log: ProblemLog, merged: Merged, fmt: str, purpose: str, size: int) -> None:
    tally = merged.tally
    examples = tally.examples
    if examples == 0:
        log.add("empty_file", 0, "the file has no examples")
    elif purpose == "fine-tune":
        size_checks(log, examples, tally.image_examples, fmt)
    if fmt == "batch":
        if size > MAX_FILE_BYTES:
            log.add(
                "file_too_large",
                0,
                f"the file is {size / 2**20:,.0f} MB; the Batch API takes at most 200 MB",
            )
        if examples > MAX_REQUESTS:
            log.add(
                "batch_too_many_requests",
                0,
                f"the file has {examples:,} requests; a batch takes at most {MAX_REQUESTS:,}",
            )
        if tally.embedding_inputs > MAX_EMBEDDING_INPUTS:
            log.add(
                "batch_too_many_embedding_inputs",
                0,
                f"{tally.embedding_inputs:,} "
                f"embedding inputs; a batch takes at most {MAX_EMBEDDING_INPUTS:,}",
            )
    fingerprints = merged.fingerprints
    for index, first in merged.duplicates.duplicates(fingerprints.values):
        log.add(
            "duplicate_example",
            fingerprints.line_of(index),
            f"the example repeats line {fingerprints.line_of(first)}",
        )


def size_checks(log: ProblemLog, examples: int, image_examples: int, fmt: str) -> None:
    if examples < MIN_EXAMPLES:
        log.add(
            "too_few_examples",
            0,
            f"the file has {examples} examples; fine-tuning needs at least {MIN_EXAMPLES}",
        )
    elif examples < RECOMMENDED_MIN_EXAMPLES:
        log.add(
            "few_examples",
            0,
            f"the file has {examples} examples; a training file usually needs "
            f"{RECOMMENDED_MIN_EXAMPLES}-100 well-crafted ones (fewer is fine for validation)",
        )
    if fmt == "reinforcement" and examples > MANY_EXAMPLES:
        log.add(
            "too_many_examples",
            0,
            f"the file has {examples:,} examples; reinforcement "
            f"fine-tuning takes at most {MANY_EXAMPLES:,}",
        )
    elif examples > MANY_EXAMPLES:
        log.add(
            "many_examples",
            0,
            f"the file has {examples:,} examples: the automatic epoch "
            "count drops to 1 and cost grows linearly",
        )
    if image_examples > MANY_EXAMPLES:
        log.add(
            "too_many_image_examples",
            0,
            f"{image_examples:,} examples contain images; the limit is {MANY_EXAMPLES:,}",
        )


def dataset_stats(
    merged: Merged,
    log: ProblemLog,
    fmt: str,
    purpose: str,
    n_epochs: int | None,
    prices: PriceTable,
    model: str | None,
    opts: CheckOptions,
) -> DatasetStats:
    tally = merged.tally
    counted = opts.encoding is not None
    examples = tally.examples
    common: dict[str, Any] = dict(
        examples=examples,
        lines=merged.lines,
        model=model,
        encoding=opts.encoding,
        token_limit=opts.token_limit,
        images=tally.images,
        image_examples=tally.image_examples,
        over_limit_examples=log.counts.get(opts.limit_code, 0),
        price_date=prices.price_date,
    )
    if counted:
        common.update(
            total_tokens=tally.tokens_total,
            min_tokens=tally.tokens_min,
            max_tokens=tally.tokens_max if tally.token_examples else None,
            mean_tokens=(
                tally.tokens_total / tally.token_examples if tally.token_examples else None
            ),
        )
        if fmt != "batch":
            common["assistant_tokens"] = tally.assistant_tokens
    if fmt == "batch":
        cost = prices.batch_input_cost(model, tally.tokens_total) if counted else None
        return DatasetStats(
            **common,
            requests=examples,
            batch_endpoint=opts.batch_url,
            est_input_tokens=tally.tokens_total if counted else None,
            estimated_cost_usd=cost[1] if cost else None,
            cost_basis=f"{cost[0]} batch input price" if cost else None,
        )
    if purpose != "fine-tune":
        return DatasetStats(**common)
    epochs = n_epochs or default_epochs(examples)
    # Reinforcement fine-tuning is billed per training hour, not per token.
    billed = tally.billed_tokens * epochs if counted and fmt != "reinforcement" else None
    training = prices.training_cost(model, billed) if billed is not None else None
    return DatasetStats(
        **common,
        epochs=epochs,
        epochs_source="declared" if n_epochs else "auto",
        billed_tokens=billed,
        estimated_cost_usd=training[1] if training else None,
        cost_basis=f"{training[0]} training price" if training else None,
    )
