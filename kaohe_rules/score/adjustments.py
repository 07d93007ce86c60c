"""Bonuses, deductions and vetoes (加减分与一票否决), then the total.

Each item's points are capped by its own 上限, then the domain's items (with what special
assessments give) by the overall 加分上限 / 扣分上限. An item missing a value counts 0,
with a warning; a veto condition that cannot be judged does not hold, with a warning.
Total = papers + bonus − deduction, rounded to the rule set's 精度.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.score import families
from kaohe_rules.score.scorer import DomainScorer


def score(scorer: DomainScorer) -> None:
    """Bonus, deduction and veto of every unit."""
    adjust = scorer.domain.adjustments
    result = scorer.result
    result.inputs = scorer.inputs
    given = {"加分": np.zeros(scorer.size), "扣分": np.zeros(scorer.size)}
    for item in scorer.inputs:
        if item.contribution.kind in given:
            given[item.contribution.kind] += item.value
    # Special assessments' points count within the domain's overall caps.
    result.bonus = _items(scorer, "加分", adjust.bonuses, adjust.bonus_cap, given["加分"])
    result.deduction = _items(
        scorer, "扣分", adjust.deductions, adjust.deduction_cap, given["扣分"]
    )
    veto = np.zeros(scorer.size, dtype=bool)
    for item in scorer.inputs:
        if item.contribution.kind == "一票否决":
            hit = item.value == 1.0
            result.vetoes[f"专项考核 {item.special.name}"] = hit
            veto |= hit
    for name, condition in adjust.vetoes:
        hit = scorer.run(condition)
        message = f"一票否决 {name} 的条件因数据缺失无法判断，按不成立处理"
        scorer.warn("KH311", message, np.isnan(hit), condition.span)
        hit = hit == 1.0
        result.vetoes[name] = hit
        veto |= hit
    result.veto = veto
    scorer.set("加分", result.bonus)
    scorer.set("扣分", result.deduction)
    scorer.set("否决", veto.astype(np.float64))


def _items(
    scorer: DomainScorer,
    kind: str,
    items: tuple[m.Adjustment, ...],
    cap: float | None,
    given: np.ndarray,
) -> np.ndarray:
    """The items' points, each capped, added to ``given``, the sum capped."""
    total = given.copy()
    block = scorer.fast.items(scorer, kind, items)  # every item's capped points, or None
    if block is not None:
        for item in items:  # explain re-evaluates each item's formula in it
            scorer.result.contexts[item.formula] = scorer.result.population
        for item, value in zip(items, block, strict=True):
            scorer.result.items[item.id] = value
            total += value
        return total if cap is None else np.minimum(total, cap)
    for item in items:
        value = families.score(scorer, item) if item.family else scorer.run(item.formula)
        missing = np.isnan(value)
        if missing.any():
            scorer.warn("KH306", f"{item.name} 缺少数据，按 0 计", missing, item.span)
            value = np.where(missing, 0.0, value)
        if item.cap is not None:
            value = np.minimum(value, item.cap)
        scorer.result.items[item.id] = value
        total += value
    return total if cap is None else np.minimum(total, cap)


def totals(scorer: DomainScorer) -> None:
    """Papers + bonus − deduction, rounded to the rule set's 精度."""
    result = scorer.result
    raw = sum(result.papers.values()) + result.bonus - result.deduction
    result.total = round_vector(np.asarray(raw, dtype=np.float64), scorer.precision)
    scorer.set("总分", result.total)
