"""Property tests: on files made of cells drawn from clean and hostile ones, the columnar
readers and the row reader give the same outcome (the same data set, or the same errors at
the same places); and a number cell is read as cells.parse_number reads it, or declined."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kaohe_rules.read.arrow_values import numbers
from kaohe_rules.read.cells import parse_number
from tests.scale.test_columnar_agree import GOLDEN, agree

UNITS = ["J01", "J02", "Y01", "B01", " J03", "J0４", "J99", "", "甲一", "乙二"]
NUMBERS = ["0", "1", "100", "2.5", "-1", "1e2", "", "nan", "inf", "12.5%", "1,234", " 3", "1e400"]
NUMBERS += ["+.5", "1.", ".5", "0x10", "１２", "-0", "NaN", "1_0", "是"]
TRUTHS = ["是", "否", "true", "False", "1", "0", "", "也许", " 是"]
CHOICES = ["优秀", "良好", "一般", "", "极好", " 良好"]
SLOW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def wide_files(draw) -> str:
    units = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=6))
    lines = ["编号,基础分,表彰数,事故,班子等次"]
    for unit in units:
        cells = [unit, draw(st.sampled_from(NUMBERS)), draw(st.sampled_from(NUMBERS))]
        cells += [draw(st.sampled_from(TRUTHS)), draw(st.sampled_from(CHOICES))]
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    return "\n".join(lines) + "\n"


@st.composite
def long_files(draw) -> str:
    rows = draw(st.lists(st.tuples(st.sampled_from(UNITS), st.sampled_from(NUMBERS))))
    names = st.sampled_from(["基础分", "表彰数", "问题数", "表彰", "基础分 "])
    lines = ["编号,指标,值"]
    for unit, value in rows:
        name = draw(names)
        lines.append(",".join(f'"{c}"' if "," in c else c for c in (unit, name, value)))
    return "\n".join(lines) + "\n"


def _agree_on(text: str, name: str, monkeypatch) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_text(text, encoding="utf-8")
        agree(GOLDEN / "rules", Path(folder), monkeypatch)


@SLOW
@given(text=wide_files())
@example(text="编号,基础分,表彰数,事故,班子等次\nJ01,0,0,,优秀\n")  # a column with no value
def test_a_wide_file_of_any_cells_reads_the_same(text, monkeypatch) -> None:
    _agree_on(text, "宽.csv", monkeypatch)


@SLOW
@given(text=long_files())
def test_a_long_file_of_any_cells_reads_the_same(text, monkeypatch) -> None:
    _agree_on(text, "长.csv", monkeypatch)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from(NUMBERS), st.text(alphabet="0123456789.-+eE%, naif", max_size=8)))
def test_a_number_cell_is_the_row_readers_number_or_declined(text) -> None:
    found = numbers(pa.array([text or None], type=pa.string()))
    if found is None:
        return  # declined: the row reader reads it
    expected = parse_number(text) if text else None
    if expected is None:
        assert text == "" and found[0] != found[0]  # an empty cell: no value
    else:
        assert found[0] == expected and str(found[0]) == str(expected)


@pytest.mark.parametrize("text", ["1e5", "-0", "+.5", ".5", "1."])
def test_plain_forms_are_read_not_declined(text) -> None:
    found = numbers(pa.array([text], type=pa.string()))
    if found is not None:
        assert found[0] == parse_number(text)
