"""A lead unit's clerk, for the tests: fills a template with openpyxl as a person would,
reading the values from a long-form sample data file, and may leave cells empty."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from kaohe_rules.outputs.excel import stable_workbook
from kaohe_rules.outputs.fill.layout import FIRST_COLUMN, FIRST_ROW, GUIDE_SHEET, INFO_SHEET

SAMPLE_VALUES = Path(__file__).resolve().parents[2] / "samples" / "2024" / "指标值.csv"


def sample_values(path: Path = SAMPLE_VALUES) -> dict[tuple[str, str], str]:
    """(编号, 指标) → the value as the sample file writes it."""
    with open(path, encoding="utf-8") as stream:
        lines = [line for line in stream if not line.startswith("#")]
    return {(r["编号"], r["指标"]): r["值"] for r in csv.DictReader(lines)}


def fill(
    template: Path,
    target: Path,
    values: dict[tuple[str, str], str],
    skip: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[str, str]]:
    """Fill every unlocked cell of ``template`` that ``values`` has, except the (编号,
    指标) pairs of ``skip``; save as ``target``. Returns the pairs filled."""
    book = load_workbook(template)
    filled = []
    for sheet in book.worksheets:
        if sheet.title in (GUIDE_SHEET, INFO_SHEET):
            continue
        ids = [c.value for c in sheet[1]]
        for row in range(FIRST_ROW, sheet.max_row + 1):
            unit = sheet.cell(row=row, column=1).value
            for column in range(FIRST_COLUMN, len(ids) + 1):
                cell = sheet.cell(row=row, column=column)
                key = (unit, ids[column - 1])
                if cell.protection.locked or key in skip or not values.get(key):
                    continue
                cell.value = float(values[key])  # what a clerk types, as Excel stores it
                filled.append(key)
    save(book, target)
    return filled


def save(book, target: Path) -> None:
    """Save with fixed timestamps: fixture files made again differ only where their
    cells do (test_fixtures_are_current compares the cells)."""
    buffer = io.BytesIO()
    book.save(buffer)
    target.write_bytes(stable_workbook(buffer.getvalue()))


def set_cell(path: Path, sheet: str, cell: str, value: object) -> None:
    """Type ``value`` into one cell, over any protection or validation (as a paste does)."""
    book = load_workbook(path)
    book[sheet][cell] = value
    save(book, path)
