"""Every template of rules/2024 opened with openpyxl and checked sheet by sheet against the
layout the rules give: validation rules, number formats, widths, frozen panes, protection,
fills, and the ignoredErrors of the 编号 column (read from the sheet's XML, which openpyxl
does not read back)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kaohe_rules.outputs.fill.layout import (
    FIRST_COLUMN,
    FIRST_ROW,
    GUIDE_SHEET,
    INFO_SHEET,
    Book,
    Column,
    books,
)
from kaohe_rules.pipeline import load_rules, plan_rules
from kaohe_rules.source import display_width
from tests.collect.conftest import RULES

LAYOUT = books(plan_rules(load_rules(RULES)))
YELLOW, GREY = "00FFF2CC", "00D9D9D9"


@pytest.fixture(scope="module")
def opened(templates: Path) -> dict[str, object]:
    return {b.lead: load_workbook(templates / b.file_name) for b in LAYOUT}


def test_every_lead_unit_has_its_file(templates: Path) -> None:
    assert sorted(p.name for p in templates.iterdir()) == sorted(b.file_name for b in LAYOUT)


@pytest.mark.parametrize("book", LAYOUT, ids=lambda b: b.lead)
def test_sheets_and_protection(book: Book, opened) -> None:
    workbook = opened[book.lead]
    assert workbook.sheetnames == [GUIDE_SHEET, *(p.title for p in book.pages), INFO_SHEET]
    assert workbook.active.title == GUIDE_SHEET  # the instructions are what opens first
    for sheet in workbook.worksheets:
        assert sheet.protection.sheet, sheet.title
    states = [s.sheet_state for s in workbook.worksheets]
    assert states == ["visible"] * (len(states) - 1) + ["hidden"]


@pytest.mark.parametrize("book", LAYOUT, ids=lambda b: b.lead)
def test_each_page_against_its_layout(book: Book, opened) -> None:
    workbook = opened[book.lead]
    for page in book.pages:
        sheet = workbook[page.title]
        last_row = FIRST_ROW + len(page.units) - 1
        last_column = FIRST_COLUMN + len(page.columns) - 1
        assert (sheet.max_row, sheet.max_column) == (last_row, last_column)
        assert sheet.freeze_panes == "C6"
        for row in sheet.iter_rows(max_row=FIRST_ROW - 1):
            assert all(c.font.b and c.protection.locked for c in row)
        ids = [sheet.cell(row=r, column=1) for r in range(FIRST_ROW, last_row + 1)]
        assert [c.value for c in ids] == [u for u, _ in page.units]
        assert all(c.number_format == "@" and c.protection.locked for c in ids)
        _widths(sheet, page)
        rules = _validations(sheet)
        for index, column in enumerate(page.columns):
            _column(sheet, FIRST_COLUMN + index, column, rules)


def _validations(sheet) -> dict:
    """Each column's one validation rule, by column number."""
    found = {}
    for rule in sheet.data_validations.dataValidation:
        columns = {c for cells in rule.sqref.ranges for c in (cells.min_col, cells.max_col)}
        assert len(columns) == 1  # a rule covers cells of one column only
        (column,) = columns
        assert column not in found
        found[column] = rule
    return found


def _widths(sheet, page) -> None:
    """编号 and 名称 as wide as their longest text (CJK counted double), indicator columns
    as wide as their name up to the cap, past which the header wraps."""
    width = {k: v.width for k, v in sheet.column_dimensions.items()}
    assert width["A"] >= max(len(u) for u, _ in page.units) + 2
    assert width["B"] >= max(display_width(n) for _, n in page.units) + 2
    for index, column in enumerate(page.columns):
        letter = sheet.cell(row=1, column=FIRST_COLUMN + index).column_letter
        assert min(display_width(column.name) + 2, 24) <= width[letter] <= 24
        assert sheet.cell(row=4, column=FIRST_COLUMN + index).alignment.wrap_text


def _column(sheet, index: int, column: Column, rules: dict) -> None:
    header = [sheet.cell(row=r, column=index).value for r in range(1, FIRST_ROW)]
    expected = [column.id, column.name, column.measure or None, column.target, column.range_text]
    assert header == expected
    asked = [r for r, a in enumerate(column.applies, FIRST_ROW) if a]
    rule = rules.get(index)
    if not asked:
        assert rule is None
        return
    assert (rule.type, rule.operator, rule.allow_blank, rule.showErrorMessage) == (
        "decimal",
        "between",
        True,
        True,
    )
    low, high = float(rule.formula1), float(rule.formula2)
    assert low == (-1e15 if column.minimum is None else column.minimum)
    assert high == (1e15 if column.maximum is None else column.maximum)
    covered = {
        row for cells in rule.sqref.ranges for row in range(cells.min_row, cells.max_row + 1)
    }
    assert covered == set(asked)  # validation on exactly the cells asked for
    for row in range(FIRST_ROW, FIRST_ROW + len(column.applies)):
        cell = sheet.cell(row=row, column=index)
        if row in covered:
            assert not cell.protection.locked and cell.fill.fgColor.rgb == YELLOW
            assert cell.number_format == ("0.00%" if column.percent else "General")
        else:
            assert cell.protection.locked and cell.fill.fgColor.rgb == GREY
        assert cell.value is None


@pytest.mark.parametrize("book", LAYOUT, ids=lambda b: b.lead)
def test_codes_raise_no_warning(book: Book, templates: Path) -> None:
    """Excel's "number stored as text" is switched off for the 编号 column of each page
    and the hidden sheet's values."""
    with zipfile.ZipFile(templates / book.file_name) as archive:
        sheets = sorted(
            (n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")),
            key=lambda n: int(re.findall(r"\d+", n)[0]),
        )
        ignored = [re.findall(rb'ignoredError sqref="([^"]+)"', archive.read(n)) for n in sheets]
    expected = [[]] + [[f"A6:A{5 + len(p.units)}".encode()] for p in book.pages] + [[b"B1:B5"]]
    assert ignored == expected


def test_the_instructions_fit(opened) -> None:
    sheet = opened["省财政厅"][GUIDE_SHEET]
    assert sheet.column_dimensions["A"].width == 90
    assert sheet["A1"].font.b and sheet["A1"].font.name == "Calibri"
    assert "共 221 个" in sheet["A5"].value
