"""The text cells every format gives, and how a data cell is read: numbers as staff write
them (12.5%, 1,234), yes and no, the columns that name a unit, ranges as messages say them."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Protocol

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.records import data_record
from kaohe_rules.source import Span

UNIT_COLUMNS = ("编号", "单位编号", "单位", "名称", "单位名称")
DESCRIPTIVE = {"名称", "单位名称", "领域", "类别", "备注", "说明", "数据来源"}
# ASCII digits only (re.ASCII): Python's \d and Decimal also take other scripts' digits
# (١٣, १२), which no assessment office types and a corrupted file may hold. Full-width
# digits (Excel's ９０) are read as documented: translated first.
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$", re.ASCII)
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
TRUE_TEXTS = {"true", "True", "TRUE", "是", "1"}  # how data and roster files write yes/no
FALSE_TEXTS = {"false", "False", "FALSE", "否", "0"}


@data_record(frozen=False)
class Sheet:
    """One sheet of cells, with the file line (or sheet row) of each row and, for CSV,
    the raw lines, so that a problem is shown at its character column."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    header_line: int = 1
    raw: list[str] | None = None


class Placed(Protocol):
    """A cell as the row reader gives it: its text, trimmed, and its place (made only when
    it is asked for, rows.PlacedCell)."""

    text: str

    @property
    def span(self) -> Span: ...


class SheetProblem(Exception):
    """A file whose sheets cannot be read as tables, said as one diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def repeated_name(names: list[str]) -> int | None:
    """The index of the first name that an earlier one already gave (KH303), or None;
    in one pass, as a header may have 200,000 names."""
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if first.setdefault(name, index) != index:
            return index
    return None


def named_width(header: list[str]) -> int:
    """How many columns the header keeps once the columns at its right edge without a name
    are dropped: Excel leaves empty or formatted cells there, and a CSV export of them ends
    each line with commas."""
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    return width


def unnamed_value(row: list, width: int, full: int) -> int | None:
    """The index of the first cell of ``row`` that holds something in a column dropped by
    named_width (``width`` to ``full``), or None: such a value would be lost, so it is an
    error (KH527) where it stands, not a column quietly dropped."""
    for index in range(width, min(len(row), full)):
        if str(row[index]).strip():
            return index
    return None


def unnamed_problem(index: int, text: str, span: Span) -> SheetProblem:
    """KH527 for a value in a column without a name."""
    shown = text.strip()
    shown = shown if len(shown) <= 20 else shown[:20] + "…"
    message = f"第 {index + 1} 列没有列名，而这一格有值 '{shown}'，这个值不会被读入"
    hint = "给这一列写上列名，或删去这个值；只有列名和下面各格都空的列才被忽略"
    return SheetProblem(Diagnostic("KH527", message, span, hint))


def cell_text(value: object) -> str:
    """A spreadsheet or Parquet value as the text a CSV file would hold (12, not 12.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_number(text: str) -> float | None:
    """A data cell as a number: 12.5, -3, 1e3, 12.5% (0.125), 1,234; None if it is not one."""
    text = text.strip()
    if _NUMBER.match(text) and "e" not in text and "E" not in text:
        number = float(text)  # plain ASCII digits (nearly every cell): as below, sooner
        return number if math.isfinite(number) and abs(number) < 1e300 else None
    text = text.replace("％", "%").translate(FULL_WIDTH_DIGITS)
    percent = text.endswith("%")
    body = text[:-1].strip() if percent else text
    if _THOUSANDS.match(body):
        body = body.replace(",", "")
    if not _NUMBER.match(body):
        return None
    if not percent and "e" not in body and "E" not in body:
        # float() of plain digits rounds correctly, as float(Decimal(text)) does (an
        # exponent goes through Decimal, which refuses one beyond its range, even 0E99…9)
        number = float(body)
        return number if math.isfinite(number) and abs(number) < 1e300 else None
    try:
        value = Decimal(body)
    except InvalidOperation:
        return None
    number = float(value / 100 if percent else value)
    return number if math.isfinite(number) and abs(number) < 1e300 else None


def allowed_range(low: float | None, high: float | None, shown=lambda v: f"{v:g}") -> str:
    """A range as messages say it: 不能小于 0, 不能大于 100%, or 0 ~ 100 (``shown`` writes
    each bound); for data items (KH305) and indicators (KH316, plausibility.py)."""
    if high is None:
        return f"不能小于 {shown(low)}"
    if low is None:
        return f"不能大于 {shown(high)}"
    return f"{shown(low)} ~ {shown(high)}"
