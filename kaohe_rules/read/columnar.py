"""Long-format data files read as columns: millions of (unit, indicator, value) rows at once.

The row reader (rows.py) checks every cell and says where a problem is; it is the
reference. This reader takes only files it can prove clean with whole-column operations
(pyarrow reads the file; unit and indicator ids are encoded once through the file's
dictionary of distinct strings, not looked up row by row), and declines anything else, so
the row reader then reads that file and reports its problems exactly where they are. For a
clean file both readers store the same values.

``reader`` below is the row reader (rows.RowReader): its data set, the names it knows and
its policy for unknown ones; this module does not import it, the row reader is above.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kaohe_rules import limits
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.read.cells import UNIT_COLUMNS
from kaohe_rules.read.files import leading_comments, release_arrow_memory
from kaohe_rules.read.places import FastFile, first_places, parquet_places

# Files smaller than this go to the row reader: importing pyarrow costs more than it saves.
MIN_BYTES = 4 * 1024 * 1024
SERIAL_BYTES = 256 * 1024 * 1024
VALUE_COLUMNS = ("指标", "值")


def try_read(path: Path, reader, encoding: str | None) -> bool:
    """Read ``path`` into ``reader.data`` if it is a clean long-format file; False (nothing
    stored) when the row reader should read it instead."""
    suffix = path.suffix.lower()
    if suffix == ".csv" and (encoding not in (None, "utf-8", "utf-8-sig", "utf8")):
        return False
    if suffix == ".csv" and path.stat().st_size < MIN_BYTES:
        return False
    if suffix not in (".csv", ".parquet"):
        return False
    stored = _store(path, reader)
    release_arrow_memory()  # _store's columns are gone by now
    if stored is None:
        return False
    reader.data.fast_files.append(FastFile(path, *stored))
    return True


def _columns(path: Path):
    """The file's header line, its unit column's name, and its unit ids, indicator names
    (both as _unified gives them) and 值 column; None when the row reader must read it."""
    table, header_line = _table(path)
    if table is None or table.num_rows == 0:
        return None
    columns = table.column_names
    if any(name != name.strip() for name in columns):
        return None  # a padded header: the row reader trims it, and must pick the columns
    if len(set(columns)) != len(columns) or not set(VALUE_COLUMNS) <= set(columns):
        return None
    unit_column = next((c for c in UNIT_COLUMNS if c in columns), None)
    if unit_column is None:
        return None
    units = _unified(table.column(unit_column))
    names = _unified(table.column("指标"))
    if units is None or names is None:
        return None
    return header_line, unit_column, units, names, table.column("值")


def _table(path: Path):
    """The file as a pyarrow table of strings (None when pyarrow cannot read it plainly),
    and the line of its header."""
    import pyarrow as pa

    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            footer = pq.read_metadata(path)
            names = footer.schema.names
            too_many = footer.num_rows > limits.DATA_ROWS.value()
            if len(names) > limits.CSV_COLUMNS.value() or too_many:
                return None, 0  # read_parquet refuses it, naming the limit
            if not set(VALUE_COLUMNS) <= set(names):
                return None, 0  # not long form: never read whole only to be declined
            # 指标 read as Parquet's dictionaries (a few dozen strings each); unit ids as
            # text, encoded once over the whole column: a dictionary per row group of a
            # million ids each would cost far more to unify.
            wanted = [n for n in ("指标",) if n in names]
            return pq.read_table(path, read_dictionary=wanted), 1
        return _csv_table(path)
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError):
        return None, 0


def _csv_table(path: Path):
    """A CSV file through pyarrow: ids dictionary-encoded, 值 parsed as numbers."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    skip, header_line, header = _comment_lines(path)
    if skip is None or len(header) > limits.CSV_COLUMNS.value():
        return None, 0  # the row reader says what is wrong (too wide: before any column)
    # Parsing blocks in parallel holds several in flight: above SERIAL_BYTES (a million
    # units' values) one thread parses, a few seconds slower and ~240 MB lighter.
    threads = path.stat().st_size < SERIAL_BYTES
    options = pcsv.ReadOptions(skip_rows=skip, block_size=64 << 20, use_threads=threads)
    types = {name: pa.string() for name in header}
    for name in (*UNIT_COLUMNS, "指标"):
        if name in types:
            types[name] = pa.dictionary(pa.int32(), pa.string())
    if "值" in types:
        # Parsed as numbers while reading; a cell that is not a plain number ("12.5%",
        # "1,234", a typo) fails the read and the row reader takes the file.
        types["值"] = pa.float64()
    convert = pcsv.ConvertOptions(column_types=types, strings_can_be_null=True, null_values=[""])
    parse = pcsv.ParseOptions(newlines_in_values=False)
    return pcsv.read_csv(path, options, parse, convert), header_line


