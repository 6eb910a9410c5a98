"""Long texts cut into chunks, and chunks packed into Moderations requests.

`run.py` moderates each chunk (cached by content) and scores a line by its highest chunk.
Limits: the API document (CreateModerationRequest) sets no maximum on the `input` array, and
omni-moderation's rate limits are counted in tokens (10,000 TPM on the lowest tiers); OpenAI's
moderation guide advised chunks under 2,000 characters for accuracy. So: chunks of at most
`CHUNK_CHARS` characters cut at whitespace, overlapping by `OVERLAP_CHARS` so that a phrase
across a cut is seen whole in one chunk, and requests of at most `MAX_INPUTS` inputs and
`MAX_REQUEST_CHARS` characters (about 8,000 tokens).
"""

from __future__ import annotations

CHUNK_CHARS = 2_000
OVERLAP_CHARS = 200
MAX_INPUTS = 64
MAX_REQUEST_CHARS = 32_000


def chunk_text(text: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """`text` in pieces of at most `size` characters, cut at whitespace where there is some,
    each piece starting `overlap` characters (snapped to a word start) before the last cut."""
    if len(text) <= size:
        return [text]
    overlap = min(overlap, size // 2)
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > start else end
        pieces.append(text[start:end])
        if end >= len(text):
            break
        back = max(end - overlap, start + 1)
        word = text.find(" ", back, end)
        start = word + 1 if word != -1 else back
    return pieces
