"""A roster table's cells as text columns: a CSV file read like a data file, by rows with
the csv module or, when large and plain, by columns with pyarrow; an XLSX file's first
sheet through pandas.

The row reader is the reference: the columnar one takes a file only when it is sure to
give the same cells (one unit a line, no blank row), and hands it back otherwise, so the
two never differ in what a unit is or where it stands.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaohe_rules import limits
from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.read import bounds
from kaohe_rules.read.arrow_numpy import texts, to_numpy
from kaohe_rules.read.cells import (
    SheetProblem,
    named_width,
    repeated_name,
    unnamed_problem,
    unnamed_value,
)
from kaohe_rules.read.files import decode
from kaohe_rules.read.workbook import open_workbook
from kaohe_rules.source import Span

_SAVE_HINT = "在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
_FIELDS_HINT = "检查多余的逗号，或含逗号的值是否加了引号"

# From this size (about 30,000 units) a CSV roster is parsed by pyarrow; a smaller one by
# the csv module. Importing pyarrow's csv and compute takes about 75 ms, the csv module
# 60 ms a MB to pyarrow's 20; and a roster this large comes with data files that are read
# by columns anyway. Measured whole (`kaohe evaluate`, 100,000 units, alternating, medians
# of 5): 1.85 s from 4 MB, 1.63 s from 1 MB; 10,000 units unchanged. Once pyarrow is
# loaded (the data's parse began while the rules load: read/columnar.py's read_ahead) its
# import is paid, and from LOADED_COLUMNAR_BYTES pyarrow is the quicker: 10,000 units
# (350 KB) with a long CSV, the whole `kaohe evaluate` 0.58 → 0.54 s (medians of 5).
COLUMNAR_BYTES = 1024 * 1024
LOADED_COLUMNAR_BYTES = 64 * 1024


HeaderCheck = Callable[[list[str], int], bool]


@dataclass
class RosterText:
    """The header (trimmed names), each column's cells as they stand in the file and
    trimmed (object arrays of str), the line of the header and the line of each unit."""

    header: list[str]
    raw: dict[str, np.ndarray]
    text: dict[str, np.ndarray]
    header_line: int
    lines: np.ndarray  # int64, one a unit
    shared: frozenset[str] = frozenset()  # columns whose equal cells are one str object


def read_text(path: Path, file: str, header_ok: HeaderCheck) -> RosterText | None:
    """The roster file's cells; SheetProblem (KH308, or a limit's code) when it cannot be
    read as a table. ``header_ok(names, line)`` is asked before the rows are read (a
    missing column says more than the rows' widths); None when it says no."""
    start = Span(file, 1, 1, 1, 2)
    try:
        bounds.check_file_bytes(path, file)
        if path.suffix.lower() == ".xlsx":
            table = _workbook(path, file)
            return table if header_ok(table.header, table.header_line) else None
        data = path.read_bytes()
    except OSError as error:
        from kaohe_rules.source import os_reason

        raise _problem(f"无法读取名单文件：{os_reason(error)}", start) from None
    least = COLUMNAR_BYTES
    if "pyarrow" in sys.modules:
        least = min(least, LOADED_COLUMNAR_BYTES)
    if len(data) >= least:
        found = _by_columns(data, file, header_ok)
        if found is not False:
            return found
    return _by_rows(data, file, header_ok)


def _problem(message: str, span: Span, hint: str | None = None) -> SheetProblem:
    return SheetProblem(Diagnostic("KH308", message, span, hint))


def _decoded(data: bytes, file: str) -> str:
    """The file's text in the encodings of a data file when none is named: UTF-8 (with or
    without BOM), else GB18030, what Excel on a Chinese Windows saves (decision 74)."""
    text = decode(data)
    if text is None:
        span = Span(file, 1, 1, 1, 2)
        message = "无法读取名单文件：编码不是 UTF-8 或 GB18030"
        raise _problem(message, span, _SAVE_HINT)
    return text


def _by_rows(data: bytes, file: str, header_ok: HeaderCheck) -> RosterText | None:
    """The reference reader: leading "# …" and blank lines skipped, then the header; a row
    of blank cells is skipped (as in data files); every other row must have a value for
    each column."""
    text = _decoded(data, file)
    last = text.count("\n") + (not text.endswith("\n"))
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    header_line, line, ended = 1, 1, 0
    try:
        for record in reader:
            # A quoted cell may hold line breaks: a record starts on the line after the last.
            line, ended = ended + 1, reader.line_num
            if header is None:
                if not record or record[0].startswith("#"):
                    continue
                full, header_line = [c.strip() for c in record], line
                _check_header(full, file, line)
                header = full[: named_width(full)]  # "编号,名称,领域,," from Excel
                if not header_ok(header, line):
                    return None
            elif any(cell.strip() for cell in record):
                if not len(header) <= len(record) <= len(full):
                    _check_quotes(text, file, line, ended == last)
                    message = (
                        f"无法读取名单文件：第 {line} 行有 {len(record)} 个值，"
                        f"而列名有 {len(header)} 个"
                    )
                    raise _problem(message, Span(file, line, 1, line, 2), _FIELDS_HINT)
                _drop_unnamed(record, len(header), len(full), Span(file, line, 1, line, 2))
                rows.append(record)
                lines.append(line)
    except csv.Error:  # a field over the csv module's limit: no name or value is that long
        limit = csv.field_size_limit()
        where = Span(file, ended + 1, 1, ended + 1, 2)
        message = (
            f"无法读取名单文件：第 {ended + 1} 行有一个值超过 {limit} 个字符（一个单元格的上限）"
        )
        raise _problem(message, where) from None
    if header is None:
        raise _problem("无法读取名单文件：文件是空的，第一行应是列名", Span(file, 1, 1, 1, 2))
    _check_quotes(text, file, line, ended == last)
    raw = {}
    for index, name in enumerate(header):
        raw[name] = np.empty(len(rows), dtype=object)
        raw[name][:] = [row[index] for row in rows]
    return RosterText(header, raw, _trimmed(raw), header_line, np.array(lines, dtype=np.int64))


def _check_quotes(text: str, file: str, line: int, at_end: bool) -> None:
    """Refuse a record (from ``line``) that runs to the end of the file inside quotes: the
    csv module, not strict, takes the rest of the file as one cell."""
    if not at_end:
        return
    rest = text.split("\n", line - 1)[-1] if line > 1 else text
    try:
        for _record in csv.reader(io.StringIO(rest, newline=""), strict=True):
            pass
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            message = f"无法读取名单文件：第 {line} 行起的引号没有闭合，直到文件末尾"
            raise _problem(message, Span(file, line, 1, line, 2), _FIELDS_HINT) from None


def _drop_unnamed(record: list, width: int, full: int, row: Span) -> None:
    """Cut a row to the named columns; KH527 at a value in a column without a name (the
    row's character column is not kept: the cell is said by its column number)."""
    index = unnamed_value(record, width, full)
    if index is not None:
        span = Span(row.file, row.line, index + 1, row.line, index + 2)
        raise unnamed_problem(index, record[index], span)
    del record[width:]


def _check_header(header: list[str], file: str, line: int) -> None:
    """The header's width against the limit, and a name given twice (KH303, as in data
    files); the columns without a name at its right edge are dropped, not repeated names."""

    def first_over(index: int) -> Span:
        return Span(file, line, index + 1, line, index + 2)

    bounds.check_columns(len(header), first_over)
    twice = repeated_name(header[: named_width(header)])
    if twice is not None:
        span = Span(file, line, twice + 1, line, twice + 2)
        message = f"名单文件的列名 '{header[twice]}' 重复（第 {twice + 1} 列）"
        raise SheetProblem(Diagnostic("KH303", message, span))


def _workbook(path: Path, file: str) -> RosterText:
    """The first sheet of a workbook, as pandas reads it: every cell as text."""
    import pandas as pd

    # Opened once, its zip directory and first sheet checked against the limits;
    # pandas reads the first sheet of the workbook it is given.
    book, _scans = open_workbook(path, file, sheets="first")
    try:
        # header=None: the header row as cells, so that an empty name stays empty (pandas
        # would name it "Unnamed: 3") and the columns without a name can be dropped
        frame = pd.read_excel(
            book, header=None, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    finally:
        book.close()
    cells = frame.to_numpy(dtype=object).tolist()
    if not cells:
        return RosterText([], {}, {}, 1, np.array([], dtype=np.int64))
    full = [str(c).strip() for c in cells[0]]
    _check_header(full, file, 1)
    header = full[: named_width(full)]
    rows, lines = [], []
    for line, row in enumerate(cells[1:], 2):
        if any(str(cell).strip() for cell in row):  # a row of blanks is skipped, as in CSV
            _drop_unnamed(row, len(header), len(full), Span(file, line, 1, line, 2))
            rows.append(row)
            lines.append(line)
    raw = {}
    for index, name in enumerate(header):
        raw[name] = np.empty(len(rows), dtype=object)
        raw[name][:] = [str(row[index]) for row in rows]
    return RosterText(header, raw, _trimmed(raw), 1, np.array(lines, dtype=np.int64))


def _trimmed(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    text = {}
    for name, cells in raw.items():
        text[name] = np.empty(len(cells), dtype=object)
        text[name][:] = list(map(str.strip, cells.tolist()))
    return text


def _by_columns(data: bytes, file: str, header_ok: HeaderCheck) -> RosterText | bool | None:
    """A large plain file parsed by pyarrow; False when it is not plain (the row reader
    then reads it, and says what is wrong if anything is)."""
    parts = _plain_parts(data)
    if parts is None:
        return False
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names, header_line, rows, start = parts
    if not header_ok(names, header_line):
        return None
    # Named here, not by pyarrow: names repeated once trimmed were refused above.
    keys = [f"c{index}" for index in range(len(names))]
    options = pcsv.ReadOptions(column_names=keys, use_threads=True, block_size=1 << 24)
    convert = pcsv.ConvertOptions(
        column_types={key: pa.string() for key in keys},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    parse = pcsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True)
    try:
        table = pcsv.read_csv(pa.BufferReader(pa.py_buffer(data)[start:]), options, parse, convert)
    except (pa.ArrowException, ValueError):
        return False  # a row of another width, text not UTF-8 …: the row reader says which
    if table.num_rows != rows:
        return False  # a quoted line break or a blank line: lines are not rows one to one
    columns = [table.column(key).combine_chunks() for key in keys]
    del table
    padded = any(_edge_spaced(column) for column in columns)
    raw, shared = {}, set()
    for name, column in zip(names, columns, strict=True):
        raw[name], repeats = _objects(column)
        if repeats:
            shared.add(name)
    del columns
    # Trimmed in Python (as the row reader trims) only where some cell has a space at an end.
    text = _trimmed(raw) if padded else raw
    if rows and np.logical_and.reduce([cells == "" for cells in text.values()]).any():
        return False  # a row of blank cells, which the row reader skips
    lines = np.arange(header_line + 1, header_line + 1 + rows, dtype=np.int64)
    return RosterText(names, raw, text, header_line, lines, frozenset(shared))


# Every character Python's str.strip() removes (str.isspace(); a test holds the two equal),
# and each one's UTF-8 bytes read as one number (1 to 3 bytes long).
_SPACE_TEXT = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    [*map(chr, range(0x2000, 0x200B)), "\u2028\u2029\u202f\u205f\u3000"]
)
_SPACE_CODES = {  # sorted, for _among
    width: np.array(
        sorted(int.from_bytes(c.encode(), "big") for c in _SPACE_TEXT if len(c.encode()) == width)
    )
    for width in (1, 2, 3)
}

_FIRST = np.zeros(256, dtype=bool)  # the first byte of a space character
_LAST = np.zeros(256, dtype=bool)  # its last byte
for _space in _SPACE_TEXT:
    _FIRST[_space.encode()[0]] = _LAST[_space.encode()[-1]] = True


def _edge_spaced(column) -> bool:
    """Whether a cell of a string array starts or ends with a space (_SPACE_TEXT: what
    str.strip() removes; a test holds it equal to str.isspace()). A regular expression
    over each cell took four times as long at a million units."""
    return bool(len(column)) and bool(_edge_spaces(column).any())


def _edge_spaces(column) -> np.ndarray:
    """For each cell, whether it starts or ends with a space: looked up in the UTF-8 bytes
    at its ends, read as one, two and three byte numbers. A byte sequence that is a whole
    character's there is that character, since UTF-8's lead bytes are never continuation
    bytes."""
    import pyarrow as pa

    found = np.zeros(len(column), dtype=bool)
    _, held_offsets, data = column.buffers()
    if data is None or not len(column):
        return found
    kind = np.int64 if pa.types.is_large_string(column.type) else np.int32
    count, skip = len(column) + 1, column.offset * np.dtype(kind).itemsize
    offsets = np.frombuffer(held_offsets, kind, count, skip).astype(np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    # Only cells whose first or last byte may belong to a space are looked at closely.
    some = ends > starts
    maybe = np.zeros(len(column), dtype=bool)
    maybe[some] = _FIRST[raw[starts[some]]] | _LAST[raw[ends[some] - 1]]
    close = np.flatnonzero(maybe)
    starts, ends = starts[close], ends[close]
    for width, codes in _SPACE_CODES.items():
        held = np.flatnonzero(ends - starts >= width)
        first, last = starts[held], ends[held] - width
        head = np.zeros(len(held), dtype=np.int64)
        tail = np.zeros(len(held), dtype=np.int64)
        for k in range(width):
            head = (head << 8) | raw[first + k]
            tail = (tail << 8) | raw[last + k]
        found[close[held]] |= _among(head, codes) | _among(tail, codes)
    return found


def _among(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Whether each value is one of the sorted ``codes`` (np.isin's answer, without its
    np.unique, which loads numpy.ma: about 10 ms at start-up)."""
    at = np.minimum(np.searchsorted(codes, values), len(codes) - 1)
    return codes[at] == values


# A column with fewer distinct cells than this share of a sample is made from its distinct
# cells (a domain, a type: a few strings for a million units) instead of a str a cell.
_REPEATS = 0.5
_SAMPLE = 10_000


def _objects(column) -> tuple[np.ndarray, bool]:
    """An arrow text column as an object array of str; True with it when equal cells are
    one object (made from the column's distinct cells)."""
    import pyarrow.compute as pc

    if len(pc.unique(column.slice(0, _SAMPLE))) <= _REPEATS * min(len(column), _SAMPLE):
        encoded = pc.dictionary_encode(column)
        distinct = encoded.dictionary
        if len(distinct) <= _REPEATS * len(column):
            values = np.empty(len(distinct), dtype=object)
            values[:] = distinct.to_pylist()
            return values[to_numpy(encoded.indices)], True
    return texts(column), False


def _plain_parts(data: bytes) -> tuple[list[str], int, int, int] | None:
    """The header's names, its line, how many lines follow it (trailing line breaks
    aside) and where they start, for a file whose header is plain: after leading "# …"
    and blank lines, UTF-8, no quotes, names present, distinct once trimmed and within the
    width limit. None otherwise."""
    at, line = (3 if data.startswith(b"\xef\xbb\xbf") else 0), 1
    while True:
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        current = data[at:end]
        if current.strip() and not current.startswith(b"#"):
            break
        if end >= len(data):
            return None
        at, line = end + 1, line + 1
    if b'"' in current:
        return None
    try:
        names = [name.strip() for name in current.decode("utf-8").rstrip("\r").split(",")]
    except UnicodeDecodeError:
        return None  # GB18030 (Excel on a Chinese Windows): the row reader decodes it
    if len(names) > limits.CSV_COLUMNS.value() or repeated_name(names) is not None:
        return None
    if "" in names:
        return None  # columns without a name: the row reader drops or refuses them
    body = data[end + 1 :].rstrip(b"\r\n")
    return names, line, (body.count(b"\n") + 1 if body else 0), end + 1
