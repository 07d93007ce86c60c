"""一族加减项 (前缀 + 每项): every data item whose name starts with a prefix, summed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read import columnar
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import edited_copy

HERE = Path(__file__).resolve().parent / "family"
RULES, DATA = HERE / "rules", HERE / "data"


def _rows(rules: Path, data: Path, tmp_path: Path) -> dict[str, dict]:
    out = tmp_path / "out.json"
    args = ["evaluate", "--rules", str(rules), "--data", str(data), "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return {r["名称"]: r for r in json.loads(out.read_text("utf-8"))["结果"]}


def test_members_declared_or_not_are_summed_and_capped(tmp_path: Path) -> None:
    rows = _rows(RULES, DATA, tmp_path)
    # 杭州: 表彰_国家级 1 (declared), 表彰_省级 2 (wide, undeclared), 表彰_市级 3 (long file):
    # (1 + 2 + 3) × 0.5 = 3, capped at 2; 通报_安全 1 deducts 1
    assert (rows["杭州市"]["加分"], rows["杭州市"]["扣分"], rows["杭州市"]["总分"]) == (2, 1, 101)
    assert (rows["淳安县"]["加分"], rows["淳安县"]["总分"]) == (0.5, 50.5)
    # a member without a value gives nothing: 文成 has none
    assert (rows["文成县"]["加分"], rows["文成县"]["扣分"]) == (0, 0)
    assert (rows["桐庐县"]["加分"], rows["桐庐县"]["扣分"], rows["桐庐县"]["总分"]) == (1, 2, 24)


def test_explain_shows_each_members_contribution() -> None:
    args = ["explain", "杭州市", "--rules", str(RULES), "--data", str(DATA)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "加分 表彰奖励：计入 2，上限 2（超过上限，按上限计）" in result.output
    assert "前缀 表彰_ 各成员的 值 * 0.5 之和 = 0.5 + 1.5 + 1 = 3" in result.output
    assert "表彰_市级：值 * 0.5 = 3 * 0.5 = 1.5" in result.output
    as_json = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).output)
    family = as_json["加减分"]["明细"][0]
    assert [m["项"] for m in family["成员"]] == ["表彰_国家级", "表彰_市级", "表彰_省级"]


def test_validate_is_clean_and_a_family_without_members_warns(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(RULES)])
    assert result.exit_code == 0 and "警告" not in result.output, result.output
    rules = edited_copy(RULES, tmp_path / "rules", "市县.yaml", "前缀: 通报_", "前缀: 通报-")
    data = edited_copy(DATA, tmp_path / "data", "数据.csv", "省级,通报_安全", "省级,表彰_安全")
    args = ["evaluate", "--rules", str(rules), "--data", str(data), "--warnings"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "市县.yaml:17:16: warning KH243 empty-family" in result.output
    assert "一族加减项 通报批评 没有成员" in result.output


def test_without_the_family_its_members_are_unknown_data(tmp_path: Path) -> None:
    rules = edited_copy(RULES, tmp_path / "rules", "市县.yaml", "前缀: 通报_", "前缀: 通报-")
    result = CliRunner().invoke(cli, ["evaluate", "--rules", str(rules), "--data", str(DATA)])
    assert result.exit_code == 1 and "KH302" in result.output and "通报_安全" in result.output


def test_an_indicator_is_never_a_member(tmp_path: Path) -> None:
    rules = edited_copy(RULES, tmp_path / "rules", "市县.yaml", "前缀: 通报_", "前缀: 增")
    text = (rules / "市县.yaml").read_text("utf-8")
    (rules / "市县.yaml").write_text(text.replace("每项: 值}", "每项: 值 * 0}"), "utf-8")
    data = edited_copy(DATA, tmp_path / "data", "数据.csv", "省级,通报_安全", "省级,表彰_安全")
    resolved = load_rules(rules).resolved
    done = evaluate_year(resolved, read_data(data, resolved.ruleset))
    # 增速 is an indicator, not a member of the family 增: the family is empty and warns
    assert [w.code for w in done.warnings] == ["KH243"]
    assert list(done.domains[0].deduction) == [0, 0, 0, 0]


@pytest.mark.parametrize("columnar_bytes", [10**12, 0], ids=["row reader", "columnar"])
def test_both_readers_give_the_members(columnar_bytes, monkeypatch) -> None:
    monkeypatch.setattr(columnar, "MIN_BYTES", columnar_bytes)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", columnar_bytes)
    resolved = load_rules(RULES).resolved
    data = read_data(DATA, resolved.ruleset)
    fast = [f.path.name for f in data.fast_files]
    assert fast == ([] if columnar_bytes else ["数据.csv", "表彰.csv"])  # wide, long
    done = evaluate_year(resolved, data).domains[0]
    assert list(done.bonus) == [2, 0.5, 0, 1]


def test_diff_lists_a_changed_prefix(tmp_path: Path) -> None:
    rules = edited_copy(RULES, tmp_path / "rules", "市县.yaml", "前缀: 表彰_", "前缀: 奖_")
    result = CliRunner().invoke(cli, ["diff", str(RULES), str(rules)])
    assert "修改 加分 表彰奖励 › 前缀：表彰_ → 奖_" in result.output, result.output


def test_rule_set_test_cases_may_name_undeclared_members() -> None:
    result = CliRunner().invoke(cli, ["test", str(RULES)])
    assert result.exit_code == 0, result.output
    assert "1 个用例：1 个通过，0 个失败" in result.output


def test_an_item_naming_a_member_warns_it_counts_twice() -> None:
    result = CliRunner().invoke(cli, ["validate", str(HERE.parent / "family_named_member")])
    assert result.exit_code == 0, result.output
    assert "family_named_member/市县.yaml:13:17: warning KH245 family-overlap" in result.output
    assert "它也是一族加减项 表彰奖励（前缀 '表彰_'）的成员：会计两次" in result.output
