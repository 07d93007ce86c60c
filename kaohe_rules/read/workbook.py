"""An XLSX workbook opened once, read-only and streaming, after everything that could make
reading it hang or exhaust memory has been checked against the limits (limits.py).

An .xlsx file is a zip archive: a few hundred bytes can declare a sheet of a million rows
(one cell at XFD1048576) or expand to gigabytes. So, in this order:

1. the zip directory: each member's uncompressed size and compression ratio (zipfile never
   yields more than the size a member declares, so the directory bounds what is read);
2. openpyxl loads the workbook in read-only mode (strings, styles, the list of sheets);
3. each sheet that will be read is scanned once as a stream of XML events (nothing kept
   but counters): its true extent, whatever its ``<dimension>`` says (a missing or lying
   dimension must neither cut cells nor let a huge sheet through), its merged cells, and
   its formulas whose value Excel never saved;
4. the caller reads values with ``iter_rows(max_row=…, max_col=…)`` over that extent.

openpyxl does all the parsing of values; the scan only counts.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import field
from pathlib import Path

from kaohe_rules import limits
from kaohe_rules.read.bounds import refusal
from kaohe_rules.records import data_record
from kaohe_rules.source import Span

# Element names as expat gives them with namespace_separator="}"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE = _MAIN + "row", _MAIN + "c", _MAIN + "v"
_FORMULA, _INLINE, _MERGE = _MAIN + "f", _MAIN + "is", _MAIN + "mergeCell"
_REFERENCE = re.compile(r"([A-Za-z]+)([0-9]+)")
# A member this small is read whatever its ratio: it cannot exhaust anything, and tiny
# XML parts of a normal workbook compress well.
RATIO_FLOOR_BYTES = 1024 * 1024


class DamagedSheet(ValueError):
    """The sheet's XML says something no workbook can mean (rows out of order, a cell
    reference that is no reference): the file is damaged."""


@data_record(frozen=False)
class SheetScan:
    """What the scan of one sheet found: its title, its extent (the last row and column
    holding a value; 0, 0 when empty), its merged ranges and its first formula without a
    saved value (row, column, formula)."""

    title: str
    rows: int = 0
    columns: int = 0
    merged: list[str] = field(default_factory=list)
    unsaved: tuple[int, int, str] | None = None


def open_workbook(path: Path, file: str, sheets: str = "visible", formulas: bool = False):
    """The workbook (read-only; the caller closes it) and a SheetScan for each sheet that
    will be read: ``visible`` ones in order, the ``first`` (what pandas reads, whatever
    its state), or ``all``. ``formulas``: a formula cell's value is its text ("=A1*2"),
    not the value Excel saved, for a reader that refuses formulas (kaohe collect).
    SheetProblem for a limit; anything else raised means a damaged file."""
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(path, read_only=True, data_only=not formulas)
    try:
        check_members(reader.archive, file)
        reader.read()
        scans: list[SheetScan] = []
        for sheet, rel in reader.parser.find_sheets():
            if rel.target not in reader.valid_files or "chartsheet" in rel.Type:
                continue  # as openpyxl: no such part, or a chart with no cells
            if sheets == "visible" and sheet.state != "visible":
                continue
            with reader.archive.open(rel.target) as stream:
                every_cell = sheets == "first"  # pandas reads each row to its last cell
                used = sum(max(s.rows, 1) * max(s.columns, 1) for s in scans)
                name = f"{file}[{sheet.name}]"
                scans.append(scan_sheet(stream, sheet.name, name, every_cell, used))
            if sheets == "first":
                break
    except BaseException:
        reader.archive.close()
        raise
    return reader.wb, scans


def check_members(archive: zipfile.ZipFile, file: str) -> None:
    """Refuse a member whose declared uncompressed size or compression ratio is over the
    limit, before any is read; then the same for all members together (many small members,
    each under RATIO_FLOOR_BYTES, must not add up to a bomb)."""
    most, ratio = limits.XLSX_MEMBER_BYTES.value(), limits.XLSX_RATIO.value()
    span = Span(file, 1, 1, 1, 2)
    members = archive.infolist()
    for member in members:
        name = member.filename[:80]
        if member.file_size > most:
            found = f"部件 {name} 解压后有 {member.file_size:,} 字节"
            raise refusal(limits.XLSX_MEMBER_BYTES, found, span)
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > ratio * max(
            member.compress_size, 1
        ):
            times = member.file_size // max(member.compress_size, 1)
            found = (
                f"部件 {name} 从 {member.compress_size:,} 字节解压为 "
                f"{member.file_size:,} 字节（{times:,} 倍）"
            )
            raise refusal(limits.XLSX_RATIO, found, span)
    size = sum(member.file_size for member in members)
    packed = max(sum(member.compress_size for member in members), 1)
    if size > most:
        found = f"{len(members):,} 个部件解压后共 {size:,} 字节"
        raise refusal(limits.XLSX_MEMBER_BYTES, found, span)
    if size > RATIO_FLOOR_BYTES and size > ratio * packed:
        found = (
            f"{len(members):,} 个部件共从 {packed:,} 字节解压为 {size:,} 字节"
            f"（{size // packed:,} 倍）"
        )
        raise refusal(limits.XLSX_RATIO, found, span)


class _Extent:
    """The running extent of one sheet, refused the moment it passes a limit; ``used`` is
    the cells of the workbook's sheets scanned before (the cell limit is per workbook)."""

    def __init__(self, scan: SheetScan, file: str, used: int = 0) -> None:
        self.scan, self.file, self.used = scan, file, used
        self.most_rows, self.most_columns = limits.XLSX_ROWS.value(), limits.XLSX_COLUMNS.value()
        self.most_cells = limits.XLSX_CELLS.value()

    def take(self, row: int, column: int) -> None:
        scan = self.scan
        if row <= scan.rows and column <= scan.columns:
            return  # inside what was already counted: most cells
        span = Span(self.file, row, column, row, column + 1)
        if row > self.most_rows:
            raise refusal(limits.XLSX_ROWS, f"工作表至少有 {row:,} 行", span)
        if column > self.most_columns:
            raise refusal(limits.XLSX_COLUMNS, f"工作表至少有 {column:,} 列", span)
        rows, columns = max(scan.rows, row), max(scan.columns, column)
        if self.used + rows * columns > self.most_cells:
            # read from A1: the area is the last row times the last column
            found = f"工作表至少有 {rows:,} 行 × {columns:,} 列 = {rows * columns:,} 个单元格"
            if self.used:
                found = f"前面的工作表有 {self.used:,} 个单元格，{found}"
            raise refusal(limits.XLSX_CELLS, found, span)
        scan.rows, scan.columns = rows, columns


