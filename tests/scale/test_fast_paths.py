"""The scoring core's fast paths (issue 8) give what the plain paths gave: sorting,
planned categories, tier quotas per group, repeated evaluations of one rule set; and
the plan they read is read-only (issue 18)."""

from __future__ import annotations

import dataclasses
import shutil
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.dsl.evaluate import FormulaBlock
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from kaohe_rules.score.order import lexsorted
from kaohe_rules.score.plan import build
from tests.conftest import ROOT, edited_copy

GOLDEN = ROOT / "tests" / "golden" / "evaluate"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(-1, 3), min_size=n, max_size=n),
            st.lists(
                st.lists(st.sampled_from([0.0, 1.5, -2.0, 7.25, np.inf]), min_size=n, max_size=n),
                min_size=0,
                max_size=3,
            ),
            st.permutations(range(n)),
        )
    )
)
def test_lexsorted_is_numpy_lexsort(case) -> None:
    groups, keys, start = case
    groups = np.array(groups, dtype=np.int64)
    keys = [np.array(k) for k in keys]
    start = np.array(start, dtype=np.int64)
    place = np.empty(len(start), dtype=np.int64)
    place[start] = np.arange(len(start))  # the start order as lexsort's last key
    expected = np.lexsort([place, *reversed(keys), groups])
    assert lexsorted(groups, keys, start).tolist() == expected.tolist()


def _summary(evaluation) -> list:
    rows = []
    for d in evaluation.domains:
        rows.append(
            (
                d.domain.name,
                d.category.tolist(),
                d.total.tolist(),
                d.rank.tolist(),
                d.tier.tolist(),
                d.tier_rule.tolist(),
            )
        )
    warnings = [(w.code, w.message, str(w.span)) for w in evaluation.warnings]
    return [rows, warnings]


def test_second_evaluation_of_a_rule_set_is_the_first() -> None:
    """Categories and the id order are in the rule set's plan; a second evaluation (a
    monitoring platform re-evaluating on each data change) must give the same, warnings
    included, and so must a freshly loaded rule set."""
    rules, data = ROOT / "rules" / "2024", ROOT / "samples" / "2024"
    resolved = load_rules(rules).resolved
    values = read_data(data, resolved.ruleset)
    done = evaluate_year(resolved, values)
    first = _summary(done)
    second = _summary(evaluate_year(resolved, values, plan=done.plan))
    fresh = load_rules(rules).resolved
    other = _summary(evaluate_year(fresh, read_data(data, fresh.ruleset)))
    assert first == second == other
    assert sum(len(rows[2]) for rows in first[0]) == 429


def test_category_warnings_come_with_every_evaluation(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    path = rules / "丙.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('全部: unit.类型 == "丙"', '全部: count() / 0 > 1 或 unit.类型 == "丙"'),
        encoding="utf-8",
    )
    resolved = load_rules(rules).resolved
    values = read_data(GOLDEN / "data", resolved.ruleset)
    for _ in range(2):
        evaluation = evaluate_year(resolved, values)
        found = [w for w in evaluation.warnings if w.code == "KH160"]
        assert len(found) == 1
        assert found[0].span.file.endswith("丙.yaml")
        assert evaluation.domains[2].category.tolist() == ["全部"] * 4


def test_cached_categories_cannot_be_changed_by_a_caller() -> None:
    resolved = load_rules(GOLDEN / "rules").resolved
    values = read_data(GOLDEN / "data", resolved.ruleset)
    category = evaluate_year(resolved, values).domains[0].category
    assert not category.flags.writeable


@pytest.mark.parametrize("rules, data", [("rules/2024", "samples/2024"), (GOLDEN / "rules", None)])
def test_quotas_per_group_are_the_quotas_unit_by_unit(rules, data) -> None:
    """A quota that reads only 人数 is worked out per group at plan time: it must place
    every unit as the reference path, which runs it unit by unit (the golden year has
    vetoes counted against a bottom quota)."""
    rules = ROOT / rules
    data = ROOT / data if data else GOLDEN / "data"
    resolved = load_rules(rules).resolved
    plan = build(resolved)
    assert any(d.fast.quotas for d in plan.domains.values())  # not vacuous
    values = read_data(data, resolved.ruleset)
    fast = _summary(evaluate_year(resolved, values, plan=plan))
    assert _summary(evaluate_year(resolved, values, plan=plan, fast=False)) == fast
    assert any("第三等次" in rows[4] for rows in fast[0])  # not vacuous: quotas placed


