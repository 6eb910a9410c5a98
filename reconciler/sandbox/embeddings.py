"""`POST /v1/embeddings`: deterministic unit vectors that still carry a little meaning.

`inference` routes HTTP requests and batch lines to `create_embeddings`. Each vector is a hash
of the text (dense noise from SHAKE-256 of model + text) plus, for every word, 8 signed
one-hot features at hashed positions (4 of them within the first 256 dimensions, so shortened
vectors keep them). Texts sharing words therefore get a positive cosine similarity, identical
texts 1.0. `dimensions` truncates the native vector and renormalises it, as text-embedding-3
does; `encoding_format: base64` packs little-endian float32 values.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import sys
from array import array
from typing import Any

from . import request_checks as checks
from . import tokens
from .calls import Call, record_usage, require_kind, resolve_model
from .http import APIError, check_params, invalid

Obj = dict[str, Any]

NATIVE_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
MAX_INPUTS = 2048
MAX_TOKENS_PER_INPUT = 8192
MAX_TOKENS_PER_REQUEST = 300_000
NOISE_WEIGHT = 0.35
FEATURES_PER_WORD = 8
_WORD = re.compile(r"[a-z0-9]+")
_INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: "
    "https://platform.openai.com/docs/api-reference."
)


def create_embeddings(call: Call, body: Obj) -> Obj:
    check_params(
        body,
        allowed=("input", "model", "dimensions", "encoding_format", "user"),
        required=("input", "model"),
    )
    model = resolve_model(call, body)
    require_kind(model, "embedding", "v1/embeddings")
    native = NATIVE_DIMENSIONS.get(model, 1536)
    size = _dimensions(body, model, native)
    encoding = checks.optional_enum(body, "encoding_format", ("float", "base64")) or "float"
    checks.optional_str(body, "user")
    texts, counts = _inputs(body["input"], model)
    data = [
        {
            "object": "embedding",
            "index": index,
            "embedding": _encode(vector(model, text, native, size), encoding),
        }
        for index, text in enumerate(texts)
    ]
    total = sum(counts)
    record_usage(call, model=model, endpoint="embeddings", input_tokens=total, output_tokens=0)
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": total, "total_tokens": total},
    }


def _dimensions(body: Obj, model: str, native: int) -> int:
    size = checks.optional_int(body, "dimensions", minimum=1)
    if size is None:
        return native
    if not model.startswith("text-embedding-3"):
        raise invalid("This model does not support specifying dimensions.", param="dimensions")
    if size > native:
        raise invalid(
            f"Invalid value for 'dimensions' = {size}. Must be less than or equal to {native}.",
            param="dimensions",
        )
    return size


def _inputs(raw: Any, model: str) -> tuple[list[str], list[int]]:
    """The texts to embed and their token counts (token-id inputs are embedded as their ids)."""
    items: list[Any] = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or len(items) > MAX_INPUTS:
        raise invalid(_INVALID_INPUT)
    if all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        items = [items]  # one input given as a token array
    texts, counts = [], []
    for item in items:
        if isinstance(item, str) and item:
            texts.append(item)
            counts.append(tokens.count(item, model))
        elif isinstance(item, list) and item and all(isinstance(t, int) for t in item):
            texts.append(" ".join(str(t) for t in item))
            counts.append(len(item))
        else:
            raise invalid(_INVALID_INPUT)
    _check_lengths(counts)
    return texts, counts


def _check_lengths(counts: list[int]) -> None:
    for count in counts:
        if count > MAX_TOKENS_PER_INPUT:
            raise invalid(
                f"This model's maximum context length is {MAX_TOKENS_PER_INPUT} tokens, however "
                f"you requested {count} tokens ({count} in your prompt; 0 for the completion). "
                "Please reduce your prompt; or completion length."
            )
    if sum(counts) > MAX_TOKENS_PER_REQUEST:
        raise APIError(
            400,
            f"Requested {sum(counts)} tokens, max {MAX_TOKENS_PER_REQUEST} tokens per request",
            code="max_tokens_per_request",
        )


def vector(model: str, text: str, native: int, size: int) -> list[float]:
    """The unit vector of `text`: built at native size, truncated to `size`, renormalised."""
    noise = hashlib.shake_256(f"{model}\x00{text}".encode()).digest(native)
    values = [b * (NOISE_WEIGHT / 128) for b in array("b", noise)]
    for word in set(_WORD.findall(text.lower())):
        digest = hashlib.blake2b(word.encode(), digest_size=4 * FEATURES_PER_WORD).digest()
        for feature in range(FEATURES_PER_WORD):
            chunk = int.from_bytes(digest[4 * feature : 4 * feature + 4], "little")
            span = min(256, native) if feature < FEATURES_PER_WORD // 2 else native
            values[(chunk >> 1) % span] += 1.0 if chunk & 1 else -1.0
    values = values[:size]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _encode(values: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        packed = array("f", values)
        if sys.byteorder == "big":
            packed.byteswap()
        return base64.b64encode(packed.tobytes()).decode()
    return values