def scan_sheet(stream, title: str, file: str, every_cell: bool = False, used: int = 0) -> SheetScan:
    """Scan one sheet's XML, keeping no element: the extent of its value cells (of every
    cell and row when ``every_cell``), merged ranges, the first formula without a value.

    expat calls back at each element's start only (a sheet of millions of cells scans in
    seconds; an element tree or end events cost ten times more): a cell is judged when the
    next cell or row starts, or the sheet ends."""
    from xml.parsers import expat

    scanner = _Scanner(SheetScan(title), file, every_cell, used)
    parser = expat.ParserCreate(namespace_separator="}")
    scanner.parser = parser
    parser.StartElementHandler = scanner.start
    while chunk := stream.read(1 << 20):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    scanner.judge()
    return scanner.extent.scan


class _Scanner:
    """The state of one sheet's scan: the row and cell being read."""

    def __init__(self, scan: SheetScan, file: str, every_cell: bool, used: int = 0) -> None:
        self.extent, self.every_cell = _Extent(scan, file, used), every_cell
        self.parser = None
        self.row = self.column = self.last_row = 0
        self.backwards = False
        self.cell = False  # a cell is open: judged when the next one starts
        self.value = self.formula = self.inline = False
        self.formula_text: list[str] = []
        self.inside = ""  # the last element started within a formula cell: f or v
        self.columns: dict[str, int] = {}  # column letters seen, as numbers

    def start(self, name: str, attributes: dict) -> None:
        if name == _CELL:
            self.judge()
            self.cell = self.row > 0  # a cell outside any row is no cell
            self.column = self._column(attributes.get("r"))
        elif name == _VALUE:
            if self.formula:
                self.inside = "v"  # saved only if it holds text (openpyxl: <v/> is None)
            else:
                self.value = True
        elif name == _FORMULA:
            self.formula, self.inside = True, "f"
            self.value = False  # a formula's value is judged by its text
            self.parser.CharacterDataHandler = self.text
        elif name == _INLINE:
            self.inline = True
        elif name == _ROW:
            self.judge()
            self.row, self.column = _row_number(attributes.get("r"), self.row), 0
            self.backwards = self.row <= self.last_row
            self.last_row = max(self.last_row, self.row)
            if self.every_cell:
                self.extent.take(self.row, 1)
        elif name == _MERGE:
            self.extent.scan.merged.append(attributes.get("ref", ""))

    def text(self, data: str) -> None:
        """Text inside a formula cell: the formula's, and whether its value was saved."""
        if self.inside == "f":
            if sum(map(len, self.formula_text)) < 400:  # enough for a message
                self.formula_text.append(data)
        elif self.inside == "v" and data:
            self.value = True

    def judge(self) -> None:
        """Count the cell just read, if it holds anything."""
        if not self.cell:
            return
        scan, row, column = self.extent.scan, self.row, self.column
        if self.value or self.formula or self.inline:
            if self.backwards:  # openpyxl's stream would drop this row without a word
                raise DamagedSheet(f"第 {row} 行在第 {self.last_row} 行之后")
            self.extent.take(row, column)
        elif self.every_cell:
            self.extent.take(row, column)
        if self.formula:
            if not self.value and scan.unsaved is None:
                text = "".join(self.formula_text)
                scan.unsaved = (row, column, "=" + text if text else "（共享公式）")
            self.formula_text, self.inside = [], ""
            self.parser.CharacterDataHandler = None
        self.cell = self.value = self.formula = self.inline = False

    def _column(self, reference: str | None) -> int:
        """A cell's column from its reference (B7 → 2), else the one after the last."""
        if reference is None:
            return self.column + 1
        letters = reference.rstrip("0123456789")
        found = self.columns.get(letters)
        if found is None:
            found = self.columns[letters] = _column_number(reference)
        return found


def _row_number(text: str | None, previous: int) -> int:
    """A row's number as openpyxl reads it: its ``r``, else the one after the last."""
    if text is None:
        return previous + 1
    try:
        number = float(text)
    except ValueError:
        raise DamagedSheet(f"行号 {text[:20]!r} 不是数") from None
    if not number.is_integer() or number < 1:
        raise DamagedSheet(f"行号 {text[:20]!r} 不是正整数")
    return int(number)


def _column_number(reference: str) -> int:
    """The column of a cell reference: B7 → 2."""
    found = _REFERENCE.fullmatch(reference)
    if found is None or len(found[1]) > 7:
        raise DamagedSheet(f"单元格引用 {reference[:20]!r} 不对")
    number = 0
    for letter in found[1].upper():
        number = number * 26 + ord(letter) - 64
    return number
