"""Per-model prices the sandbox bills its stand-in traffic at (the `usage_event.cost_usd` field).

`inference` calls `cost_usd(...)` once per request or batch line; the admin routes sum the
events into `/organization/costs` buckets. Prices are USD per million tokens from OpenAI's
public pricing page as of `PRICES_AS_OF` (fresh input and output agree with the reconciler's own
estimate table, reconciler/datasets/prices.json; this one adds cached-input and fine-tuned
inference rates). The Batch API bills half price, as the real one does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tokens import base_model_of

PRICES_AS_OF = "2026-11-01"
BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens: fresh input, cached input, output."""

    input: float
    cached_input: float
    output: float


# Matched by longest prefix of the model id (dated snapshots share their family's price).
BASE_PRICES: dict[str, Price] = {
    "gpt-5.6-sol": Price(4.00, 0.40, 20.00),  # promotional price, as reconciler/datasets has it
    "gpt-5.6-terra": Price(2.00, 0.20, 12.00),
    "gpt-5.6-luna": Price(0.20, 0.02, 1.20),
    "gpt-5.2": Price(1.75, 0.175, 14.00),
    "gpt-5.1": Price(1.25, 0.125, 10.00),
    "gpt-5-nano": Price(0.05, 0.005, 0.40),
    "gpt-5-mini": Price(0.25, 0.025, 2.00),
    "gpt-5": Price(1.25, 0.125, 10.00),
    "gpt-4.1-nano": Price(0.10, 0.025, 0.40),
    "gpt-4.1-mini": Price(0.40, 0.10, 1.60),
    "gpt-4.1": Price(2.00, 0.50, 8.00),
    "gpt-4o-mini": Price(0.15, 0.075, 0.60),
    "gpt-4o": Price(2.50, 1.25, 10.00),
    "o4-mini": Price(1.10, 0.275, 4.40),
    "o3-mini": Price(1.10, 0.55, 4.40),
    "o3": Price(2.00, 0.50, 8.00),
    "o1": Price(15.00, 7.50, 60.00),
    "gpt-4-turbo": Price(10.00, 10.00, 30.00),
    "gpt-4": Price(30.00, 30.00, 60.00),
    "gpt-3.5-turbo": Price(0.50, 0.50, 1.50),
    "text-embedding-3-small": Price(0.02, 0.02, 0.0),
    "text-embedding-3-large": Price(0.13, 0.13, 0.0),
    "text-embedding-ada-002": Price(0.10, 0.10, 0.0),
    "omni-moderation": Price(0.0, 0.0, 0.0),
    "text-moderation": Price(0.0, 0.0, 0.0),
}

# Inference on a fine-tuned model, by its base family.
FINE_TUNED_PRICES: dict[str, Price] = {
    "gpt-4.1-nano": Price(0.20, 0.05, 0.80),
    "gpt-4.1-mini": Price(0.80, 0.20, 3.20),
    "gpt-4.1": Price(3.00, 0.75, 12.00),
    "gpt-4o-mini": Price(0.30, 0.15, 1.20),
    "gpt-4o": Price(3.75, 1.875, 15.00),
    "gpt-3.5-turbo": Price(3.00, 3.00, 6.00),
}

# Models with no row above (new or unknown ids) are billed like gpt-5.
FALLBACK_PRICE = BASE_PRICES["gpt-5"]


def price_of(model: str) -> Price:
    table = FINE_TUNED_PRICES if model.startswith("ft:") else BASE_PRICES
    base = base_model_of(model)
    for prefix in sorted(table, key=len, reverse=True):
        if base == prefix or base.startswith(prefix + "-"):
            return table[prefix]
    return FALLBACK_PRICE


def cost_usd(
    model: str, *, input_tokens: int, cached_tokens: int, output_tokens: int, batch: bool
) -> float:
    """What one request costs; cached input tokens bill at the cached rate."""
    price = price_of(model)
    fresh = input_tokens - cached_tokens
    total = (
        fresh * price.input + cached_tokens * price.cached_input + output_tokens * price.output
    ) / 1_000_000
    if batch:
        total *= BATCH_DISCOUNT
    return round(total, 10)
