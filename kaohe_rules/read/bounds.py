"""Refusals of tables too large to read: each compares what a file declares (its size on
disk, its header's columns, a workbook's zip directory and sheet extents) with a limit of
kaohe_rules/limits.py *before* reading past it, and says the size found, the limit and how
to raise it. A refusal is a SheetProblem (one diagnostic), which every reader passes on.
"""

from __future__ import annotations

from pathlib import Path

from kaohe_rules import limits
from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.read.cells import SheetProblem
from kaohe_rules.source import Span

# Each limit's code (docs/errors.md; docs/evaluate.md#输入的上限 lists them all).
CODES = {
    limits.DATA_FILE_BYTES.name: "KH322",
    limits.CSV_COLUMNS.name: "KH323",
    limits.XLSX_ROWS.name: "KH324",
    limits.XLSX_COLUMNS.name: "KH325",
    limits.XLSX_CELLS.name: "KH326",
    limits.XLSX_MEMBER_BYTES.name: "KH327",
    limits.XLSX_RATIO.name: "KH328",
    limits.DATA_ROWS.name: "KH329",
    limits.PARQUET_CELLS.name: "KH330",
}


def refusal(limit: limits.Limit, found: str, span: Span) -> SheetProblem:
    """The refusal of ``found`` (what was counted, said with its number) over ``limit``."""
    message = f"{found}，超过上限 {limit.value():,} {limit.unit}（{limit.label}）"
    return SheetProblem(Diagnostic(CODES[limit.name], message, span, limit.hint()))


def check_file_bytes(path: Path, file: str | None = None) -> None:
    """Refuse a data file larger than DATA_FILE_BYTES, from its size on disk (before any
    read: hashing or parsing it would take its whole length). OSError when it has none."""
    size = path.stat().st_size
    if size > limits.DATA_FILE_BYTES.value():
        span = Span(file or str(path), 1, 1, 1, 2)
        raise refusal(limits.DATA_FILE_BYTES, f"文件有 {size:,} 字节", span)


def check_columns(count: int, span_of_first_over) -> None:
    """Refuse a header of more than CSV_COLUMNS names; ``span_of_first_over(index)`` is the
    place of the first name past the limit (only worked out when refusing)."""
    limit = limits.CSV_COLUMNS.value()
    if count > limit:
        raise refusal(limits.CSV_COLUMNS, f"表头有 {count:,} 列", span_of_first_over(limit))


def check_parquet_rows(rows: int, file: str) -> None:
    """Refuse a Parquet file whose footer declares more than DATA_ROWS rows, before any
    column is read (a repeated value compresses to nothing: 30 million rows in 200 KB)."""
    if rows > limits.DATA_ROWS.value():
        span = Span(file, 1, 1, 1, 2)
        raise refusal(limits.DATA_ROWS, f"文件尾声明有 {rows:,} 行", span)


def check_parquet_cells(rows: int, columns: int, file: str) -> None:
    """Refuse a Parquet file to be checked cell by cell (the row reader) whose footer
    declares more than PARQUET_CELLS cells."""
    cells = rows * columns
    if cells > limits.PARQUET_CELLS.value():
        span = Span(file, 1, 1, 1, 2)
        found = f"文件尾声明有 {rows:,} 行 × {columns:,} 列 = {cells:,} 个单元格"
        raise refusal(limits.PARQUET_CELLS, found, span)


def check_rows(rows: int, span: Span) -> None:
    """Refuse a table read row by row once it passes DATA_ROWS rows (``span``: that row)."""
    if rows > limits.DATA_ROWS.value():
        raise refusal(limits.DATA_ROWS, f"文件至少有 {rows:,} 行", span)
