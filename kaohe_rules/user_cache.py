"""The user's cache folder (``~/.cache/kaohe-rules/`` or ``$XDG_CACHE_HOME/kaohe-rules/``)
and its JSON entries: written atomically, read back with a size limit and a checksum, so
a truncated, damaged or foreign file is no entry. What is kept there (compiled queries and
DuckDB's answers, read/records/cache.py; parsed formulas, dsl/kept_trees.py) is always
safe to delete. No pickle: what is read back is data, checked before it is used.

This module imports nothing from the package.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path


def folder() -> Path | None:
    """The user's cache folder (decision 8), None where it cannot be."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG specification: a relative one is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    found = Path(base) / "kaohe-rules"
    try:
        found.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = found.stat()
    except OSError:
        return None
    # Only a folder of the user's own that no one else may write: what is read back from
    # it becomes a query, its answer or a formula. (POSIX only: Windows has neither uid
    # nor bits.)
    uid = getattr(os, "getuid", None)
    if not found.is_dir() or (uid and (info.st_uid != uid() or info.st_mode & 0o022)):
        return None
    return found


def read(path: Path, key: str, most_bytes: int) -> dict | None:
    """The data kept in ``path`` under ``key``; None when absent, not a regular file (a
    named pipe would block the read), too large, broken, for another key or not as it was
    written (its checksum)."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                return None
            text = stream.read(most_bytes + 1)
        if len(text) > most_bytes:
            return None
        kept = json.loads(text)
        data = kept["data"]
        if kept["key"] != key or kept["sum"] != checksum(data):
            return None
    except (OSError, ValueError, RecursionError, TypeError, KeyError):
        return None
    return data if isinstance(data, dict) else None


def checksum(data: object) -> str:
    """The SHA-256 of ``data`` as canonical JSON."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def regular_or_absent(path: Path) -> bool:
    """Whether ``path`` is a regular file or nothing (not a named pipe, a folder …)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True
    except OSError:
        return False


def write(path: Path, key: str, data: dict, most_bytes: int) -> bool:
    """Keep ``data`` under ``key`` in ``path`` (atomically: a reader sees the old file or
    the new); not when it is larger than ``read`` would take. Whether it was written: a
    cache that cannot be written costs the next run the work, no more."""
    try:
        text = json.dumps({"key": key, "sum": checksum(data), "data": data}, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return False
    if len(text.encode("utf-8")) > most_bytes:
        return False
    import tempfile  # only when writing: it imports random, which a run reading need not

    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except (OSError, ValueError, TypeError):
        Path(temporary).unlink(missing_ok=True)
        return False
    return True


def code_digest(files: Iterable[Path], packages: Iterable[str]) -> str:
    """The SHA-256 of the files (their names and bytes) and of the installed versions of
    ``packages`` (found without importing them): what a kept entry depends on, so that a
    change to any of it is a miss."""
    sha = hashlib.sha256()
    for path in files:
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in packages:
        sha.update(name.encode() + b"\0" + _installed(name).encode() + b"\0")
    return sha.hexdigest()


def _installed(name: str) -> str:
    """The names of the package's .dist-info folders beside it (they carry its version)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        return "?"
    site = Path(spec.origin).resolve().parents[1]
    return ",".join(sorted(p.name for p in site.glob(f"{name}-*.dist-info"))) or "?"
