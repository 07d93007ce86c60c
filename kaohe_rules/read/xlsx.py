"""An Excel data workbook's visible sheets as sheets of text cells.

Cells must hold their own values: merged cells, and formulas Excel never computed and
saved, are refused with the cell they are in, never read as empty. A visible sheet whose
header names no unit column (a 填报说明 page, an empty Sheet2) is not data: it is skipped
with a note (KH526), as long as no cell of it names a unit column (a title row above the
header would otherwise hide a data sheet), nor a name of the rule set or a unit (a data
sheet whose unit column is misnamed). Columns at the header's right edge with no name and
no value are dropped (decision 73).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.read.cells import (
    UNIT_COLUMNS,
    Sheet,
    SheetProblem,
    cell_text,
    named_width,
    repeated_name,
    unnamed_problem,
    unnamed_value,
)
from kaohe_rules.read.workbook import DamagedSheet, SheetScan, open_workbook
from kaohe_rules.records import data_record
from kaohe_rules.source import Span

_UNIT_NAMES = "、".join(UNIT_COLUMNS[:3])
_HEADER_HINT = "数据表的第一行是列名，其中要有 编号 或 单位 列"
# A row's cells as text; every blank or missing row is the one empty tuple (a sparse sheet
# of a million rows is a million references, not a million lists).
Cells = list[str] | tuple[()]
_BLANK: tuple[()] = ()
# What a cell's text is to the rule set ("指标或数据项", "单位" …), None when nothing.
Known = Callable[[str], str | None]


@data_record
class Workbook:
    """The data sheets of a workbook, (title, sheet) in order, and a note (KH526) for each
    visible sheet skipped as not data."""

    sheets: list[tuple[str, Sheet]]
    skipped: list[Diagnostic] = field(default_factory=list)


def read_workbook(path: Path, known: Known = lambda _text: None) -> Workbook:
    """The visible data sheets of a workbook, and the notes of the sheets skipped. A
    damaged .xlsx makes openpyxl raise almost anything (zlib.error, KeyError…): each is the
    file's fault, said as KH308 in a SheetProblem, never an internal error. ``known``
    says what a cell's text is to the rule set (an indicator, a unit), or None: a sheet
    holding such a cell is not skipped."""
    try:
        return _workbook(path, known)
    except (SheetProblem, OSError):
        raise
    except Exception as error:
        span = Span(str(path), 1, 1, 1, 1)
        reason = error if isinstance(error, DamagedSheet) else type(error).__name__
        message = f"无法读取工作簿：文件已损坏或不是 Excel 工作簿（{reason}）"
        hint = "在 Excel 中打开并另存为 .xlsx"
        raise SheetProblem(Diagnostic("KH308", message, span, hint)) from None


def _workbook(path: Path, known: Known) -> Workbook:
    """Visible sheets as tables; formulas without a saved value and merged cells refused
    in data sheets. The workbook is opened once, its size checked first (workbook.py)."""
    book, scans = open_workbook(path, str(path))
    found = Workbook([])
    other: list[tuple[str, Span]] = []  # the sheets skipped that were not empty
    try:
        for scan in scans:
            file = f"{path}[{scan.title}]"
            cells = _cells(book[scan.title], scan, file)
            skip = _comments(cells)  # leading "# …" rows are comments, as in CSV files
            header = [str(c).strip() for c in cells[skip]] if skip < len(cells) else []
            if not any(name in UNIT_COLUMNS for name in header):
                note = _not_data(scan, cells, skip, file, known)
                found.skipped.append(note)
                if any(_filled(row) for row in cells[skip:]):
                    other.append((scan.title, note.span))
                continue
            _refuse_merged(scan, file)
            _refuse_unsaved(scan, file)
            found.sheets.append((scan.title, _sheet(header, cells, skip, file)))
    finally:
        book.close()
    if not found.sheets:
        raise SheetProblem(_no_data_sheet(path, other))
    return found


def _sheet(header: list[str], cells: list[Cells], skip: int, file: str) -> Sheet:
    """The data sheet below its header: rows with something in them, each with its row
    number; unnamed columns at the right edge dropped when they hold nothing."""
    numbered = [(n, row) for n, row in enumerate(cells[skip + 1 :], skip + 2) if _filled(row)]
    full, width = len(header), named_width(header)
    if width < full:
        for number, row in numbered:
            index = unnamed_value(row, width, full)
            if index is not None:
                span = Span(file, number, index + 1, number, index + 2)
                raise unnamed_problem(index, row[index], span)
            del row[width:]
        del header[width:]
    rows = [row for _n, row in numbered]
    lines = [n for n, _r in numbered]
    return Sheet(header, rows, lines, header_line=skip + 1)


def _filled(row: list[str]) -> bool:
    """Some cell holds more than spaces: a row of blanks is skipped, as in CSV files."""
    return any(cell.strip() for cell in row)


def _not_data(
    scan: SheetScan, cells: list[Cells], skip: int, file: str, known: Known
) -> Diagnostic:
    """The note for a sheet whose header names no unit column; SheetProblem when the sheet
    cannot be set aside safely: a cell naming a unit column lower down (a title row above
    the header), or anything else ``known`` takes for data (a name of the rule set, a unit),
    or a formula whose value was never saved (it might be such a name)."""
    for number, row in enumerate(cells[skip:], skip + 1):
        for column, cell in enumerate(row, 1):
            text = cell.strip()
            what = "单位列" if text in UNIT_COLUMNS else known(text) if text else None
            if what is not None:
                span = Span(file, number, column, number, column + 1)
                raise SheetProblem(_looks_like_data(what, text, number, skip + 1, span))
    _refuse_unsaved(scan, file)
    line = skip + 1
    span = Span(file, line, 1, line, 2)
    if not any(_filled(row) for row in cells[skip:]):
        message = f"工作表 {scan.title} 是空的，没有读入"
    else:
        message = f"工作表 {scan.title} 没有单位列（{_UNIT_NAMES} 等），不是数据表，没有读入"
    return Diagnostic("KH526", message, span, _HEADER_HINT, severity=Severity.WARNING)


def _looks_like_data(what: str, text: str, line: int, header: int, span: Span) -> Diagnostic:
    """KH308 for a sheet without a unit column in its header that holds what data holds."""
    if what == "单位列":
        message = (
            f"第 {line} 行有单位列 '{text}'，而列名行（第 {header} 行）没有：列名须在数据表的第一行"
        )
        hint = "删去列名上面的标题行，或在这些行的第一格开头写 # 作为注释"
    else:
        message = (
            f"列名行（第 {header} 行）没有单位列（{_UNIT_NAMES} 等），而第 {line} 行有{what} "
            f"'{text}'：像是数据表，不能跳过"
        )
        hint = "数据表的第一行是列名，其中要有 编号 或 单位 列；说明页不读时可把它隐藏"
    return Diagnostic("KH308", message, span, hint)


def _no_data_sheet(path: Path, other: list[tuple[str, Span]]) -> Diagnostic:
    """KH308 for a workbook none of whose visible sheets is data, at the first sheet that
    is not empty (``other``: title and header place of each)."""
    if not other:
        message = "工作簿中没有数据：可见的工作表都是空的，第一行应是列名"
        return Diagnostic("KH308", message, Span(str(path), 1, 1, 1, 2))
    titles = [title for title, _span in other]
    shown = "、".join(titles[:5]) + ("等" if len(titles) > 5 else "")
    message = f"工作簿中没有数据表：可见的工作表（{shown}）都没有单位列（{_UNIT_NAMES} 等）"
    return Diagnostic("KH308", message, other[0][1], _HEADER_HINT)


def _refuse_merged(scan: SheetScan, file: str) -> None:
    from openpyxl.worksheet.cell_range import CellRange

    if scan.merged:
        first = min((CellRange(ref) for ref in scan.merged), key=lambda r: (r.min_row, r.min_col))
        message = f"工作表有合并单元格（{first}），每个值须在自己的单元格里"
        row, col = first.min_row, first.min_col
        raise SheetProblem(Diagnostic("KH308", message, Span(file, row, col, row, col + 1)))


def _refuse_unsaved(scan: SheetScan, file: str) -> None:
    if scan.unsaved is not None:
        row, column, formula = scan.unsaved
        message = f"公式 {formula} 没有保存计算结果"
        hint = "在 Excel 中打开并保存一次，或把公式换成数值"
        span = Span(file, row, column, row, column + 1)
        raise SheetProblem(Diagnostic("KH308", message, span, hint))


def _comments(cells: list[Cells]) -> int:
    """How many leading rows are "# …" comments."""
    skip = 0
    while skip < len(cells) and cells[skip] and str(cells[skip][0]).startswith("#"):
        skip += 1
    return skip


def _cells(sheet, scan: SheetScan, file: str) -> list[Cells]:
    """The sheet's rows as text, from A1 to the extent the scan found (an empty sheet is
    one empty cell, as openpyxl gives it): never cut by the sheet's own <dimension>. A data
    sheet's header is checked as soon as it is read: one that repeats a name is refused
    before its rows are filled (columns without a name are judged with the rows below)."""
    rows, columns = max(scan.rows, 1), max(scan.columns, 1)
    values = sheet.iter_rows(min_row=1, max_row=rows, min_col=1, max_col=columns, values_only=True)
    out: list[Cells] = []
    checked = False
    for row in values:
        if row.count(None) == len(row):  # a blank or missing row (most of a sparse sheet)
            out.append(_BLANK)
        else:
            out.append(["" if v is None else cell_text(v) for v in row])
        if not checked and (not out[-1] or not str(out[-1][0]).startswith("#")):
            checked = True
            _check_header(out[-1], len(out), file)
    return out


def _check_header(cells: list[str], line: int, file: str) -> None:
    """KH303 for a data sheet's header naming a column twice (as the row reader says it),
    at once. Empty names at the right edge may be dropped, so they are not counted here; a
    sheet without a unit column is not data and is judged later."""
    names = [str(cell).strip() for cell in cells]
    if not any(name in UNIT_COLUMNS for name in names):
        return
    index = repeated_name(names[: named_width(names)])
    if index is not None:
        message = f"列名 '{names[index]}' 重复（第 {index + 1} 列）"
        span = Span(file, line, index + 1, line, index + 2)
        raise SheetProblem(Diagnostic("KH303", message, span))