@pytest.mark.parametrize(
    "old, new, tiers",
    [
        # 末位 over the whole group: all but the vetoed 丙三 (third by its veto) are third.
        ("round_half_up(人数 * 25%)", "人数 * 1e300", {"第三等次"}),
        # 前列 over the whole group: every unit the rules before it left is first (丙三
        # is vetoed, 丙四 is the 末位 place).
        ("floor(人数 * 30%)", "人数 * 1e300", {"第一等次", "第三等次"}),
    ],
)
def test_a_quota_above_the_units_takes_them_all(old, new, tiers, tmp_path) -> None:
    """A quota worked out larger than the group (even one far beyond any integer) places
    every eligible unit, never a number cast out of range (which gave 前列 nobody)."""
    rules = edited_copy(GOLDEN / "rules", tmp_path / "rules", "丙.yaml", old, new)
    resolved = load_rules(rules).resolved
    evaluation = evaluate_year(resolved, read_data(GOLDEN / "data", resolved.ruleset))
    (domain,) = [d for d in evaluation.domains if d.domain.name == "丙"]
    placed = dict(zip([u.name for u in domain.units], domain.tier.tolist(), strict=True))
    assert set(placed.values()) == tiers
    if "第一等次" in tiers:
        assert [n for n, t in placed.items() if t != "第一等次"] == ["丙三", "丙四"]


def _adjustments(evaluation) -> list:
    found = []
    for d in evaluation.domains:
        items = {k: v.tolist() for k, v in d.items.items()}
        found.append((items, d.bonus.tolist(), d.deduction.tolist(), d.veto.tolist()))
    warnings = [(w.code, w.message, str(w.span)) for w in evaluation.warnings]
    return [found, warnings, [d.total.tolist() for d in evaluation.domains]]


@pytest.mark.parametrize("blank", [False, True])
def test_items_as_one_block_are_the_items_one_by_one(blank, tmp_path, monkeypatch) -> None:
    """A domain's 加分 and 扣分 items run as one block when none warns or misses a value;
    with a blank 表彰数 (甲二's) the block gives way and the item warns KH306 and counts 0,
    exactly as when every item runs on its own."""
    data = GOLDEN / "data"
    if blank:
        data = edited_copy(
            data, tmp_path / "data", "数据.csv", "J02,甲二,100,9,50,90,0,", "J02,甲二,100,9,50,90,,"
        )
    resolved = load_rules(GOLDEN / "rules").resolved
    values = read_data(data, resolved.ruleset)
    blocked = _adjustments(evaluate_year(resolved, values))
    monkeypatch.setattr(FormulaBlock, "evaluate", lambda self, population: None)
    fresh = load_rules(GOLDEN / "rules").resolved
    assert _adjustments(evaluate_year(fresh, read_data(data, fresh.ruleset))) == blocked
    warned = [w for w in blocked[1] if w[0] == "KH306" and "表彰" in w[1]]
    assert len(warned) == (1 if blank else 0)
    assert any(any(v > 0 for v in items["表彰"]) for items, *_ in blocked[0])  # not vacuous


def test_a_fractional_quota_warns_in_every_evaluation(tmp_path) -> None:
    """A quota's per-group take is kept with the quota only when it gave no warning:
    a fractional 前列 (4 × 30% = 1.2) warns KH312 each time the rule set is evaluated."""
    rules = edited_copy(
        GOLDEN / "rules", tmp_path / "rules", "丙.yaml", "floor(人数 * 30%)", "人数 * 30%"
    )
    resolved = load_rules(rules).resolved
    values = read_data(GOLDEN / "data", resolved.ruleset)
    for _ in range(2):
        evaluation = evaluate_year(resolved, values)
        assert [w.code for w in evaluation.warnings].count("KH312") == 1


