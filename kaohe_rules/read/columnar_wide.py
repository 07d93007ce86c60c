"""Wide files (编号 and a column per indicator or data item: one row per unit) read by
columns: a million units' 40 values in one pass of pyarrow, each column judged whole.

Numbers, 是/否 items and text items with or without 取值 are taken as the row reader takes
them (arrow_values.py); a file with anything else to judge — a cell that is not clean, a
unit given twice — is declined, storing nothing, and the row reader reads it and says
where. An unknown column is reported here, at its header cell as the row reader reports
it (KH302), once the rest of the file has proved clean: declined, a wide Parquet file of a
million units would meet the row reader's cell limit (KH330) before its column names. A
clean file has at most one row per roster unit: more rows are declined before they are
held, so memory is bounded by the roster.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kaohe_rules.dsl.types import BOOL, TEXT
from kaohe_rules.read.arrow_values import UnitIndex, choices, numbers, outside, truths
from kaohe_rules.read.cells import DESCRIPTIVE, UNIT_COLUMNS
from kaohe_rules.read.csv import field_columns
from kaohe_rules.source import Span


class Wide:
    """One wide file being read: which columns are stored, which are unknown."""

    def __init__(self, path: Path, header_line: int, header: list[str], unit_column, reader):
        self.path, self.header_line, self.header = path, header_line, header
        self.unit_column, self.reader = unit_column, reader
        for name in header:  # a wide file's columns may be a family's members
            reader.kind(name)
        self.stored = [n for n in header if n in reader.names]
        self.unknown = [
            n
            for n in header
            if not reader.lenient
            and n not in UNIT_COLUMNS
            and n not in DESCRIPTIVE
            and n not in reader.names
        ]

    def store(self, batches_of) -> bool:
        """Check and store the file (``batches_of(columns)``: its record batches holding
        those columns); False, storing nothing, when the row reader must read it."""
        if any(n in UNIT_COLUMNS for n in self.stored):
            return False  # a unit column that is also a data name: the row reader decides
        table = self._table(batches_of)
        if table is None:
            return False
        at = UnitIndex(self.reader).positions(table.column(self.unit_column))
        # positions into the roster: a count per position finds a repeat in one pass
        if at is None or (
            len(at) and np.bincount(at, minlength=len(self.reader.data.row)).max() > 1
        ):
            return False  # an unknown or repeated unit: the row reader says which and where
        fresh = {}
        for name in self.stored:
            values = self._values(name, table.column(name))
            if values is None:
                return False
            fresh[name] = values
            table = table.drop_columns([name])  # its buffers go as its values are taken
        # under 报错 the count is not shown (KH302 is an error at the header): not read
        refused = self.reader.unknown.refused
        counts = [0 if refused else self._given(table.column(name)) for name in self.unknown]
        del table
        columns = self._placed(fresh, at)
        if columns is None:
            return False
        self._merge(columns)
        places = self._header_places()
        for index, name in enumerate(self.unknown):
            self._report(name, counts[index], places[name])
        return True

    def _table(self, batches_of):
        """The file's wanted columns as one table; None past one row per roster unit."""
        import pyarrow as pa

        counted = [] if self.reader.unknown.refused else self.unknown
        wanted = [self.unit_column, *self.stored, *counted]
        most = len(self.reader.data.row)
        batches, rows = [], 0
        for batch in batches_of(wanted):
            rows += batch.num_rows
            if rows > most:
                return None  # a unit given twice or unknown: never held whole
            batches.append(batch)
        if not rows:
            return None
        return pa.Table.from_batches(batches)

    def _values(self, name: str, column) -> np.ndarray | None:
        """One column as the row reader would store it (float64, or objects for text)."""
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        kind = self.reader.names[name]
        item = self.reader.items.get(name)
        if kind == TEXT:
            return choices(column, item.choices if item is not None else None)
        if kind == BOOL:
            return truths(column)
        values = numbers(column)
        if values is not None and item is not None and outside(values, item.minimum, item.maximum):
            return None  # KH305 from the row reader
        return values

    def _placed(self, fresh: dict, at: np.ndarray) -> dict | None:
        """Each column at the units' positions; None when one gives a value another file
        already gave (KH303 from the row reader)."""
        size = len(self.reader.data.row)
        out = {}
        for name in list(fresh):
            values = fresh.pop(name)
            text = values.dtype == object
            column = np.full(size, None, dtype=object) if text else np.full(size, np.nan)
            column[at] = values
            given = self.reader.data.columns.get(name)
            if given is not None and (_filled(given) & _filled(column)).any():
                return None
            out[name] = column
        return out

    def _merge(self, columns: dict) -> None:
        data = self.reader.data
        for name, column in columns.items():
            filled = _filled(column)
            if not filled.any():
                continue  # the row reader makes no column of empty cells (KH318 sees that)
            given = data.columns.get(name)
            if given is None:
                data.columns[name] = column
            else:
                given[filled] = column[filled]
            data.present |= filled

    @staticmethod
    def _given(column) -> int:
        """The non-empty cells of an unknown column, as the row reader counts them."""
        return sum(1 for value in column.to_pylist() if value is not None and str(value).strip())

    def _header_places(self) -> dict[str, Span]:
        """Each column name's header cell, as the row reader places it (the first, for a
        name given twice): worked out once, not per unknown column (200,000 of them)."""
        line = self.header_line
        if self.path.suffix.lower() == ".parquet":
            spans = [(col + 1, col + 2) for col in range(len(self.header))]
        else:
            spans = field_columns(_raw_line(self.path, line), len(self.header))
        places: dict[str, Span] = {}
        for name, (start, end) in zip(self.header, spans, strict=False):
            places.setdefault(name, Span(str(self.path), line, start, line, end))
        return places

    def _report(self, name: str, given: int, span: Span) -> None:
        """An unknown column (an error under 未知数据: 报错, else counted for a warning or
        the summary), at its header cell."""
        hint = self.reader.unknown.hint(name, self.reader.names)
        self.reader.unknown.seen(name, span, hint, given)


def _filled(column: np.ndarray) -> np.ndarray:
    if column.dtype == object:
        return np.not_equal(column, None)
    return ~np.isnan(column)


def _raw_line(path: Path, number: int) -> str:
    """Line ``number`` of a UTF-8 file as the row reader keeps it (BOM and newline gone)."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        for index, raw in enumerate(stream, 1):
            if index == number:
                return raw.rstrip("\n")
    return ""
