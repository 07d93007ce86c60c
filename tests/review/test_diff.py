"""kaohe diff: semantic changes between rule sets, and the units a revision moves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.outputs.diff import diff_rules
from kaohe_rules.pipeline import load_rules
from tests.conftest import ROOT

RULESETS = ROOT / "tests" / "rulesets"
GOLDEN = ROOT / "tests" / "golden" / "evaluate"


def _changes(old: Path, new: Path) -> list[tuple[str, str, str, str]]:
    before = load_rules(old).resolved.ruleset
    after = load_rules(new).resolved.ruleset
    return [(c.kind, c.what, c.old, c.new) for c in diff_rules(before, after)]


def test_known_revision_of_the_small_rule_set() -> None:
    changes = _changes(RULESETS / "mini", RULESETS / "mini_2024")
    assert ("修改", "考卷 党建 › 权重", "30", "25") in changes
    assert ("修改", "考卷 发展 › 权重", "70", "75") in changes
    assert ("删除", "数据项 重大事故", "重大事故", "（无）") in changes
    assert ("新增", "数据项 事故数", "（无）", "事故数") in changes
    assert ("修改", "一票否决 重大安全事故", "重大事故", "事故数 > 0") in changes
    added = [c for c in changes if c[0] == "新增" and "研发投入强度" in c[1]]
    assert added == [
        ("新增", "考卷 发展 › 指标 研发投入强度", "（无）", "研发投入强度（满分 5，分档）")
    ]
    assert len(changes) == 6


def test_identical_rule_sets_have_no_changes() -> None:
    assert _changes(RULESETS / "mini", RULESETS / "mini") == []


def test_changes_cite_both_files() -> None:
    before = load_rules(RULESETS / "mini").resolved.ruleset
    after = load_rules(RULESETS / "mini_2024").resolved.ruleset
    weight = next(c for c in diff_rules(before, after) if c.what == "考卷 党建 › 权重")
    assert weight.old_span.file.endswith("mini/市县.yaml")
    assert weight.new_span.file.endswith("mini_2024/市县.yaml")


def test_percent_targets_read_as_percentages() -> None:
    changes = _changes(ROOT / "rules" / "2023", ROOT / "rules" / "2024")
    target = [c for c in changes if c[1] == "考卷 发展 › 指标 地区生产总值增速 › 目标值"]
    assert target == [("修改", "考卷 发展 › 指标 地区生产总值增速 › 目标值", "6%", "5.5%")]


def test_impact_lists_units_whose_tier_or_labels_change(tmp_path: Path) -> None:
    revised = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", revised)
    text = (revised / "甲.yaml").read_text(encoding="utf-8")
    (revised / "甲.yaml").write_text(text.replace("人数 * 8%", "人数 * 30%"), encoding="utf-8")
    args = ["diff", str(GOLDEN / "rules"), str(revised), "--data", str(GOLDEN / "data")]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [c["对象"] for c in body["变化"]] == ["等次规则第 3 条"]
    moved = {m["编号"]: m for m in body["影响"]}
    # top round_half_up(15 x 30%) = 5: 甲二…甲五 join 甲一 in 第一等次
    assert sorted(moved) == ["J02", "J03", "J04", "J05"]
    assert moved["J03"]["原等次"] == "第二等次" and moved["J03"]["新等次"] == "第一等次"
    # 甲二 was first tier in 2022 and 2023: now three years running
    assert moved["J02"]["标签变化"] == {"重点关注": ["否", "是"]}


def test_markdown_for_a_pull_request() -> None:
    result = CliRunner().invoke(
        cli, ["diff", str(RULESETS / "mini"), str(RULESETS / "mini_2024"), "--format", "markdown"]
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("## 规则修订：")
    assert "| 领域 | 类型 | 对象 | 原 | 新 | 出处 |" in lines
    assert any(line.startswith("| 市县 | 修改 | 考卷 党建 › 权重 | 30 | 25 |") for line in lines)


def test_a_declared_range_is_a_rule_change() -> None:
    """最小值/最大值 of an indicator (issue 17) are compared like its other parameters."""
    cases = ROOT / "tests" / "data_checks"
    changes = _changes(cases / "clean" / "rules", cases / "range_indicator_policy" / "rules")
    assert ("修改", "考卷 发展 › 指标 新增企业数 › 最大值", "（无）", "400") in changes
    assert ("修改", "考卷 发展 › 指标 新增企业数 › 超出范围", "（无）", "警告") in changes


def test_last_years_rules_on_this_years_data_count_history_from_this_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kaohe diff rules/2023 rules/2024 --data samples/2024: the 2024 data's 历史.csv holds
    2023's results, which the 2023 rules, read as of their own year, refused (KH310). They
    are applied as of 2024: the same as a copy of them whose 年度 says 2024, so
    history(1) in 重点关注 is 2023 and history(2) is 2022."""
    from kaohe_rules.pipeline import run_year

    relabelled = tmp_path / "2023"
    shutil.copytree(ROOT / "rules" / "2023", relabelled)
    ruleset = relabelled / "规则集.yaml"
    ruleset.write_text(
        ruleset.read_text(encoding="utf-8").replace("年度: 2023", "年度: 2024", 1), "utf-8"
    )
    data = ROOT / "samples" / "2024"
    expected = run_year(relabelled, data, lenient=True)
    totals = {u.id: float(d.total[i]) for d in expected.domains for i, u in enumerate(d.units)}
    labels = {
        u.id: d.labels["重点关注"][i] == 1.0
        for d in expected.domains
        for i, u in enumerate(d.units)
        if "重点关注" in d.labels
    }
    assert sum(labels.values()) > 0  # the label that reads two years back is given

    monkeypatch.chdir(ROOT)
    args = ["diff", "rules/2023", "rules/2024", "--data", "samples/2024", "--format", "json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    moved = body["影响"] + body["名次变化最大"]
    assert len(moved) > 20
    watched = 0
    for move in moved:
        assert move["原总分"] == pytest.approx(totals[move["编号"]], abs=1e-4), move
        if "重点关注" in move["标签变化"]:
            watched += 1
            assert (move["标签变化"]["重点关注"][0] == "是") == labels[move["编号"]], move
    assert watched > 0
