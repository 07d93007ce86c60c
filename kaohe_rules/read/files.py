"""Opening a file for its table: which files a data folder holds, the encodings a CSV file
may be in, the digest of what was read, and the few steps every reader shares.

This is the bottom of the reader package: it imports nothing from kaohe_rules.
"""

from __future__ import annotations

import hashlib
import stat
import threading
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
# Files being hashed ahead (hash_files_ahead), by the key their digest will be kept under: set
# once the background thread is done with them.
_PENDING: dict[tuple[Path, int, int], threading.Event] = {}


def recorded_digest(path: Path) -> tuple[Path, str]:
    """A file's resolved path and SHA-256, recorded when it is read: the fingerprint of
    an evaluation is then of what was read, even if the file changes afterwards."""
    return path.resolve(), digest(path)


def digest(path: Path, fresh: bool = False) -> str:
    """The SHA-256 of a file, kept while the file is unchanged: readers hash what they read,
    so evaluating (and evaluating again) does not read the inputs a second time. ``fresh``:
    hashed again whatever is kept (where the digest keys other results, read/records/
    kept.py: a file rewritten with its size and times put back must not look unchanged)."""
    key = _key(path)
    if fresh:
        return _sha256(key[0])
    pending = _PENDING.get(key)
    if pending is not None:
        pending.wait()  # hashed ahead: done, or given up (then hashed here)
    found = _DIGESTS.get(key)
    if found is None:
        found = _DIGESTS[key] = _sha256(key[0])
    return found


def hash_files_ahead(paths: Sequence[Path]) -> None:
    """Start hashing ``paths`` on a background thread, for :func:`digest` to find done: a
    large data file's SHA-256 (half a second for 600 MB) is then taken while the rules
    load, on the core their loading leaves idle. A file that cannot be hashed is left to
    :func:`digest`, which reports it when the file is read; one changed while hashed is
    not kept (its size or times no longer match the key)."""
    keys = []
    for path in paths:
        try:
            key, found = _looked(path)
        except OSError:
            continue
        regular = stat.S_ISREG(found.st_mode)
        # a pipe never ends; two names of one file (a link) are one key, hashed once
        if regular and key not in _DIGESTS and key not in _PENDING and key not in keys:
            keys.append(key)
    if not keys:
        return
    events = {key: _PENDING.setdefault(key, threading.Event()) for key in keys}

    def work() -> None:
        try:
            for key in keys:
                try:
                    found = _sha256(key[0])
                    if _key(key[0]) == key:
                        _DIGESTS[key] = found
                except OSError:
                    pass
                finally:
                    _PENDING.pop(key, None)
                    events[key].set()
        finally:  # whatever stopped the thread, no reader waits on it for ever
            for key, event in events.items():
                _PENDING.pop(key, None)
                event.set()

    # A daemon: an evaluation that stops early (an error in the rules) does not wait
    # for the hash of data it will never read.
    threading.Thread(target=work, name="kaohe-hash-ahead", daemon=True).start()


def _key(path: Path) -> tuple[Path, int, int]:
    return _looked(path)[0]


def _looked(path: Path):
    """The key a file's digest is kept under (its resolved path, size and time), and its
    stat."""
    path = path.resolve()
    found = path.stat()
    return (path, found.st_size, found.st_mtime_ns), found


def _sha256(path: Path) -> str:
    with open(path, "rb") as stream:
        # file_digest reads into one reused buffer, letting go of the GIL while it hashes
        return hashlib.file_digest(stream, "sha256").hexdigest()


def release_arrow_memory() -> None:
    """pyarrow's allocator keeps what it freed for its own next request; after a large
    read, what comes next is numpy's columns and the evaluation, so give it back now.
    Nothing to do when pyarrow was never imported."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
