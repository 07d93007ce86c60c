"""Long-format files (编号, 指标, 值: one value a row) read by columns, a group of read
blocks at a time: millions of rows checked and stored with whole-column operations.

Each row's unit is found with one hash lookup of its id string in the roster's ids
(arrow_values.UnitIndex); 指标 gets each block's small dictionary, mapped to one list of
the file's names. Values gather into a fresh names x units matrix that joins the data set
only once the whole file has proved clean (columnar.py declines it otherwise, storing
nothing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kaohe_rules import limits
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.read.arrow_numpy import to_numpy
from kaohe_rules.read.arrow_values import UnitIndex, numbers
from kaohe_rules.read.files import release_arrow_memory
from kaohe_rules.read.places import first_places, parquet_places

# Rows looked up together. Two groups are what is held beyond the matrix; the lookup
# table is built once (id_keys.py), so smaller groups cost no more CPU (they did while
# pyarrow's index_in built the roster's hash table again for each group).
GROUP_ROWS = 1 << 20


def store(path: Path, header_line: int, unit_column: str, batches, reader) -> bool:
    """Check and store a long-format file given as record batches (unit, 指标, 值); False,
    storing nothing, at the first thing the row reader must judge (and report) itself.

    A group's ids are looked up on a second thread while the group before is checked and
    stored here (pyarrow and numpy let go of the GIL): two groups in flight at most."""
    from concurrent.futures import ThreadPoolExecutor

    filling = _Filling(reader)
    with ThreadPoolExecutor(max_workers=1) as lookups:
        pending = None
        for group in _groups(batches):
            if group is None:
                return False  # the row reader refuses the file, at the row past the limit
            found = lookups.submit(filling.units.positions, _column(group, unit_column))
            # 指标 and 值 become numpy now, while the ids are looked up: the group's text
            # goes, only its ids wait
            prepared = filling.prepare(group)
            del group
            if prepared is None or (pending is not None and not filling.add(*pending)):
                return False
            pending = (prepared, found)
            release_arrow_memory()  # the group stored: its blocks' memory back to the system
        if pending is None or not filling.add(*pending) or filling.clashes():
            return False
        if filling.out_of_range():
            return False  # the row reader says where (KH305)
    filling.merge()
    if filling.unknown_names():
        _unknown(path, header_line, filling, reader)
    return True


def _groups(batches):
    """The batches a group of about GROUP_ROWS rows at a time; None once the file has more
    rows than DATA_ROWS."""
    group: list = []
    rows, grouped, most = 0, 0, limits.DATA_ROWS.value()
    for batch in batches:
        group.append(batch)
        rows += batch.num_rows
        grouped += batch.num_rows
        if rows > most:
            yield None
            return
        if grouped >= GROUP_ROWS:
            yield group
            group, grouped = [], 0
    if group:
        yield group


def _column(group, name: str):
    import pyarrow as pa

    return pa.chunked_array([b.column(name) for b in group])


SPARE_ROWS = 8


class _Filling:
    """One file's values gathered group by group into a fresh names x units matrix (a row
    per name the file gives, in order of first appearance), which joins the data set only
    once the whole file has proved clean."""

    def __init__(self, reader) -> None:
        self.reader = reader
        self.units = UnitIndex(reader)
        self.size = len(reader.data.row)
        self.names: list[str] = []  # the file's names, in order of first appearance
        self.code: dict[str, int] = {}
        self.kinds: list = []
        self.low: list[float] = []
        self.high: list[float] = []
        self.row_of: list[int] = []  # each name's matrix row; -1: not stored
        self.matrix = np.empty((0, self.size))
        self.ready = 0  # the matrix's rows in use: each one a name's values or NaN
        self.present = np.zeros(self.size, dtype=bool)
        self.written = np.zeros(0, dtype=np.int64)  # values written per matrix row
        # rows naming each name and the values given (as the row reader counts them)
        self.named = np.zeros(0, dtype=np.int64)
        self.valued = np.zeros(0, dtype=np.int64)

    def prepare(self, group) -> list | None:
        """Each batch's (name codes, values); None at a cell the row reader must judge."""
        out = []
        for batch in group:
            codes = self._codes([batch.column("指标")])
            values = numbers(batch.column("值"))
            if codes is None or values is None:
                return None
            out.append((codes, values))
        return out

    def add(self, prepared: list, found) -> bool:
        """Store one group (``prepared``: its batches' codes and values; ``found``: its
        ids' lookup, pending); False at a row the row reader must judge. Batch by batch:
        numpy's temporaries stay a block's."""
        at = found.result()
        if at is None:
            return False
        start = 0
        for codes, values in prepared:
            end = start + len(codes)
            if not self._take(at[start:end], codes, values):
                return False
            start = end
        return True

    def _codes(self, chunks) -> np.ndarray | None:
        """The rows' names as codes into ``self.names`` (each block has its own dictionary
        of a few dozen strings); None for an empty or padded name, or an unknown one the
        row reader must refuse with a suggestion."""
        import pyarrow as pa
        import pyarrow.compute as pc

        out = []
        for chunk in chunks:
            if chunk.null_count:
                return None  # a row without an indicator
            if not pa.types.is_dictionary(chunk.type):
                chunk = pc.dictionary_encode(chunk)
            mapping = [self._name_code(s) for s in chunk.dictionary.to_pylist()]
            if any(code is None for code in mapping):
                return None
            indices = to_numpy(chunk.indices)
            out.append(np.asarray(mapping, dtype=np.int32)[indices])
        self._grow()
        return np.concatenate(out) if len(out) > 1 else out[0]

    def _name_code(self, name) -> int | None:
        found = self.code.get(name)
        if found is not None:
            return found
        if not isinstance(name, str) or name != name.strip():
            return None  # the row reader trims it and must judge what is left
        kind = self.reader.kind(name)
        if kind is None and self.reader.unknown.refused and not self.reader.lenient:
            return None  # an unknown indicator: the row reader suggests the right name
        if kind is not None and kind != NUMBER:
            return None  # text and yes/no items in long files: the row reader converts them
        item = self.reader.items.get(name) if kind is not None else None
        low = item.minimum if item is not None and item.minimum is not None else -np.inf
        high = item.maximum if item is not None and item.maximum is not None else np.inf
        self.code[name] = len(self.names)
        self.names.append(name)
        self.kinds.append(kind)
        self.low.append(low)
        self.high.append(high)
        self.row_of.append(-1 if kind is None else 1 + max(self.row_of, default=-1))
        return self.code[name]

    def _grow(self) -> None:
        """A matrix row for each stored name seen so far (most files name them all in
        their first block: one allocation)."""
        count = len(self.names)
        if len(self.named) < count:
            extra = count - len(self.named)
            self.named = np.concatenate([self.named, np.zeros(extra, dtype=np.int64)])
            self.valued = np.concatenate([self.valued, np.zeros(extra, dtype=np.int64)])
        rows = 1 + max(self.row_of, default=-1)
        if len(self.matrix) < rows:
            # A few spare rows: a name first met late in the file (a 一单位一策 indicator
            # of a few units) must not copy the whole matrix. Not a row for every name the
            # rules know: a lead unit's file gives a few of them, and several such files
            # would each hold rows for all.
            self._resize(rows + SPARE_ROWS)
            self.written = np.concatenate(
                [self.written, np.zeros(len(self.matrix) - len(self.written), dtype=np.int64)]
            )
        if self.ready < rows:  # rows taken now become empty (NaN); the spare ones wait
            self.matrix[self.ready : rows] = np.nan
            self.ready = rows

    def _resize(self, rows: int) -> None:
        """Room for ``rows`` rows; only those taken (``ready``) hold values or NaN, the rest
        are memory never touched, which the system does not back until a row is taken.
        Extended in place where the allocator can (a large block is remapped, not copied):
        copying a million units' matrix into a larger one held it twice, the peak of
        reading (400 + 450 MB at 1M)."""
        if not len(self.matrix):
            self.matrix = np.empty((rows, self.size))
            return
        try:
            # refcheck: refused while any view of the matrix lives (it would point at
            # freed memory); a copy is then the safe way
            self.matrix.resize((rows, self.size), refcheck=True)
        except ValueError:
            grown = np.empty((rows, self.size))
            grown[: self.ready] = self.matrix[: self.ready]
            self.matrix = grown

    def _take(self, at: np.ndarray, codes: np.ndarray, values: np.ndarray) -> bool:
        given = ~np.isnan(values)
        named = np.bincount(codes, minlength=len(self.names))
        self.named += named
        self.valued += named if given.all() else np.bincount(codes[given], minlength=len(named))
        row = np.asarray(self.row_of, dtype=np.int64)[codes]
        keep = given & (row >= 0)
        if not keep.all():
            row, at, values = row[keep], at[keep], values[keep]
        # one scatter into the matrix, whatever the names: a name's cell is row * units + at
        self.matrix.reshape(-1)[row * self.size + at] = values
        self.present[at] = True
        self.written += np.bincount(row, minlength=len(self.matrix))
        return True

    def out_of_range(self) -> bool:
        """Whether a value is outside its item's range (KH305 from the row reader). Looked
        at once the file is read, on the matrix rows of the few names with a range, not on
        every row of the file: a file with no value given twice (clashes) holds each value
        it gives there."""
        for code, row in enumerate(self.row_of):
            low, high = self.low[code], self.high[code]
            if row < 0 or (np.isinf(low) and np.isinf(high)) or not self.written[row]:
                continue
            values = self.matrix[row]
            if np.nanmin(values) < low or np.nanmax(values) > high:
                return True
        return False

    def clashes(self) -> bool:
        """Whether a cell was written twice, by this file or by one read before (the row
        reader then says where)."""
        for code, name in enumerate(self.names):
            row = self.row_of[code]
            if row < 0:
                continue
            filled = ~np.isnan(self.matrix[row])
            if np.count_nonzero(filled) != self.written[row]:
                return True  # two rows wrote one cell: a value given twice
            given = self.reader.data.columns.get(name)
            if given is not None and (~np.isnan(given[filled])).any():
                return True  # already given by another file
        return False

    def merge(self) -> None:
        """Store the fresh columns in the data set: the matrix's rows, as views (DataSet.
        consolidate then keeps the matrix rather than copying it)."""
        data = self.reader.data
        for code, name in enumerate(self.names):
            row = self.row_of[code]
            if row < 0 or not self.written[row]:
                continue
            column = self.matrix[row]
            given = data.columns.get(name)
            if given is None:
                data.columns[name] = column
            else:
                filled = ~np.isnan(column)
                given[filled] = column[filled]
        data.present |= self.present

    def unknown_names(self) -> list[int]:
        """The codes of names the rule set does not know (under 未知数据: 警告 or 忽略)."""
        if self.reader.lenient:
            return []
        return [code for code, kind in enumerate(self.kinds) if kind is None]


def _unknown(path: Path, header_line: int, filling: _Filling, reader) -> None:
    """Names the rule set does not know, reported as the row reader reports them: at their
    first row, with the count of values they give."""
    from kaohe_rules.source import Span

    names, unknown = filling.names, filling.unknown_names()
    if reader.unknown.policy != "警告":
        places = {}  # nothing will be shown at a place: no need to find one
    elif path.suffix.lower() == ".parquet":
        places = parquet_places(path, header_line, {names[code] for code in unknown})
    else:
        places = first_places(path, header_line, {names[code] for code in unknown})
    nowhere = Span(str(path), header_line, 1, header_line, 2)  # not found again: the header
    for code in sorted(unknown, key=lambda c: (places.get(names[c], nowhere).line, names[c])):
        name = names[code]
        hint = reader.unknown.hint(name, reader.names)
        reader.unknown.seen(name, places.get(name, nowhere), hint, int(filling.valued[code]))
