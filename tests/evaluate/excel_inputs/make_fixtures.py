"""Writes the workbooks and CSV files of this folder as Excel users leave them: run
``python tests/evaluate/excel_inputs/make_fixtures.py`` after changing it, and commit what
it writes (the tests read the files, and a reader can open them in Excel).

Every file carries the golden year's data (tests/golden/evaluate/data/数据.csv), so that
a file read as meant evaluates exactly as the golden year does. Cells of a single space
are what a clerk leaves when "clearing" a cell: blank, as in Excel's display.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
GOLDEN = ROOT / "tests" / "golden" / "evaluate" / "data" / "数据.csv"
HISTORY = GOLDEN.with_name("历史.csv")
ROSTER = ROOT / "tests" / "scale" / "roster_csv" / "名单.csv"
INSTRUCTIONS = [
    ["2024 年度综合考核数据填报说明"],
    ["1. 请在“数据”表中逐个单位填写，不要修改编号。"],
    ["2. 百分数可写作 12.5%，千分位可写作 1,234。"],
    ["3. 填好后发回考核办。"],
]


def _golden_rows() -> list[list[object]]:
    """The golden data's header and rows, numbers as numbers (as Excel keeps them)."""
    lines = [line for line in GOLDEN.read_text("utf-8").splitlines() if not line.startswith("#")]
    rows: list[list[object]] = []
    for row in csv.reader(lines):
        rows.append([float(v) if v.replace(".", "", 1).isdigit() else v for v in row])
    return rows


def _instructions(book: Workbook, title: str = "填报说明") -> None:
    sheet = book.create_sheet(title, 0)
    for row in INSTRUCTIONS:
        sheet.append(row)
    sheet.merge_cells("A1:F1")  # a title over the page, as such pages have


def _data_sheet(book: Workbook, rows: list[list[object]], blank_columns: int = 2) -> None:
    """The golden rows with ``blank_columns`` unnamed columns of spaces at the right edge
    and two rows of spaces under the last unit."""
    sheet = book.create_sheet("数据")
    pad = [" "] * blank_columns
    for row in rows:
        sheet.append(row + pad)
    for _ in range(2):
        sheet.append([" "] * (len(rows[0]) + blank_columns))


def with_instructions() -> None:
    """填报说明 first, then the data with blank unnamed columns, then an empty Sheet3: a
    data folder (填报/) with the golden history beside it, for docs/evaluate.md."""
    book = Workbook()
    book.remove(book.active)
    _instructions(book)
    _data_sheet(book, _golden_rows())
    book.create_sheet("Sheet3")
    (HERE / "填报").mkdir(exist_ok=True)
    book.save(HERE / "填报" / "说明和数据.xlsx")
    shutil.copy(HISTORY, HERE / "填报" / "历史.csv")


def instructions_only() -> None:
    """Only the instructions and an empty sheet: no data sheet at all (a folder of its
    own, for docs/evaluate.md)."""
    book = Workbook()
    book.remove(book.active)
    _instructions(book)
    book.create_sheet("Sheet2")
    (HERE / "只有说明").mkdir(exist_ok=True)
    book.save(HERE / "只有说明" / "只有说明.xlsx")


def title_row() -> None:
    """A title row above the header: the sheet is data, its header is not in row 1."""
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(["2024 年度数据"])
    for row in _golden_rows():
        sheet.append(row)
    book.save(HERE / "标题行.xlsx")


def unnamed_value() -> None:
    """An unnamed column at the right edge holding one value (Y03's 利润 typed one column
    too far): the value would be lost, so the file is refused at that cell."""
    rows = _golden_rows()
    book = Workbook()
    book.remove(book.active)
    _data_sheet(book, rows)
    sheet = book["数据"]
    at = next(n for n, row in enumerate(rows, 1) if row[0] == "Y03")
    sheet.cell(row=at, column=len(rows[0]) + 2, value=80)
    book.save(HERE / "无名列有值.xlsx")


def csv_files() -> None:
    """The golden CSV as Excel saves a sheet with two formatted empty columns at the right
    edge (",," on every line) and blank rows under the last unit; and the same with one
    value in an unnamed column."""
    lines = GOLDEN.read_text("utf-8").splitlines()
    padded = [line if line.startswith("#") else line + ",," for line in lines]
    blank = "," * (lines[1].count(",") + 2)
    (HERE / "末尾空列.csv").write_text("\n".join([*padded, blank, blank]) + "\n", "utf-8")
    valued = [line + "5" if line.startswith("J05,") else line for line in padded]
    (HERE / "无名列有值.csv").write_text("\n".join(valued) + "\n", "utf-8")


def roster() -> None:
    """The golden roster as Excel on a Chinese Windows saves it ("CSV (逗号分隔)"):
    GB18030, CRLF, two empty columns at the right edge, a blank row at the end."""
    lines = ROSTER.read_text("utf-8").splitlines()
    padded = [line if line.startswith("#") else line + ",," for line in lines]
    blank = "," * (lines[1].count(",") + 2)
    text = "\r\n".join([*padded, blank]) + "\r\n"
    (HERE / "名单_GB18030.csv").write_bytes(text.encode("gb18030"))


if __name__ == "__main__":
    with_instructions()
    instructions_only()
    title_row()
    unnamed_value()
    csv_files()
    roster()
