"""Opening a file for its table: which files a data folder holds, the encodings a CSV file
may be in, the digest of what was read, and the few steps every reader shares.

This is the bottom of the reader package: it imports nothing from kaohe_rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

# What a data folder may hold, and the spreadsheet formats it may hold by mistake: those
# are refused, not skipped, so their values are never silently left out.
SUPPORTED = (".csv", ".xlsx", ".parquet")
UNSUPPORTED = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers", ".tsv")
# The encodings of a CSV file when none is named: UTF-8 (with or without BOM), then GBK's
# superset, which is what Excel on a Chinese Windows writes.
ENCODINGS = ("utf-8-sig", "gb18030")


def _lock_file(path: Path) -> bool:
    return path.name.startswith("~$")  # Excel's lock files


def data_files(folder: Path) -> list[Path]:
    """The files of ``folder`` read as data, in name order."""
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED and not _lock_file(p)
    )


def unsupported_files(folder: Path) -> list[Path]:
    """The spreadsheet files of ``folder`` in a format that is not read, in name order."""
    return [
        p for p in sorted(folder.iterdir()) if p.suffix.lower() in UNSUPPORTED and not _lock_file(p)
    ]


def decode(data: bytes, encodings: Sequence[str] = ENCODINGS) -> str | None:
    """The text of ``data`` in the first of ``encodings`` that decodes it; None when none
    does. An encoding Python does not know raises LookupError."""
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def leading_comments(path: Path, limit: int | None = 1000) -> tuple[int, bytes | None]:
    """How many leading "# …" (or blank) lines a CSV file has, and the first other line
    (the header, without a BOM); None for it when there is none within ``limit`` lines
    (None: no limit)."""
    skip = 0
    with open(path, "rb") as stream:
        for raw in stream:
            text = raw.lstrip(b"\xef\xbb\xbf") if skip == 0 else raw
            if text.strip() and not text.startswith(b"#"):
                return skip, text
            skip += 1
            if limit is not None and skip > limit:
                break
    return skip, None


_DIGESTS: dict[tuple[Path, int, int], str] = {}


def recorded_digest(path: Path) -> tuple[Path, str]:
    """A file's resolved path and SHA-256, recorded when it is read: the fingerprint of
    an evaluation is then of what was read, even if the file changes afterwards."""
    return path.resolve(), digest(path)


def digest(path: Path, fresh: bool = False) -> str:
    """The SHA-256 of a file, kept while the file is unchanged: readers hash what they read,
    so evaluating (and evaluating again) does not read the inputs a second time. ``fresh``:
    hashed again whatever is kept (where the digest keys other results, read/records/
    kept.py: a file rewritten with its size and times put back must not look unchanged)."""
    path = path.resolve()
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    found = None if fresh else _DIGESTS.get(key)
    if found is None:
        sha = hashlib.sha256()
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 24):
                sha.update(chunk)
        found = _DIGESTS[key] = sha.hexdigest()
    return found


def release_arrow_memory() -> None:
    """pyarrow's allocator keeps what it freed for its own next request; after a large
    read, what comes next is numpy's columns and the evaluation, so give it back now.
    Nothing to do when pyarrow was never imported."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
