"""What a batch will cost before it runs: requests, input tokens, the cached share, the price.

`kinds/batch.py` calls `estimate_template` for requests built from items and a template (a
batch-format dataset's own check already counts its requests and input tokens). Batch prices
are the price table's input price at its batch discount; cached input is priced at
`CACHED_INPUT_FACTOR` of that (the table has no cached price yet). Prompt caching applies to
prefixes of at least 1,024 tokens, in 128-token steps: every request after the first is expected
to hit the cache for the template's stable prefix.
"""

from __future__ import annotations

import hashlib
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


@dataclass(frozen=True)
class Actual:
    """What a generation's succeeded requests cost, from the `usage` of their responses."""

    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # None when a model had no price

    @property
    def cached_share(self) -> float:
        return self.cached_tokens / self.input_tokens if self.input_tokens else 0.0

    def words(self) -> str:
        """`actual $0.0012 (1,234 input tokens, 40% cached, 321 output)`."""
        cost = "cost unknown" if self.cost_usd is None else usd(self.cost_usd)
        return (
            f"actual {cost} ({self.input_tokens:,} input tokens, {self.cached_share:.0%} "
            f"cached, {self.output_tokens:,} output)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
        }

    @classmethod
    def from_json(cls, data: Any) -> Actual | None:
        if not isinstance(data, dict):
            return None
        try:
            cost = data.get("cost_usd")
            return cls(
                int(data["requests"]),
                int(data["input_tokens"]),
                int(data["cached_tokens"]),
                int(data["output_tokens"]),
                None if cost is None else float(cost),
            )
        except (KeyError, TypeError, ValueError):
            return None


def usage_of(body: Any) -> tuple[int, int, int]:
    """(input, cached input, output) tokens of one response body (Responses API `usage`, or
    chat/completions `usage` with `prompt_tokens`)."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0, 0, 0
    if "input_tokens" in usage:
        details = usage.get("input_tokens_details") or {}
        return (
            int(usage.get("input_tokens") or 0),
            int(details.get("cached_tokens") or 0),
            int(usage.get("output_tokens") or 0),
        )
    details = usage.get("prompt_tokens_details") or {}
    return (
        int(usage.get("prompt_tokens") or 0),
        int(details.get("cached_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
    )


def actual_cost(bodies: Iterable[Any], rates: Any) -> Actual:
    """Sum the usage of `bodies`; `rates(model)` -> (usd per input token, per output token, at
    batch prices) or None. Cached input tokens are priced at the model's cached factor."""
    requests = inputs = cached = outputs = 0
    cost: float | None = 0.0
    for body in bodies:
        used_in, used_cached, used_out = usage_of(body)
        requests += 1
        inputs, cached, outputs = inputs + used_in, cached + used_cached, outputs + used_out
        model = body.get("model") if isinstance(body, dict) else None
        found = rates(model if isinstance(model, str) else None)
        if found is None or cost is None:
            cost = None
            continue
        per_input, per_output = found
        factor = cached_factor(model if isinstance(model, str) else None)
        cost += (used_in - used_cached) * per_input + used_cached * per_input * factor
        cost += used_out * per_output
    return Actual(requests, inputs, cached, outputs, cost)


def batch_rates(table: Any) -> Any:
    """`rates(model)` for `actual_cost` from a `PriceTable`: its prices at the batch discount."""

    def rates(model: str | None) -> tuple[float, float] | None:
        found = table.lookup(model)
        if found is None or found[1].input is None:
            return None
        keep = (1 - table.batch_discount) / 1_000_000
        return found[1].input * keep, (found[1].output or 0.0) * keep

    return rates


def usd(amount: float) -> str:
    """`$1.2345`, or six decimals under a cent (`$0.000042`), so small batches show a cost."""
    return f"${amount:,.4f}" if amount >= 0.01 or amount == 0 else f"${amount:.6f}"


# -- the cached share of a batch-format input ---------------------------------------------------


def shared_prefix(body: Any) -> str | None:
    """The part of a request body that repeats across requests and comes first in the prompt:
    `instructions`, else the leading system/developer messages (`messages`, or `input` as a
    list of messages)."""
    if not isinstance(body, dict):
        return None
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        return instructions
    messages = body.get("messages")
    if messages is None and isinstance(body.get("input"), list):
        messages = body["input"]
    if not isinstance(messages, list):
        return None
    leading = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("system", "developer"):
            break
        if isinstance(message.get("content"), str):
            leading.append(message["content"])
    return "\n".join(leading) or None


def file_cached_tokens(requests: Iterable[RequestLine], count: Any) -> int:
    """Input tokens a batch-format input should get from the prompt cache: requests sharing a
    model, a `prompt_cache_key` and a stable prefix of 1,024+ tokens hit the cache for it,
    every one after the first. `count(text)` counts tokens, once per distinct prefix."""
    groups: dict[str, list[int]] = {}  # digest of (model, key, prefix) -> [cacheable, requests]
    for request in requests:
        body = request.request.get("body")
        text = shared_prefix(body)
        if text is None or not isinstance(body, dict):
            continue
        key = hashlib.sha256(
            canonical([body.get("model"), body.get("prompt_cache_key"), text]).encode()
        ).hexdigest()
        group = groups.get(key)
        if group is None:
            groups[key] = [cacheable(count(text)), 1]
        else:
            group[1] += 1
    return sum(tokens * (seen - 1) for tokens, seen in groups.values())
