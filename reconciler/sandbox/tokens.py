"""Token counting for the sandbox's stand-in model: real `tiktoken` figures, offline.

The inference modules (`usage`, `standin`, `embeddings`, `moderation`) count prompt and
completion tokens here so `usage` matches what the real API would bill. The byte-pair tables
and the model-to-encoding map are the datasets package's (`reconciler.datasets.tokens`, which
ships the tables once in `reconciler/datasets/encodings/`): the sandbox counts exactly as the
reconciler's own cost estimates do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from reconciler.datasets.tokens import EncodingUnavailableError, encoding_for_model, load_encoding

from .http import APIError


class PromptMessage(Protocol):
    """What counting reads of a message (`standin.Message` is one; not imported: standin
    imports this module)."""

    @property
    def role(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def name(self) -> str: ...


class Prompt(Protocol):
    """What counting reads of a prompt (`standin.Conversation` is one)."""

    @property
    def messages(self) -> Sequence[PromptMessage]: ...
    @property
    def extra(self) -> Sequence[str]: ...


def base_model_of(model: str) -> str:
    """`ft:gpt-4.1-mini-2025-04-14:org:suffix:id` -> `gpt-4.1-mini-2025-04-14`."""
    if model.startswith("ft:"):
        return model.split(":")[1]
    return model


def encoding_for(model: str) -> Any:
    """The tiktoken `Encoding` of a model (loaded once per process, never from the network)."""
    try:
        return load_encoding(encoding_for_model(model))
    except EncodingUnavailableError as error:
        raise APIError(
            500, f"The sandbox cannot count tokens: {error}", type="server_error"
        ) from error


def encode(text: str, model: str) -> list[int]:
    tokens: list[int] = encoding_for(model).encode(text, disallowed_special=())
    return tokens


def count(text: str, model: str) -> int:
    return len(encode(text, model))


def decode(tokens: list[int], model: str) -> str:
    text: str = encoding_for(model).decode(tokens)
    return text


# Chat formatting overhead as OpenAI's cookbook counts it: 3 tokens per message, 1 per name and
# 3 to prime the reply. Negative ids stand in for those special tokens (they only get hashed).
_START, _SEPARATOR, _END = -1, -2, -3


def prompt_tokens(conversation: Prompt, model: str) -> list[int]:
    """The prompt's token sequence as billed (its length is `input_tokens`/`prompt_tokens`)."""
    sequence: list[int] = []
    extra = "\n".join(conversation.extra)
    if extra:
        sequence += [_START, *encode("system", model), _SEPARATOR, *encode(extra, model), _END]
    for message in conversation.messages:
        sequence += [_START, *encode(message.role, model)]
        if message.name:
            sequence += [_SEPARATOR, *encode(message.name, model)]
        sequence += [_SEPARATOR, *encode(message.text, model), _END]
    sequence += [_START, *encode("assistant", model), _SEPARATOR]
    return sequence
