"""Every rule set under rules/ validates, so a bad yearly revision fails CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kaohe_rules.pipeline import load_rules
from tests.conftest import ROOT

YEARS = sorted(p for p in (ROOT / "rules").iterdir() if (p / "规则集.yaml").is_file())
RULE_FILES = sorted((ROOT / "rules").rglob("*.yaml")) + sorted(
    (ROOT / "tests" / "rulesets").rglob("*.yaml")
)


def test_both_official_years_are_there() -> None:
    assert [p.name for p in YEARS][:2] == ["2023", "2024"]


@pytest.mark.parametrize("folder", YEARS, ids=lambda p: p.name)
def test_official_rule_set_is_valid(folder: Path) -> None:
    loaded = load_rules(folder)
    ruleset = loaded.resolved.ruleset
    assert len(ruleset.units) == 429
    assert {d.name for d in ruleset.domains} == {
        "市县",
        "省直部门单位",
        "省属企业",
        "高校",
        "开发区（园区）",
    }
    assert not [w for w in loaded.warnings if w.code != "KH233"], loaded.warnings


def test_2024_revises_2023() -> None:
    old = load_rules(ROOT / "rules" / "2023").resolved.ruleset
    new = load_rules(ROOT / "rules" / "2024").resolved.ruleset
    count = lambda rs: sum(len(d.indicators()) for d in rs.domains)  # noqa: E731
    assert count(new) < count(old), "2024 keeps a leaner indicator set"
    names = {i.id for d in new.domains for i in d.indicators()}
    assert any("新质生产力" in n for n in names)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_rule_files_name_their_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema = (path.parent / first.split("=", 1)[1]).resolve()
    assert schema.is_file(), schema


@pytest.mark.parametrize("path", sorted((ROOT / "schemas").glob("*.json")), ids=lambda p: p.name)
def test_schemas_are_valid_draft_2020_12(path: Path) -> None:
    Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("folder", YEARS, ids=lambda p: p.name)
def test_official_suites_pass_with_coverage(folder: Path) -> None:
    from click.testing import CliRunner

    from kaohe_rules.cli import cli

    result = CliRunner().invoke(cli, ["test", str(folder), "--threshold", "90"])
    assert result.exit_code == 0, result.output
    assert "0 个失败" in result.output


def test_official_rules_are_formatted() -> None:
    from click.testing import CliRunner

    from kaohe_rules.cli import cli

    result = CliRunner().invoke(cli, ["fmt", "--check", *(str(p) for p in YEARS)])
    assert result.exit_code == 0, result.output
