"""kaohe fmt: canonical layout that keeps comments and never changes what the rules compute."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.outputs.fmt import format_text
from kaohe_rules.outputs.report import result_rows
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT

MESSY = """# 头注释
考卷:   # 考卷的注释
  发展:
    指标:
      增速:
        计分方法: 线性   # 方法的注释
        满分: 10
        目标值: 6%
        下限值: 3%
    权重: 10
类别:
  全部: unit.类型 == "甲"
领域: 甲
"""


def test_keys_follow_the_schema_and_comments_stay() -> None:
    formatted = format_text(MESSY, "domain.schema.json")
    lines = formatted.splitlines()
    assert [line.split(":")[0] for line in lines if line and not line.startswith((" ", "#"))] == [
        "领域",
        "类别",
        "考卷",
    ]
    assert "        满分: 10" in lines and lines.index("        满分: 10") < lines.index(
        "        计分方法: 线性   # 方法的注释"
    )
    assert "# 头注释" in lines[0] and "考卷:   # 考卷的注释" in lines
    assert format_text(formatted, "domain.schema.json") == formatted


def test_comments_between_keys_keep_their_place() -> None:
    text = (
        "领域: 甲\n考卷:\n  发展:\n    # 权重说明\n    权重: 10\n    名称: 发展\n"
        "类别: {全部: 'true'}\n"
    )
    formatted = format_text(text, "domain.schema.json")
    assert "    # 权重说明\n    权重: 10" in formatted


@pytest.mark.parametrize("year", ["2023", "2024"])
def test_formatting_official_rules_changes_nothing_they_compute(tmp_path: Path, year: str) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    result = CliRunner().invoke(cli, ["fmt", str(copy / "2023"), str(copy / "2024")])
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(cli, ["fmt", "--check", str(copy / "2023"), str(copy / "2024")])
    assert again.exit_code == 0 and "格式都已规范" in again.output

    def rows(folder: Path):
        resolved = load_rules(folder).resolved
        data = read_data(ROOT / "samples" / year, resolved.ruleset)
        return result_rows(evaluate_year(resolved, data))

    assert rows(copy / year) == rows(ROOT / "rules" / year)
    for path in (ROOT / "rules" / year).glob("*.yaml"):
        original = path.read_text(encoding="utf-8")
        formatted = (copy / year / path.name).read_text(encoding="utf-8")
        comments = lambda text: sorted(  # noqa: E731
            line.strip() for line in text.splitlines() if line.strip().startswith("#")
        )
        assert comments(original) == comments(formatted), path.name


def test_check_reports_unformatted_files(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "tests" / "rulesets" / "mini", folder)
    (folder / "市县.yaml").write_text(MESSY.replace("甲", "市县"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["fmt", "--check", str(folder)])
    assert result.exit_code == 1 and "需要整理" in result.output and "市县.yaml" in result.output
