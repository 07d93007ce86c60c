"""DuckDB as aggregate.py uses it, with what it answered for unchanged record files kept
between runs: a Parquet source's columns, and a query's rows (one per unit key).

Both are functions of the files' bytes (their SHA-256, which the evaluation's
fingerprint hashes anyway, read/files.digest), the query's SQL, how the view reads the
files (format, CSV header) and the code and DuckDB version (cache.code_digest). Running
the same rules on the same records again (an analyst's `kaohe explain` after `kaohe
evaluate`, the workbench's impact of an edit) then neither imports DuckDB nor reads the
records. DuckDB starts only on a miss, or when a hint needs the records themselves
(group_values). Only small answers are kept: a file of a million units' rows would cost
more to read than DuckDB takes to compute it. Decision 117.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kaohe_rules.read.files import digest
from kaohe_rules.read.records import cache
from kaohe_rules.read.records.source import EngineProblem, Source
from kaohe_rules.source import os_reason

MOST_ROWS = 20_000  # answers with more unit keys are not kept
_MOST_BYTES = 16 << 20
_CELLS = (str, int, float, bool, type(None))


class KeptDuckDB:
    """The DuckDB engine's interface, answering from the cache where it can; ``start``
    makes the real engine when it is first needed."""

    dialect = "duckdb"
    root = None  # records are always in the data folder (--records-root is Spark's)

    def __init__(self, start: Callable[[], object]) -> None:
        self.start = start
        self.engine = None
        self.hashed: dict[Path, tuple[tuple, str]] = {}  # file → (its stat, its digest)
        self.source: Source | None = None  # provided, not yet given to the real engine
        self.given: Source | None = None  # provided to the real engine

    def _real(self):
        if self.engine is None:
            self.engine = self.start()
        return self.engine

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()

    def parquet_columns(self, files: tuple[Path, ...]) -> list[tuple[str, str]]:
        """A Parquet source's columns and stored types: kept by the files' digests."""
        if not cache.enabled("answer"):
            return self._real().parquet_columns(files)
        entry = cache.key(["columns", self._digests(files)])
        data = cache.load("answer", entry, _MOST_BYTES)
        columns = data.get("columns") if data else None
        if _table(columns, 2) and all(isinstance(c, str) for row in columns for c in row):
            return [(name, kind) for name, kind in columns]
        found = self._real().parquet_columns(files)
        if self._unchanged(files):
            cache.store("answer", entry, {"columns": [list(c) for c in found]}, _MOST_BYTES)
        return found

    def provide(self, source: Source) -> None:
        self.source = source

    def run(self, sql: str, source: Source) -> list[tuple]:
        """The query's rows: kept by the SQL and the files' digests, else DuckDB's."""
        if not cache.enabled("answer"):
            return self._given(source).run(sql, source)
        digests = self._digests(source.files)
        entry = cache.key(["rows", sql, source.kind, list(source.names), digests])
        data = cache.load("answer", entry, _MOST_BYTES)
        rows = data.get("rows") if data else None
        if _table(rows, None) and len({len(r) for r in rows}) <= 1 and _cells(rows):
            return [tuple(row) for row in rows]
        found = self._given(source).run(sql, source)
        if len(found) <= MOST_ROWS and _cells(found) and self._unchanged(source.files):
            cache.store("answer", entry, {"rows": [list(row) for row in found]}, _MOST_BYTES)
        return found

    def group_values(self, name: str, most: int = 20) -> list[str]:
        """Some values of a column (for a hint): from the records themselves."""
        try:
            return self._given(self.source).group_values(name, most)
        except EngineProblem:
            return []  # the hint goes without the values; the error itself stands

    def _given(self, source: Source):
        engine = self._real()
        if self.given is not source:
            engine.provide(source)
            self.given = source
        return engine

    def _digests(self, files: tuple[Path, ...]) -> list[str]:
        """Each file's SHA-256, hashed afresh once per evaluation (files.digest keeps one
        for the process by size and time, which a long-running workbench must not trust
        here), with the file's stat as it was before hashing."""
        out = []
        for file in files:
            if file not in self.hashed:
                try:
                    before = _stat(file)
                    self.hashed[file] = (before, digest(file, fresh=True))
                except OSError as error:
                    message = f"无法读取记录文件：{os_reason(error)}"
                    raise EngineProblem("KH562", message, str(file), None, None) from None
            out.append(self.hashed[file][1])
        return out

    def _unchanged(self, files: tuple[Path, ...]) -> bool:
        """Whether every file is as it was when hashed: an answer read from a file that
        changed since is not kept under the old digest."""
        try:
            return all(f in self.hashed and self.hashed[f][0] == _stat(f) for f in files)
        except OSError:
            return False  # gone since: nothing is kept


def _stat(file: Path) -> tuple:
    found = file.stat()
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


def _cells(rows) -> bool:
    return all(type(v) in _CELLS for row in rows for v in row)


def _table(rows: object, width: int | None) -> bool:
    """A list of lists (of ``width`` cells where given)."""
    return isinstance(rows, list) and all(
        isinstance(row, list) and (width is None or len(row) == width) for row in rows
    )
