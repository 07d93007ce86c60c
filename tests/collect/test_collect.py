"""kaohe collect: the round trip from the templates of rules/2024 through a clerk's filling
back to the same results as samples/2024, and every way a returned workbook can be wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kaohe_rules.pipeline import run_year
from tests.collect.clerk import fill, sample_values, set_cell
from tests.collect.conftest import RULES, kaohe
from tests.conftest import ROOT

SAMPLES = ROOT / "samples" / "2024"
NOT_RETURNED = "省财政厅.xlsx"  # its indicators: 一般公共预算收入增速, 预算执行率
LEFT_EMPTY = frozenset({("330100", "地区生产总值增速"), ("330200", "新质生产力发展指数")})
DATA = "填报指标值.csv"


@pytest.fixture(scope="module")
def returned(templates: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every workbook filled from the sample values but one, two cells left empty."""
    folder = tmp_path_factory.mktemp("returned")
    values = sample_values()
    for path in sorted(templates.iterdir()):
        if path.name != NOT_RETURNED:
            fill(path, folder / path.name, values, LEFT_EMPTY)
    return folder


def _expected_data(target: Path) -> Path:
    """samples/2024 without the values the clerks did not give."""
    target.mkdir()
    for name in ("年度数据.csv", "历史.csv"):
        shutil.copy(SAMPLES / name, target / name)
    shutil.copytree(SAMPLES / "记录", target / "记录")  # 上评下, 下评上 (记录汇总)
    dropped = {"一般公共预算收入增速", "预算执行率"}
    lines = (SAMPLES / "指标值.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if not (
            line.count(",") == 3
            and (line.split(",")[2] in dropped or tuple(line.split(",")[::2][:2]) in LEFT_EMPTY)
        )
    ]
    assert len(lines) - len(kept) == 101 + 120 + 2
    (target / "指标值.csv").write_text("".join(kept), encoding="utf-8")
    return target


def _collected(returned: Path, target: Path) -> Path:
    target.mkdir()
    for name in ("年度数据.csv", "历史.csv"):
        shutil.copy(SAMPLES / name, target / name)
    shutil.copytree(SAMPLES / "记录", target / "记录")  # 上评下, 下评上 (记录汇总)
    result = kaohe("collect", RULES, returned, "-o", target)
    assert result.exit_code == 0, result.output
    return target


def test_round_trip_gives_the_samples_results(returned: Path, tmp_path: Path) -> None:
    collected = _collected(returned, tmp_path / "collected")
    expected = _expected_data(tmp_path / "expected")
    got, want = run_year(RULES, collected), run_year(RULES, expected)
    for mine, theirs in zip(got.domains, want.domains, strict=True):
        assert mine.scores.keys() == theirs.scores.keys()
        for key in mine.scores:
            assert np.array_equal(mine.scores[key], theirs.scores[key], equal_nan=True), key
    for name in ("a.csv", "b.csv"):
        data = collected if name == "a.csv" else expected
        assert (
            kaohe("evaluate", "--rules", RULES, "--data", data, "-o", tmp_path / name).exit_code
            == 0
        )
    body = [
        (tmp_path / n).read_text(encoding="utf-8").split("\n", 1)[1] for n in ("a.csv", "b.csv")
    ]
    assert body[0] == body[1]


def test_report_names_what_is_missing_and_by_whom(returned: Path, tmp_path: Path) -> None:
    target = tmp_path / "data"
    result = kaohe("collect", RULES, returned, "-o", target)
    assert result.exit_code == 0, result.output
    assert "读入 22 份填报表（应交 23 份）" in result.output
    assert "省财政厅：未交回填报表（应填 221 个值）" in result.output
    assert "杭州市 地区生产总值增速（市县!C6）" in result.output
    assert "宁波市 新质生产力发展指数（市县!D7）" in result.output


