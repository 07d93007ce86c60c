"""The engine that runs a compiled aggregation query: DuckDB, in-process.

The query (query.py) is a sqlglot tree over one table named ``records``; an engine
provides that table from a source's files, renders the tree in its dialect, and returns
the rows (one per unit key, never one per record). This is the seam for another engine:
spark.py makes ``records`` a temporary view of the same files and renders the same tree
with ``dialect="spark"`` (``--engine spark``; docs/records.md).

DuckDB streams the files through the aggregation; its memory is bounded by
``KAOHE_LIMIT_RECORDS_MEMORY_MB`` and it spills to a temporary folder of its own,
removed afterwards. duckdb is imported here, and only when a rule set declares
aggregations.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from kaohe_rules import limits
from kaohe_rules.read.records.source import EngineProblem, Source, SourceProblem

if TYPE_CHECKING:
    import sqlglot.expressions as exp

TABLE = "records"
_LINE = re.compile(r"Line: (\d+)")
_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)
_ORIGINAL = re.compile(r"Original Line: (.*)$", re.MULTILINE)


class DuckDB:
    """An in-process DuckDB with bounded memory, for one evaluation's record sources."""

    dialect = "duckdb"
    root = None  # records are always in the data folder (--records-root is Spark's)

    def __init__(self, allowed: list[Path]) -> None:
        """``allowed``: the folders the record files are in; DuckDB may open nothing else."""
        self.spill = tempfile.mkdtemp(prefix="kaohe-records-")
        memory = limits.RECORDS_MEMORY_MB.value()
        config = {
            "memory_limit": f"{memory}MB",
            "temp_directory": self.spill,
            # Nothing here depends on the order of records: let DuckDB stream them.
            "preserve_insertion_order": False,
            # Never fetch an extension from the network.
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        self.connection = duckdb.connect(":memory:", config=config)
        # The query reads the declared files and nothing else, whatever a bug may write:
        # file access outside their folders is off (the language itself names no file).
        # Each as written and as _literal writes it in a path DuckDB is given (a folder
        # named 第[1]批 is read as 第[[]1]批/…, and the check compares those texts).
        named = [str(folder) + "/" for folder in [*allowed, Path(self.spill)]]
        folders = ", ".join(_string(f) for f in dict.fromkeys([*named, *map(_literal, named)]))
        self.connection.execute(f"SET allowed_directories = [{folders}]")
        self.connection.execute("SET enable_external_access = false")

    def close(self) -> None:
        """Close the database and remove its spill folder."""
        self.connection.close()
        shutil.rmtree(self.spill, ignore_errors=True)

    def parquet_columns(self, files: tuple[Path, ...]) -> list[tuple[str, str]]:
        """A Parquet source's columns and stored types, from the files' footers."""
        sql = f"DESCRIBE SELECT * FROM read_parquet({_paths(files)})"
        try:
            return [(row[0], row[1]) for row in self.connection.sql(sql).fetchall()]
        except duckdb.Error as error:
            raise _problem(error, files[0]) from None

    def provide(self, source: Source) -> None:
        """Make the table ``records`` of the source's files (a view: read as queried)."""
        if source.kind == "csv":
            text = ", ".join(f"{_string(name)}: 'VARCHAR'" for name in source.names)
            # The header was read by source.csv_header; every cell is text, every row must
            # have the header's columns (strict_mode: a malformed row is an error, with
            # its line, not a row skipped or padded).
            reader = (
                f"read_csv({_paths(source.files)}, header = true, delim = ',', quote = '\"', "
                f"escape = '\"', columns = {{{text}}}, auto_detect = false, strict_mode = true)"
            )
        else:
            reader = f"read_parquet({_paths(source.files)})"
        try:
            self.connection.execute(
                f"CREATE OR REPLACE TEMP VIEW {TABLE} AS SELECT * FROM {reader}"
            )
        except duckdb.Error as error:
            raise _problem(error, source.files[0]) from None

    def run(self, sql: str, source: Source) -> list[tuple]:
        """The rows of ``sql`` (a query in this engine's dialect, plan.py) over the source
        provided last."""
        try:
            return self.connection.sql(sql).fetchall()
        except duckdb.Error as error:
            raise _problem(error, source.files[0]) from None

    def group_values(self, name: str, most: int = 20) -> list[str]:
        """Some values of a column of the source provided last (to name them in a hint)."""
        sql = distinct_values(name, most).sql(dialect=self.dialect)
        try:
            return [row[0] for row in self.connection.sql(sql).fetchall()]
        except duckdb.Error:
            return []


def distinct_values(name: str, most: int) -> exp.Select:
    """Up to ``most`` values of column ``name`` (trimmed text, sorted), to name them in a
    hint: like the main query, one tree that each engine renders in its own dialect."""
    import sqlglot.expressions as exp  # only when a hint needs it: a run from the cache has none

    value = exp.Trim(this=exp.cast(exp.column(name, quoted=True), exp.DataType.build("VARCHAR")))
    present = exp.Not(this=exp.Is(this=exp.column(name, quoted=True), expression=exp.null()))
    select = exp.select(exp.alias_(value, "v")).distinct().from_(TABLE).where(present)
    return select.order_by("v").limit(most)


def _string(text: str) -> str:
    """``text`` as a DuckDB string literal (a quote doubled; no other character escapes)."""
    return "'" + text.replace("'", "''") + "'"


def _paths(files: tuple[Path, ...]) -> str:
    return "[" + ", ".join(_string(_literal(str(p))) for p in files) + "]"


# DuckDB reads every path it is given as a glob pattern: 评价[1].csv would read 评价1.csv
# and y*.csv every file it matches, silently. Each pattern character stands alone in a
# character class, which matches exactly it.
_GLOB = {"[": "[[]", "*": "[*]", "?": "[?]"}


def _literal(path: str) -> str:
    return "".join(_GLOB.get(c, c) for c in path)


def _unglobbed(path: str) -> str:
    """A path as DuckDB names it in a message, without the escapes of _literal."""
    for char, escaped in _GLOB.items():
        path = path.replace(escaped, char)
    return path


def _problem(error: Exception, first: Path) -> EngineProblem:
    """An engine error as a coded problem: the file and line DuckDB names, its reason."""
    text = str(error)
    found = _FILE.search(text)
    file = _unglobbed(found.group(1).strip()) if found else str(first)
    line = _LINE.search(text)
    if isinstance(error, duckdb.OutOfMemoryException):
        limit = limits.RECORDS_MEMORY_MB
        return EngineProblem("KH571", "汇总记录超出了可用的内存", file, None, limit.hint())
    reason = _reason(text)
    original = _ORIGINAL.search(text)
    if original:
        reason += f"；这一行是：{original.group(1)[:120]}"
    hint = "每一行的列数须与表头相同；含逗号的值用双引号括起来" if line else None
    return EngineProblem("KH562", f"记录文件无法读取：{reason}", file, _int(line), hint)


def _reason(text: str) -> str:
    """The line of DuckDB's message that says what is wrong, without its boilerplate."""
    boilerplate = ("Invalid Input Error", "Conversion Error", "IO Error", "Original Line", "CSV")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(boilerplate):
            return line[:200]
    first = text.splitlines()[0] if text else ""
    return first.split(": ", 1)[-1][:200]


def _int(found: re.Match | None) -> int | None:
    return int(found.group(1)) if found else None


__all__ = ["TABLE", "DuckDB", "EngineProblem", "SourceProblem"]
