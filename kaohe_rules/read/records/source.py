"""One record source: the files a 记录汇总 names, their columns, and how a column reads.

A source is a CSV or Parquet file, or a folder of them (all of one format, read as one
table in name order). Its header is known before any record is read: a CSV file's first
line (parsed here, so that a malformed row cannot be taken for the header, as DuckDB's
sniffer would), a Parquet file's schema (from its footer, by the engine). CSV cells are
all read as text and a column becomes a number where the rules use it as one
(compile.NUMBER_PATTERN; what does not convert is counted and reported, never dropped
unseen).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type
from kaohe_rules.records import data_record
from kaohe_rules.source import not_regular

FORMATS = (".csv", ".parquet")


class SourceProblem(Exception):
    """The files of a source cannot be used: missing, empty of records files, unreadable."""

    def __init__(self, code: str, message: str, file: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.file, self.hint = code, message, file, hint


class EngineProblem(Exception):
    """The engine could not read the records or run the query: a coded problem with the
    file and, where the engine names it, the line."""

    def __init__(self, code: str, message: str, file: str, line: int | None, hint: str | None):
        super().__init__(message)
        self.code, self.message, self.file, self.line, self.hint = code, message, file, line, hint


@data_record
class RemoteFile:
    """A record file under a --records-root, as the file system's listing gives it: what
    the evaluation's fingerprint takes of it instead of its content's SHA-256 (reading a
    cluster's records twice, once to hash them, is what Spark is there to avoid)."""

    uri: str
    length: int  # bytes
    modified: int  # milliseconds since 1970, as Hadoop's FileStatus gives it
    checksum: str | None = None  # "algorithm:hex" where the file system keeps one (HDFS)

    @property
    def name(self) -> str:
        """The file's name (the fingerprint's, as for a local file: not where it is)."""
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def digest(self) -> str:
        """What the fingerprint takes: length, modification time and checksum, marked as
        such so that it is never mistaken for (nor equal to) a content SHA-256."""
        return f"listed:{self.length}:{self.modified}:{self.checksum or '-'}"


@data_record
class Source:
    """The files of one declared 文件, their format and header (column → type)."""

    declared: str  # as written in the rules
    path: Path | str  # the file or folder; a URI under a --records-root
    files: tuple[Path | str, ...]  # URIs under a --records-root
    kind: str  # "csv" or "parquet"
    columns: tuple[tuple[str, Type], ...]  # Parquet's real types; CSV: all text
    remote: tuple[RemoteFile, ...] = ()  # the files as listed, under a --records-root

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in header order."""
        return tuple(name for name, _ in self.columns)

    def type_of(self, name: str) -> Type | None:
        """A column's type as stored (CSV: text), or None when there is no such column."""
        return dict(self.columns).get(name)


def locate(folder: Path, declared: str) -> tuple[Path, tuple[Path, ...], str]:
    """The path a 文件 names inside the data folder, its files, and their format."""
    path = folder / declared
    if not path.exists():
        raise SourceProblem(
            "KH560", f"找不到记录文件 {declared}（在数据文件夹 {folder} 中）", str(path)
        )
    files = (
        tuple(sorted(p for p in path.iterdir() if recordable(p.name))) if path.is_dir() else (path,)
    )
    kind = kind_of(declared, [p.name for p in files], str(path), path.is_dir())
    for file in files:
        refused = not_regular(file)
        if refused is not None:
            raise SourceProblem("KH562", f"无法读取记录文件：{refused}", str(file))
    return path, files, kind


def recordable(name: str) -> bool:
    """Whether a file of a records folder is read (by its name's extension)."""
    return _suffix(name) in FORMATS


def kind_of(declared: str, names: list[str], where: str, folder: bool) -> str:
    """The one format ("csv" or "parquet") of a source's files, by their names; the same
    rules wherever the files are (locate here, remote.Root.locate for a --records-root):
    a folder without records files, or files of two formats, are refused."""
    if folder and not names:
        message = f"记录文件夹 {declared} 中没有 CSV 或 Parquet 文件"
        raise SourceProblem("KH560", message, where)
    kinds = {_suffix(name) for name in names}
    if len(kinds) > 1 or not kinds <= set(FORMATS):
        message = f"记录 {declared} 须是 CSV 或 Parquet 文件，一个文件夹中只用一种"
        raise SourceProblem("KH560", message, where, "把记录存为 .csv（UTF-8）或 .parquet")
    return kinds.pop().lstrip(".")


def _suffix(name: str) -> str:
    return Path(name).suffix.lower()


def csv_header(path: Path) -> tuple[str, ...]:
    """The column names on a CSV file's first line (UTF-8, with or without BOM)."""
    with open(path, "rb") as stream:
        first = stream.readline(HEADER_BYTES)
    return header_names(first, str(path))


HEADER_BYTES = 1 << 20  # a header line longer than this is not one


def header_names(first: bytes, file: str) -> tuple[str, ...]:
    """The column names on ``first``, a CSV file's first line as bytes (read here, or
    through Spark's file system for a --records-root): UTF-8, names present and unique."""
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        hint = "记录文件须是 UTF-8 编码；在 Excel 中另存为“CSV UTF-8”"
        raise SourceProblem("KH562", "记录文件不是 UTF-8 编码", file, hint) from None
    names = next(csv.reader(io.StringIO(text)), [])
    names = [name.strip() for name in names]
    if not any(names):
        raise SourceProblem("KH562", "记录文件没有表头（第一行是列名）", file)
    if len(set(names)) < len(names) or "" in names:
        message = "记录文件的表头有重复或空的列名：" + "、".join(names)
        raise SourceProblem("KH562", message, file)
    return tuple(names)


# Parquet's stored types (DuckDB's names) as the language's.
def language_type(stored: str) -> Type:
    """The language type of a column stored as ``stored`` (DuckDB's type name)."""
    upper = stored.upper()
    if upper == "BOOLEAN":
        return BOOL
    numeric = ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC")
    if any(word in upper for word in numeric) and "[]" not in upper:
        return NUMBER
    return TEXT
