"""Indicator scores: which units an indicator applies to (一单位一策), its formula run
with the unit's own parameters, and the missing-data policy (报错, 记零分, 剔除折算).

Each indicator id ends with five tables in the domain's result: applicable (the
units it applies to), excluded (剔除折算: missing, left out of the paper and rescaled),
scores, full (满分) and owner (the Indicator that scored each unit: a variant may add
one id twice).
"""

from __future__ import annotations

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.score import batched
from kaohe_rules.score.fast import Block
from kaohe_rules.score.plan import IndicatorGroup
from kaohe_rules.score.scorer import DomainScorer


def score(scorer: DomainScorer) -> None:
    """Every indicator of the domain, in the order the rules give them."""
    r = scorer.result
    scorings = scorer.planned.scorings
    # Every id gets its columns below: seeded in file order first, so the tables keep
    # the indicators in the order the rules give them, whichever is stored first.
    for store in (r.applicable, r.excluded, r.scores, r.full, r.owner):
        store.update(dict.fromkeys(scorings))
    later: dict[str, tuple[Block, int]] = {}  # 报错 with a unit missing: raised in order
    told: dict[str, Diagnostic] = {}  # a batch's missing-data warnings, told in order
    for block in scorer.fast.indicators(scorer):  # batches the fast path scored at once
        for indicator in block.indicators:
            r.contexts.pending[indicator.formula] = block.context
        rows = list(enumerate(block.indicators))
        if any(i.missing == "报错" and block.missing[row] for row, i in rows):
            later.update((indicator.id, (block, row)) for row, indicator in rows)
        else:
            told.update(batched.keep_block(scorer, block))
    for key, groups in scorings.items():
        if key in told:
            r.warnings.append(told[key])
        if key in later:
            block, row = later[key]
            indicator, values = block.indicators[row], block.scores[row]
            applies = block.applies[row]
            missing = np.isnan(values) & applies
            result, excluded = missing_policy(scorer, indicator, values, missing)
            full, owner = block.full[row], block.owner[row]
            keep(scorer, indicator, applies, excluded, result, full, owner)
        elif r.applicable[key] is None:
            for group in groups:
                _score(scorer, group)


def _score(scorer: DomainScorer, group: IndicatorGroup) -> None:
    """One run of an indicator's formula over all units, 值 and parameters their own."""
    indicator = group.indicators[0]
    population = scorer.result.population
    value = population.columns[indicator.id]
    local = dict(population.columns)
    local["值"] = value if group.everyone else np.where(group.applies, value, np.nan)
    local.update(group.parameters)
    scoped = population.with_columns(local)
    if indicator.benchmark is not None:
        scoped.columns["标杆"] = scorer.run(indicator.benchmark, scoped)
    result = scorer.run(indicator.formula, scoped)
    for other in group.indicators[1:]:
        # Scored together by the first one's formula (the same text); explain looks a
        # unit's formula up by its own indicator.
        scorer.result.contexts[other.formula] = scoped
        if other.benchmark is not None:
            scorer.result.contexts[other.benchmark] = scoped
    result = np.broadcast_to(np.asarray(result, dtype=np.float64), scorer.size)
    result = result if group.everyone else np.where(group.applies, result, np.nan)
    missing = np.isnan(result) if group.everyone else group.applies & np.isnan(result)
    result, excluded = missing_policy(scorer, indicator, result, missing)
    if len(group.indicators) == 1:
        keep(scorer, indicator, group.applies, excluded, result, group.full)
        return
    for other, mask in zip(group.indicators, group.masks, strict=True):
        own = None if excluded is None else excluded & mask
        keep(scorer, other, mask, own, np.where(mask, result, np.nan), group.full)


def missing_policy(
    scorer: DomainScorer, indicator: m.Indicator, result: np.ndarray, missing: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The indicator's missing-data policy: the scores and the excluded units (None when
    none is excluded)."""
    if not missing.any():
        return result, None
    where = indicator.span
    policy = indicator.missing
    if policy == "报错":
        names = [u.name for u, h in zip(scorer.result.units, missing, strict=True) if h]
        message = f"指标 {indicator.id} 缺少数据或无法计分：{'、'.join(names)}"
        raise KaoheError([Diagnostic("KH306", message, where, "补齐数据，或改缺失数据政策")])
    if policy == "剔除折算":
        scorer.warn("KH306", f"指标 {indicator.id} 缺少数据，剔除后折算", missing, where)
        return result, missing
    scorer.warn("KH306", f"指标 {indicator.id} 缺少数据，记零分", missing, where)
    return np.where(missing, 0.0, result), None


def keep(
    scorer: DomainScorer,
    indicator: m.Indicator,
    applies: np.ndarray,
    excluded: np.ndarray | None,
    result: np.ndarray,
    full: np.ndarray,
    owner: np.ndarray | None = None,
) -> None:
    """Store one indicator's tables; two variants may add indicators of one id, each
    for its own units. ``excluded`` is None when no unit is excluded."""
    key, r = indicator.id, scorer.result
    if owner is None:
        one = np.empty(1, dtype=object)
        one[0] = indicator
        owner = np.broadcast_to(one, scorer.size)  # one Indicator for every unit
    if excluded is None:
        excluded = np.zeros(scorer.size, dtype=bool)
    if r.applicable.get(key) is not None:  # seeded with None by score()
        owner = np.where(applies, owner, r.owner[key])
        result = np.where(applies, result, r.scores[key])
        full = np.where(applies, full, r.full[key])
        excluded = np.where(applies, excluded, r.excluded[key])
        applies = applies | r.applicable[key]
    r.applicable[key], r.excluded[key], r.scores[key], r.full[key] = (
        applies,
        excluded,
        result,
        full,
    )
    r.owner[key] = owner
    counted = applies & ~excluded
    scorer.set(f"{key}.得分", result if counted.all() else np.where(counted, result, np.nan))
