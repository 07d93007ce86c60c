"""Twin domains (twins.py): domains whose rules are the same but for their name and
categories are scored in one pass and cut apart. Every result, warning, explanation and
output file must be what scoring them one by one gives."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe_rules import engine, twins
from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.engine import evaluate_year
from kaohe_rules.explain import explain, render_text
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from tests.conftest import ROOT, edited_copy

CASE = ROOT / "tests" / "scale" / "twins"


def _evaluate(rules: Path, data: Path, fused: bool, monkeypatch: pytest.MonkeyPatch):
    resolved = load_rules(rules).resolved
    with monkeypatch.context() as patch:
        if not fused:
            patch.setattr(twins, "plan", lambda resolved: {})
        return evaluate_year(resolved, read_data(data, resolved.ruleset))


def _plain(value: object) -> object:
    """Numbers, text and rule objects as comparable Python values (NaN as None)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return [(str(k), _plain(v)) for k, v in value.items()]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "span") and hasattr(value, "id"):  # an Indicator: where it is written
        return (value.id, value.span.file, value.span.line)
    return value


FIELDS = [
    "category",
    "applicable",
    "excluded",
    "scores",
    "full",
    "owner",
    "papers",
    "paper_weights",
    "bonus",
    "deduction",
    "items",
    "veto",
    "vetoes",
    "total",
    "groups",
    "rank",
    "size",
    "order",
    "tier",
    "tier_rule",
    "labels",
    "label_types",
]


def _snapshot(evaluation) -> list:
    """Everything a domain's result holds, formulas' contexts included, as plain values."""
    out = []
    for d in evaluation.domains:
        row = [d.domain.name, [u.id for u in d.units], [i.span.line for i in d.indicators]]
        row += [(name, _plain(getattr(d, name))) for name in FIELDS]
        row.append(_plain(d.population.columns))
        row.append(_plain(d.population.groups()))
        row.append([(back, _plain(h)) for back, h in sorted(d.population.history.items())])
        keys = [*dict.keys(d.contexts), *d.contexts.pending]
        contexts = []
        for expr in sorted(keys, key=lambda e: (e.span.file, e.span.line, e.span.column)):
            where = (expr.text, expr.span.file, expr.span.line, expr.span.column)
            contexts.append((where, _plain(d.contexts[expr].columns)))
        row.append(contexts)
        out.append(row)
    return out


def test_only_domains_alike_but_for_name_and_categories_are_twins() -> None:
    resolved = load_rules(CASE / "rules").resolved
    found = twins.plan(resolved)
    assert sorted(found) == ["东", "西"]  # 北's 增速 has another target
    assert [d.name for d in found["东"].members] == ["东", "西"]
    assert found["东"] is found["西"]


def test_twins_give_what_scoring_each_domain_gives(monkeypatch) -> None:
    fused = _evaluate(CASE / "rules", CASE / "data", True, monkeypatch)
    alone = _evaluate(CASE / "rules", CASE / "data", False, monkeypatch)
    assert _snapshot(fused) == _snapshot(alone)
    assert fused.warnings == alone.warnings == []
    assert fused.fingerprint == alone.fingerprint
    west = fused.domains[1]
    # The case's features are there: a tie broken by id, a veto at the top, a label
    # read from history, and each twin's own categories and file.
    assert west.domain.name == "西" and set(west.category) == {"全部"}
    assert west.tier[west.index("X05")] == "第三等次" and west.rank[west.index("X05")] == 1
    east = fused.domains[0]
    assert east.total[east.index("D03")] == east.total[east.index("D04")]
    assert east.rank[east.index("D03")] < east.rank[east.index("D04")]
    assert bool(east.labels["连续第一"][east.index("D06")])
    assert bool(west.labels["连续第一"][west.index("X07")])
    assert west.owner["增速"][0].span.file.endswith("西.yaml")


def test_explanations_cite_each_twins_own_file(monkeypatch) -> None:
    fused = _evaluate(CASE / "rules", CASE / "data", True, monkeypatch)
    alone = _evaluate(CASE / "rules", CASE / "data", False, monkeypatch)
    for unit in ("D03", "X05", "X07", "B04"):
        assert explain(fused, unit) == explain(alone, unit)
    text = render_text(explain(fused, "X07"))
    assert "西.yaml" in text and "东.yaml" not in text


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_output_files_are_byte_identical(tmp_path, monkeypatch, suffix) -> None:
    outputs = []
    for fused in (True, False):
        with monkeypatch.context() as patch:
            if not fused:
                patch.setattr(twins, "plan", lambda resolved: {})
            target = tmp_path / f"{fused}{suffix}"
            args = ["evaluate", "--rules", str(CASE / "rules"), "--data", str(CASE / "data")]
            result = CliRunner().invoke(cli, [*args, "-o", str(target)])
            assert result.exit_code == 0, result.output
            outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]


