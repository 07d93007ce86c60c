"""Arrow columns judged as the row reader judges cells, a whole column at a time: unit ids
to column positions, numbers, yes/no, choices. Each answers None where the row reader must
look at a cell itself (and then reports it at its place); the columnar readers decline the
file at the first None.

``reader`` below is the row reader (rows.RowReader), as in columnar.py.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules.read.arrow_numpy import text_array, text_scalar, to_numpy, truth_scalar
from kaohe_rules.read.cells import FALSE_TEXTS, TRUE_TEXTS
from kaohe_rules.read.id_keys import Keys

# Beyond this magnitude the row reader refuses a number (KH304): cells.parse_number.
LARGEST = 1e300


class UnitIndex:
    """The roster's ids as an Arrow array, to find each row's unit with one hash lookup
    (pyarrow's index_in): ids of one width as integer keys (id_keys.py), any others as
    strings, each hashed once, never encoded into a dictionary first."""

    def __init__(self, reader) -> None:

        self.reader = reader
        row = reader.data.row
        placed = getattr(row, "placed", None)  # UnitRows: ids in column order
        self.ids = text_array(list(row) if placed is None else placed)
        self.keys = Keys(self.ids)
        at = None if placed is not None else np.fromiter(row.values(), np.int64, len(row))
        self.at = None if at is None or np.array_equal(at, np.arange(len(at))) else at

    def positions(self, column) -> np.ndarray | None:
        """Each row's column position (DataSet.row) for a column of ids or unique unit
        names; None when one is missing, unknown, padded or ambiguous."""
        import pyarrow as pa
        import pyarrow.compute as pc

        column = _as_text(column)
        if column is None:
            return None
        index = self.keys.positions(column)
        if index is not None:
            return index if self.at is None else self.at[index]
        found = pc.index_in(column, value_set=self.ids)
        if found.null_count:
            found = self._by_name(column, found)
            if found is None:
                return None
        if isinstance(found, pa.ChunkedArray):
            found = found.combine_chunks()
        index = to_numpy(found)  # int32: half the memory of int64
        return index if self.at is None else self.at[index]

    def _by_name(self, column, found):
        """Rows that name their unit (most files give ids): each distinct name must be one
        unit's, as the row reader requires (KH309 otherwise)."""
        import pyarrow.compute as pc

        missing = pc.unique(pc.filter(column, pc.is_null(found)))
        texts = missing.to_pylist()
        if len(texts) > 10_000 or any(t is None for t in texts):
            return None  # an empty id, or a roster of names: the row reader says which
        ids = []
        for text in texts:
            named = self.reader.by_name.get(text, ())
            if len(named) != 1:
                return None
            ids.append(named[0].id)
        # rows with an id keep it; the others take their name's unit (coalesce)
        named_at = pc.index_in(text_array(ids), value_set=self.ids)
        code = pc.fill_null(pc.index_in(column, value_set=missing), 0)
        return pc.coalesce(found, pc.take(named_at, code))


def _as_text(column):
    """Ids as Arrow text: strings as they are, whole numbers as their digits (what the row
    reader makes of a number cell); None for any other type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, kind.value_type)
        kind = kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column
    if pa.types.is_integer(kind):
        return pc.cast(column, pa.string())
    return None


def numbers(chunk) -> np.ndarray | None:
    """A column as float64 (NaN: empty); None when the row reader must read the file:
    text that is not a plain number, a written "nan", a value beyond what the row reader
    accepts, a type it would read as something else."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if pa.types.is_dictionary(chunk.type):
            chunk = pc.cast(chunk, chunk.type.value_type)
        if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
            chunk = _plain_text(chunk)
            if chunk is None:
                return None
            chunk = pc.cast(chunk, pa.float64())
        elif not (pa.types.is_floating(chunk.type) or pa.types.is_integer(chunk.type)):
            return None
        values = to_numpy(chunk).astype(np.float64, copy=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # "12.5%", "1,234" or a typo: the row reader reads or reports it
    if np.count_nonzero(np.isnan(values)) != chunk.null_count:
        return None  # a "nan" written in the file is not an empty cell
    if len(values) > chunk.null_count and (
        np.nanmax(values) >= LARGEST or np.nanmin(values) <= -LARGEST
    ):
        return None  # out of the range the row reader accepts (KH304 there)
    return values


def _plain_text(chunk):
    """Text cells with empty ones as nulls; None when a cell is padded (the row reader
    trims it, and judges what is left)."""
    import pyarrow.compute as pc

    stripped = pc.utf8_trim_whitespace(chunk)
    if pc.any(pc.not_equal(stripped, chunk)).as_py():
        return None
    return pc.if_else(pc.equal(chunk, text_scalar("")), text_scalar(None), chunk)


def truths(chunk) -> np.ndarray | None:
    """A yes/no column as float64 1/0 (NaN: empty), from the texts the row reader takes
    (是/否, true/false, 1/0) or a boolean column; None at anything else."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(chunk.type):
        chunk = pc.cast(chunk, chunk.type.value_type)
    if pa.types.is_boolean(chunk.type):  # the row reader reads True/False as 是/否
        empty = to_numpy(pc.is_null(chunk))
        values = to_numpy(pc.fill_null(chunk, truth_scalar(False)))
        return np.where(empty, np.nan, values.astype(np.float64))
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return None
    text = _plain_text(chunk)
    if text is None:
        return None
    yes = pc.is_in(text, value_set=text_array(sorted(TRUE_TEXTS)))
    no = pc.is_in(text, value_set=text_array(sorted(FALSE_TEXTS)))
    given = pc.is_valid(text)
    if not pc.all(pc.or_(pc.invert(given), pc.or_(yes, no))).as_py():
        return None  # a cell that is neither: KH304 from the row reader
    values = np.where(to_numpy(yes), 1.0, 0.0)
    return np.where(to_numpy(given), values, np.nan)


def choices(chunk, allowed: tuple[str, ...] | None) -> np.ndarray | None:
    """A text column as an object array of str (None: empty); None when a cell is padded,
    not text, or outside ``allowed`` (KH307 from the row reader)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(chunk.type):
        chunk = pc.cast(chunk, chunk.type.value_type)
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return None
    text = _plain_text(chunk)
    if text is None:
        return None
    if allowed:
        inside = pc.is_in(text, value_set=text_array(allowed))
        if not pc.all(pc.or_(pc.is_null(text), inside)).as_py():
            return None
    cells = text.to_pylist()
    if any(cell is not None and cell != cell.strip() for cell in cells):
        return None  # whitespace Python strips and Arrow does not: the row reader trims
    return np.array(cells, dtype=object)


def outside(values: np.ndarray, low: float | None, high: float | None) -> bool:
    """Whether a value is outside an item's range (KH305 from the row reader)."""
    given = values[~np.isnan(values)]
    return bool(
        (low is not None and (given < low).any()) or (high is not None and (given > high).any())
    )
