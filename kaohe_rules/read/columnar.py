"""Large data files read as columns: long-format (columnar_long.py) and wide (columnar_wide.py)
CSV and Parquet files, millions of values at once.

The row reader (rows.py) checks every cell and says where a problem is; it is the
reference. These readers take only files they can prove clean with whole-column
operations (pyarrow reads the file a block at a time; each unit id is hashed once, looked
up in the roster's ids), and decline anything else, so the row reader then reads that file
and reports its problems exactly where they are. For a clean file both readers store the
same values.

``reader`` below is the row reader (rows.RowReader): its data set, the names it knows and
its policy for unknown ones; this module does not import it, the row reader is above.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from kaohe_rules import limits
from kaohe_rules.read import ahead, columnar_long, columnar_wide
from kaohe_rules.read.cells import UNIT_COLUMNS
from kaohe_rules.read.files import leading_comments, release_arrow_memory
from kaohe_rules.read.places import FastFile

# A CSV file goes to the row reader when importing pyarrow (about 0.1 s) would cost more
# than it saves: the row reader's cost is per cell (about 5 µs), so the measure is the
# file's cells, counted as its commas and line breaks (a cell ends at one). Measured,
# read_data in fresh processes, row reader → by columns with pyarrow's import: a wide file
# of 26,000 cells (500 units) 0.12 → 0.12 s; 52,000 cells 0.145 → 0.118 s; 520,000 cells
# (10,000 units, 1.5 MB) 1.5 → 0.12 s; a long file of 36,000 cells 0.17 → 0.12 s. Files
# of MIN_BYTES or more are not counted; once pyarrow is loaded (a roster table read by
# pandas, a Parquet file) any file of LOADED_MIN_BYTES goes by columns. Both readers store
# the same values.
ROW_READER_CELLS = 40_000
MIN_BYTES = 4 * 1024 * 1024
LOADED_MIN_BYTES = 64 * 1024
# One CSV read block. Blocks are parsed on pyarrow's threads, a few in flight at once: the
# block bounds what parsing holds beyond the columns being filled (measured at 4, 16 and
# 64 MB: the smallest parsed fastest).
BLOCK_BYTES = 4 << 20
VALUE_COLUMNS = ("指标", "值")
UTF8 = (None, "utf-8", "utf-8-sig", "utf8")  # the --encoding values pyarrow's parse reads


def _by_columns(path: Path) -> bool:
    """Whether a CSV file is large enough to be read by columns (see ROW_READER_CELLS)."""
    size = path.stat().st_size
    if size >= MIN_BYTES:
        return True
    if size < LOADED_MIN_BYTES:
        return False
    if "pyarrow" in sys.modules:
        return True
    data = path.read_bytes()
    return data.count(b",") + data.count(b"\n") >= ROW_READER_CELLS


def try_read(path: Path, reader, encoding: str | None) -> bool:
    """Read ``path`` into ``reader.data`` if it is a clean long or wide file; False (nothing
    stored) when the row reader should read it instead."""
    suffix = path.suffix.lower()
    if suffix == ".csv" and encoding not in UTF8:
        return False
    if suffix == ".csv" and not _by_columns(path):
        return False
    if suffix not in (".csv", ".parquet"):
        return False
    try:
        stored = _store(path, reader)
    finally:
        release_arrow_memory()  # the blocks read are gone by now
    if stored is None:
        return False
    reader.data.fast_files.append(stored)
    return True


def _store(path: Path, reader) -> FastFile | None:
    import pyarrow as pa

    framed = _framed(path)
    if framed is None:
        return None
    header, header_line, unit_column = framed
    try:
        if set(VALUE_COLUMNS) <= set(header):
            batches = _batches(path, header_line, header, [unit_column, *VALUE_COLUMNS])
            if not columnar_long.store(path, header_line, unit_column, batches, reader):
                return None
            return FastFile(path, header_line, unit_column)
        if {"年度", "等次"} <= set(header) or unit_column in reader.names:
            return None  # a history of earlier years: history.py reads it
        wide = columnar_wide.Wide(path, header_line, header, unit_column, reader)
        if not wide.store(lambda columns: _batches(path, header_line, header, columns)):
            return None
        return FastFile(path, header_line, unit_column, wide=True)
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError):
        return None  # pyarrow cannot read it plainly: the row reader says why


def _framed(path: Path) -> tuple[list[str], int, str] | None:
    """The file's header, the line it is on and its unit column, when the columnar readers
    can take that header; None otherwise (the row reader says what is wrong: a missing unit
    column is KH308)."""
    header, header_line = _header(path)
    if header is None or not _plain_header(header):
        return None
    unit_column = next((c for c in UNIT_COLUMNS if c in header), None)
    return None if unit_column is None else (header, header_line, unit_column)


def _plain_header(header: list[str]) -> bool:
    """A header the columnar readers can take: not wider than the limit (the row reader
    refuses it, naming the limit), no padded or repeated name (the row reader trims and
    checks them), no column without a name (the row reader drops the blank ones at the
    right edge and refuses one holding a value)."""
    if len(header) > limits.CSV_COLUMNS.value():
        return False
    if any(not isinstance(name, str) or not name or name != name.strip() for name in header):
        return False
    return len(set(header)) == len(header)


def _header(path: Path) -> tuple[list[str] | None, int]:
    """The file's column names and the line of its header (a Parquet file's is line 1);
    None when they cannot be read plainly or a Parquet footer is over a limit."""
    import pyarrow as pa

    if path.suffix.lower() != ".parquet":
        return _csv_header(path)
    import pyarrow.parquet as pq

    try:
        footer = pq.read_metadata(path)
    except (pa.ArrowException, OSError):
        return None, 0
    if footer.num_rows > limits.DATA_ROWS.value() or not footer.num_rows:
        return None, 0  # read_parquet refuses it, naming the limit
    return list(footer.schema.names), 1


def _csv_header(path: Path) -> tuple[list[str] | None, int]:
    import csv

    skip, header = leading_comments(path)
    if header is None:
        return None, 0
    try:
        names = next(csv.reader([header.decode("utf-8").rstrip("\r\n")]))
    except (UnicodeDecodeError, csv.Error):  # not plain: the row reader says what is wrong
        return None, 0
    return names, skip + 1


def _batches(path: Path, header_line: int, header: list[str], columns: list[str]):
    """The file's record batches holding ``columns``: a CSV file parsed a block at a time
    on pyarrow's threads (values typed by the caller's checks, not here: every column as
    text but 值, parsed as numbers while reading), a Parquet file a row group at a time."""
    key = _ahead_key(path, header_line, header, columns)
    parsed = None if key is None else ahead.take(key)
    if parsed is not None:
        yield from parsed  # parsed while the rules loaded (read_ahead)
        return
    with _stream(path, header_line, columns) as stream:
        yield from stream


def _stream(path: Path, header_line: int, columns: list[str]):
    if path.suffix.lower() == ".parquet":
        return _parquet_stream(path, columns)
    return _csv_stream(path, header_line, columns)


@contextmanager
def _parquet_stream(path: Path, columns: list[str]):
    """A Parquet file's row groups holding ``columns``, a million rows a batch."""
    import pyarrow.parquet as pq

    names = [c for c in ("指标",) if c in columns]  # a few dozen strings: dictionaries
    with pq.ParquetFile(path, read_dictionary=names) as source:
        yield source.iter_batches(batch_size=1 << 20, columns=columns, use_threads=True)


