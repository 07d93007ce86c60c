"""A CSV data file as a sheet of text cells, and where each cell stands on its line.

Leading "# …" lines are comments; a quoted cell may hold line breaks, so each row keeps
the line it starts on, and the raw lines are kept to point at a cell's character column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kaohe_rules import limits
from kaohe_rules.read import bounds
from kaohe_rules.read.cells import Sheet, named_width, unnamed_problem, unnamed_value
from kaohe_rules.read.files import ENCODINGS, decode
from kaohe_rules.source import Span


def read_csv(path: Path, encoding: str | None) -> Sheet:
    """The file's header and non-empty rows; ValueError (or OSError) when it cannot be
    read as text in ``encoding`` (when None: UTF-8, else GB18030); SheetProblem when it
    is larger or wider than the limits allow."""
    bounds.check_file_bytes(path)
    data = path.read_bytes()
    try:
        text = decode(data, [encoding] if encoding else ENCODINGS)
    except LookupError:
        raise ValueError(f"没有叫 {encoding} 的编码") from None
    if text is None:
        if encoding:
            raise ValueError(f"文件不是 {encoding} 编码")
        raise ValueError("编码不是 UTF-8 或 GB18030，可用 --encoding 指定")
    raw = text.split("\n")
    most_rows = limits.DATA_ROWS.value()
    reader = csv.reader(io.StringIO(text, newline=""))
    header, rows, lines, header_line = None, [], [], 1
    line, ended = 1, 0
    try:
        for record in reader:
            # A quoted cell may hold line breaks: a record starts on the line after the last.
            line, ended = ended + 1, reader.line_num
            if header is None:
                if not record or record[0].startswith("#"):
                    continue  # leading "# …" lines are comments (samples say they are synthetic)
                header, header_line = [c.strip() for c in record], line
                _check_width(str(path), raw, header_line, len(header))
            elif "".join(record).strip():  # some cell is not blank (one C call a row)
                rows.append(record)
                lines.append(line)
                if len(rows) > most_rows:
                    bounds.check_rows(len(rows), Span(str(path), line, 1, line, 2))
    except csv.Error:  # a field over the csv module's limit: no name or value is that long
        limit = csv.field_size_limit()
        raise ValueError(
            f"第 {ended + 1} 行有一个值超过 {limit} 个字符（一个单元格的上限）"
        ) from None
    if header is None:
        raise ValueError("文件是空的，第一行应是列名")
    sheet = Sheet(header, rows, lines, header_line, raw)
    _drop_unnamed(sheet, str(path))
    return sheet


def _drop_unnamed(sheet: Sheet, file: str) -> None:
    """Drop the columns at the header's right edge that have no name and no value ("编号,值,,"
    from Excel); SheetProblem (KH527) at the first value such a column holds. A row wider
    than the header keeps its width: the row reader says it is ragged."""
    full = len(sheet.header)
    width = named_width(sheet.header)
    if width == full:
        return
    for at, row in enumerate(sheet.rows):
        if len(row) <= full:
            index = unnamed_value(row, width, full)
            if index is not None:
                line = sheet.lines[at]
                start, end = field_columns(sheet.raw[line - 1], index + 1)[index]
                raise unnamed_problem(index, row[index], Span(file, line, start, line, end))
            del row[width:]
    del sheet.header[width:]


def _check_width(file: str, raw: list[str], line: int, count: int) -> None:
    """Refuse a header wider than the limit before any per-column work."""

    def first_over(index: int) -> Span:
        start, end = field_columns(raw[line - 1], index + 1)[index]
        return Span(file, line, start, line, end)

    bounds.check_columns(count, first_over)


def field_columns(raw: str, count: int) -> list[tuple[int, int]]:
    """Character columns (1-based start, end) of each comma-separated field of a CSV line."""
    spans, start, quoted = [], 0, False
    if '"' not in raw:  # no quotes (nearly every line): the commas split it as they stand
        for part in raw.split(",")[:-1]:
            spans.append((start + 1, start + len(part) + 1))
            start += len(part) + 1
        spans.append((start + 1, len(raw.rstrip("\r")) + 1))
        return spans + [(len(raw) + 1, len(raw) + 2)] * max(count - len(spans), 0)
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            spans.append((start + 1, index + 1))
            start = index + 1
    spans.append((start + 1, len(raw.rstrip("\r")) + 1))
    return spans + [(len(raw) + 1, len(raw) + 2)] * max(count - len(spans), 0)
