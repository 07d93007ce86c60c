"""Every workbook the commands write, opened with openpyxl as a reader of the file would.

The bundled 2024 rules and sample (indicators in % and in other units, a special
assessment with tiers of its own, the sample notice) and the golden fixture (not the
sample) go through evaluate, feedback, attribute and analyze; each workbook is checked
for what staff see: a bold, frozen, filtered header; widths that fit Chinese text; each
number displayed as the terminal prints it, a percent where the indicator's 单位 is %, the
stored value untouched; codes as text without Excel's warning; 名次 as numbers; tier
fills; a 说明 sheet; the same bytes on a second run.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kaohe_rules.cli import cli
from kaohe_rules.outputs.excel import ABOUT, MAX_WIDTH, Sheet, workbook
from kaohe_rules.outputs.explain import show_percent
from kaohe_rules.pipeline import load_rules
from kaohe_rules.source import cell_text, display_width
from tests.conftest import ROOT

Y24 = ["--rules", str(ROOT / "rules" / "2024"), "--data", str(ROOT / "samples" / "2024")]
GOLDEN = ROOT / "tests" / "golden" / "evaluate"
GOLDEN_ARGS = ["--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
TREND = ["--rules-root", str(ROOT / "rules"), "--data-root", str(ROOT / "samples")]
SAMPLE = "内置的合成示例数据（并非真实考核数据）"

COMMANDS = {
    "结果.xlsx": ["evaluate", *Y24],
    "问题清单.xlsx": ["feedback", *Y24],
    "实绩到人.xlsx": ["attribute", *Y24],
    "指标分析.xlsx": ["analyze", "indicators", *Y24],
    "领域分析.xlsx": ["analyze", "domains", *Y24],
    "趋势.xlsx": ["analyze", "trend", *TREND, "2023", "2024"],
    "黄金结果.xlsx": ["evaluate", *GOLDEN_ARGS],
}


def _write(folder: Path, name: str) -> Path:
    path = folder / name
    result = CliRunner().invoke(cli, [*COMMANDS[name], "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    return {name: _write(folder, name) for name in COMMANDS}


@pytest.fixture(scope="module")
def units_of_measure() -> dict[str, str]:
    """Each indicator's 单位 by id, from the 2024 rules (one spelling per id there)."""
    ruleset = load_rules(ROOT / "rules" / "2024").resolved.ruleset
    found: dict[str, set[str]] = {}
    for domain in ruleset.domains:
        for indicator in domain.all_indicators():
            found.setdefault(indicator.id, set()).add(indicator.unit_of_measure)
    assert all(len(units) == 1 for units in found.values())
    return {key: units.pop() for key, units in found.items()}


def _tables(book):
    return [sheet for sheet in book.worksheets if sheet.title != ABOUT]


def _displayed(value: object, number_format: str) -> str:
    """What Excel shows for a number under the formats the writer uses."""
    match = re.fullmatch(r"0(?:\.(0+))?(%?)", number_format)
    assert match, f"unexpected number format {number_format!r}"
    places = len(match.group(1) or "")
    if match.group(2):
        return f"{value * 100:.{places}f}%"
    return f"{value:.{places}f}"


def _ignored(path: Path) -> dict[str, str]:
    """Each sheet's ranges under ignoredErrors numberStoredAsText, read from the XML,
    sheets found through the workbook's relationships as Excel finds them."""
    archive = zipfile.ZipFile(path)
    book = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    found = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', book):
        member = "xl/" + targets[rid].removeprefix("/xl/")
        xml = archive.read(member).decode()
        ranges = re.findall(r'<ignoredError sqref="([^"]+)" numberStoredAsText="1"', xml)
        found[name] = " ".join(ranges)
    return found


def test_every_table_sheet_has_a_bold_frozen_filtered_header(written) -> None:
    for name, path in written.items():
        book = load_workbook(path)
        assert book.sheetnames[-1] == ABOUT, name
        for sheet in _tables(book):
            where = f"{name}[{sheet.title}]"
            assert sheet.freeze_panes == "A2", where
            assert sheet.auto_filter.ref == sheet.dimensions, where  # every row and column
            assert all(cell.font.b for cell in sheet[1]), where
            assert not any(cell.font.b for cell in sheet[2]), where


def test_widths_fit_the_widest_cell_counting_chinese_as_two(written) -> None:
    sheet = load_workbook(written["结果.xlsx"])["结果"]
    names = [cell.value for cell in sheet["B"][1:]]
    widest = max(display_width(n) for n in names)
    assert widest > max(len(n) for n in names) + 10  # Chinese names: display width counts
    assert sheet.column_dimensions["B"].width == min(MAX_WIDTH, widest + 2)
    for path in written.values():
        for table in _tables(load_workbook(path)):
            for letter, dimension in table.column_dimensions.items():
                header = table[f"{letter}1"].value
                assert display_width(header) < dimension.width <= MAX_WIDTH, header


