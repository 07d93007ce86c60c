"""An Excel data workbook's visible sheets as sheets of text cells.

Cells must hold their own values: merged cells, and formulas Excel never computed and
saved, are refused with the cell they are in, never read as empty.
"""

from __future__ import annotations

from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.read.cells import Sheet, SheetProblem, cell_text
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
        message = f"无法读取工作簿：文件已损坏或不是 Excel 工作簿（{type(error).__name__}）"
        hint = "在 Excel 中打开并另存为 .xlsx"
        raise SheetProblem(Diagnostic("KH308", message, span, hint)) from None


def _workbook(path: Path) -> list[tuple[str, Sheet]]:
    """Visible sheets as tables; formulas without a saved value and merged cells refused."""
    from openpyxl import load_workbook

    values = load_workbook(path, data_only=True)
    formulas = load_workbook(path, data_only=False)
    out = []
    for sheet in values.worksheets:
        if sheet.sheet_state != "visible":
            continue
        file = f"{path}[{sheet.title}]"
        _refuse_merged(sheet, file)
        cells = _cells(sheet, formulas[sheet.title], file)
        skip = 0  # leading "# …" rows are comments, as in CSV files
        while skip < len(cells) and cells[skip] and str(cells[skip][0]).startswith("#"):
            skip += 1
        if skip < len(cells):
            header = [str(c).strip() for c in cells[skip]]
            body = enumerate(cells[skip + 1 :], skip + 2)
            numbered = [(n, row) for n, row in body if any(row)]
            rows = [row for _n, row in numbered]
            lines = [n for n, _r in numbered]
            out.append((sheet.title, Sheet(header, rows, lines, header_line=skip + 1)))
    if not out:
        message = "工作簿中没有数据：可见的工作表都是空的，第一行应是列名"
        raise SheetProblem(Diagnostic("KH308", message, Span(str(path), 1, 1, 1, 2)))
    return out


def _refuse_merged(sheet, file: str) -> None:
    if sheet.merged_cells.ranges:
        first = min(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
        message = f"工作表有合并单元格（{first}），每个值须在自己的单元格里"
        row, col = first.min_row, first.min_col
        raise SheetProblem(Diagnostic("KH308", message, Span(file, row, col, row, col + 1)))


def _cells(sheet, with_formulas, file: str) -> list[list[str]]:
    """The sheet's rows as text; a formula whose result was never saved is refused."""
    cells = []
    for row, written_row in zip(
        sheet.iter_rows(values_only=True), with_formulas.iter_rows(values_only=True), strict=True
    ):
        for column, (value, written) in enumerate(zip(row, written_row, strict=True), 1):
            if value is None and isinstance(written, str) and written.startswith("="):
                line = len(cells) + 1
                message = f"公式 {written} 没有保存计算结果"
                hint = "在 Excel 中打开并保存一次，或把公式换成数值"
                span = Span(file, line, column, line, column + 1)
                raise SheetProblem(Diagnostic("KH308", message, span, hint))
        cells.append(["" if v is None else cell_text(v) for v in row])
    return cells