def test_every_value_remembers_its_cell(returned: Path, tmp_path: Path) -> None:
    target = tmp_path / "data"
    assert kaohe("collect", RULES, returned, "-o", target).exit_code == 0
    lines = (target / DATA).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# kaohe collect 汇总（规则集指纹 ")
    assert lines[1] == "编号,名称,指标,值,来源"
    assert "330200,宁波市,地区生产总值增速,0.0416,省发展改革委.xlsx[市县]!C7" in lines
    shutil.copy(SAMPLES / "年度数据.csv", target)
    shutil.copytree(SAMPLES / "记录", target / "记录")
    result = kaohe("explain", "--rules", RULES, "--data", target, "330200")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "地区生产总值增速：值 4.16%" in x)
    assert line.endswith("〔填报 省发展改革委.xlsx[市县]!C7〕")


def _one(templates: Path, folder: Path, name: str = "省海港委.xlsx") -> Path:
    """One workbook filled from the samples, to break in a test."""
    folder.mkdir(exist_ok=True)
    target = folder / name
    fill(templates / name, target, sample_values())
    return target


def _refused(tmp_path: Path, *workbooks: Path, code: str) -> str:
    target = tmp_path / "data"
    result = kaohe("collect", RULES, *workbooks, "-o", target)
    assert result.exit_code == 1, result.output
    assert code in result.output and "没有写出任何文件" in result.output
    assert not (target / DATA).exists()
    return result.output


def test_workbook_of_another_years_rules(tmp_path: Path) -> None:
    older = tmp_path / "2023"
    assert kaohe("template", ROOT / "rules" / "2023", "-o", older).exit_code == 0
    output = _refused(tmp_path, older / "省发展改革委.xlsx", code="KH533")
    assert "2023 年度" in output and "省发展改革委.xlsx[模板信息]:2:2" in output


