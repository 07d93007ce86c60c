"""``--inheritors``: validate and test also check the rule sets built on a changed one.

tests/rulesets/years holds a chain, 2023 ← 2024 ← 2025 (each 继承 the one before), in
the layout of a rules repository; tests/rulesets/mini_2024 inherits tests/rulesets/mini.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.rules.inheritors import inheritors, repository_top
from tests.conftest import ROOT

YEARS = ROOT / "tests" / "rulesets" / "years"


def _kaohe(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of tests/rulesets/years as a Git repository of its own, the working folder."""
    folder = tmp_path / "rules-repo"
    shutil.copytree(YEARS, folder)
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    monkeypatch.chdir(folder)
    return folder


def _edit(path: Path, *changes: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def test_the_chain_is_followed_downwards_only() -> None:
    assert inheritors([YEARS / "2023"]) == [YEARS / "2024", YEARS / "2025"]
    assert inheritors([YEARS / "2024"]) == [YEARS / "2025"]
    assert inheritors([YEARS / "2025"]) == []
    mini = ROOT / "tests" / "rulesets"
    assert inheritors([mini / "mini"]) == [mini / "mini_2024"]


def test_the_search_stops_at_the_repository(repo: Path) -> None:
    assert repository_top(repo / "2023") == repo
    assert inheritors([repo / "2023"]) == [repo / "2024", repo / "2025"]


def test_validate_names_the_years_it_adds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _kaohe("validate", "--inheritors", "tests/rulesets/years/2023/市县.yaml")
    assert result.exit_code == 0, result.output
    assert "一并检查继承它们的规则集：tests/rulesets/years/2024、tests/rulesets/years/2025" in (
        result.stderr
    )
    for year in (2023, 2024, 2025):
        assert f"tests/rulesets/years/{year}：{year} 年度规则集有效" in result.stdout


def test_a_change_valid_alone_is_refused_for_what_it_breaks_later(repo: Path) -> None:
    """2023's weights and marks still add up; 2024 keeps its own weight 75 for 发展 and
    adds 5 marks to the 2023 indicators, which now sum to 60."""
    _edit(
        repo / "2023" / "市县.yaml",
        ("权重: 30", "权重: 40"),
        ("权重: 70", "权重: 60"),
        ("满分: 40", "满分: 30"),
    )
    alone = _kaohe("validate", "2023/市县.yaml")
    assert alone.exit_code == 0, alone.output
    checked = _kaohe("validate", "--inheritors", "2023/市县.yaml")
    assert checked.exit_code == 1
    assert "2024/市县.yaml:6:3: error KH224" in checked.stdout
    assert "指标满分之和为 65，应等于权重 75" in checked.stdout
    # 2025 inherits the same broken file: one problem, reported once
    assert checked.stdout.count("error KH224") == 1
    assert "发现 1 个错误。" in checked.stdout


def test_kaohe_test_runs_the_cases_of_the_years_built_on_it(repo: Path) -> None:
    result = _kaohe("test", "--inheritors", "2023/规则集.yaml")
    assert result.exit_code == 0, result.output
    for year in (2023, 2024, 2025):
        assert f"✓ {year}/tests/市县.yaml:3 " in result.stdout
    # 2023's indicator raised to a 7% target: 2024's own case, written for 6%, fails
    _edit(repo / "2023" / "市县.yaml", ("目标值: 6%", "目标值: 7%"))
    failed = _kaohe("test", "--inheritors", "2023")
    assert failed.exit_code == 1
    assert "✗ 2024/tests/市县.yaml:3 各指标都达到目标" in failed.stdout


def test_a_rule_set_whose_file_cannot_be_read_is_checked_not_skipped(repo: Path) -> None:
    """Whether it inherits the change is unknown: it is checked, and says what is wrong."""
    broken = repo / "2026"
    broken.mkdir()
    (broken / "规则集.yaml").write_text("年度: 2026\n继承: [../2025\n", encoding="utf-8")
    assert inheritors([repo / "2023"]) == [repo / "2024", repo / "2025", broken]
    result = _kaohe("validate", "--inheritors", "2025")
    assert result.exit_code == 1
    assert "2026/规则集.yaml:" in result.stdout


def test_hidden_folders_and_mere_namesakes_are_not_inheritors(repo: Path) -> None:
    # a hidden copy beside the years (an editor's backup) is no rule set of the repository
    shutil.copytree(repo / "2024", repo / ".old2024")
    # 继承: ../2023 read from vendor/2024 is vendor/2023, not this 2023
    shutil.copytree(repo / "2024", repo / "vendor" / "2024")
    assert inheritors([repo / "2023"]) == [repo / "2024", repo / "2025"]
    shutil.copytree(repo / "2024", repo / "old2024")  # visible: it inherits 2023 as well
    assert inheritors([repo / "2023"]) == [repo / "2024", repo / "2025", repo / "old2024"]


def test_without_the_option_nothing_is_added(repo: Path) -> None:
    result = _kaohe("validate", "2023")
    assert result.exit_code == 0
    assert "2024" not in result.output
