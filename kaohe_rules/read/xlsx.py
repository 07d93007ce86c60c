"""An Excel data workbook's visible sheets as sheets of text cells.

Cells must hold their own values: merged cells, and formulas Excel never computed and
saved, are refused with the cell they are in, never read as empty.
"""

from __future__ import annotations

from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.read.cells import Sheet, SheetProblem, cell_text, repeated_name
from kaohe_rules.read.workbook import DamagedSheet, SheetScan, open_workbook
from kaohe_rules.source import Span


def read_workbook(path: Path) -> list[tuple[str, Sheet]]:
    """(sheet title, sheet) for each visible sheet with a header. A damaged .xlsx makes
    openpyxl raise almost anything (zlib.error, KeyError…): each is the file's fault, said
    as KH308 in a SheetProblem, never an internal error."""
    try:
        return _workbook(path)
    except (SheetProblem, OSError):
        raise
    except Exception as error:
        span = Span(str(path), 1, 1, 1, 1)
        reason = error if isinstance(error, DamagedSheet) else type(error).__name__
        message = f"无法读取工作簿：文件已损坏或不是 Excel 工作簿（{reason}）"
        hint = "在 Excel 中打开并另存为 .xlsx"
        raise SheetProblem(Diagnostic("KH308", message, span, hint)) from None


def _workbook(path: Path) -> list[tuple[str, Sheet]]:
    """Visible sheets as tables; formulas without a saved value and merged cells refused.
    The workbook is opened once, its size checked first (workbook.py)."""
    book, scans = open_workbook(path, str(path))
    try:
        out = []
        for scan in scans:
            file = f"{path}[{scan.title}]"
            _refuse_merged(scan, file)
            _refuse_unsaved(scan, file)
            cells = _cells(book[scan.title], scan, file)
            skip = _comments(cells)  # leading "# …" rows are comments, as in CSV files
            if skip < len(cells):
                header = [str(c).strip() for c in cells[skip]]
                body = enumerate(cells[skip + 1 :], skip + 2)
                numbered = [(n, row) for n, row in body if any(row)]
                rows = [row for _n, row in numbered]
                lines = [n for n, _r in numbered]
                out.append((scan.title, Sheet(header, rows, lines, header_line=skip + 1)))
    finally:
        book.close()
    if not out:
        message = "工作簿中没有数据：可见的工作表都是空的，第一行应是列名"
        raise SheetProblem(Diagnostic("KH308", message, Span(str(path), 1, 1, 1, 2)))
    return out


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


def _comments(cells: list[list[str]]) -> int:
    """How many leading rows are "# …" comments."""
    skip = 0
    while skip < len(cells) and cells[skip] and str(cells[skip][0]).startswith("#"):
        skip += 1
    return skip


def _cells(sheet, scan: SheetScan, file: str) -> list[list[str]]:
    """The sheet's rows as text, from A1 to the extent the scan found (an empty sheet is
    one empty cell, as openpyxl gives it): never cut by the sheet's own <dimension>. The
    header is checked as soon as it is read: a sheet whose header repeats a name (a lone
    cell far out makes a row of empty names) is refused before its rows are filled."""
    rows, columns = max(scan.rows, 1), max(scan.columns, 1)
    values = sheet.iter_rows(min_row=1, max_row=rows, min_col=1, max_col=columns, values_only=True)
    out: list[list[str]] = []
    checked = False
    for row in values:
        out.append(["" if v is None else cell_text(v) for v in row])
        if not checked and (not out[-1] or not str(out[-1][0]).startswith("#")):
            checked = True
            _check_header(out[-1], len(out), file)
    return out


def _check_header(cells: list[str], line: int, file: str) -> None:
    """KH303 for a header naming a column twice (as the row reader says it), at once."""
    names = [str(cell).strip() for cell in cells]
    index = repeated_name(names)
    if index is not None:
        message = f"列名 '{names[index]}' 重复（第 {index + 1} 列）"
        span = Span(file, line, index + 1, line, index + 2)
        raise SheetProblem(Diagnostic("KH303", message, span))
