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
    assert load_workbook(out).sheetnames == ["甲", "乙", "各单位问题数"]


def test_results_to_the_person(tmp_path: Path) -> None:
    rows = _json(["attribute", *ARGS], tmp_path)
    assert len(rows) == 21  # 15 + 6 units with indicators; 丙 scores by formula only
    j07 = next(r for r in rows if r["编号"] == "J07")
    # 成本率 excluded (missing): 增速 21 + 排名值 2 of 30 + 10
    assert (j07["得分"], j07["满分"], j07["完成率"]) == (23, 40, 0.575)
    assert j07["责任人"] == "（未指定）"


def test_half_year_uses_half_year_targets_and_rescales(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    text = (rules / "甲.yaml").read_text(encoding="utf-8")
    text = text.replace("目标值: 10, 下限值: 0}", "目标值: 10, 下限值: 0, 半年目标值: 5}")
    (rules / "甲.yaml").write_text(text, encoding="utf-8")
    args = ["--rules", str(rules), "--data", str(GOLDEN / "data"), "--period", "H1"]
    out = tmp_path / "h1.json"
    result = CliRunner().invoke(cli, ["evaluate", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["编号"]: r for r in body["结果"]}
    # only 增速 has a half-year target (5): 甲十 (5) and better score 30 of 30, and the
    # 业绩 paper is rescaled from 30 to 60; 甲十二 (4): 24/30 × 60 = 48, plus 基础 40.
    assert rows["J10"]["业绩"] == pytest.approx(60) and rows["J10"]["总分"] == pytest.approx(100)
    assert rows["J12"]["业绩"] == pytest.approx(48) and rows["J12"]["总分"] == pytest.approx(88)
    # labels such as 先进单位 are the year's consequences: a half-year result carries none
    assert "先进单位" not in rows["J10"] and rows["J10"]["等次"]
