"""Half-year evaluation, the problem list and 实绩到人 on the hand-derived golden year."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "evaluate"
ARGS = ["--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]


def _json(args: list[str], tmp_path: Path) -> list[dict]:
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_problem_list_of_the_golden_year(tmp_path: Path) -> None:
    rows = _json(["feedback", *ARGS], tmp_path)
    # 甲: 排名值 below 6 of 10 for 甲四 (4) and 甲五…甲十五 (2): 12; 增速 below 18 of 30 for
    # 甲十…甲十五: 6; 成本率 all 20 of 20. 乙: 利润 of 乙二 (30/60) and 乙五 (0, missing);
    # 能耗 of 乙一 (20/40) and 乙四 (0/40). 丙 has no indicators.
    assert len(rows) == 22
    pairs = {(r["编号"], r["指标"]) for r in rows}
    assert ("J12", "增速") in pairs and ("J09", "增速") not in pairs
    assert {("Y02", "利润"), ("Y05", "利润"), ("Y01", "能耗"), ("Y04", "能耗")} <= pairs
    j12 = next(r for r in rows if (r["编号"], r["指标"]) == ("J12", "增速"))
    assert (j12["值"], j12["目标值"], j12["差距"], j12["得分"]) == (4, 10, 6, 12)
    assert j12["类别内名次"] == "12/15" and "得分率 40.0% 低于 60%" in j12["问题"]


def test_problem_rule_declared_by_the_rule_set(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    text = (rules / "甲.yaml").read_text(encoding="utf-8")
    (rules / "甲.yaml").write_text(text + "问题清单: {得分率低于: 10%, 类别内末位: 2}\n", "utf-8")
    rows = _json(["feedback", "--rules", str(rules), "--data", str(GOLDEN / "data")], tmp_path)
    jia = [r for r in rows if r["领域"] == "甲"]
    # only the last two places on each indicator: 增速 甲十四 (4.5) and 甲十五 (3); 排名值
    # ties at 2 points from place 5 to 15, so all of them share place 5 and none is last 2.
    assert sorted((r["编号"], r["指标"]) for r in jia) == [("J14", "增速"), ("J15", "增速")]


def test_feedback_workbook_has_a_sheet_per_domain(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "问题.xlsx"
    CliRunner().invoke(cli, ["feedback", *ARGS, "-o", str(out)])
    assert load_workbook(out).sheetnames == ["甲", "乙", "各单位问题数", "说明"]


def test_results_to_the_person(tmp_path: Path) -> None:
    rows = _json(["attribute", *ARGS], tmp_path)
    assert len(rows) == 21  # 15 + 6 units with indicators; 丙 scores by formula only
    j07 = next(r for r in rows if r["编号"] == "J07")
    # 成本率 excluded (missing): 增速 21 + 排名值 2 of 30 + 10
    assert (j07["得分"], j07["满分"], j07["完成率"]) == (23, 40, 0.575)
    assert j07["责任人"] == "（未指定）"


def test_half_year_uses_half_year_targets_and_rescales(tmp_path: Path) -> None:
    rules = _half_year_rules(tmp_path, "目标值: 10, 下限值: 0, 半年目标值: 5}")
    rows = _half_year_rows(rules, tmp_path)
    # only 增速 has a half-year target (5): 甲十 (5) and better score 30 of 30, and the
    # 业绩 paper is rescaled from 30 to 60; 甲十二 (4): 24/30 × 60 = 48, plus 基础 40.
    assert rows["J10"]["业绩"] == pytest.approx(60) and rows["J10"]["总分"] == pytest.approx(100)
    assert rows["J12"]["业绩"] == pytest.approx(48) and rows["J12"]["总分"] == pytest.approx(88)
    # labels such as 先进单位 are the year's consequences: a half-year result carries none
    assert "先进单位" not in rows["J10"] and rows["J10"]["等次"]


def _half_year_rules(tmp_path: Path, jia: str, yi_extra: str = "") -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    text = (rules / "甲.yaml").read_text(encoding="utf-8")
    text = text.replace("目标值: 10, 下限值: 0}", jia)
    (rules / "甲.yaml").write_text(text, encoding="utf-8")
    text = (rules / "乙.yaml").read_text(encoding="utf-8")
    text = text.replace("计分方法: 标杆值}", "计分方法: 标杆值, 半年目标值: 1}") + yi_extra
    (rules / "乙.yaml").write_text(text, encoding="utf-8")
    return rules


def _half_year_rows(rules: Path, tmp_path: Path) -> dict[str, dict]:
    args = ["--rules", str(rules), "--data", str(GOLDEN / "data"), "--period", "H1"]
    out = tmp_path / "h1.json"
    result = CliRunner().invoke(cli, ["evaluate", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return {r["编号"]: r for r in json.loads(out.read_text(encoding="utf-8"))["结果"]}


def test_half_year_scales_the_floor_with_the_target(tmp_path: Path) -> None:
    rules = _half_year_rules(tmp_path, "目标值: 10, 下限值: 4, 半年目标值: 5}")
    rows = _half_year_rows(rules, tmp_path)
    # the floor 4 set for the year's 10 becomes 2 for the half-year's 5: 甲十二 (4) scores
    # (4 − 2) / (5 − 2) × 30 = 20, rescaled 20/30 × 60 = 40, plus 基础 40. Left at 4 the
    # floor would sit above the target and 4 would score 0.
    assert rows["J12"]["业绩"] == pytest.approx(40) and rows["J12"]["总分"] == pytest.approx(80)


def test_half_year_applies_units_own_half_year_targets(tmp_path: Path) -> None:
    variants = (
        "一单位一策:\n  甲一: {调整: {增速.半年目标值: 20}}\n  甲二: {调整: {增速.目标值: 100}}\n"
    )
    rules = _half_year_rules(tmp_path, "目标值: 10, 下限值: 0, 半年目标值: 5}")
    with (rules / "甲.yaml").open("a", encoding="utf-8") as file:
        file.write(variants)
    rows = _half_year_rows(rules, tmp_path)
    # 甲一 (10) against its own 20: 15 of 30, 业绩 30; 甲二's year target 100 does not apply
    # in the half year: 9 against 5 is full marks, 业绩 60.
    assert rows["J01"]["业绩"] == pytest.approx(30)
    assert rows["J02"]["业绩"] == pytest.approx(60)


def test_half_year_rescales_when_a_units_added_indicator_drops_out(tmp_path: Path) -> None:
    rules = _half_year_rules(tmp_path, "目标值: 10, 下限值: 0, 半年目标值: 5}")
    text = (rules / "乙.yaml").read_text(encoding="utf-8")
    text = text.replace("上限值: 2}", "上限值: 2, 半年目标值: 0.5}")
    (rules / "乙.yaml").write_text(text, encoding="utf-8")
    rows = _half_year_rows(rules, tmp_path)
    # 乙二 drops 能耗 and adds 专项, which has no half-year target: its 利润 30 of 60 is
    # rescaled to 50 of 100, not reported as 30 of 100.
    assert rows["Y02"]["业绩"] == pytest.approx(50)


def test_half_year_refuses_a_paper_without_half_year_targets() -> None:
    args = ["--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data"), "--period", "H1"]
    result = CliRunner().invoke(cli, ["evaluate", *args])
    assert result.exit_code == 1
    assert "甲.yaml:10:3: error KH235" in result.output
    assert "乙.yaml:8:3: error KH235" in result.output


def test_last_places_need_a_group_larger_than_the_count_and_spare_full_marks(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    text = (rules / "乙.yaml").read_text(encoding="utf-8")
    (rules / "乙.yaml").write_text(text + "问题清单: {得分率低于: 0%, 类别内末位: 2}\n", "utf-8")
    rows = _json(["feedback", "--rules", str(rules), "--data", str(GOLDEN / "data")], tmp_path)
    yi = sorted((r["编号"], r["指标"]) for r in rows if r["领域"] == "乙")
    # 乙二's 专项 is alone in its group and 大's 能耗 has two units (乙二 drops it): no
    # "last 2" there. 大's 利润: 乙一 at full marks (60) stays out, 乙三 48 and 乙二 30 are
    # the last two. 小: 利润 乙六 45 and 乙五 0; 能耗 only 乙四 (0), the others at full marks.
    assert yi == [
        ("Y02", "利润"),
        ("Y03", "利润"),
        ("Y04", "能耗"),
        ("Y05", "利润"),
        ("Y06", "利润"),
    ]


def test_feedback_workbook_is_byte_identical_and_has_no_negative_zero(tmp_path: Path) -> None:
    first, second = tmp_path / "1.xlsx", tmp_path / "2.xlsx"
    for out in (first, second):
        assert CliRunner().invoke(cli, ["feedback", *ARGS, "-o", str(out)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    text = CliRunner().invoke(cli, ["feedback", *ARGS]).output
    assert "-0.0" not in text and "乙四" in text


def test_feedback_to_an_unwritable_place_is_a_clear_error() -> None:
    # /sys refuses new files even to root, which CI may well be
    result = CliRunner().invoke(cli, ["feedback", *ARGS, "-o", "/sys/问题.csv"])
    assert result.exit_code == 2
    assert "/sys/问题.csv: error KH313 output-unwritable: 无法写出：没有权限" in result.output


def test_output_to_a_folder_is_refused_in_chinese(tmp_path: Path) -> None:
    for command in (["feedback", *ARGS], ["evaluate", *ARGS], ["report", *ARGS]):
        result = CliRunner().invoke(cli, [*command, "-o", str(tmp_path)])
        assert result.exit_code == 2 and "是文件夹，这里要一个文件名" in result.output
