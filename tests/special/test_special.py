"""Special assessments (专项考核) on a hand-derived fixture: the golden year plus one special
assessment across three domains (derivation in tests/special/README.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.pipeline import load_rules
from tests.conftest import ROOT

HERE = ROOT / "tests" / "special"
ARGS = ["--rules", str(HERE / "rules"), "--data", str(HERE / "data")]


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def _evaluated(tmp_path: Path) -> dict:
    out = tmp_path / "结果.json"
    _run(["evaluate", *ARGS, "-o", str(out)])
    return json.loads(out.read_text(encoding="utf-8"))


def test_results_match_the_hand_derivation(tmp_path: Path) -> None:
    lines = (HERE / "expected.csv").read_text(encoding="utf-8").splitlines()
    expected = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    actual = {row["编号"]: row for row in _evaluated(tmp_path)["结果"]}
    assert len(actual) == len(expected) == 25
    for want in expected:
        got = actual[want["编号"]]
        assert got["总分"] == pytest.approx(float(want["总分"])), want["编号"]
        for key in ("类别", "等次", "先进单位", "重点关注", "赛事保障先进"):
            assert got[key] == want[key], (want["编号"], key)
        assert got["名次"] == int(want["名次"]), want["编号"]


def test_points_count_within_the_domain_and_the_veto_joins_the_domains(tmp_path: Path) -> None:
    rows = {row["编号"]: row for row in _evaluated(tmp_path)["结果"]}
    assert (rows["J01"]["加分"], rows["J13"]["加分"]) == (1, 1)
    assert (rows["J14"]["扣分"], rows["J14"]["一票否决"]) == (1.5, "是")
    assert rows["B02"]["扣分"] == 0.5
    assert rows["Y04"]["加分"] == rows["Y04"]["扣分"] == 0


def test_the_special_table_lists_each_member_and_what_it_gave(tmp_path: Path) -> None:
    table = _evaluated(tmp_path)["专项考核"]
    keys = ("编号", "总分", "名次", "等次", "计入加分", "计入扣分", "计入一票否决")
    got = [tuple(r[k] for k in keys) for r in table]
    assert got == [
        ("J01", 98, 1, "优秀", 1, 0, "否"),
        ("J13", 92, 2, "优秀", 1, 0, "否"),
        ("J14", 20, 6, "不合格", 0, 1, "是"),
        ("Y04", 85, 4, "合格", 0, 0, "否"),
        ("Y05", 88.5, 3, "合格", 0, 0, "否"),
        ("B02", 60, 5, "合格", 0, 0.5, "否"),
    ]
    assert {r["领域"] for r in table} == {"甲", "乙", "丙"}


def test_the_workbook_has_a_special_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "结果.xlsx"
    _run(["evaluate", *ARGS, "-o", str(out)])
    sheet = load_workbook(out)["专项考核"]
    assert [c.value for c in sheet[1]][:4] == ["专项考核", "编号", "名称", "领域"]
    assert sheet.max_row == 7


def test_explain_shows_what_the_special_assessment_contributed() -> None:
    text = _run(["explain", "甲十四", *ARGS])
    assert "【专项考核 赛事保障】总分 20，第 6 名，共 6 个单位，等次 不合格" in text
    assert "计入综合考核：加分 0，扣分 1，一票否决 是，标签 赛事保障先进 否" in text
    assert "扣分 专项考核 赛事保障：计入 1，上限 1（超过上限，按上限计）" in text
    assert "一票否决 专项考核 赛事保障：成立" in text
    assert "赛事保障.yaml:21" in text  # the veto's clause is cited
    outside = _run(["explain", "甲二", *ARGS])
    assert "赛事保障先进：否" in outside and "未参加专项考核 赛事保障" in outside
    assert "【专项考核" not in outside


def test_explain_json_carries_each_contribution_with_its_formula() -> None:
    entry = json.loads(_run(["explain", "丙二", *ARGS, "--format", "json"]))
    (special,) = entry["专项考核"]
    deduction = next(g for g in special["计入"] if g["类别"] == "扣分")
    assert deduction["值"] == "0.5"
    assert deduction["计分"]["filled"] == "if 60 < 70 then (70 - 60) * 0.05 else 0"


def test_explain_inside_the_special_assessment() -> None:
    text = _run(["explain", "丙二", *ARGS, "--special", "赛事保障"])
    assert text.startswith("丙二（B02）· 2024 年度 · 专项考核 赛事保障 · 类别 全部")
    assert "安保评分：值 缺失" in text and "【总分】60" in text
    assert "等次规则第 3 条" in text


def test_unknown_special_and_non_member_are_refused_with_a_code() -> None:
    result = CliRunner().invoke(cli, ["explain", "丙二", *ARGS, "--special", "赛事"])
    assert result.exit_code == 1 and "KH301" in result.output and "赛事保障" in result.output
    result = CliRunner().invoke(cli, ["explain", "甲二", *ARGS, "--special", "赛事保障"])
    assert result.exit_code == 1 and "KH301" in result.output


def test_a_special_selecting_nobody_is_a_warning(tmp_path: Path) -> None:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(HERE / "rules", rules)
    special = rules / "专项" / "赛事保障.yaml"
    text = special.read_text(encoding="utf-8").replace(
        '对象: unit.编号 属于 ["J01", "J13", "J14", "Y04", "Y05", "B02"]', '对象: unit.编号 == "无"'
    )
    special.write_text(text, encoding="utf-8")
    warnings = load_rules(rules).warnings
    assert [w.code for w in warnings if "没有选中任何单位" in w.message] == ["KH233"]


def test_the_bundled_2024_rules_run_their_special_assessment_first(tmp_path: Path) -> None:
    out = tmp_path / "2024.json"
    _run(["evaluate", "-o", str(out)])
    body = json.loads(out.read_text(encoding="utf-8"))
    table = body["专项考核"]
    assert len(table) == 15 and {r["类别"] for r in table} == {"设区市", "牵头部门"}
    best = {r["名称"] for r in table if r["等次"] == "优秀"}
    assert all(r["计入加分"] == (0.5 if r["名称"] in best else 0) for r in table)
    results = {r["名称"]: r for r in body["结果"]}
    assert {n for n, r in results.items() if r["营商环境优秀"] == "是"} == best
    assert results["淳安县"]["营商环境优秀"] == "否"  # not a member: a yes/no label says no
    entry = json.loads(_run(["explain", sorted(best)[0], "--format", "json"]))
    given = [i for i in entry["加减分"]["明细"] if i["名称"] == "专项考核 营商环境"]
    assert [i["计入"] for i in given] == ["0.5"]


def test_the_half_year_runs_without_special_assessments(tmp_path: Path) -> None:
    out = tmp_path / "H1.json"
    _run(["evaluate", "--period", "H1", "-o", str(out)])
    body = json.loads(out.read_text(encoding="utf-8"))
    assert "专项考核" not in body
    assert all("营商环境优秀" not in row for row in body["结果"])


def test_diff_and_fmt_know_special_assessments() -> None:
    from kaohe_rules.outputs.fmt import schema_for

    text = _run(["diff", str(ROOT / "rules" / "2023"), str(ROOT / "rules" / "2024")])
    assert "新增 专项考核：营商环境" in text
    assert schema_for(ROOT / "rules" / "2024" / "专项" / "营商环境.yaml") == "special.schema.json"


def test_diff_shows_a_changed_special_assessment(tmp_path: Path) -> None:
    import shutil

    new = tmp_path / "新"
    shutil.copytree(HERE / "rules", new)
    special = new / "专项" / "赛事保障.yaml"
    text = special.read_text(encoding="utf-8")
    text = text.replace('"Y05", "B02"]', '"Y05"]').replace("则 1 否则 0", "则 2 否则 0")
    special.write_text(text, encoding="utf-8")
    out = _run(["diff", str(HERE / "rules"), str(new)])
    lines = [line for line in out.splitlines() if line.startswith("  [专项考核 赛事保障]")]
    assert len(lines) == 2, out
    assert "对象" in lines[0] and "计入综合考核 加分" in lines[1]
