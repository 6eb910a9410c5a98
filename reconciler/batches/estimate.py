"""What a batch will cost before it runs: requests, input tokens, the cached share, the price.

`kinds/batch.py` calls `estimate_template` for requests built from items and a template (a
batch-format dataset's own check already counts its requests and input tokens). Batch prices
are the price table's input price at its batch discount; cached input is priced at
`CACHED_INPUT_FACTOR` of that (the table has no cached price yet). Prompt caching applies to
prefixes of at least 1,024 tokens, in 128-token steps: every request after the first is expected
to hit the cache for the template's stable prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.batches.requests import RequestLine, canonical

CACHE_MIN_TOKENS = 1024
CACHE_STEP = 128
CACHED_INPUT_FACTOR = {"gpt-4.1": 0.25, "gpt-4o": 0.5}
DEFAULT_CACHED_FACTOR = 0.1


@dataclass(frozen=True)
class Estimate:
    requests: int
    input_tokens: int
    cached_tokens: int = 0
    cost_usd: float | None = None
    cost_basis: str | None = None

    @property
    def cached_share(self) -> float:
        return self.cached_tokens / self.input_tokens if self.input_tokens else 0.0

    def lines(self) -> list[str]:
        cost = "cost unknown (no price for the model)"
        if self.cost_usd is not None:
            cost = f"est. ${self.cost_usd:,.4f} at batch prices ({self.cost_basis})"
        return [
            f"{self.requests:,} requests, ~{self.input_tokens:,} input tokens, "
            f"{self.cached_share:.0%} cached",
            cost,
        ]


def cacheable(prefix_tokens: int) -> int:
    """Tokens of a prefix the cache can serve: 0 under 1,024, else in 128-token steps."""
    if prefix_tokens < CACHE_MIN_TOKENS:
        return 0
    return prefix_tokens // CACHE_STEP * CACHE_STEP


def cached_factor(model: str | None) -> float:
    for prefix, factor in CACHED_INPUT_FACTOR.items():
        if model and model.startswith(prefix):
            return factor
    return DEFAULT_CACHED_FACTOR


def estimate_requests(
    requests: Iterable[RequestLine],
    *,
    prefix_tokens: int,
    count: Any,
    price: Any,
) -> Estimate:
    """Count `requests` (tokens with `count(text)`), price them with `price(tokens)` ->
    (basis, usd per token at batch prices) or None."""
    total = tokens = 0
    for request in requests:
        total += 1
        tokens += count(canonical(request.request.get("body", {})))
    cached = cacheable(prefix_tokens) * max(0, total - 1)
    cached = min(cached, tokens)
    priced = price()
    if priced is None:
        return Estimate(total, tokens, cached)
    basis, per_token, factor = priced
    cost = (tokens - cached) * per_token + cached * per_token * factor
    return Estimate(total, tokens, cached, cost, basis)