def _comment_lines(path: Path) -> tuple[int | None, int, list[str]]:
    """How many leading comment lines to skip, the header's line number and its column
    names (None when the header cannot be read plainly)."""
    import csv

    skip, header = leading_comments(path)
    if header is None:
        return None, 0, []
    try:
        names = next(csv.reader([header.decode("utf-8").rstrip("\r\n")]))
    except (UnicodeDecodeError, csv.Error):  # not plain: the row reader says what is wrong
        return None, 0, []
    return skip, skip + 1, names


def _store(path: Path, reader) -> tuple[int, str] | None:
    """Check the file with whole-column operations, then store its values; the header's
    line and the unit column's name, or None, storing nothing, at the first thing the row
    reader must judge (and report) itself.

    The columns are taken a chunk (one read block) at a time, the ids sharing one
    dictionary: a million units' rows are never copied whole."""
    found = _columns(path)  # the table it read is gone once this returns
    release_arrow_memory()  # give its memory back before numpy asks for the columns'
    if found is None:
        return None
    header_line, unit_column, units, names, raw = found
    del found
    unit_ids, unit_values = units
    name_column, name_values = names
    positions = _unit_positions(unit_values, reader)
    if positions is None:
        return None
    known = [reader.kind(name) for name in name_values]
    keep = _kept(known, reader)
    if keep is None:
        return None
    filling = _Filling(reader, name_values, known, keep, positions)
    chunks = zip(
        unit_ids.chunks, _aligned(name_column, unit_ids), _aligned(raw, unit_ids), strict=True
    )
    if not all(filling.add(*chunk) for chunk in chunks) or filling.clashes():
        return None
    filling.merge()
    if filling.unknown:
        counts = (filling.named, filling.valued)
        _unknown(path, header_line, name_values, known, counts, reader)
    return header_line, unit_column


def _kept(known: list, reader) -> np.ndarray | None:
    """Which names' rows are stored (by code); None when the row reader must read the file."""
    if reader.lenient or not reader.unknown.refused:
        keep = np.array([kind is not None for kind in known], dtype=bool)
    else:
        keep = np.ones(len(known), dtype=bool)
        if any(kind is None for kind in known):
            return None  # an unknown indicator: the row reader suggests the right name
    if any(kind is not None and kind != NUMBER for kind in known):
        return None  # text and yes/no items: converted and checked by the row reader
    return keep


class _Filling:
    """One file's values gathered chunk by chunk into fresh columns, one per name, which
    join the data set only once the whole file has proved clean."""

    def __init__(self, reader, names: list[str], known: list, keep, positions) -> None:
        self.reader, self.names, self.known = reader, names, known
        self.keep, self.positions = keep, positions
        self.size = len(reader.data.row)
        self.fresh: dict[str, np.ndarray] = {}
        self.present = np.zeros(self.size, dtype=bool)
        self.written = np.zeros(len(names), dtype=np.int64)
        # rows naming each name, and the values given (as the row reader counts them), for
        # the names 未知数据 allows
        self.unknown = not reader.lenient and any(kind is None for kind in known)
        self.named = np.zeros(len(names), dtype=np.int64)
        self.valued = np.zeros(len(names), dtype=np.int64)

    def add(self, unit_chunk, name_chunk, value_chunk) -> bool:
        """Take one chunk of rows; False at a row the row reader must judge."""
        if unit_chunk.null_count or name_chunk.null_count:
            return False  # a row without a unit or an indicator
        values = _numbers(value_chunk)
        if values is None:
            return False
        unit_codes = unit_chunk.indices.to_numpy(zero_copy_only=False)
        name_codes = name_chunk.indices.to_numpy(zero_copy_only=False)
        rows = self.keep[name_codes] & ~np.isnan(values)
        if self.unknown:
            self.named += np.bincount(name_codes, minlength=len(self.names))
            self.valued += np.bincount(name_codes[~np.isnan(values)], minlength=len(self.names))
        if not _in_range(self.names, self.known, name_codes, values, rows, self.reader):
            return False
        for code in np.flatnonzero(self.keep):
            # One pass over the codes per indicator: a sort would index every row.
            mine = np.flatnonzero((name_codes == code) & rows)
            if len(mine):
                self._write(code, self.positions[unit_codes[mine]], values[mine])
        return True

    def _write(self, code: int, at: np.ndarray, values: np.ndarray) -> None:
        name = self.names[code]
        column = self.fresh.get(name)
        if column is None:
            column = self.fresh[name] = np.full(self.size, np.nan)
        column[at] = values
        self.present[at] = True
        self.written[code] += len(at)

    def clashes(self) -> bool:
        """Whether a cell was written twice, by this file or by one read before."""
        for code, name in enumerate(self.names):
            column = self.fresh.get(name)
            if column is None:
                continue
            filled = ~np.isnan(column)
            if np.count_nonzero(filled) != self.written[code]:
                return (
                    True  # two rows wrote one cell: a value given twice, the row reader says where
                )
            given = self.reader.data.columns.get(name)
            if given is not None and (~np.isnan(given[filled])).any():
                return True  # already given by another file
        return False

    def merge(self) -> None:
        """Store the fresh columns in the data set."""
        data = self.reader.data
        for name, column in self.fresh.items():
            given = data.columns.get(name)
            if given is None:
                data.columns[name] = column
            else:
                filled = ~np.isnan(column)
                given[filled] = column[filled]
        data.present |= self.present