def _csv_stream(path: Path, header_line: int, columns: list[str]):
    """pyarrow's stream of the CSV file's blocks holding ``columns``."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    options = pcsv.ReadOptions(skip_rows=header_line - 1, block_size=BLOCK_BYTES, use_threads=True)
    # 指标 as plain text: encoding it while parsing costs four times its encoding after
    types = {name: pa.string() for name in columns}
    if "值" in types:
        # Parsed as numbers while reading; a cell that is not a plain number ("12.5%",
        # "1,234", a typo) fails the read and the row reader takes the file.
        types["值"] = pa.float64()
    convert = pcsv.ConvertOptions(
        column_types=types,
        include_columns=columns,
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )
    parse = pcsv.ParseOptions(newlines_in_values=False)
    return pcsv.open_csv(path, options, parse, convert)


def read_ahead(path: Path, encoding: str | None) -> None:
    """Start parsing a long-format file that try_read will read by columns (ahead.py), so
    that the parse runs while the rules load: a CSV file of MIN_BYTES or more (in UTF-8),
    any Parquet file. Nothing for a wide file (its columns depend on the rules)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if encoding not in UTF8 or path.stat().st_size < MIN_BYTES:
            return
    elif suffix != ".parquet":
        return
    framed = _framed(path)
    if framed is None or not set(VALUE_COLUMNS) <= set(framed[0]):
        return
    header, header_line, unit_column = framed
    columns = [unit_column, *VALUE_COLUMNS]
    key = _ahead_key(path, header_line, header, columns)
    if key is not None:
        ahead.start(key, lambda: _stream(path, header_line, columns))


def _ahead_key(path: Path, header_line: int, header: list[str], columns: list[str]):
    """What makes a file's stream: the file as it is now (path, size, time) and what is
    read of it. None when the file cannot be looked at (the reader then says why)."""
    try:
        resolved = path.resolve()
        found = resolved.stat()
    except OSError:
        return None
    where = (str(resolved), found.st_size, found.st_mtime_ns)
    return (*where, header_line, tuple(header), tuple(columns))
