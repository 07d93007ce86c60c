"""Where a value stands in a file the columnar reader read (columnar.py keeps no positions:
a warning that names one value, or an unknown name, finds its place again here).

A CSV file read by columns has no line breaks inside cells (the columnar reader refuses
them), so each line is one record and a cell's character columns can be told; a Parquet
file has no lines: its rows are counted from the header as line 1.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from kaohe_rules.read.arrow_numpy import text_array, text_scalar, to_numpy
from kaohe_rules.read.csv import field_columns
from kaohe_rules.records import data_record
from kaohe_rules.source import Span


@data_record(frozen=False)
class FastFile:
    """A file read by columns: where its header is, to find a value's line again if needed."""

    path: Path
    header_line: int
    unit_column: str
    wide: bool = False  # one row per unit and a column per name, not 编号, 指标, 值


def locate(fast: FastFile, unit_id: str, unit_name: str, name: str) -> Span | None:
    """The place of the (unit, indicator) row's 值 cell (a wide file's: the unit's row,
    the name's column), found again by reading the file."""
    if fast.wide:
        return _wide_cell(fast, unit_id, unit_name, name)
    if fast.path.suffix.lower() == ".parquet":
        return _parquet_row(fast, unit_id, unit_name, name)
    with open(fast.path, encoding="utf-8-sig", newline="") as stream:
        header: list[str] | None = None
        for line, raw in enumerate(stream, 1):
            record = next(csv.reader([raw]), [])
            if header is None:
                if record and not record[0].startswith("#"):
                    header = [cell.strip() for cell in record]
                    unit, indicator = header.index(fast.unit_column), header.index("指标")
                continue
            if (
                len(record) == len(header)
                and record[indicator].strip() == name
                and record[unit].strip() in (unit_id, unit_name)
            ):
                raw = raw.rstrip("\n")
                start, end = field_columns(raw, len(header))[header.index("值")]
                return Span(str(fast.path), line, start, line, end)
    return None


def _wide_cell(fast: FastFile, unit_id: str, unit_name: str, name: str) -> Span | None:
    if fast.path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        names = pq.read_schema(fast.path).names
        units = pq.read_table(fast.path, columns=[fast.unit_column]).column(0).cast(pa.string())
        hit = pc.is_in(units, value_set=text_array([unit_id, unit_name]))
        found = np.flatnonzero(to_numpy(hit))
        if not len(found) or name not in names:
            return None
        line, col = fast.header_line + 1 + int(found[0]), names.index(name) + 1
        return Span(str(fast.path), line, col, line, col + 1)
    with open(fast.path, encoding="utf-8-sig", newline="") as stream:
        header: list[str] | None = None
        for line, raw in enumerate(stream, 1):
            if line < fast.header_line:
                continue
            record = next(csv.reader([raw]), [])
            if header is None:
                header = [cell.strip() for cell in record]
                if name not in header:
                    return None
                unit, at = header.index(fast.unit_column), header.index(name)
                continue
            if len(record) == len(header) and record[unit].strip() in (unit_id, unit_name):
                start, end = field_columns(raw.rstrip("\n"), len(header))[at]
                return Span(str(fast.path), line, start, line, end)
    return None


def _parquet_row(fast: FastFile, unit_id: str, unit_name: str, name: str) -> Span | None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(fast.path, columns=[fast.unit_column, "指标"])
    units = table.column(fast.unit_column).cast(pa.string())
    hit = pc.and_(
        pc.is_in(units, value_set=text_array([unit_id, unit_name])),
        pc.equal(table.column("指标").cast(pa.string()), text_scalar(name)),
    )
    found = np.flatnonzero(to_numpy(hit))
    if not len(found):
        return None
    line = fast.header_line + 1 + int(found[0])
    return Span(str(fast.path), line, 1, line, 2)


def first_places(path: Path, header_line: int, names: set[str]) -> dict[str, Span]:
    """Where each of ``names`` first stands in the 指标 column of a long-format CSV file
    the columnar reader read, at the character column the row reader would give."""
    found: dict[str, Span] = {}
    pending = set(names)  # only lines that may name one not yet found are parsed
    with open(path, encoding="utf-8-sig", newline="") as stream:
        header: list[str] | None = None
        for number, raw in enumerate(stream, 1):
            if number < header_line:
                continue
            raw = raw.rstrip("\n")
            if header is None:
                header = [cell.strip() for cell in next(csv.reader([raw]), [])]
                at = header.index("指标")
                continue
            # A cheap look for a few names; for many, parsing each line is linear, this is not.
            if len(pending) <= 16 and not any(n in raw for n in pending):
                continue
            record = next(csv.reader([raw]), [])
            if len(record) != len(header):
                continue
            name = record[at].strip()
            if name in pending:
                start, end = field_columns(raw, len(header))[at]
                found[name] = Span(str(path), number, start, number, end)
                pending.discard(name)
                if not pending:
                    break
    return found


def parquet_places(path: Path, header_line: int, wanted: set[str]) -> dict[str, Span]:
    """The first row naming each of ``wanted``: rows counted from the header as line 1, the
    指标 column's position as the column (what the row reader gives a Parquet file)."""
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    column = pq.read_table(path, columns=["指标"]).column("指标").to_pylist()
    at = names.index("指标") + 1
    found = {}
    for index, name in enumerate(column):
        if name in wanted and name not in found:
            line = header_line + 1 + index
            found[name] = Span(str(path), line, at, line, at + 1)
    return found
