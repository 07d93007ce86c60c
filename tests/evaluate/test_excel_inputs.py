"""Files as Excel users leave them (issue 21 item 5): a workbook with an instructions sheet,
blank unnamed columns at the right edge and blank rows under the data, a roster CSV saved
by Excel on a Chinese Windows. Each is read as meant, giving the golden year's results, or
refused where the problem is. The files are in excel_inputs/ (make_fixtures.py writes them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kaohe_rules.diagnostics import KaoheError, Severity
from kaohe_rules.outputs.report import result_rows
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT

HERE = Path(__file__).parent / "excel_inputs"
GOLDEN = ROOT / "tests" / "golden" / "evaluate"


def _folder(tmp_path: Path, *names: str) -> Path:
    """A data folder of the golden history and the named files of excel_inputs/."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(GOLDEN / "data" / "历史.csv", folder)
    for name in names:
        shutil.copy(HERE / name, folder / name)
    return folder


def _ruleset(rules: Path = GOLDEN / "rules"):
    return load_rules(rules).resolved.ruleset


def _rows(data: Path, rules: Path = GOLDEN / "rules") -> list:
    loaded = load_rules(rules)
    return result_rows(evaluate_year(loaded.resolved, read_data(data, loaded.resolved.ruleset)))


def _refused(folder: Path) -> list[tuple]:
    with pytest.raises(KaoheError) as raised:
        read_data(folder, _ruleset())
    return [
        (d.code, Path(d.span.file).name, d.span.line, d.span.column, d.message)
        for d in raised.value.diagnostics
    ]


@pytest.fixture(scope="module")
def golden_rows() -> list:
    return _rows(GOLDEN / "data")


def test_the_fixture_workbook_is_what_a_clerk_sends() -> None:
    """The workbook holds what the tests below rely on, read back with openpyxl."""
    book = load_workbook(HERE / "填报" / "说明和数据.xlsx")
    assert book.sheetnames == ["填报说明", "数据", "Sheet3"]
    assert str(book["填报说明"].merged_cells) == "A1:F1"
    data = book["数据"]
    header = [c.value for c in data[1]]
    assert header[:2] == ["编号", "名称"] and header[-2:] == [" ", " "]
    assert [c.value for c in data[data.max_row]] == [" "] * len(header)


def test_an_instructions_sheet_is_skipped_with_a_note(golden_rows) -> None:
    folder = HERE / "填报"
    data = read_data(folder, _ruleset())
    notes = [d for d in data.warnings if d.code == "KH526"]
    assert [(Path(d.span.file).name, d.span.line, d.severity) for d in notes] == [
        ("说明和数据.xlsx[填报说明]", 1, Severity.WARNING),
        ("说明和数据.xlsx[Sheet3]", 1, Severity.WARNING),
    ]
    assert "没有单位列" in notes[0].message and "是空的" in notes[1].message
    # …and the data sheet beside it, its blank columns and rows ignored, scores as the CSV
    assert _rows(folder) == golden_rows


def test_a_workbook_without_a_data_sheet_is_refused() -> None:
    [found] = _refused(HERE / "只有说明")
    assert found[:4] == ("KH308", "只有说明.xlsx[填报说明]", 1, 1)
    assert "工作簿中没有数据表：可见的工作表（填报说明）都没有单位列" in found[4]


def test_a_title_row_above_the_header_is_not_taken_for_instructions(tmp_path: Path) -> None:
    """The sheet names a unit column lower down: it is data, not skipped (its values
    would be lost)."""
    [found] = _refused(_folder(tmp_path, "标题行.xlsx"))
    assert found[:4] == ("KH308", "标题行.xlsx[数据]", 2, 1)
    assert "第 2 行有单位列 '编号'，而列名行（第 1 行）没有" in found[4]


def test_a_value_in_an_unnamed_column_is_refused_where_it_is(tmp_path: Path) -> None:
    sheet = load_workbook(HERE / "无名列有值.xlsx")["数据"]
    assert (sheet["A19"].value, sheet["M1"].value, sheet["O19"].value) == ("Y03", "专项", 80)
    [found] = _refused(_folder(tmp_path, "无名列有值.xlsx"))
    assert found[:4] == ("KH527", "无名列有值.xlsx[数据]", 19, 15)  # O19
    assert "第 15 列没有列名，而这一格有值 '80'" in found[4]


def test_csv_blank_columns_and_rows_are_ignored(tmp_path: Path, golden_rows) -> None:
    assert _rows(_folder(tmp_path, "末尾空列.csv")) == golden_rows


def test_a_csv_value_in_an_unnamed_column_is_refused_at_its_character(tmp_path: Path) -> None:
    [found] = _refused(_folder(tmp_path, "无名列有值.csv"))
    line = (HERE / "无名列有值.csv").read_text("utf-8").splitlines()[6]
    assert line.startswith("J05,") and line.endswith(",,5")
    # line 7 of the file; the value is its last character
    assert found[:4] == ("KH527", "无名列有值.csv", 7, len(line))
    assert "第 15 列没有列名，而这一格有值 '5'" in found[4]


def _roster_rules(tmp_path: Path, roster: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "tests" / "scale" / "roster_csv", rules)
    shutil.copy(HERE / roster, rules / "名单.csv")
    return rules