def test_a_warning_falls_back_to_one_domain_at_a_time(tmp_path, monkeypatch) -> None:
    # 西3's 增速 left blank: 记零分 warns, naming 西3 under 西 only, as it always did.
    data = tmp_path / "data"
    shutil.copytree(CASE / "data", data)
    text = (data / "数据.csv").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("X03,"))
    cells = row.split(",")
    cells[3] = ""
    (data / "数据.csv").write_text(text.replace(row, ",".join(cells)), encoding="utf-8")
    fused = _evaluate(CASE / "rules", data, True, monkeypatch)
    alone = _evaluate(CASE / "rules", data, False, monkeypatch)
    assert _snapshot(fused) == _snapshot(alone)
    assert [str(w) for w in fused.warnings] == [str(w) for w in alone.warnings]
    [warning] = [w for w in fused.warnings if w.code == "KH306"]
    assert "西3" in warning.message and "东" not in warning.message
    assert [w for d in fused.domains for w in d.warnings] == [warning]
    assert fused.domains[1].warnings == [warning]


def test_a_refusal_names_the_first_domains_units(tmp_path, monkeypatch) -> None:
    old, new = "缺失数据: 记零分", "缺失数据: 报错"
    rules = edited_copy(CASE / "rules", tmp_path / "rules", "规则集.yaml", old, new)
    data = tmp_path / "data"
    shutil.copytree(CASE / "data", data)
    text = (data / "数据.csv").read_text(encoding="utf-8")
    for unit in ("D02", "X03"):
        row = next(line for line in text.splitlines() if line.startswith(unit + ","))
        cells = row.split(",")
        cells[3] = ""
        text = text.replace(row, ",".join(cells))
    (data / "数据.csv").write_text(text, encoding="utf-8")
    errors = []
    for fused in (True, False):
        with pytest.raises(KaoheError) as caught:
            _evaluate(rules, data, fused, monkeypatch)
        errors.append([str(d) for d in caught.value.diagnostics])
    assert errors[0] == errors[1]
    assert "东2" in errors[0][0] and "西3" not in errors[0][0]


@pytest.mark.parametrize(
    ("file", "old", "new", "why"),
    [
        (
            "西.yaml",
            "上限值: 100}",
            "上限值: 95}",
            "a parameter differs",
        ),
        (
            "西.yaml",
            "考卷:",
            "一单位一策:\n  X01: {调整: {增速.目标值: 9}}\n考卷:",
            "a variant",
        ),
        (
            "规则集.yaml",
            "    先进单位: 等次",
            "    高于均值: 总分 > mean(总分)\n    先进单位: 等次",
            "a cohort function",
        ),
        (
            "规则集.yaml",
            "      - {依据: unit.编号, 顺序: 升序}",
            "      - {依据: unit.编号, 顺序: 升序}\n    范围: 领域",
            "ranked across the whole domain",
        ),
    ],
)
def test_domains_that_differ_or_reach_across_units_are_not_fused(
    tmp_path, monkeypatch, file, old, new, why
) -> None:
    rules = edited_copy(CASE / "rules", tmp_path / "rules", file, old, new)
    resolved = load_rules(rules).resolved
    assert twins.plan(resolved) == {}, why
    fused = _evaluate(rules, CASE / "data", True, monkeypatch)
    alone = _evaluate(rules, CASE / "data", False, monkeypatch)
    assert _snapshot(fused) == _snapshot(alone)