def test_every_number_is_displayed_as_the_terminal_prints_it(written, units_of_measure) -> None:
    shares = {"完成率", "权重", "满分占比", "零分占比", "党建占比", "发展占比", "满意度占比"}
    percents = 0
    for name, path in written.items():
        for sheet in _tables(load_workbook(path)):
            header = [cell.value for cell in sheet[1]]
            for row in sheet.iter_rows(min_row=2):
                record = dict(zip(header, row, strict=True))
                for column, cell in record.items():
                    if not isinstance(cell.value, int | float):
                        assert cell.number_format == "General", (name, column, cell.value)
                        continue
                    key = record.get("指标")
                    share = column in shares or (
                        column in ("值", "目标值", "差距")
                        and units_of_measure.get(key and key.value) == "%"
                    )
                    expected = show_percent(cell.value) if share else cell_text(cell.value)
                    shown = _displayed(cell.value, cell.number_format)
                    assert shown == expected, (name, sheet.title, cell.coordinate)
                    percents += share
    assert percents > 3000


def test_a_percent_value_is_stored_as_the_engine_keeps_it(written, tmp_path) -> None:
    """2.93% is stored as 0.0293, the value of the JSON output; only its display is %."""
    out = tmp_path / "结果.json"
    assert CliRunner().invoke(cli, ["evaluate", *Y24, "-o", str(out)]).exit_code == 0
    rows = json.loads(out.read_text("utf-8"))["指标得分"]
    sheet = load_workbook(written["结果.xlsx"])["指标得分"]
    cells = list(sheet.iter_rows(min_row=2))
    assert [r[5].value for r in cells] == [r["值"] for r in rows]
    first = cells[0]
    assert (first[4].value, first[5].value, first[5].number_format) == (
        "地区生产总值增速",
        0.0293,
        "0.00%",
    )


def test_codes_are_text_without_warnings_and_counts_are_numbers(written) -> None:
    book = load_workbook(written["结果.xlsx"])
    sheet = book["结果"]
    assert {c.data_type for c in sheet["A"][1:]} == {"s"}
    assert all(isinstance(c.value, int) for c in [*sheet["L"][1:], *sheet["M"][1:]])
    ignored = _ignored(written["结果.xlsx"])
    assert ignored["结果"] == f"A1:A{sheet.max_row}"
    assert ignored["指标得分"] == f"A1:A{book['指标得分'].max_row}"
    assert ignored["专项考核"] == f"B1:B{book['专项考核'].max_row}"  # its 编号
    assert ignored["分类统计"] == ""  # no text there looks like a number
    for name in ("问题清单.xlsx", "实绩到人.xlsx", "趋势.xlsx"):
        book = load_workbook(written[name])
        for table in _tables(book):
            header = [c.value for c in table[1]]
            if "编号" in header:
                column = table.cell(row=1, column=header.index("编号") + 1).column_letter
                digits = any(c.value.isdigit() for c in table[column][1:])  # 330100, not D001
                found = f"{column}1:{column}{table.max_row}" in _ignored(written[name])[table.title]
                assert found is digits, (name, table.title)


def test_feedback_places_are_two_numbers_beside_the_csv_text(written, tmp_path) -> None:
    out = tmp_path / "问题清单.csv"
    assert CliRunner().invoke(cli, ["feedback", *Y24, "-o", str(out)]).exit_code == 0
    lines = out.read_text("utf-8-sig").splitlines()
    assert lines[0].split(",")[11] == "类别内名次"
    places = [line.split(",")[11] for line in lines[1:]]
    assert places[0] == "10/11"  # the CSV is unchanged
    book = load_workbook(written["问题清单.xlsx"])
    found = []
    for sheet in _tables(book)[:-1]:  # the domains' sheets, not 各单位问题数
        header = [c.value for c in sheet[1]]
        assert header[11:13] == ["类别内名次", "类别内人数"]
        for row in sheet.iter_rows(min_row=2, values_only=True):
            assert isinstance(row[11], int) and isinstance(row[12], int)
            found.append(f"{row[11]}/{row[12]}")
    assert found == places


