"""The row reader's speed techniques give what the plain code gives: a number's value read
with float() where it has no %, and each cell's place worked out only when asked for."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.pipeline import load_rules
from kaohe_rules.read import columnar
from kaohe_rules.read.cells import _NUMBER, parse_number
from kaohe_rules.read.csv import field_columns
from kaohe_rules.read.data import read_data

ROOT = Path(__file__).resolve().parents[2]


def _by_decimal(text: str) -> float | None:
    try:
        number = float(Decimal(text))
    except InvalidOperation:
        return None
    return number if math.isfinite(number) and abs(number) < 1e300 else None


@given(st.from_regex(_NUMBER, fullmatch=True))
@settings(max_examples=1500, deadline=None)
def test_a_plain_number_reads_as_through_decimal(text: str) -> None:
    assert parse_number(text) == _by_decimal(text)


@given(st.floats(allow_nan=False, allow_infinity=False))
@settings(max_examples=1500, deadline=None)
def test_a_float_written_out_reads_back(value: float) -> None:
    for text in (repr(value), f"{value:.17g}", f"{value:f}"):
        if _NUMBER.match(text):
            assert parse_number(text) == _by_decimal(text)


def test_every_value_is_placed_where_its_cell_stands(monkeypatch) -> None:
    """Every value of the bundled samples points at its own cell: the place made when
    asked for is the field of the line the value is in (row by row, whatever is loaded)."""
    monkeypatch.setattr(columnar, "MIN_BYTES", 10**12)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", 10**12)
    ruleset = load_rules(ROOT / "rules" / "2024").resolved.ruleset
    data = read_data(ROOT / "samples" / "2024", ruleset)
    assert len(data.where) > 7000
    lines: dict[str, list[str]] = {}
    for (unit_id, name), cell in data.where.items():
        span = cell.span
        raw = lines.setdefault(span.file, Path(span.file).read_text("utf-8").split("\n"))
        line = raw[span.line - 1]
        fields = line.split(",")
        place = field_columns(line, len(fields))
        index = place.index((span.column, span.end_column))
        assert fields[index].strip() == cell.text
        assert unit_id in line and (name in line or any(name in r for r in raw[:5]))


def _before(text: str) -> float | None:
    """parse_number as it read every cell before (through Decimal)."""
    from kaohe_rules.read.cells import _THOUSANDS, FULL_WIDTH_DIGITS

    text = text.strip().replace("％", "%").translate(FULL_WIDTH_DIGITS)
    percent = text.endswith("%")
    body = text[:-1].strip() if percent else text
    if _THOUSANDS.match(body):
        body = body.replace(",", "")
    if not _NUMBER.match(body):
        return None
    try:
        value = Decimal(body)
    except InvalidOperation:
        return None
    number = float(value / 100 if percent else value)
    return number if math.isfinite(number) and abs(number) < 1e300 else None


CELL_TEXT = st.one_of(
    st.from_regex(_NUMBER, fullmatch=True),
    st.text(alphabet="0123456789.,%％eE+- ０１２９\n", max_size=14),
    st.from_regex(r"\A ?[-+]?\d{1,3}(,\d{3})+(\.\d+)?%? ?\Z"),
)


@given(CELL_TEXT)
@settings(max_examples=3000, deadline=None)
def test_a_cell_reads_as_before(text: str) -> None:
    assert parse_number(text) == _before(text)


@given(st.lists(st.text(alphabet=st.sampled_from(" \t\u3000\u00a0\u200bx,\r\n\x0b\x1c"))))
@settings(max_examples=1500, deadline=None)
def test_a_row_is_blank_by_its_joined_text_as_by_each_cell(cells: list[str]) -> None:
    """read_csv keeps a row when "".join(row).strip(): exactly when some cell is not blank."""
    assert bool("".join(cells).strip()) == any(cell.strip() for cell in cells)
