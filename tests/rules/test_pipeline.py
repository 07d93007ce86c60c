"""Rule sets load into the model: defaults, inheritance, methods expanded, commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules
from kaohe_rules.rules.loader import load_file
from kaohe_rules.rules.merge import merge_patch

RULESETS = Path(__file__).resolve().parent.parent / "rulesets"


@pytest.fixture(scope="module")
def mini():
    return load_rules(RULESETS / "mini").resolved.ruleset


@pytest.fixture(scope="module")
def mini_2024():
    return load_rules(RULESETS / "mini_2024").resolved.ruleset


def test_model_of_a_small_rule_set(mini) -> None:
    assert (mini.year, mini.precision, len(mini.units)) == (2023, 4, 4)
    [domain] = mini.domains
    assert [c.name for c in domain.categories] == ["设区市", "山区县", "非山区县"]
    growth, ratio = domain.indicators()
    assert growth.target == pytest.approx(0.06) and growth.floor == pytest.approx(0.03)
    assert growth.formula.text == "满分 * linear(值, 下限值, 目标值)"
    assert (growth.lead, growth.owner) == ("省发展改革委", "常务副职")
    assert ratio.formula.text == "满分 * linear(值, 上限值, 目标值)"
    # 通用 settings reach the domain: tiers, labels, adjustments.
    assert [r.tier for r in domain.tiers.rules] == ["第三等次", "第三等次", "第一等次", "第二等次"]
    assert domain.tiers.rules[-1].is_default
    assert [label.name for label in domain.labels] == ["先进单位"]
    assert domain.adjustments.deductions[0].cap == 5


def test_a_generated_formula_cites_the_method_line(mini) -> None:
    growth = mini.domains[0].indicators()[0]
    assert Path(growth.formula.span.file).name == "市县.yaml"
    assert growth.formula.span.line == 19  # the 计分方法 key


def test_inheritance_changes_only_what_the_revision_states(mini, mini_2024) -> None:
    old, new = mini.domains[0], mini_2024.domains[0]
    assert [p.weight for p in old.papers] == [30, 70]
    assert [p.weight for p in new.papers] == [25, 75]
    assert [i.id for i in new.indicators()] == [
        "地区生产总值增速",
        "城乡居民收入倍差",
        "研发投入强度",
    ]
    assert (
        new.indicators()[2].formula.text == "满分 * steps(值, [0.02, 0.025, 0.03], [0.6, 0.8, 1])"
    )
    assert [d.name for d in mini_2024.data_items] == ["党建评分", "问题数", "班子等次", "事故数"]
    assert new.adjustments.vetoes[0][1].text == "事故数 > 0"
    assert mini_2024.units == mini.units
    inherited = new.papers[0].formula
    assert Path(inherited.span.file).parent.name == "mini"  # still cites the 2023 file


def test_merge_patch_semantics(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("a: 1\nb: {c: 2, d: 3}\ne: [1, 2]\n", encoding="utf-8")
    (tmp_path / "patch.yaml").write_text("b: {c: ~, x: 9}\ne: [3]\n", encoding="utf-8")
    merged = merge_patch(load_file(tmp_path / "base.yaml"), load_file(tmp_path / "patch.yaml"))
    assert merged == {"a": 1, "b": {"d": 3, "x": 9}, "e": [3]}
    assert merged.values_at["e"].file.endswith("patch.yaml")
    assert merged.values_at["a"].file.endswith("base.yaml")


def test_yaml_scalars_follow_yaml_1_2(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: no\nb: on\nc: 2024-01-01\nd: 1:30\ne: true\nf: 12\n", encoding="utf-8")
    assert load_file(path) == {
        "a": "no",
        "b": "on",
        "c": "2024-01-01",
        "d": "1:30",
        "e": True,
        "f": 12,
    }


def test_a_number_with_a_leading_zero_is_refused_not_changed(tmp_path: Path) -> None:
    # YAML 1.2 reads 0330 as 330 (1.1 as octal 216): an id would silently lose its zero.
    path = tmp_path / "s.yaml"
    path.write_text("编号: 0330\n", encoding="utf-8")
    with pytest.raises(KaoheError) as raised:
        load_file(path)
    (found,) = raised.value.diagnostics
    assert (found.code, found.span.line, found.span.column) == ("KH212", 1, 5)
    assert '"0330"' in found.hint


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(RULESETS / "mini")])
    assert ok.exit_code == 0 and "规则集有效" in ok.output
    missing = runner.invoke(cli, ["validate", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    bad = runner.invoke(cli, ["validate", str(RULESETS.parent / "rules_bad" / "weights_not_100")])
    assert bad.exit_code == 1 and "KH225" in bad.output


def test_validate_formats_for_machines() -> None:
    folder = str(RULESETS.parent / "rules_bad" / "weights_not_100")
    result = CliRunner().invoke(cli, ["validate", folder, "--format", "json"])
    problems = json.loads(result.stdout)
    assert {p["code"] for p in problems} >= {"KH225"}
    assert all(p["file"] and p["line"] for p in problems)
    github = CliRunner().invoke(cli, ["validate", folder, "--format", "github"])
    assert github.stdout.startswith("::error file=")
    assert "title=KH225 paper-weights-sum" in github.stdout


def test_show_prints_the_resolved_rule_set() -> None:
    result = CliRunner().invoke(cli, ["show", str(RULESETS / "mini_2024")])
    assert result.exit_code == 0
    assert "继承" not in result.output
    assert "研发投入强度" in result.output and "权重: 25" in result.output
    assert "单位数: 4" in result.output


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    """Made at run time: a 5 MB fixture would weigh on the repository."""
    from kaohe_rules.diagnostics import KaoheError
    from kaohe_rules.limits import RULE_FILE_BYTES

    path = tmp_path / "big.yaml"
    line = "# " + "很长的注释" * 20 + "\n"
    path.write_text(line * (RULE_FILE_BYTES.default // len(line.encode()) + 1), encoding="utf-8")
    with pytest.raises(KaoheError) as raised:
        load_file(path)
    [problem] = raised.value.diagnostics
    assert (problem.code, problem.span.line, problem.span.column) == ("KH205", 1, 1)
