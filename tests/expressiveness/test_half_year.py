"""半年下限值 and 半年上限值: a half-year evaluation with its own full parameter set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli

HERE = Path(__file__).resolve().parent / "half_year"
RULES, DATA = HERE / "rules", HERE / "data"


def _totals(rules: Path, tmp_path: Path, *extra: str) -> dict[str, float]:
    out = tmp_path / "out.json"
    args = ["evaluate", "--rules", str(rules), "--data", str(DATA), *extra, "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return {r["名称"]: r["总分"] for r in json.loads(out.read_text("utf-8"))["结果"]}


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "市县.yaml").read_text("utf-8")
    assert old in text
    (rules / "市县.yaml").write_text(text.replace(old, new), "utf-8")
    return rules


def test_half_year_uses_its_own_floor_and_scales_a_ceiling_not_given(tmp_path: Path) -> None:
    totals = _totals(RULES, tmp_path, "--period", "H1")
    # 完成率 against 半年目标值 50 from 半年下限值 20: 杭州 35 → 60 × 15/30 = 30; 收入倍差 has
    # no 半年上限值: 2.0 × 1.7/1.6 = 2.125, 杭州 1.7 reaches the half-year target, 40.
    assert totals["杭州市"] == pytest.approx(70)
    # 淳安县's own 半年下限值 30: 60 × 5/20 = 15; 40 × (2.125 − 1.9)/(2.125 − 1.7) = 21.1765
    assert totals["淳安县"] == pytest.approx(36.1765)
    assert (totals["文成县"], totals["桐庐县"]) == (100, 0)


def test_without_half_year_floor_the_year_floor_is_scaled_as_before(tmp_path: Path) -> None:
    rules = _edited(tmp_path, "        半年下限值: 20\n", "")
    totals = _totals(rules, tmp_path, "--period", "H1")
    # floor 80 × 50/100 = 40: 杭州 35 scores 0 on 完成率, 40 on 收入倍差
    assert totals["杭州市"] == pytest.approx(40)


def test_the_years_result_ignores_half_year_parameters(tmp_path: Path) -> None:
    totals = _totals(RULES, tmp_path)
    # 完成率 35 is below the year's floor 80: 0; 收入倍差 1.7 of 1.6..2.0: 40 × 0.75 = 30
    assert totals["杭州市"] == pytest.approx(30)


def test_a_units_year_floor_gives_way_to_the_indicators_half_year_floor(tmp_path: Path) -> None:
    rules = _edited(tmp_path, "{完成率.半年下限值: 30}", "{完成率.下限值: 90}")
    totals = _totals(rules, tmp_path, "--period", "H1")
    # 淳安县's year floor 90 is for the year: the half year takes 半年下限值 20, 60 × 15/30
    assert totals["淳安县"] == pytest.approx(30 + 21.1765)


def test_explain_names_the_half_year_parameter_used() -> None:
    args = ["explain", "淳安县", "--rules", str(RULES), "--data", str(DATA), "--period", "H1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "目标值 50，下限值 30" in result.output
    assert "半年参数：目标值 取 半年目标值；下限值 取本单位一单位一策的调整值" in result.output
    assert "上限值 由全年上限值按 半年目标值 / 目标值 缩放" in result.output
    hangzhou = CliRunner().invoke(cli, [*args[:1], "杭州市", *args[2:]])
    assert "下限值 取 半年下限值" in hangzhou.output


def test_validate_is_clean_and_diff_lists_the_half_year_floor(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(RULES)])
    assert result.exit_code == 0 and "警告" not in result.output, result.output
    changed = _edited(tmp_path, "半年下限值: 20", "半年下限值: 25")
    result = CliRunner().invoke(cli, ["diff", str(RULES), str(changed)])
    assert "指标 完成率 › 半年下限值：20 → 25" in result.output, result.output


STEPS = """      完成率:
        满分: 60
        计分方法: 分档
        档位: [60, 80, 100]
        得分率: [50%, 80%, 100%]
        半年目标值: 50
        半年档位: [20, 35, 50]
"""


def _steps(tmp_path: Path, steps: str = STEPS) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "市县.yaml").read_text("utf-8")
    start, end = text.index("      完成率:"), text.index("      收入倍差:")
    text = text[:start] + steps + text[end:]
    text = text[: text.index("一单位一策:")]
    (rules / "市县.yaml").write_text(text, "utf-8")
    return rules


def test_half_year_steps_use_their_own_thresholds(tmp_path: Path) -> None:
    rules = _steps(tmp_path)
    totals = _totals(rules, tmp_path, "--period", "H1")
    # 完成率 35 reaches the half-year step 35: 80% of 60 = 48; 收入倍差 as before, 40
    assert totals["杭州市"] == pytest.approx(88)
    assert (totals["文成县"], totals["桐庐县"]) == (100, 30)
    # the year keeps its 档位: 35 is below 60, 0
    assert _totals(rules, tmp_path)["杭州市"] == pytest.approx(30)
    args = ["explain", "杭州市", "--rules", str(rules), "--data", str(DATA), "--period", "H1"]
    output = CliRunner().invoke(cli, args).output
    assert "满分 * steps(值, [20, 35, 50], [0.5, 0.8, 1]) = 60 * steps(35" in output
    assert "档位 取 半年档位" in output


def test_half_year_steps_without_own_thresholds_keep_the_years(tmp_path: Path) -> None:
    rules = _steps(tmp_path, STEPS.replace("        半年档位: [20, 35, 50]\n", ""))
    assert _totals(rules, tmp_path, "--period", "H1")["杭州市"] == pytest.approx(40)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("半年档位: [20, 35, 50]", "半年档位: [20, 35]", "半年档位 与 得分率 个数不同"),
        ("计分方法: 分档", "计分方法: 线性\n        目标值: 100\n        下限值: 60", "不按分档"),
    ],
)
def test_half_year_steps_that_cannot_apply_are_refused(tmp_path, old, new, message) -> None:
    rules = _steps(tmp_path, STEPS.replace(old, new))
    result = CliRunner().invoke(cli, ["validate", str(rules)])
    assert result.exit_code == 1 and "KH214" in result.output and message in result.output
