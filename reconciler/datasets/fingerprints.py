"""Per-example fingerprints: duplicates within a file, examples shared between two files.

`scan.py` computes an 8-byte fingerprint per example (the lines that parse as JSON objects);
`check.py` keeps them in file order with the numbers of the lines that are not examples, so an
example index maps back to its line. Duplicate search uses a fixed bitmap plus an exact pass
over the few candidates, so memory stays at about 8 bytes per example.
"""

from __future__ import annotations

import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_BITMAP_BITS = 1 << 27  # 16 MB
_HEADER = struct.Struct("<QQ")


@dataclass
class ExampleFingerprints:
    """Fingerprints of a file's examples in order, and the line numbers that are not examples."""

    values: array[int] = field(default_factory=lambda: array("Q"))
    skipped_lines: array[int] = field(default_factory=lambda: array("I"))
    _examples_before_skip: list[int] | None = field(default=None, repr=False)

    def line_of(self, index: int) -> int:
        """The 1-based line of the example at `index` (0-based among examples)."""
        if self._examples_before_skip is None:
            self._examples_before_skip = [
                line - 1 - position for position, line in enumerate(self.skipped_lines)
            ]
        return index + 1 + bisect_right(self._examples_before_skip, index)

    def to_bytes(self) -> bytes:
        return (
            _HEADER.pack(len(self.values), len(self.skipped_lines))
            + self.values.tobytes()
            + self.skipped_lines.tobytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ExampleFingerprints:
        count, skipped = _HEADER.unpack_from(data)
        values, lines = array("Q"), array("I")
        start = _HEADER.size
        values.frombytes(data[start : start + 8 * count])
        lines.frombytes(data[start + 8 * count : start + 8 * count + 4 * skipped])
        if len(values) != count or len(lines) != skipped:
            raise ValueError("truncated fingerprint file")
        return cls(values, lines)


class DuplicateFinder:
    """Finds repeated fingerprints: a bitmap marks values as they arrive (chunk by chunk); only
    values that hit an already-set bit are kept as candidates for the exact second pass."""

    def __init__(self, expected: int) -> None:
        bits = 1 << 16
        while bits < 16 * expected and bits < MAX_BITMAP_BITS:
            bits <<= 1
        self._mask = bits - 1
        self._seen: bytearray | None = bytearray(bits >> 3)
        self._candidates: set[int] = set()

    def add(self, values: array[int]) -> None:
        seen, mask, candidates = self._seen, self._mask, self._candidates
        assert seen is not None, "add() after duplicates()"
        for value in values:
            position = value & mask
            bit = 1 << (position & 7)
            if seen[position >> 3] & bit:
                candidates.add(value)
            else:
                seen[position >> 3] |= bit

    def duplicates(self, values: array[int]) -> Iterator[tuple[int, int]]:
        """(index, index of its first occurrence) for every repeat in `values`, in order."""
        self._seen = None  # free the bitmap before the second pass
        candidates = self._candidates
        if not candidates:
            return
        first: dict[int, int] = {}
        for index, value in enumerate(values):
            if value in candidates:
                if value in first:
                    yield index, first[value]
                else:
                    first[value] = index


def find_duplicates(values: array[int]) -> Iterator[tuple[int, int]]:
    """(index, index of its first occurrence) for every repeated fingerprint, in order."""
    finder = DuplicateFinder(len(values))
    finder.add(values)
    return finder.duplicates(values)


def find_shared(training: array[int], validation: array[int]) -> Iterator[tuple[int, int]]:
    """(validation index, first training index) for validation examples also in training."""
    if len(validation) <= len(training):
        wanted = set(validation)
        in_training: dict[int, int] = {}
        for index, value in enumerate(training):
            if value in wanted and value not in in_training:
                in_training[value] = index
    else:
        in_training = {}
        for index, value in enumerate(training):
            in_training.setdefault(value, index)
    for index, value in enumerate(validation):
        if value in in_training:
            yield index, in_training[value]