def test_indicator_tables_keep_the_rules_order() -> None:
    """Batches store their indicators at once; the tables still list them in file order."""
    resolved = load_rules(ROOT / "rules" / "2024").resolved
    evaluation = evaluate_year(resolved, read_data(ROOT / "samples" / "2024", resolved.ruleset))
    for d in evaluation.domains:
        ids = list(dict.fromkeys(i.id for i in d.indicators))
        assert list(d.scores) == list(d.applicable) == list(d.full) == list(d.owner) == ids
        assert all(d.scores[k] is not None for k in ids)


def _arrays(value: object, seen: set[int]) -> list:
    """Every numpy array reachable from a plan object (through dataclasses, mappings,
    tuples), each once, and every dict, list or set found on the way."""
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if value.__class__.__module__.startswith(
            ("kaohe_rules.score", "kaohe_rules.rules.rosters")
        ):
            fields = [getattr(value, f.name) for f in dataclasses.fields(value)]
            return [a for f in fields for a in _arrays(f, seen)]
        return []
    if isinstance(value, dict | list | set):
        return [value]  # a table anyone could change: reported as found
    if isinstance(value, MappingProxyType):
        return [a for v in value.values() for a in _arrays(v, seen)]
    if isinstance(value, tuple):
        return [a for v in value for a in _arrays(v, seen)]
    return []


@pytest.mark.parametrize("rules", ["rules/2024", "tests/golden/evaluate/rules"])
def test_the_plan_cannot_be_changed_by_an_evaluation(rules) -> None:
    """What every evaluation of a rule set shares is frozen: its objects take no new
    values, its tables are read-only mappings (no dict, list or set), its arrays are
    read-only."""
    plan = build(load_rules(ROOT / rules).resolved)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.scored_names = frozenset()  # type: ignore[misc]
    assert isinstance(plan.domains, MappingProxyType)
    for domain in plan.domains.values():
        assert isinstance(domain.scorings, MappingProxyType)
        found = _arrays(domain, set())
        mutable = [v for v in found if not isinstance(v, np.ndarray)]
        assert not mutable, (domain.domain.name, [type(v).__name__ for v in mutable])
        assert len(found) > 5  # not vacuous: rosters, masks, categories, orders …
        assert not any(a.flags.writeable for a in found), domain.domain.name


TIEBREAKS = [
    "[{依据: unit.编号, 顺序: 升序}]",  # the planned id order as it is (no sort)
    "[{依据: unit.编号, 顺序: 降序}]",
    "[{依据: unit.类型, 顺序: 降序}, {依据: unit.编号, 顺序: 升序}]",
    "[{依据: unit.编号, 顺序: 升序}, {依据: unit.名称, 顺序: 降序}]",
]


@pytest.mark.parametrize("tiebreak", TIEBREAKS)
def test_roster_tiebreaks_sorted_once_rank_as_the_plain_path(tiebreak, tmp_path) -> None:
    """Every unit of 市县 given the same values, so every rank is decided by the 并列时
    keys: the fast path's start order (sorted once per rule set, the id key left as the
    plan's id order where it is the last one, ascending) ranks as the plain path does."""
    import sys

    sys.path.insert(0, str(ROOT / "bench" / "scale"))
    import generate

    generate.generate(120, tmp_path, parquet=False)
    path = tmp_path / "rules" / "市县.yaml"
    text = path.read_text(encoding="utf-8")
    planned = "并列时: [{依据: unit.编号, 顺序: 升序}]"
    assert planned in text
    path.write_text(text.replace(planned, f"并列时: {tiebreak}"), encoding="utf-8")
    data = tmp_path / "data-csv" / "数据.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    same = [lines[0], *(",".join([*line.split(",")[:2], "1"]) for line in lines[1:])]
    data.write_text("\n".join(same) + "\n", encoding="utf-8")
    resolved = load_rules(tmp_path / "rules").resolved
    values = read_data(tmp_path / "data-csv", resolved.ruleset)
    fast = evaluate_year(resolved, values)
    plain = evaluate_year(resolved, values, plan=fast.plan, fast=False)
    assert _summary(fast) == _summary(plain)
    ranked = next(d for d in fast.domains if d.domain.name == "市县")
    assert len(set(ranked.total.tolist())) < len(ranked.total) / 4  # ties: the keys decide