def test_tier_cells_have_a_quiet_fill_per_tier(written) -> None:
    def fills(sheet, column: str) -> dict[str, set[str]]:
        header = [c.value for c in sheet[1]]
        index = header.index(column)
        found: dict[str, set[str]] = {}
        for row in sheet.iter_rows(min_row=2):
            cell = row[index]
            found.setdefault(cell.value, set()).add(cell.fill.fgColor.rgb)
            neighbour = row[index - 1]
            assert neighbour.fill.fill_type is None  # only tier cells are filled
        return found

    book = load_workbook(written["结果.xlsx"])
    tiers = fills(book["结果"], "等次")
    assert set(tiers) == {"第一等次", "第二等次", "第三等次"}
    assert all(len(colors) == 1 for colors in tiers.values())  # one fill per tier
    colors = [next(iter(tiers[t])) for t in ("第一等次", "第二等次", "第三等次")]
    assert len(set(colors)) == 3
    assert all(int(c[-6:-4], 16) >= 0xDD for c in colors)  # quiet: light colours
    special = fills(book["专项考核"], "等次")
    assert set(special) == {"优秀", "良好", "一般"}
    assert len({next(iter(c)) for c in special.values()}) == 3
    trend = load_workbook(written["趋势.xlsx"])["年度趋势"]
    assert fills(trend, "2023年等次")["第一等次"] == tiers["第一等次"]


def test_every_workbook_says_what_it_is(written, tmp_path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", *Y24])
    fingerprint = re.search(r"指纹 ([0-9a-f]{16})", result.output).group(1)
    for name, path in written.items():
        book = load_workbook(path)
        about = {row[0]: row[1] for row in book[ABOUT].values}
        assert about["内容"] and about["指纹"] and about["规则集"], name
        assert all(f"工作表 {t.title}" in about for t in _tables(book)), name
        sample = name != "黄金结果.xlsx"
        assert (about.get("数据") == f"数据：{SAMPLE}") is sample, name
        assert (book.active.title == ABOUT) is sample, name  # the notice is seen first
    about = {row[0]: row[1] for row in load_workbook(written["结果.xlsx"])[ABOUT].values}
    assert about["指纹"] == fingerprint and about["年度"] == 2024
    assert about["规则集"] == "2024 年度浙江省综合考核（示意）"
    trend = {row[0]: row[1] for row in load_workbook(written["趋势.xlsx"])[ABOUT].values}
    assert trend["年度"] == "2023、2024" and trend["指纹"].count("：") == 2


def test_a_second_run_writes_the_same_bytes(written, tmp_path) -> None:
    for name, path in written.items():
        assert _write(tmp_path, name).read_bytes() == path.read_bytes(), name


def test_a_long_text_wraps_at_the_cap_and_formula_text_stays_text(tmp_path) -> None:
    long = "浙江省" * 30
    sheets = {"表": Sheet(["名称", "值"], [[long, 0.5], ["=1+1", 0.125]], {"值": [True, False]})}
    path = tmp_path / "表.xlsx"
    path.write_bytes(workbook(sheets, [["内容", "测试"], ["指纹", "0123456789012345"]]))
    book = load_workbook(path)
    sheet = book["表"]
    assert sheet.column_dimensions["A"].width == MAX_WIDTH
    assert sheet["A2"].alignment.wrap_text and sheet["A3"].data_type == "s"
    assert (sheet["B2"].number_format, sheet["B3"].number_format) == ("0%", "0.000")
    assert _ignored(path) == {"表": "", ABOUT: "B1:B2"}  # an all-digit fingerprint


def test_the_documented_about_sheet_is_the_written_one(tmp_path) -> None:
    doc = (ROOT / "docs" / "evaluate.md").read_text("utf-8")
    table = doc.split("这个文件的 说明 表", 1)[1].split("\n\n", 2)[1]
    documented = [line.strip("| ").split(" | ") for line in table.splitlines()[2:]]
    path = tmp_path / "结果.xlsx"
    data = [
        "--rules",
        str(ROOT / "tests/cli_data/rules"),
        "--data",
        str(ROOT / "tests/cli_data/data"),
    ]
    result = CliRunner().invoke(cli, ["evaluate", *data, "-o", str(path)])
    assert result.exit_code == 0, result.output
    written = [[str(a), str(b)] for a, b in load_workbook(path)[ABOUT].values]
    assert written == documented


def test_feedback_sheet_titles_stay_apart() -> None:
    """Two domains whose names share their first 31 characters, or a domain named like a
    sheet of the file, keep sheets of their own (a dict keyed by title merged them)."""
    from kaohe_rules.cli.cycle import _sheet_titles

    long = "省" * 40
    titles = _sheet_titles([long, long + "甲", "说明", "a/b"], ("各单位问题数", "说明"))
    assert titles == ["省" * 31, "省" * 28 + "（2）", "说明（2）", "a_b"]
    assert all(len(t) <= 31 for t in titles)


def test_a_percent_column_must_be_in_the_header() -> None:
    with pytest.raises(ValueError, match="完成比"):
        workbook({"表": Sheet(["完成率"], [[0.5]], {"完成比": True})}, [])
