"""Prompt caching as the real API does it: `cached_tokens` when a request repeats a long prefix.

`responses_api` and `chat_api` pass the prompt's token sequence to `PromptCache.lookup_and_store`.
Prompts of 1024 tokens or more are cached per project in 128-token steps (1024, 1152, ...); a
later request sharing such a prefix reports the longest one as cached. Entries live in memory
(like the real cache, they do not survive a restart) and expire after 30 sandbox minutes unused
(24 hours with `prompt_cache_retention: "24h"`).
"""

from __future__ import annotations

import hashlib
import threading
from array import array
from collections.abc import Sequence

MIN_CACHED_PREFIX = 1024
CACHE_STEP = 128
DEFAULT_TTL_SECONDS = 30 * 60
EXTENDED_TTL_SECONDS = 24 * 60 * 60
_MAX_ENTRIES = 50_000


class PromptCache:
    """Prefix hashes per project (and `prompt_cache_key`) with the time they expire."""

    def __init__(self) -> None:
        self._expiry: dict[tuple[str, str, bytes], float] = {}
        self._lock = threading.Lock()

    def lookup_and_store(
        self,
        project_id: str,
        tokens: Sequence[int],
        *,
        now: float,
        cache_key: str = "",
        ttl: float = DEFAULT_TTL_SECONDS,
    ) -> int:
        """How many leading tokens were cached already; then remember this prompt's prefixes."""
        boundaries = list(prefix_digests(tokens))
        cached = 0
        with self._lock:
            for length, digest in boundaries:
                expires = self._expiry.get((project_id, cache_key, digest))
                if expires is not None and expires > now:
                    cached = length
            for _, digest in boundaries:
                self._expiry[(project_id, cache_key, digest)] = now + ttl
            if len(self._expiry) > _MAX_ENTRIES:
                self._evict(now)
        return cached

    def _evict(self, now: float) -> None:
        live = {key: t for key, t in self._expiry.items() if t > now}
        if len(live) > _MAX_ENTRIES:  # still too many: keep the newest half
            newest = sorted(live.items(), key=lambda item: item[1])[len(live) // 2 :]
            live = dict(newest)
        self._expiry = live


def prefix_digests(tokens: Sequence[int]) -> list[tuple[int, bytes]]:
    """(length, digest of tokens[:length]) for every cacheable prefix length of the prompt."""
    if len(tokens) < MIN_CACHED_PREFIX:
        return []
    hasher = hashlib.blake2b(digest_size=16)
    result: list[tuple[int, bytes]] = []
    start = 0
    for length in range(MIN_CACHED_PREFIX, len(tokens) + 1, CACHE_STEP):
        hasher.update(array("q", tokens[start:length]).tobytes())
        result.append((length, hasher.copy().digest()))
        start = length
    return result