def _unknown(path: Path, header_line: int, names, kinds, counts, reader) -> None:
    """Names the rule set does not know (under 未知数据: 警告 or 忽略), reported as the row
    reader reports them: at their first row, with the count of values they give."""
    from kaohe_rules.source import Span

    named, given = counts
    unknown = [code for code, kind in enumerate(kinds) if kind is None and named[code]]
    if not unknown:
        return
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
        reader.unknown.seen(name, places.get(name, nowhere), hint, int(given[code]))


def _numbers(chunk) -> np.ndarray | None:
    """One chunk of the 值 column as float64 (NaN: empty); None when the row reader must
    read the file: text that is not a plain number, a written "nan", a value beyond
    what the row reader accepts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
            stripped = pc.utf8_trim_whitespace(chunk)
            if pc.any(pc.not_equal(stripped, chunk)).as_py():
                return None
            chunk = pc.cast(chunk, pa.float64())
        elif not (pa.types.is_floating(chunk.type) or pa.types.is_integer(chunk.type)):
            return None
        values = chunk.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # "12.5%", "1,234" or a typo: the row reader reads or reports it
    if np.count_nonzero(np.isnan(values)) != chunk.null_count:
        return None  # a "nan" written in the file is not an empty cell
    if len(values) > chunk.null_count and (
        np.nanmax(values) >= 1e300 or np.nanmin(values) <= -1e300
    ):
        return None  # out of the range the row reader accepts (KH304 there)
    return values


def _aligned(column, like):
    """``column``'s chunks cut at the same rows as ``like``'s (the columns of a table read
    from CSV are; Parquet's need not be)."""
    lengths = [len(chunk) for chunk in like.chunks]
    if [len(chunk) for chunk in column.chunks] == lengths:
        return column.chunks
    start, out = 0, []
    for length in lengths:
        out.append(column.slice(start, length).combine_chunks())
        start += length
    return out


def _unified(column):
    """A column as dictionary-encoded chunks sharing one dictionary, and that dictionary's
    strings; None when an id is padded (the row reader trims and checks it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            column = pc.cast(column, pa.string())
        column = pc.dictionary_encode(column)
    if not column.chunks:
        return None
    first = column.chunks[0].dictionary
    # Encoding a whole column gives every chunk the same dictionary, and equals() sees
    # that at once; a CSV read gives each block its own, which unify merges.
    if not all(chunk.dictionary.equals(first) for chunk in column.chunks[1:]):
        column = column.unify_dictionaries()
    strings = column.chunks[0].dictionary.to_pylist()
    if any(s is None or s != s.strip() for s in strings):
        return None
    return column, strings


def _unit_positions(ids: list[str], reader) -> np.ndarray | None:
    """Each distinct unit string's column position (DataSet.row); None if one is unknown or
    ambiguous."""
    positions = np.empty(len(ids), dtype=np.int64)
    row = reader.data.row
    for index, text in enumerate(ids):
        found = row.get(text)
        if found is None:
            named = reader.by_name.get(text, ())
            if len(named) != 1:
                return None
            found = row[named[0].id]
        positions[index] = found
    return positions


def _in_range(names, kinds, codes, values, rows, reader) -> bool:
    for code, name in enumerate(names):
        item = reader.items.get(name)
        if kinds[code] is None or item is None:
            continue
        low, high = item.minimum, item.maximum
        if low is None and high is None:
            continue
        mine = values[rows & (codes == code)]
        if (low is not None and (mine < low).any()) or (high is not None and (mine > high).any()):
            return False
    return True
