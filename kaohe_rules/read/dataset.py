"""The DataSet: a year's values as the engine consumes them, and the names they may have.

The readers (rows.py row by row, columnar.py by columns) fill it; scoring reads it by
columns, a domain's units at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.dsl.codes import factorize, first_of_each
from kaohe_rules.dsl.types import NUMBER, TEXT, Type
from kaohe_rules.read import places
from kaohe_rules.read.cells import Placed
from kaohe_rules.read.places import FastFile
from kaohe_rules.records import data_record
from kaohe_rules.source import Span


class UnitRows(Mapping[str, int]):
    """Each unit id's position in the columns (DataSet.row), from the ids in column order.

    A dict of a million ids took 0.4 s to build, and the readers by columns never look
    an id up in it (they find every row's unit in one pass, arrow_values.UnitIndex): it
    is built the first time an id is looked up."""

    def __init__(self, placed: Sequence[str]) -> None:
        self.placed = placed  # the unit id at each column position
        self._at: dict[str, int] | None = None

    def _lookup(self) -> dict[str, int]:
        if self._at is None:
            self._at = dict(zip(self.placed, range(len(self.placed)), strict=True))
        return self._at

    def __getitem__(self, unit_id: str) -> int:
        return self._lookup()[unit_id]

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return iter(self.placed)

    def __len__(self) -> int:
        return len(self.placed)


@data_record(frozen=False)
class DataSet:
    """The year's values as columns, earlier results, and their files.

    Numbers and truth values are float64 columns (NaN: no value), text is an
    object column (None: no value); ``row[unit_id]`` is a unit's position in them.
    The columns hold each domain's units together (``order``), so that a domain's
    values are a slice of each column, copied in one go, not gathered unit by unit.
    """

    row: Mapping[str, int]  # UnitRows, or a dict
    # The roster position of the unit at each column position; None: roster order.
    order: np.ndarray | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    present: np.ndarray | None = None  # units that have at least one value
    history: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    where: dict[tuple[str, str], Placed] = field(default_factory=dict)  # (unit id, name) → cell
    fast_files: list[FastFile] = field(default_factory=list)  # files read by columns
    ignored: dict[str, int] = field(default_factory=dict)  # 未知数据: 忽略 — name → values
    # 记录汇总: name → what each aggregation took for each unit (read/records/aggregate.py)
    records: dict[str, object] = field(default_factory=dict)
    # Each of ``files`` with its resolved path and SHA-256 as read (recorded_digest).
    digests: dict[Path, tuple[Path, str]] = field(default_factory=dict, repr=False)
    # Record files read under a --records-root (records/source.RemoteFile): fingerprinted
    # by their listing (length, modification time, checksum), not by a SHA-256.
    remote_files: list = field(default_factory=list)
    # The number columns as rows of one array (consolidate), and each one's row.
    matrix: np.ndarray | None = field(default=None, repr=False)
    matrix_row: dict[str, int] = field(default_factory=dict, repr=False)
    _positions: dict = field(default_factory=dict, repr=False)  # id(rows) -> (rows, found)
    _column_of: np.ndarray | None = field(default=None, repr=False)  # inverse of order

    def locate(self, unit: m.Unit, name: str) -> Span | None:
        """Where the value of ``name`` for ``unit`` was given (a file read by columns keeps
        no positions: it is searched again, which only a warning ever needs)."""
        cell = self.where.get((unit.id, name))
        found = None if cell is None else cell.span
        if found is None:
            for fast in self.fast_files:
                found = places.locate(fast, unit.id, unit.name, name)
                if found is not None:
                    break
        return found

    @classmethod
    def empty(cls, ruleset: m.RuleSet) -> DataSet:
        """No values yet for the roster's units, laid out domain by domain."""
        ids = m.roster_column(ruleset.units, "编号")
        codes = {d.name: i for i, d in enumerate(ruleset.domains)}
        domains = np.asarray(m.roster_column(ruleset.units, "领域"), dtype=object)
        found = factorize(domains)  # a million units name a few domains: look up those
        known = [codes.get(name, len(codes)) for name in domains[first_of_each(found)].tolist()]
        key = np.array([*known, len(codes)], dtype=np.int64)[found]  # -1: no domain, last
        order: np.ndarray | None = np.argsort(key, kind="stable")  # roster order within
        if len(key) == 0 or np.all(key[:-1] <= key[1:]):
            order = None  # a roster listed domain by domain, as most are: nothing to move
        placed = ids if order is None else np.asarray(ids, dtype=object)[order]
        row = UnitRows(placed)
        return cls(row, order=order, present=np.zeros(len(row), dtype=bool))

    def consolidate(self, ruleset: m.RuleSet) -> None:
        """Move the number columns into rows of one names x units array, each domain's
        indicators in adjacent rows in file order: the values of indicators scored
        together (batch.py) for a domain's units are then a view of it, not a copy.
        Column by column, so memory never holds the values twice."""
        indicators = (i.id for d in ruleset.scored() for i in d.all_indicators())
        names = [
            name
            for name in dict.fromkeys([*indicators, *self.columns])
            if name in self.columns and self.columns[name].dtype == np.float64
        ]
        if not names:
            return
        matrix = _rows_of_one(self.columns, names)
        if matrix is not None:  # a file read by columns filled one already: reorder it
            _reorder(matrix, [self.columns[name] for name in names])
            matrix = matrix[: len(names)]  # rows it kept spare, unused, stay behind
        else:
            matrix = np.empty((len(names), len(self.row)))
            for j, name in enumerate(names):
                matrix[j] = self.columns[name]
                self.columns[name] = matrix[j]  # the separate column is freed here
        for j, name in enumerate(names):
            self.columns[name] = matrix[j]
        self.matrix, self.matrix_row = matrix, {name: j for j, name in enumerate(names)}

    def positions(self, rows: np.ndarray) -> np.ndarray | slice:
        """Where the roster units at ``rows`` are in the columns: a slice when they lie
        together (a domain's units do), else their positions. Worked out once per rows."""
        cached = self._positions.get(id(rows))
        if cached is not None and cached[0] is rows:
            return cached[1]
        at = rows if self.order is None else self._inverse()[rows]
        found: np.ndarray | slice = at
        if len(at) and at[-1] - at[0] == len(at) - 1 and np.all(np.diff(at) == 1):
            found = slice(int(at[0]), int(at[-1]) + 1)
        self._positions[id(rows)] = (rows, found)
        return found

    def roster_rows(self, at: np.ndarray) -> np.ndarray:
        """The roster positions of the units at column positions ``at``."""
        return at if self.order is None else self.order[at]

    def _inverse(self) -> np.ndarray:
        if self._column_of is None:
            self._column_of = np.empty(len(self.order), dtype=np.int64)
            self._column_of[self.order] = np.arange(len(self.order))
        return self._column_of

    def column(self, name: str, kind: Type, rows: np.ndarray) -> np.ndarray:
        """The values of ``name`` for the units at ``rows`` (missing where none were given)."""
        found = self.columns.get(name)
        if found is not None:
            at = self.positions(rows)
            if isinstance(at, slice):  # a read-only view: the data set's own values
                view = found[at]
                view.flags.writeable = False
                return view
            return found[at]
        if kind == TEXT:
            return np.full(len(rows), None, dtype=object)
        return np.full(len(rows), np.nan)

    def set(self, name: str, kind: Type, unit_id: str, value: object) -> None:
        """Record one value."""
        column = self.columns.get(name)
        if column is None:
            size = len(self.row)
            column = np.full(size, None, dtype=object) if kind == TEXT else np.full(size, np.nan)
            self.columns[name] = column
        index = self.row[unit_id]
        # a number nearly always: known by identity, without a call to Type.__eq__
        column[index] = float(value) if kind is NUMBER or kind != TEXT else value
        self.present[index] = True


def _rows_of_one(columns: dict[str, np.ndarray], names: list[str]) -> np.ndarray | None:
    """The matrix whose rows are exactly the ``names`` columns (what columnar_long fills),
    or None: copying it into a new one would hold the values twice."""
    base = columns[names[0]].base
    if not isinstance(base, np.ndarray) or base.ndim != 2 or len(base) < len(names):
        return None
    if not base.flags.c_contiguous:
        return None
    rows = {_row_index(base, columns[name]) for name in names}
    return base if None not in rows and len(rows) == len(names) else None


def _row_index(base: np.ndarray, column: np.ndarray) -> int | None:
    if column.base is not base or column.ndim != 1 or column.strides != (base.strides[1],):
        return None
    offset = column.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    row, rest = divmod(offset, base.strides[0])
    return row if rest == 0 and len(column) == base.shape[1] else None


def _reorder(matrix: np.ndarray, columns: list[np.ndarray]) -> None:
    """Move the rows of ``matrix`` in place so that row j holds ``columns[j]`` (each a row of
    it now; rows of no column go after them), one row at a time through a spare: a
    permutation's cycles."""
    source = [_row_index(matrix, column) for column in columns]  # row j comes from source[j]
    taken = set(source)
    source += [row for row in range(len(matrix)) if row not in taken]
    done = [False] * len(source)
    for start in range(len(source)):
        if done[start] or source[start] == start:
            done[start] = True
            continue
        spare = matrix[start].copy()
        j = start
        while True:
            done[j] = True
            k = source[j]
            if k == start:
                matrix[j] = spare
                break
            matrix[j] = matrix[k]
            j = k


def expected_names(ruleset: m.RuleSet) -> dict[str, Type]:
    """Every name a data file may give a value for: indicators and data items."""
    names: dict[str, Type] = {}
    for domain in ruleset.scored():
        for item in domain.data_items:
            names[item.name] = item.type
        for indicator in domain.all_indicators():
            names[indicator.id] = NUMBER
    for item in ruleset.data_items:
        names[item.name] = item.type
    return names