def test_the_scale_workload_domains_are_twins(tmp_path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench" / "scale"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "bench" / "scale"))
    generate(60, tmp_path, parquet=False)
    resolved = load_rules(tmp_path / "rules").resolved
    assert sorted(twins.plan(resolved)) == ["丙", "乙", "甲"]


def test_large_domains_are_scored_one_at_a_time(monkeypatch) -> None:
    # 东 and 西 have 18 units: past the limit, fusing saves nothing worth its larger arrays.
    monkeypatch.setattr(twins, "MOST_UNITS", 17)
    assert twins.plan(load_rules(CASE / "rules").resolved) == {}
    monkeypatch.setattr(twins, "MOST_UNITS", 18)
    assert sorted(twins.plan(load_rules(CASE / "rules").resolved)) == ["东", "西"]


def test_a_formula_used_twice_keeps_its_domain_apart(tmp_path, monkeypatch) -> None:
    # 东 gives 增速 and 研发 one formula through a YAML alias: equal expressions, one key of
    # the explanation contexts. 西 writes it out twice, so it has two: 东 is scored alone.
    formula = '"满分 * linear(值, 下限值, 目标值)"'
    rules = tmp_path / "rules"
    shutil.copytree(CASE / "rules", rules)
    old_growth = "增速: {满分: 20, 计分方法: 线性, 目标值: 10, 下限值: 0}"
    old_rd = "研发: {满分: 15, 计分方法: 分档, 档位: [2, 2.5, 3], 得分率: [60%, 80%, 100%]}"
    for file, growth, rd in (
        ("东.yaml", f"计分: &f {formula}", "计分: *f"),
        ("西.yaml", f"计分: {formula}", f"计分: {formula}"),
    ):
        text = (rules / file).read_text(encoding="utf-8")
        assert old_growth in text and old_rd in text
        text = text.replace(old_growth, "增速: {满分: 20, 目标值: 10, 下限值: 0, " + growth + "}")
        text = text.replace(old_rd, "研发: {满分: 15, 目标值: 3, 下限值: 2, " + rd + "}")
        (rules / file).write_text(text, encoding="utf-8")
    assert twins.plan(load_rules(rules).resolved) == {}
    fused = _evaluate(rules, CASE / "data", True, monkeypatch)
    alone = _evaluate(rules, CASE / "data", False, monkeypatch)
    assert _snapshot(fused) == _snapshot(alone)
    assert explain(fused, "X01") == explain(alone, "X01")


def test_data_that_made_the_fused_pass_warn_is_not_fused_again(tmp_path, monkeypatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(CASE / "data", data)
    text = (data / "数据.csv").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("X03,"))
    (data / "数据.csv").write_text(text.replace(row, row.replace(",0.5,", ",,")), encoding="utf-8")
    resolved = load_rules(CASE / "rules").resolved
    blank, clean = read_data(data, resolved.ruleset), read_data(CASE / "data", resolved.ruleset)
    fused_runs = []
    real_split = twins.split
    scorer = engine.DomainScorer

    def counting(resolved, domain, data):
        if domain.name.startswith("\0twins"):
            fused_runs.append(domain.name)
        return scorer(resolved, domain, data)

    monkeypatch.setattr(engine, "DomainScorer", counting)
    first = evaluate_year(resolved, blank)
    again = evaluate_year(resolved, blank)
    assert len(fused_runs) == 1  # tried once, warned, then scored one by one
    assert [str(w) for w in first.warnings] == [str(w) for w in again.warnings] != []
    split_calls = []
    monkeypatch.setattr(twins, "split", lambda *a: split_calls.append(1) or real_split(*a))
    evaluate_year(resolved, clean)  # other data: fused again
    assert len(fused_runs) == 2 and split_calls == [1]


_UNITS = [
    line.split(",")[0]
    for line in (CASE / "data" / "数据.csv").read_text(encoding="utf-8").splitlines()[2:]
]
_CELLS = st.one_of(st.none(), st.sampled_from([0, 1, 2.5, 3, 10, 55, 60, 90, 100]))
FIXTURE = HealthCheck.function_scoped_fixture


@settings(max_examples=40, deadline=None, suppress_health_check=[FIXTURE])
@given(
    st.lists(
        st.tuples(*[_CELLS] * 5, st.integers(0, 3), st.integers(0, 5), st.booleans()),
        min_size=len(_UNITS),
        max_size=len(_UNITS),
    ),
    st.booleans(),
)
def test_any_data_gives_what_scoring_each_domain_gives(
    tmp_path_factory, monkeypatch, rows, blanks
) -> None:
    # Ties, vetoes anywhere; with blanks, the fused pass warns and is dropped.
    data = tmp_path_factory.mktemp("data")
    lines = ["编号,基础分,增速,成本率,研发,质量,表彰数,问题数,事故"]
    for unit, (*values, bonus, problems, accident) in zip(_UNITS, rows, strict=True):
        cells = ["" if v is None and blanks else str(v or 0) for v in values]
        flag = "是" if accident else "否"
        lines.append(",".join([unit, *cells, str(bonus), str(problems), flag]))
    (data / "数据.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(CASE / "data" / "历史.csv", data / "历史.csv")
    fused = _evaluate(CASE / "rules", data, True, monkeypatch)
    alone = _evaluate(CASE / "rules", data, False, monkeypatch)
    assert _snapshot(fused) == _snapshot(alone)
    assert [str(w) for w in fused.warnings] == [str(w) for w in alone.warnings]
