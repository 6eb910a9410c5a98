"""Usage figures of one text request: prompt tokens (with cached ones) and completion tokens.

`responses_api` and `chat_api` call `prompt_usage(...)` after generating: it counts the prompt
with tiktoken (`tokens.prompt_tokens`), asks the per-sandbox `PromptCache` how much of it was
cached, and renders the result as the Responses API's `usage` or the chat completion's `usage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import tokens
from .calls import Call
from .prompt_cache import DEFAULT_TTL_SECONDS, EXTENDED_TTL_SECONDS, PromptCache
from .standin import Conversation

Obj = dict[str, Any]
_CACHE_KEY = "inference.prompt_cache"


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    cached_tokens: int
    output_tokens: int

    def as_response_usage(self) -> Obj:
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": self.input_tokens + self.output_tokens,
        }

    def as_chat_usage(self) -> Obj:
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }


def prompt_cache_of(call: Call) -> PromptCache:
    cache: PromptCache = call.sandbox.extras.setdefault(_CACHE_KEY, PromptCache())
    return cache


def prompt_usage(
    call: Call, model: str, conversation: Conversation, body: Obj, output_tokens: int
) -> Usage:
    """Count the prompt, look its prefix up in the prompt cache (and remember it)."""
    sequence = tokens.prompt_tokens(conversation, model)
    extended = body.get("prompt_cache_retention") == "24h"
    cached = prompt_cache_of(call).lookup_and_store(
        call.project_id,
        sequence,
        now=call.sandbox.clock.now_float(),
        cache_key=f"{model}\x00{body.get('prompt_cache_key') or ''}",
        ttl=EXTENDED_TTL_SECONDS if extended else DEFAULT_TTL_SECONDS,
    )
    return Usage(input_tokens=len(sequence), cached_tokens=cached, output_tokens=output_tokens)