@pytest.mark.parametrize("columnar", [False, True])
def test_a_gb18030_roster_from_excel_reads_like_a_data_csv(
    tmp_path: Path, golden_rows, columnar, monkeypatch
) -> None:
    """GB18030, CRLF, blank columns at the right edge and a blank last row; the columnar
    reader (forced here) hands it to the row reader."""
    from kaohe_rules.read import roster_text

    monkeypatch.setattr(roster_text, "COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    monkeypatch.setattr(roster_text, "LOADED_COLUMNAR_BYTES", 0 if columnar else 1 << 40)
    raw = (HERE / "名单_GB18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rules = _roster_rules(tmp_path, "名单_GB18030.csv")
    units = _ruleset(rules).units
    assert [u.id for u in units][:3] == ["J01", "J02", "J03"] and units[0].name == "甲一"
    assert units[24].span.line == 27  # lines counted as in the file
    assert _rows(GOLDEN / "data", rules) == golden_rows


def test_a_roster_value_in_an_unnamed_column_is_refused(tmp_path: Path) -> None:
    text = (HERE / "名单_GB18030.csv").read_bytes().decode("gb18030")
    changed = text.replace("J03,甲三,甲,甲,,,", "J03,甲三,甲,甲,,,大")
    assert changed != text
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "tests" / "scale" / "roster_csv", rules)
    (rules / "名单.csv").write_bytes(changed.encode("gb18030"))
    with pytest.raises(KaoheError) as raised:
        load_rules(rules)
    [found] = raised.value.diagnostics
    assert (found.code, found.span.line, found.span.column) == ("KH527", 5, 7)
    assert "第 7 列没有列名，而这一格有值 '大'" in found.message


def test_a_roster_workbook_with_blank_columns_and_rows(tmp_path: Path, golden_rows) -> None:
    """名单.xlsx: the header's blank cells at the right edge and blank rows under the last
    unit are dropped, as in a CSV roster."""
    from openpyxl import Workbook

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "tests" / "scale" / "roster_csv", rules)
    lines = (rules / "名单.csv").read_text("utf-8").splitlines()[1:]
    book = Workbook()
    for line in lines:
        book.active.append([*line.split(","), " ", " "])
    book.active.append([" "] * 7)
    book.save(rules / "名单.xlsx")
    (rules / "名单.csv").unlink()
    yaml = (rules / "名单.yaml").read_text("utf-8").replace("单位: 名单.csv", "单位: 名单.xlsx")
    (rules / "名单.yaml").write_text(yaml, "utf-8")
    assert _rows(GOLDEN / "data", rules) == golden_rows


def _workbook(tmp_path: Path, sheets: dict[str, list[list]]) -> Path:
    """A data folder of one workbook, its sheets given row by row (a value starting with
    = is a formula openpyxl saves without its result, as Excel never computed it)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    folder = tmp_path / "data"
    folder.mkdir()
    book.save(folder / "填报.xlsx")
    return folder


DATA = [["编号", "增速"], ["J01", 10]]


@pytest.mark.parametrize(
    ("rows", "line", "column", "words"),
    [
        # a data sheet whose unit column is misnamed: 增速 is an indicator of the rules
        ([["区县", "增速"], ["J02", 9]], 1, 2, "而第 1 行有指标或数据项 '增速'：像是数据表"),
        # a long sheet with misnamed columns: a unit's name gives it away
        ([["单位全称", "项目", "数"], ["甲二", "增速", 9]], 2, 1, "而第 2 行有单位 '甲二'"),
        ([["说明"], ["下面是往年结果"], ["年度"]], 3, 1, "有数据文件的列名 '年度'"),
    ],
    ids=["misnamed-unit-column", "unit-name-in-a-cell", "column-name-in-a-cell"],
)
def test_a_sheet_holding_what_data_holds_is_not_skipped(
    tmp_path: Path, rows, line, column, words
) -> None:
    [found] = _refused(_workbook(tmp_path, {"数据": DATA, "其他": rows}))
    assert found[:4] == ("KH308", "填报.xlsx[其他]", line, column)
    assert words in found[4]


def test_an_unsaved_formula_in_an_instructions_sheet_is_refused(tmp_path: Path) -> None:
    """Its value might be a unit column's name: the sheet cannot be judged, so not skipped."""
    sheets = {"填报说明": [["说明"], ['="编"&"号"']], "数据": DATA}
    [found] = _refused(_workbook(tmp_path, sheets))
    assert found[:4] == ("KH308", "填报.xlsx[填报说明]", 2, 1)
    assert "没有保存计算结果" in found[4]


def test_a_data_sheet_is_as_strict_as_before(tmp_path: Path) -> None:
    """Merged cells are refused in a data sheet, whatever sheets stand beside it."""
    from openpyxl import load_workbook as load

    folder = _workbook(tmp_path, {"填报说明": [["说明"]], "数据": [*DATA, ["J02", 9]]})
    book = load(folder / "填报.xlsx")
    book["数据"].merge_cells("B2:B3")
    book.save(folder / "填报.xlsx")
    [found] = _refused(folder)
    assert found[:4] == ("KH308", "填报.xlsx[数据]", 2, 2)
    assert "合并单元格" in found[4]


def test_a_roster_workbook_repeating_a_column_is_refused(tmp_path: Path) -> None:
    """As in a CSV roster (KH303), no longer pandas' renamed 名称.1 (KH232)."""
    from openpyxl import Workbook

    from kaohe_rules.diagnostics import Collector
    from kaohe_rules.read.roster import read_units

    book = Workbook()
    book.active.append(["编号", "名称", "领域", "名称", " "])
    book.active.append(["J01", "甲一", "甲", "甲一", " "])
    book.save(tmp_path / "名单.xlsx")
    errors = Collector()
    assert read_units(tmp_path / "名单.xlsx", {}, errors) == ()
    [found] = errors.items
    assert (found.code, found.span.line, found.span.column) == ("KH303", 1, 4)
