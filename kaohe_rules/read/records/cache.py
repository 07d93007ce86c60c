"""The user's cache folder for what the records stage can reuse between runs: compiled
queries (plan.py) and what DuckDB answered for unchanged files (kept.py). JSON only,
written atomically, read back with a size limit; a file that cannot be read or parsed is
no entry. Deleting the folder is always safe (docs/records.md)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from kaohe_rules import user_cache
from kaohe_rules.limits import RECORDS_CACHE
from kaohe_rules.resources import data_path

KEEP = 256  # entries of each kind kept; the oldest go first
# The code a cached query or answer depends on (every module of these packages, the
# grammar, the package's version): a change to any of it is a miss.
_CODE = ("dsl", "read/records")
_DIGEST: list[str] = []


def enabled(kind: str) -> bool:
    """Whether entries of ``kind`` ("query" or "answer") are read and kept: "all" (the
    default), "queries" (compiled queries only: the records are aggregated on every run,
    as the benchmarks time them), "off". The command line refuses any other value (KH503,
    limits.check_environment); called otherwise, it reuses nothing, which is never wrong."""
    setting = os.environ.get(RECORDS_CACHE, "all")
    return setting == "all" or (setting == "queries" and kind == "query")


def key(material: object) -> str:
    """The SHA-256 of ``material`` (JSON) and of the code it depends on."""
    text = json.dumps([code_digest(), material], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_digest() -> str:
    """The modules that compile and run a query, and the versions of sqlglot and duckdb
    (found without importing them)."""
    if not _DIGEST:
        package = Path(__file__).resolve().parents[2]
        modules = sorted(p for name in _CODE for p in (package / name).glob("*.py"))
        files = [package / "__init__.py", *modules, data_path("grammar", "kaohe.lark")]
        _DIGEST.append(user_cache.code_digest(files, ("sqlglot", "duckdb")))
    return _DIGEST[0]


def load(kind: str, entry: str, most_bytes: int) -> dict | None:
    """The entry's data; None when absent, too large, broken, for another key or not as
    it was written (its checksum: a truncated or damaged file is never taken)."""
    path = _file(kind, entry)
    return None if path is None else user_cache.read(path, entry, most_bytes)


def store(kind: str, entry: str, data: dict, most_bytes: int) -> None:
    """Keep ``data`` under ``entry`` (atomically: a reader sees the old file or the new);
    not when it is larger than ``load`` would read."""
    path = _file(kind, entry)
    if path is not None and user_cache.write(path, entry, data, most_bytes):
        _prune(path.parent, kind)


def _file(kind: str, entry: str) -> Path | None:
    found = user_cache.folder() if enabled(kind) else None
    return None if found is None else found / f"{kind}-{entry[:32]}.json"


def _prune(where: Path, kind: str) -> None:
    try:
        kept = sorted(where.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # another run pruned the same file first
