"""Open the files a stack names without trusting them: regular files only, bounded in size.

Called by the YAML reader (`source.py`) for every manifest and reconciler.yaml, by discovery
to refuse what is not a regular file, and by `validation.py` for the data files manifests name.
A manifest may come from an untrusted pull request: a FIFO or a device (or a symlink to one)
would block a read forever or never end, so a path is checked with `stat` first and opened
with O_NONBLOCK; text is decoded as UTF-8 with the line and column of the first bad byte.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

MANIFEST_MAX_BYTES = 1 << 20
"""A manifest or reconciler.yaml larger than this is refused (1 MiB, as a Kubernetes object)."""

# What ruamel.yaml's reader refuses (it would say "position 57" with no line): C0 controls but
# tab/LF/CR, DEL, C1 controls but NEL, surrogates and U+FFFE/U+FFFF.
_NOT_YAML_TEXT = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_KIND_OF_FILE = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


@dataclass(frozen=True)
class FileProblem:
    """Why a file cannot be read, at a 1-based line and column (0 when not in the text)."""

    message: str
    hint: str
    line: int = 0
    column: int = 0


class UnreadableFileError(Exception):
    """A file that is not a readable regular file within the size limit."""

    def __init__(self, problem: FileProblem) -> None:
        self.problem = problem
        super().__init__(problem.message)


def not_a_regular_file(path: Path) -> str | None:
    """What `path` is when it is not a regular file (after symlinks), or None when it is one.

    Only `stat` is called: the file is never opened.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "not found" if not os.path.islink(path) else "a broken symlink"
    except OSError as error:
        return f"unreadable ({error.strerror or error})"
    if stat.S_ISREG(mode):
        return None
    return _KIND_OF_FILE.get(stat.S_IFMT(mode), "not a regular file")


def read_limited_bytes(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; raise UnreadableFileError else.

    Checked with `stat` before it is opened, opened with O_NONBLOCK and checked again with
    fstat on the open descriptor (a FIFO swapped in after the `stat` is never waited on); at
    most `max_bytes + 1` bytes are ever read.
    """
    kind = not_a_regular_file(path)
    if kind is not None:
        raise UnreadableFileError(_irregular_problem(kind))
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise UnreadableFileError(_open_problem(path, error)) from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = _KIND_OF_FILE.get(stat.S_IFMT(mode), "not a regular file")
            raise UnreadableFileError(_irregular_problem(kind))
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableFileError(
            FileProblem(
                f"file too large: more than {_size(max_bytes)}",
                f"a manifest holds at most {_size(max_bytes)}; split it into several files",
            )
        )
    return data


def decode_text(data: bytes) -> str:
    """UTF-8 text (a leading byte order mark is kept, as YAML allows); raise
    UnreadableFileError at the line and column of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = byte_position(data, error.start)
        raise UnreadableFileError(
            FileProblem(
                f"not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded "
                f"({error.reason})",
                "save the file as UTF-8 text (is it a binary file?)",
                line,
                column,
            )
        ) from None


def find_control_character(text: str) -> FileProblem | None:
    """The first character YAML does not allow in a file (control characters...), located."""
    match = _NOT_YAML_TEXT.search(text)
    if match is None:
        return None
    start = match.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return FileProblem(
        f"control character U+{ord(match.group()):04X} is not allowed in YAML",
        "remove it; inside a double-quoted string it may be written as an escape "
        r"(for example \u001b)",
        line,
        column,
    )


def byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte `offset` of UTF-8 `data`."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _open_problem(path: Path, error: OSError) -> FileProblem:
    if isinstance(error, IsADirectoryError):
        return _irregular_problem("a folder")
    return FileProblem(
        f"cannot read file: {error.strerror or error}",
        f"check that {path.name} exists and is readable",
    )


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symlink and `..` resolved, is `root` (resolved) or under it."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def _irregular_problem(kind: str) -> FileProblem:
    if kind in ("not found", "a broken symlink") or kind.startswith("unreadable"):
        return FileProblem(
            f"cannot read file: {kind}", "check that the file exists and is readable"
        )
    return FileProblem(
        f"not a regular file: {kind}",
        "only regular files are read (a FIFO or a device would never end); "
        "replace it with a regular file or remove it",
    )


def _size(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"
