"""A roster CSV read by rows (the csv module) and by columns (pyarrow, for large files) gives
the same cells at the same lines, or the columnar reader hands the file to the row reader;
problems are said the same way by both."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from kaohe_rules.diagnostics import Collector
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT
from kaohe_rules.read import roster_text
from kaohe_rules.read.cells import SheetProblem
from kaohe_rules.read.roster import read_units
from tests.conftest import ROOT

HERE = ROOT / "tests" / "scale" / "roster_files"
ATTRIBUTES = {"类型": TEXT, "规模": TEXT}


def _text(path: Path, monkeypatch, columnar: bool) -> roster_text.RosterText:
    monkeypatch.setattr(roster_text, "COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    monkeypatch.setattr(roster_text, "LOADED_COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    found = roster_text.read_text(path, path.name, lambda header, line: True)
    assert found is not None
    return found


def _same(a: roster_text.RosterText, b: roster_text.RosterText) -> None:
    assert a.header == b.header and a.header_line == b.header_line
    assert a.lines.tolist() == b.lines.tolist()
    for name in a.header:
        assert a.raw[name].tolist() == b.raw[name].tolist()
        assert a.text[name].tolist() == b.text[name].tolist()


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("普通.csv", [3, 4, 5]),  # a BOM, a comment line, CRLF, blank lines at the end
        ("空行.csv", [2, 4, 7]),  # a blank line, a row of empty cells, a row of spaces
        ("引号换行.csv", [2, 4, 5]),  # a quoted line break: the next unit is a line later
        ("首尾空格.csv", [2, 3, 4]),  # cells with spaces at an end: kept raw, trimmed as text
    ],
)
def test_both_readers_give_the_same_cells_at_the_same_lines(name, lines, monkeypatch) -> None:
    by_rows = _text(HERE / name, monkeypatch, columnar=False)
    by_columns = _text(HERE / name, monkeypatch, columnar=True)
    _same(by_rows, by_columns)
    assert by_rows.lines.tolist() == lines
    assert by_rows.text["编号"].tolist() == ["J01", "J02", "J03"]


def test_padded_cells_are_trimmed_as_text_and_kept_as_written(monkeypatch) -> None:
    found = _text(HERE / "首尾空格.csv", monkeypatch, columnar=True)
    assert found.raw["名称"][0] == "甲一\u3000" and found.text["名称"][0] == "甲一"
    assert found.raw["编号"][1] == " J02" and found.text["编号"][1] == "J02"


def test_the_columnar_reader_takes_a_plain_file_and_shares_repeated_cells() -> None:
    rows = [f"J{i:03},甲{i},{'甲乙'[i % 2]},甲," for i in range(100)]
    data = ("编号,名称,领域,类型,规模\n" + "\n".join(rows) + "\n").encode()
    found = roster_text._by_columns(data, "名单.csv", lambda header, line: True)
    assert isinstance(found, roster_text.RosterText)
    assert found.shared == {"领域", "类型", "规模"}  # 甲, 乙, 甲 …: made from the distinct cells
    domains = found.text["领域"]
    assert domains[0] is domains[2] and domains.tolist() == ["甲乙"[i % 2] for i in range(100)]
    assert found.lines.tolist() == list(range(2, 102))
    # A quoted line break: lines are not rows one to one, so the row reader reads it.
    quoted = (HERE / "引号换行.csv").read_bytes()
    assert roster_text._by_columns(quoted, "x.csv", lambda header, line: True) is False


def test_the_space_set_is_what_str_strip_removes() -> None:
    # Every code point but the surrogates, each between two letters and at each end.
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    starts = pa.array([chr(c) + "x" for c in points])
    ends = pa.array(["x" + chr(c) for c in points])
    expected = {chr(c) for c in points if chr(c).isspace()}
    found = set(roster_text._SPACE_TEXT)
    assert found == expected, sorted(hex(ord(c)) for c in found ^ expected)
    # the reader's own check, on the UTF-8 bytes at each end of a cell, agrees
    for cells in (starts, ends, pa.array([chr(c) for c in points]).slice(1)):
        edge = roster_text._edge_spaces(cells)
        wanted = np.array(
            [s.isspace() or s[:1].isspace() or s[-1:].isspace() for s in cells.to_pylist()]
        )
        assert (edge == wanted).all(), [
            c for c, e, w in zip(cells.to_pylist(), edge, wanted, strict=True) if e != w
        ][:5]
    assert roster_text._edge_spaced(pa.array(["甲", "乙\u3000"]))
    assert not roster_text._edge_spaced(pa.array(["甲", "", "乙丙"]))


@pytest.mark.parametrize("columnar", [False, True])
@pytest.mark.parametrize(
    ("name", "code", "line", "column", "words"),
    [
        ("引号未闭合.csv", "KH308", 3, 1, "第 3 行起的引号没有闭合"),
        ("少一列.csv", "KH308", 3, 1, "第 3 行有 4 个值，而列名有 5 个"),
        ("列名重复.csv", "KH303", 1, 5, "列名 '类型' 重复（第 5 列）"),
        ("UTF16.csv", "KH308", 1, 1, "编码不是 UTF-8 或 GB18030"),
    ],
)
def test_problems_are_said_the_same_by_both(
    name, code, line, column, words, columnar, monkeypatch
) -> None:
    monkeypatch.setattr(roster_text, "COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    monkeypatch.setattr(roster_text, "LOADED_COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    with pytest.raises(SheetProblem) as raised:
        roster_text.read_text(HERE / name, name, lambda header, line: True)
    found = raised.value.diagnostic
    assert (found.code, found.span.line, found.span.column) == (code, line, column)
    assert words in found.message


@pytest.mark.parametrize("columnar", [False, True])
def test_a_unit_after_blank_lines_is_placed_at_its_own_line(columnar, monkeypatch) -> None:
    monkeypatch.setattr(roster_text, "COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    monkeypatch.setattr(roster_text, "LOADED_COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    errors = Collector()
    assert read_units(HERE / "空编号在空行后.csv", ATTRIBUTES, errors) == ()
    [found] = errors.items
    assert (found.code, found.span.line, found.span.column) == ("KH213", 5, 1)


@pytest.mark.parametrize("columnar", [False, True])
def test_typed_attributes(columnar, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(roster_text, "COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    monkeypatch.setattr(roster_text, "LOADED_COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    path = tmp_path / "名单.csv"
    rows = ["J01,甲一,甲,１２,是", "J02,甲二,甲,3.5,否", "J03,甲三,乙,,", "J04,甲四,乙,12,是"]
    path.write_text("编号,名称,领域,规模,达标\n" + "\n".join(rows) + "\n", "utf-8")
    errors = Collector()
    units = read_units(path, {"规模": NUMBER, "达标": BOOL}, errors)
    assert not errors.items
    assert units.column("unit.规模").tolist() == [12.0, 3.5, None, 12.0]
    assert units.column("unit.达标").tolist() == [True, False, None, True]
    assert units[2].attributes == ()
    assert units[3].span.line == 5
    path.write_text("编号,名称,领域,规模,达标\nJ01,甲一,甲,1,是\nJ02,甲二,甲,12x,否\n", "utf-8")
    errors = Collector()
    assert read_units(path, {"规模": NUMBER, "达标": BOOL}, errors) == ()
    [found] = errors.items
    assert (found.code, found.span.line, found.span.column) == ("KH232", 3, 4)
    assert "'12x'" in found.message


@pytest.mark.parametrize("columnar", [False, True])
def test_a_gb18030_roster_reads_like_a_data_file(columnar, monkeypatch) -> None:
    """Excel on a Chinese Windows saves 名单.csv in GB18030: read as a data CSV is, by
    rows (the columnar reader takes UTF-8 only and hands it over)."""
    found = _text(HERE / "GB18030.csv", monkeypatch, columnar)
    assert found.header == ["编号", "名称", "领域", "类型", "规模"]
    assert [found.text[name][0] for name in found.header] == ["J01", "甲一", "甲", "甲", "大"]
    assert found.lines.tolist() == [2]
