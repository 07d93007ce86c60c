"""The user's cache folder for what the records stage can reuse between runs: compiled
queries (plan.py) and what DuckDB answered for unchanged files (kept.py). JSON only,
written atomically, read back with a size limit; a file that cannot be read or parsed is
no entry. Deleting the folder is always safe (docs/records.md)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from pathlib import Path

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


def folder() -> Path | None:
    """The user's cache folder (as the parser's, decision 8), None where it cannot be."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG specification: a relative one is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    found = Path(base) / "kaohe-rules"
    try:
        found.mkdir(mode=0o700, parents=True, exist_ok=True)
        stat = found.stat()
    except OSError:
        return None
    # Only a folder of the user's own that no one else may write: what is read back from
    # it becomes a query and its answer. (POSIX only: Windows has neither uid nor bits.)
    uid = getattr(os, "getuid", None)
    if not found.is_dir() or (uid and (stat.st_uid != uid() or stat.st_mode & 0o022)):
        return None
    return found


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
        sha = hashlib.sha256()
        for path in [package / "__init__.py", *modules, data_path("grammar", "kaohe.lark")]:
            sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        for name in ("sqlglot", "duckdb"):
            sha.update(name.encode() + b"\0" + _installed(name).encode() + b"\0")
        _DIGEST.append(sha.hexdigest())
    return _DIGEST[0]


def _installed(name: str) -> str:
    """The names of the package's .dist-info folders beside it (they carry its version)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        return "?"
    site = Path(spec.origin).resolve().parents[1]
    return ",".join(sorted(p.name for p in site.glob(f"{name}-*.dist-info"))) or "?"


def load(kind: str, entry: str, most_bytes: int) -> dict | None:
    """The entry's data; None when absent, too large, broken, for another key or not as
    it was written (its checksum: a truncated or damaged file is never taken)."""
    path = _file(kind, entry)
    if path is None:
        return None
    try:
        with open(path, "rb") as stream:
            text = stream.read(most_bytes + 1)
        if len(text) > most_bytes:
            return None
        kept = json.loads(text)
        data = kept["data"]
        if kept["key"] != entry or kept["sum"] != _sum(data):
            return None
    except (OSError, ValueError, RecursionError, TypeError, KeyError):
        return None
    return data if isinstance(data, dict) else None


def _sum(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store(kind: str, entry: str, data: dict, most_bytes: int) -> None:
    """Keep ``data`` under ``entry`` (atomically: a reader sees the old file or the new);
    not when it is larger than ``load`` would read."""
    path = _file(kind, entry)
    if path is None:
        return  # a cache that cannot be written costs the next run the work, no more
    try:
        text = json.dumps({"key": entry, "sum": _sum(data), "data": data}, ensure_ascii=False)
    except (TypeError, ValueError):
        return
    if len(text.encode("utf-8")) > most_bytes:
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
        _prune(path.parent, kind)
    except (OSError, ValueError, TypeError):
        Path(temporary).unlink(missing_ok=True)


def _file(kind: str, entry: str) -> Path | None:
    found = folder() if enabled(kind) else None
    return None if found is None else found / f"{kind}-{entry[:32]}.json"


def _prune(where: Path, kind: str) -> None:
    kept = sorted(where.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP:]:
        old.unlink(missing_ok=True)
