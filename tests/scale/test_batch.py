"""Indicators sharing one formula shape are scored as one block (kaohe_rules/score/batch.py), and a
tier quota that reads only 人数 is worked out once per group: every number, warning and
explanation must be what scoring them one by one, unit by unit, gives.

The fixture tests/scale/batch/ has a batch of each kind: one that runs (with a 剔除折算
and a 记零分 blank, and an indicator a 一单位一策 gives one unit its own target), a cohort
indicator that must stay out, and one that divides by zero and so falls back."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from kaohe_rules.dsl import Scope, compile_expression
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.model import ProblemRule
from kaohe_rules.outputs.cycle import problems
from kaohe_rules.outputs.explain import explain, render_text
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score import batch
from kaohe_rules.score.engine import evaluate_year, fingerprint
from kaohe_rules.score.plan import build
from tests.conftest import ROOT, edited_copy

FIXTURE = ROOT / "tests" / "scale" / "batch"
CASES = [
    (FIXTURE / "rules", FIXTURE / "data"),
    (ROOT / "rules" / "2023", ROOT / "samples" / "2023"),
    (ROOT / "rules" / "2024", ROOT / "samples" / "2024"),
]


def _batches(resolved, domain) -> tuple:
    """The domain's batches, as the rule set's plan holds them."""
    return build(resolved).of(domain).fast.batches


def _plain(column: np.ndarray) -> list:
    """A column as a list that compares equal to its copy: NaN as None."""
    return [None if v != v else v for v in column.tolist()]


def _everything(evaluation) -> list:
    out = []
    for d in [*evaluation.domains, *(s.result for s in evaluation.specials)]:
        columns = {}
        for key in d.scores:
            columns[key] = (
                _plain(d.scores[key]),
                d.applicable[key].tolist(),
                d.excluded[key].tolist(),
                _plain(d.full[key]),
                [i.id + i.formula.text for i in d.owner[key]],
                _plain(d.population.columns[f"{key}.得分"]),
            )
        papers = {key: _plain(value) for key, value in d.papers.items()}
        out.append((d.domain.name, columns, papers))
        if d.total is not None:
            out.append((d.total.tolist(), d.rank.tolist(), d.tier.tolist()))
    warnings = [(w.code, w.message, str(w.span)) for w in evaluation.warnings]
    return [out, warnings]


def _explanations(evaluation) -> list:
    """Explanations of some units, and the problem list (问题清单), which reads each
    indicator's value and target from the context explain uses."""
    units = [u for d in evaluation.domains for u in d.units]
    texts = [render_text(explain(evaluation, u.id)) for u in units[:: max(1, len(units) // 40)]]
    found = problems(evaluation, ProblemRule(share=0.9, last=2))
    return [texts, [(p.unit.id, p.indicator.id, p.value, p.target, p.reasons) for p in found]]


@pytest.mark.parametrize("rules, data", CASES, ids=lambda p: p.parent.name + "/" + p.name)
def test_batched_scores_are_the_one_by_one_scores(rules, data) -> None:
    resolved = load_rules(rules).resolved
    values = read_data(data, resolved.ruleset)
    batched = evaluate_year(resolved, values)
    assert any(_batches(resolved, d) for d in resolved.ruleset.scored())  # not vacuous
    got, explained = _everything(batched), _explanations(batched)
    fresh = load_rules(rules).resolved
    single = evaluate_year(fresh, read_data(data, fresh.ruleset), fast=False)
    assert got == _everything(single)
    assert explained == _explanations(single)


def test_what_is_batched_and_what_is_not() -> None:
    resolved = load_rules(FIXTURE / "rules").resolved
    (domain,) = resolved.ruleset.domains
    plans = [[i.id for i in b.indicators] for b in _batches(resolved, domain)]
    # R1 (排名赋分) reads its peers: it scores alone. The lower-is-better 线性 (L1, L2, L3:
    # 上限值) has the higher-is-better one's shape (下限值): one batch. L2's 一单位一策 gives
    # 甲三 a target of its own: that one cell is scored again with it.
    assert plans == [["A1", "A2", "A3", "L1", "L2", "L3"], ["F1", "F2"]]
    linear, custom = _batches(resolved, domain)
    # Each row holds its own indicator's value of the slot the first one calls 下限值.
    assert linear.parameters["下限值"].ravel().tolist() == [0, 50, 2, 20, 3, 50]
    assert linear.parameters["目标值"].ravel().tolist() == [10, 100, 8, 5, 1, 0]
    assert linear.full.ravel().tolist() == [20, 20, 10, 10, 10, 10]
    changed = linear.changed
    assert (changed.rows.tolist(), changed.units.tolist()) == ([4], [2])
    assert {k: v.tolist() for k, v in changed.parameters.items()} == {
        "满分": [[10.0]],
        "下限值": [[3.0]],
        "目标值": [[2.0]],
    }
    assert custom.parameters["目标值"].ravel().tolist() == [4, 0.5]


@pytest.mark.parametrize(
    "one, other, same",
    [
        ("满分 * linear(值, 下限值, 目标值)", "满分 * linear(值, 上限值, 目标值)", True),
        ("满分 * min(目标值 / 值, 1)", "满分 * min(值 / 目标值, 1)", False),
        ("满分 * min(目标值 / 值, 1)", "满分 * min(目标值 / 值, 2)", False),
        ("目标值 - 值 + 目标值", "下限值 - 值 + 目标值", False),
        ("目标值 - 值 + 目标值", "上限值 - 值 + 上限值", True),
        ("min(值, 满分)", "max(值, 满分)", False),
        ("-值 * 满分", "值 * 满分", False),
        ("round_half_up(值, 2)", "round_half_up(值)", False),
    ],
)
def test_formulas_of_one_shape(one: str, other: str, same: bool) -> None:
    """Two formulas share a batch only if they compute the same thing but for which of
    the indicator's parameters they read."""
    names = ("值", "满分", "目标值", "下限值", "上限值")
    scope = Scope(dict.fromkeys(names, NUMBER))
    first, second = (batch.shape(compile_expression(t, scope)) for t in (one, other))
    assert (first[0] == second[0]) is same


def test_a_batch_that_would_warn_is_scored_one_by_one(monkeypatch) -> None:
    outcomes: dict[str, bool] = {}
    score = batch.score

    def spy(group, block):
        result = score(group, block)
        outcomes[group.indicators[0].id] = result is not None
        return result

    monkeypatch.setattr(batch, "score", spy)
    resolved = load_rules(FIXTURE / "rules").resolved
    evaluation = evaluate_year(resolved, read_data(FIXTURE / "data", resolved.ruleset))
    assert outcomes == {"A1": True, "F1": False}  # 甲七's F1 = F2 = 0
    zero = [w for w in evaluation.warnings if w.code == "KH160"]
    assert [w.span.line for w in zero] == [23, 24]  # one per formula, as one by one
    (d,) = evaluation.domains
    assert d.scores["F1"][6] == d.scores["F2"][6] == 0.0  # 记零分
    assert np.isnan(d.scores["A2"][3]) and d.excluded["A2"][3]  # 剔除折算
    assert d.scores["A3"][4] == 0.0 and not d.excluded["A3"][4]


def test_a_batch_at_many_units_goes_through_in_blocks(monkeypatch) -> None:
    """Blocks bound the temporaries at a million units; their seams must not show."""
    resolved = load_rules(FIXTURE / "rules").resolved
    values = read_data(FIXTURE / "data", resolved.ruleset)
    whole = _everything(evaluate_year(resolved, values))
    monkeypatch.setattr(batch, "_BLOCK_CELLS", 5)  # 3 indicators: one unit a block
    assert _everything(evaluate_year(resolved, values)) == whole
    monkeypatch.setattr(batch, "_BLOCK_CELLS", 9)  # 3 units a block: 8 is not a multiple
    assert _everything(evaluate_year(resolved, values)) == whole


def test_which_quotas_are_worked_out_per_group() -> None:
    resolved = load_rules(ROOT / "rules" / "2024").resolved
    quotas = [
        r.top or r.bottom
        for d in resolved.ruleset.domains
        for r in d.tiers.rules
        if r.top or r.bottom
    ]
    assert quotas and all(batch.group_level(resolved.program(q)) for q in quotas)
    fixture = load_rules(FIXTURE / "rules").resolved
    (domain,) = fixture.ruleset.domains
    literal = [r.top or r.bottom for r in domain.tiers.rules if r.top or r.bottom]
    assert [batch.group_level(fixture.program(q)) for q in literal] == [True, True]


@pytest.mark.parametrize(
    "quota, per_group",
    [
        ("round_half_up(人数 * 10%)", True),
        ("if 人数 > 5 then 1 else 0", True),
        ("count() / 8", False),  # a cohort function: looks at the group, not at 人数
        ("round_half_up(R1 / 90)", False),  # a unit's own value
        ("人数 / (人数 - 8)", True),  # 8 units: a division by zero, warned unit by unit
    ],
)
def test_a_quota_gives_what_it_gave_unit_by_unit(quota, per_group, tmp_path) -> None:
    rules = edited_copy(
        FIXTURE / "rules", tmp_path / "rules", "甲.yaml", "末位: 1", f"末位: {quota}"
    )
    resolved = load_rules(rules).resolved
    (domain,) = resolved.ruleset.domains
    assert batch.group_level(resolved.program(domain.tiers.rules[0].bottom)) == per_group
    values = read_data(FIXTURE / "data", resolved.ruleset)
    fast = evaluate_year(resolved, values)
    got = (_everything(fast), fast.domains[0].tier.tolist(), _explanations(fast))
    fresh = load_rules(rules).resolved
    slow = evaluate_year(fresh, read_data(FIXTURE / "data", fresh.ruleset), fast=False)
    assert got == (_everything(slow), slow.domains[0].tier.tolist(), _explanations(slow))


def test_a_reused_data_set_gets_the_fingerprint_of_the_rules_now(tmp_path) -> None:
    """Re-evaluating the same DataSet under edited rules must not report the old
    fingerprint (publish treats an equal fingerprint as already archived)."""
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURE / "rules", rules)
    resolved = load_rules(rules).resolved
    values = read_data(FIXTURE / "data", resolved.ruleset)
    first = evaluate_year(resolved, values)
    path = rules / "甲.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("目标值: 10,", "目标值: 11,"), "utf-8")
    changed = load_rules(rules).resolved
    second = evaluate_year(changed, values)
    assert first.domains[0].total.tolist() != second.domains[0].total.tolist()
    assert second.fingerprint != first.fingerprint
    assert second.fingerprint == fingerprint([*changed.ruleset.files, *values.files])


def test_scores_of_a_one_unit_domain_are_not_the_kept_parameters(tmp_path) -> None:
    """With one unit, a formula of a parameter alone has the parameter's (k, 1) shape;
    its result must still be a new array, not the one kept in the rule set's plan."""
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURE / "rules", rules)
    path = rules / "甲.yaml"
    text = path.read_text(encoding="utf-8").replace(
        '计分: "满分 * min(目标值 / 值, 1)"', "计分: 满分"
    )
    path.write_text(text, encoding="utf-8")
    resolved = load_rules(rules).resolved
    (domain,) = resolved.ruleset.domains
    group = next(b for b in _batches(resolved, domain) if b.indicators[0].id == "F1")
    scored = batch.score(group, np.array([[3.0], [0.8]]))
    assert scored is not None
    assert scored[0].tolist() == [[5.0], [5.0]]
    assert not any(np.shares_memory(scored[0], p) for p in group.parameters.values())


def test_data_read_for_another_roster_is_refused() -> None:
    resolved = load_rules(FIXTURE / "rules").resolved
    (domain,) = resolved.ruleset.domains
    values = read_data(FIXTURE / "data", resolved.ruleset)
    group = _batches(resolved, domain)[0]
    with pytest.raises(IndexError):
        batch.gather(group, values, np.arange(9))


VARIANTS = """一单位一策:
  甲三:
    调整:
      L2.目标值: 2
  甲四:
    删除指标: [A1, L3]
    调整:
      A2.满分: 30
      A3.满分: 20
      A3.下限值: 1
      L1.满分: 20
  甲五:
    调整:
      A1.满分: 18
      A3.满分: 12
      L1.上限值: 30
"""


def test_variants_and_blanks_in_a_batch_are_the_one_by_one_scores(tmp_path) -> None:
    """一单位一策 dropping batched indicators and changing their 满分 and bounds, on units
    whose values are blank under 剔除折算 (A2 甲四) and 记零分 (A3 甲五): the batch keeps
    them, and every score, table, warning and explanation is the one-by-one path's."""
    old = "一单位一策:\n  甲三:\n    调整:\n      L2.目标值: 2\n"
    rules = edited_copy(FIXTURE / "rules", tmp_path / "rules", "甲.yaml", old, VARIANTS)
    resolved = load_rules(rules).resolved
    (domain,) = resolved.ruleset.domains
    linear = _batches(resolved, domain)[0]
    assert [i.id for i in linear.indicators] == ["A1", "A2", "A3", "L1", "L2", "L3"]
    assert [a is not None for a in linear.applies] == [True, False, False, False, False, True]
    cells = zip(linear.changed.rows.tolist(), linear.changed.units.tolist(), strict=True)
    assert sorted(cells) == [(0, 4), (1, 3), (2, 3), (2, 4), (3, 3), (3, 4), (4, 2)]
    batched = evaluate_year(resolved, read_data(FIXTURE / "data", resolved.ruleset))
    fresh = load_rules(rules).resolved
    single = evaluate_year(fresh, read_data(FIXTURE / "data", fresh.ruleset), fast=False)
    assert _everything(batched) == _everything(single)
    assert _explanations(batched) == _explanations(single)
    (d,) = batched.domains
    assert np.isnan(d.scores["A2"][3]) and d.excluded["A2"][3] and d.full["A2"][3] == 30
    assert d.scores["A3"][4] == 0.0 and d.full["A3"][4] == 12
    assert not d.applicable["A1"][3] and np.isnan(d.scores["A1"][3])
    told = [w.message for w in batched.warnings if w.code == "KH306"]
    assert told[:2] == [  # then F1 and F2, scored one by one (甲七 divides by zero)
        "指标 A2 缺少数据，剔除后折算（1 个单位：甲四）",
        "指标 A3 缺少数据，记零分（1 个单位：甲五）",
    ]
