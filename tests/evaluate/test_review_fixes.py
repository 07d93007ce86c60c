"""Findings of the evaluation review, each pinned: silent wrong results and crashes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.outputs.report import result_rows, write_atomically
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "evaluate"


def _copy_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    return rules


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _evaluate(rules: Path, data: Path = GOLDEN / "data"):
    loaded = load_rules(rules)
    return evaluate_year(loaded.resolved, read_data(data, loaded.resolved.ruleset))


def _rows(evaluation) -> dict[str, dict]:
    header, rows = result_rows(evaluation)
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_veto_places_do_not_depend_on_rule_order(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    veto = "    - {等次: 第三等次, 条件: 否决}\n"
    bottom = "    - {等次: 第三等次, 末位: round_half_up(人数 * 10%)}\n"
    _edit(rules / "甲.yaml", veto + bottom, bottom + veto)
    rows = _rows(_evaluate(rules))
    third = sorted(k for k, r in rows.items() if r["等次"] == "第三等次" and k.startswith("J"))
    assert third == ["J12", "J15"]  # the bottom quota of 2 counts 甲十二's veto, never takes it


def test_negative_benchmark_is_missing_not_full_marks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(GOLDEN / "data", data)
    _edit(data / "数据.csv", "Y01,乙一,,,,,0,0,否,良好,100,", "Y01,乙一,,,,,0,0,否,良好,-100,")
    _edit(data / "数据.csv", "Y02,乙二,,,,,0,0,否,良好,50,", "Y02,乙二,,,,,0,0,否,良好,-50,")
    _edit(data / "数据.csv", "Y03,乙三,,,,,0,0,否,优秀,80,", "Y03,乙三,,,,,0,0,否,优秀,-80,")
    evaluation = _evaluate(GOLDEN / "rules", data)
    second = evaluation.domains[1]
    assert second.scores["利润"][second.index("Y01")] == 0  # 记零分, not 60
    assert any("利润" in w.message and "记零分" in w.message for w in evaluation.warnings)


def test_duplicate_headers_are_refused(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "evaluate" / "data_bad" / "duplicate_header.csv", tmp_path)
    with pytest.raises(KaoheError) as raised:
        read_data(tmp_path, load_rules(GOLDEN / "rules").resolved.ruleset)
    [problem] = raised.value.diagnostics
    assert (problem.code, problem.span.line, problem.span.column) == ("KH303", 1, 7)


def test_a_history_file_cannot_carry_this_years_data(tmp_path: Path) -> None:
    (tmp_path / "混合.csv").write_text("编号,年度,等次,增速\nJ01,2023,第一等次,10\n", "utf-8")
    with pytest.raises(KaoheError) as raised:
        read_data(tmp_path, load_rules(GOLDEN / "rules").resolved.ruleset)
    assert raised.value.diagnostics[0].code == "KH310"


def _workbook(path: Path, rows: list[list], merge: str | None = None) -> None:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    if merge:
        book.active.merge_cells(merge)
    book.save(path)


@pytest.mark.parametrize(
    "rows,merge,message",
    [
        ([["编号", "基础分"], ["J01", "=50*2"]], None, "没有保存计算结果"),
        ([["编号", "基础分"], ["J01", 90], ["J02", None]], "B2:B3", "合并单元格"),
    ],
)
def test_workbooks_that_would_mislead_are_refused(tmp_path, rows, merge, message) -> None:
    _workbook(tmp_path / "数据.xlsx", rows, merge)
    with pytest.raises(KaoheError) as raised:
        read_data(tmp_path, load_rules(GOLDEN / "rules").resolved.ruleset)
    assert raised.value.diagnostics[0].code == "KH308"
    assert message in raised.value.diagnostics[0].message


def test_corrupt_workbooks_and_lock_files(tmp_path: Path) -> None:
    shutil.copy(GOLDEN / "data" / "数据.csv", tmp_path)
    (tmp_path / "~$数据.xlsx").write_bytes(b"\x00lock")  # Excel's lock file: ignored
    read_data(tmp_path, load_rules(GOLDEN / "rules").resolved.ruleset)
    (tmp_path / "坏.xlsx").write_bytes(b"not a zip")
    with pytest.raises(KaoheError) as raised:
        read_data(tmp_path, load_rules(GOLDEN / "rules").resolved.ruleset)
    assert raised.value.diagnostics[0].code == "KH308"


def test_fingerprint_does_not_depend_on_where_files_are(tmp_path: Path) -> None:
    shutil.copytree(GOLDEN, tmp_path / "golden")
    here = _evaluate(GOLDEN / "rules").fingerprint
    there = _evaluate(tmp_path / "golden" / "rules", tmp_path / "golden" / "data").fingerprint
    assert here == there


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_atomically(path, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_output_into_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    args = ["evaluate", "--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
    result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "nowhere" / "x.csv")])
    assert result.exit_code == 2 and "不存在" in result.output


@pytest.mark.parametrize(
    "edit,code",
    [
        (("甲.yaml", "等次:\n  规则:", "标签:\n  业绩: 1\n等次:\n  规则:"), "KH220"),
        (
            (
                "乙.yaml",
                "一单位一策:\n  乙二:",
                "一单位一策:\n  乙一:\n    新增指标:\n      业绩:\n"
                "        专项: {满分: 1, 计分方法: 线性, 目标值: 1, 下限值: 0}\n"
                "    调整: {利润.满分: 59}\n  乙二:",
            ),
            None,
        ),
    ],
)
def test_label_names_cannot_hide_papers(tmp_path, edit, code) -> None:
    rules = _copy_rules(tmp_path)
    _edit(rules / edit[0], edit[1], edit[2])
    if code is None:
        load_rules(rules)  # the same added indicator in the same paper for two units is fine
        return
    with pytest.raises(KaoheError) as raised:
        load_rules(rules)
    assert code in {d.code for d in raised.value.diagnostics}


@pytest.mark.parametrize("year", ["2023", "2024"])
def test_every_unit_with_its_own_policy_can_be_explained(year: str) -> None:
    """Variants adding one indicator to several units score it with the first one's
    formula; explaining a unit that owns another of them was an internal KeyError
    (舟山市 in 2024)."""
    from kaohe_rules.outputs.explain import explain, render_text

    resolved = load_rules(ROOT / "rules" / year).resolved
    evaluation = evaluate_year(resolved, read_data(ROOT / "samples" / year, resolved.ruleset))
    units = {v.unit for d in resolved.ruleset.domains for v in d.variants}
    assert len(units) >= 10
    for unit in sorted(units):
        text = render_text(explain(evaluation, unit))
        assert "得分" in text