def test_changed_id_cell(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    set_cell(path, "市县", "A6", "330300")  # 宁波市's row now claims 温州市's id
    output = _refused(tmp_path, path, code="KH534")
    assert "省海港委.xlsx[市县]:6:1" in output and "应为 '330200'" in output


def test_value_outside_the_range_pasted_over_validation(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    set_cell(path, "市县", "C7", 4)  # 400% typed as 4 where 4% was meant
    output = _refused(tmp_path, path, code="KH536")
    assert "舟山市 的 港口货物吞吐量增速 是 400%，超出填报范围 -50% ~ 100%" in output
    assert "省海港委.xlsx[市县]:7:3" in output


def test_formula_in_a_cell(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    set_cell(path, "市县", "C6", "=0.05*1")
    output = _refused(tmp_path, path, code="KH535")
    assert "是公式 =0.05*1" in output and "选择性粘贴" in output


def test_text_where_a_number_belongs(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    set_cell(path, "市县", "C6", "约5%左右")
    assert "不是数值：'约5%左右'" in _refused(tmp_path, path, code="KH536")


def test_percent_typed_as_text_is_read(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    set_cell(path, "市县", "C6", "5.5%")
    result = kaohe("collect", RULES, path, "-o", tmp_path / "data")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "data" / DATA).read_text(encoding="utf-8")
    assert "330200,宁波市,港口货物吞吐量增速,0.055,省海港委.xlsx[市县]!C6" in text


def test_cell_of_an_indicator_the_unit_does_not_have(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in", "省委政法委.xlsx")
    set_cell(path, "省直部门单位", "D6", 90)  # 法院's row, 检察业务质效评估得分
    output = _refused(tmp_path, path, code="KH536")
    assert "省高级人民法院 不考核 检察业务质效评估得分" in output


def test_same_workbook_twice(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    copy = tmp_path / "in" / "省海港委（补交）.xlsx"
    shutil.copy(path, copy)
    assert "省海港委 的填报表给了两次" in _refused(tmp_path, path, copy, code="KH537")


def test_content_outside_the_layout(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    set_cell(path, "市县", "D6", 0.1)  # a column the clerk added
    assert "填报区域之外有内容" in _refused(tmp_path, path, code="KH534")


def test_not_a_template(tmp_path: Path) -> None:
    plain = tmp_path / "结果.xlsx"
    assert kaohe("evaluate", "-o", plain).exit_code == 0
    assert "没有 模板信息 工作表" in _refused(tmp_path, plain, code="KH532")
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"not a zip file")
    assert "不是 Excel 工作簿" in _refused(tmp_path, broken, code="KH532")


def test_missing_sheet(templates: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = _one(templates, tmp_path / "in")
    book = load_workbook(path)
    del book["省属企业"]
    book.save(path)
    assert "缺少工作表 '省属企业'" in _refused(tmp_path, path, code="KH534")


def test_collecting_again_reports_changes_and_keeps_values(templates: Path, tmp_path: Path) -> None:
    first = _one(templates, tmp_path / "first")
    target = tmp_path / "data"
    assert kaohe("collect", RULES, first, "-o", target).exit_code == 0
    second = _one(templates, tmp_path / "second")
    set_cell(second, "市县", "C6", 0.05)  # 宁波市 corrected
    set_cell(second, "市县", "C7", None)  # 舟山市 cleared
    other = _one(templates, tmp_path / "second", "省委政法委.xlsx")
    result = kaohe("collect", RULES, second, other, "-o", target)
    assert result.exit_code == 0, result.output
    old = sample_values()[("330200", "港口货物吞吐量增速")]
    kept = sample_values()[("330900", "港口货物吞吐量增速")]
    assert f"宁波市 港口货物吞吐量增速：{old} → 0.05（省海港委.xlsx[市县]!C6" in result.output
    assert (
        f"本次留空、保留上次汇总的值（1 个）：\n  舟山市 港口货物吞吐量增速：{kept}（"
        in result.output
    )
    assert "舟山市" not in result.output.split("缺报")[1].split("与上次")[0]  # held, not missing
    text = (target / DATA).read_text(encoding="utf-8")
    assert "330200,宁波市,港口货物吞吐量增速,0.05," in text
    assert "330900,舟山市,港口货物吞吐量增速," in text  # kept, not dropped
    assert "审判质效评估得分" in text


def test_never_overwrites_a_file_that_is_not_a_collection(templates: Path, tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / DATA).write_text("编号,指标,值\n330200,港口货物吞吐量增速,0.1\n", "utf-8")
    path = _one(templates, tmp_path / "in")
    result = kaohe("collect", RULES, path, "-o", target)
    assert result.exit_code == 1 and "KH538" in result.output
    assert (target / DATA).read_text(encoding="utf-8").startswith("编号,指标,值")


def test_an_earlier_collection_of_other_rules_is_kept(templates: Path, tmp_path: Path) -> None:
    path = _one(templates, tmp_path / "in")
    target = tmp_path / "data"
    assert kaohe("collect", RULES, path, "-o", target).exit_code == 0
    text = (target / DATA).read_text(encoding="utf-8")
    (target / DATA).write_text(text.replace("规则集指纹 ", "规则集指纹 0", 1), "utf-8")
    result = kaohe("collect", RULES, path, "-o", target)
    assert result.exit_code == 1 and "按另一个规则集汇总" in result.output


def test_missing_workbook_path(tmp_path: Path) -> None:
    result = kaohe("collect", RULES, tmp_path / "无.xlsx", "-o", tmp_path / "data")
    assert result.exit_code == 2 and "KH513" in result.output


def test_folder_without_workbooks(tmp_path: Path) -> None:
    (tmp_path / "交回").mkdir()
    result = kaohe("collect", RULES, tmp_path / "交回", "-o", tmp_path / "data")
    assert result.exit_code == 2 and "KH513" in result.output and "没有 .xlsx 文件" in result.output


def test_output_parent_missing_is_said_first(tmp_path: Path) -> None:
    result = kaohe("collect", RULES, ROOT / "tests/collect/returned", "-o", tmp_path / "a" / "b")
    assert result.exit_code == 2 and "KH513" in result.output and "上级" in result.output
