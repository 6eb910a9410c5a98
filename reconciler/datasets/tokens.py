"""Offline token counting with tiktoken and the encodings shipped in `encodings/`.

tiktoken normally downloads its tables; here `load_encoding` points TIKTOKEN_CACHE_DIR at the
package's `encodings/` folder (files named by the sha1 of their download URL) for the duration of
the first load, after checking the file's sha256 itself, so the network is never touched.
`TokenCounter` is what the line rules use (cookbook counting method, see docs/datasets.md).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.datasets.tables import DEFAULT_ENCODING, model_info

if TYPE_CHECKING:
    import tiktoken

ENCODINGS_DIR = Path(__file__).resolve().parent / "encodings"
# encoding -> (file name = sha1 of the download URL, sha256 tiktoken checks)
ENCODING_FILES = {
    "cl100k_base": (
        "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "fb374d419588a4632f3f557e76b4b70aebbca790",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}
_loaded: dict[str, tiktoken.Encoding] = {}
_load_lock = threading.Lock()

# Cookbook num_tokens_from_messages: 3 per message, 1 extra for a name, 3 to prime the reply.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3
_CACHE_LIMIT = 4096


class EncodingUnavailableError(RuntimeError):
    """A shipped encoding file is missing or damaged (the package install is broken)."""


def encoding_for_model(model: str | None) -> str:
    """The tiktoken encoding of a model (`ft:` ids use their base); o200k_base by default."""
    info = model_info(model)
    return info.encoding if info else DEFAULT_ENCODING


def load_encoding(name: str) -> tiktoken.Encoding:
    """A tiktoken encoding from the package's files, never from the network."""
    encoding = _loaded.get(name)
    if encoding is not None:
        return encoding
    with _load_lock:
        if name not in _loaded:
            _loaded[name] = _load_offline(name)
        return _loaded[name]


def _load_offline(name: str) -> tiktoken.Encoding:
    if name not in ENCODING_FILES:
        raise EncodingUnavailableError(f"no shipped tiktoken encoding named {name!r}")
    file_name, sha256 = ENCODING_FILES[name]
    path = ENCODINGS_DIR / file_name
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise EncodingUnavailableError(f"{name}: cannot read {path}: {exc}") from exc
    if digest != sha256:
        # tiktoken would delete the file and download it again: refuse instead.
        raise EncodingUnavailableError(f"{name}: {path} has sha256 {digest}, want {sha256}")
    import tiktoken

    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(ENCODINGS_DIR)
    try:
        return tiktoken.get_encoding(name)
    finally:
        if previous is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous


def count_tokens(text: str, model: str | None) -> int:
    """Tokens in `text` for `model`'s encoding (special-token text counts as plain text)."""
    return len(load_encoding(encoding_for_model(model)).encode_ordinary(text))


class TokenCounter:
    """Counts tokens of strings for one encoding; caches strings that repeat across examples.

    `repeated()` is for text that is typically the same in many examples (system prompts, tool
    definitions, role names): those are encoded once per process. The cache is bounded.
    """

    def __init__(self, encoding_name: str) -> None:
        self.encoding_name = encoding_name
        self._encode = load_encoding(encoding_name).encode_ordinary
        self._repeated: dict[str, int] = {}

    def text(self, text: str) -> int:
        return len(self._encode(text))

    def repeated(self, text: str) -> int:
        count = self._repeated.get(text)
        if count is None:
            if len(self._repeated) >= _CACHE_LIMIT:
                self._repeated.clear()
            count = self._repeated[text] = len(self._encode(text))
        return count
