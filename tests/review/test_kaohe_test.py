"""kaohe test: a rule set's own cases, failures pointing at the case, and coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kaohe_rules.cli import cli
from tests.conftest import ROOT

MINI = ROOT / "tests" / "rulesets" / "mini"


def run(*args: str):
    return CliRunner().invoke(cli, ["test", *args])


def test_passing_cases_and_coverage_gaps() -> None:
    result = run(str(MINI), "--coverage")
    assert result.exit_code == 0, result.output
    assert "3 个用例：3 个通过，0 个失败" in result.output
    assert "覆盖率 66.7%（10/15 项）" in result.output
    assert "等次：市县 › 等次规则第 3 条（第一等次）" in result.output
    assert "tests/rulesets/mini/规则集.yaml:30" in result.output


def test_threshold_fails_the_run() -> None:
    result = run(str(MINI), "--threshold", "90")
    assert result.exit_code == 1
    assert "覆盖率低于要求的 90%" in result.output


def test_a_failing_case_shows_expected_and_actual_at_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    case = rules / "tests" / "市县.yaml"
    case.write_text(
        case.read_text(encoding="utf-8").replace("总分: 97", "总分: 96"), encoding="utf-8"
    )
    result = run(str(rules))
    assert result.exit_code == 1
    assert "✗ " in result.output and "达到目标的县得满分" in result.output
    assert "T1 总分：期望 96，实际 97" in result.output
    line = next(
        i
        for i, text in enumerate(case.read_text(encoding="utf-8").splitlines(), 1)
        if "总分: 96" in text
    )
    assert f"市县.yaml:{line}〕" in result.output


def test_unknown_names_in_a_case_are_reported(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    case = rules / "tests" / "市县.yaml"
    text = case.read_text(encoding="utf-8").replace("党建评分: 80", "党建评份: 80")
    case.write_text(text, encoding="utf-8")
    result = run(str(rules))
    assert result.exit_code == 1
    assert "KH302" in result.output and "党建评份" in result.output


def test_no_cases_is_a_failure(tmp_path: Path) -> None:
    rules = tmp_path / "mini"
    shutil.copytree(MINI, rules)
    shutil.rmtree(rules / "tests")
    result = run(str(rules))
    assert result.exit_code == 1 and "没有找到测试用例" in result.output
