"""Ranks units within their category, places them in tiers, and derives labels.

Ranks are strict: scores are rounded by the rule set's 精度, ties are broken by
the 并列时 chain, and, as the last resort, by unit id, so the same rules and
data always give the same order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe_rules import model as m
from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.dsl.population import to_column
from kaohe_rules.dsl.types import TEXT
from kaohe_rules.scoring import DomainScorer, roster


def _sort_value(
    column: np.ndarray, descending: bool, precision: int, cache: dict | None
) -> np.ndarray:
    """A column as numbers that sort ascending in the wanted order, missing last."""
    if column.dtype == object:
        # Roster columns (unit.编号) are sorted once per rule set; others every time.
        cached = cache.get(("sort", id(column))) if cache is not None else None
        if cached is None or cached[0] is not column:
            codes, _ = pd.factorize(pd.Series(column), sort=True, use_na_sentinel=True)
            cached = (column, codes)
            if cache is not None:
                cache[("sort", id(column))] = cached
        codes = cached[1]
        values = np.where(codes < 0, np.inf, codes).astype(np.float64)
        return np.where(values == np.inf, np.inf, -values) if descending else values
    values = round_vector(column, precision)
    values = np.where(np.isnan(values), np.inf, -values if descending else values)
    return values


def rank(scorer: DomainScorer) -> None:
    """名次 and 人数 within each category (or the whole domain), strict and reproducible."""
    result = scorer.result
    ranking = scorer.domain.ranking
    population = result.population
    groups = population.groups() if ranking is None or ranking.scope == "类别" else None
    if groups is None:
        groups = np.zeros(scorer.size, dtype=np.int64)
    keys = []
    roster_columns = {id(c) for c in roster(scorer.resolved, scorer.domain).columns.values()}

    def cache_for(column: np.ndarray) -> dict | None:
        return scorer.resolved.cache if id(column) in roster_columns else None

    if ranking is None:
        total = population.columns["总分"]
        keys.append(_sort_value(total, True, scorer.precision, None))
    else:
        for key in (ranking.key, *ranking.tiebreak):
            column = scorer.run(key.expr)
            keys.append(_sort_value(column, key.descending, scorer.precision, cache_for(column)))
    ids = population.columns["unit.编号"]
    keys.append(_sort_value(ids, False, scorer.precision, cache_for(ids)))
    order = np.lexsort([*reversed(keys), groups])
    ranks = np.empty(scorer.size, dtype=np.float64)
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    position = np.arange(scorer.size) - np.repeat(starts, np.diff(np.r_[starts, scorer.size]))
    ranks[order] = position + 1
    sizes = np.bincount(groups, minlength=1)[groups].astype(np.float64)
    result.rank, result.size = ranks, sizes
    scorer.set("名次", ranks)
    scorer.set("人数", sizes)
    result.groups = groups


def tiers(scorer: DomainScorer) -> None:
    """Each unit's tier from the first rule that places it; the rule is kept for explain."""
    result = scorer.result
    rules = scorer.domain.tiers.rules if scorer.domain.tiers else ()
    tier = np.full(scorer.size, None, dtype=object)
    placed_by = np.full(scorer.size, -1)
    veto_counts = scorer.domain.tiers.veto_takes_bottom if scorer.domain.tiers else True
    veto = result.veto
    for index, rule in enumerate(rules):
        eligible = tier == None  # noqa: E711 - elementwise
        where = f"等次规则第 {index + 1} 条"
        if rule.unless is not None:
            hit = scorer.run(rule.unless)
            message = f"{where}的 除非 因数据缺失无法判断，按不成立处理"
            scorer.warn("KH311", message, np.isnan(hit) & eligible, rule.unless.span)
            eligible &= hit != 1.0
        if rule.condition is not None:
            hit = scorer.run(rule.condition)
            message = f"{where}的条件因数据缺失无法判断，按不成立处理"
            scorer.warn("KH311", message, np.isnan(hit) & eligible, rule.condition.span)
            eligible &= hit == 1.0
        quota = rule.top or rule.bottom
        if quota is not None:
            counts = scorer.run(quota)
            message = f"{where}的名额因数据缺失无法计算，按 0 处理"
            scorer.warn("KH311", message, np.isnan(counts), quota.span)
            # A bottom quota never falls on a vetoed unit; with 否决占末位名额 the
            # category's vetoed units use up places of it, wherever their rule stands.
            if rule.bottom is not None:
                eligible &= ~veto
            used = veto if (rule.bottom is not None and veto_counts) else None
            eligible = _take(scorer, eligible, counts, rule, used, quota)
        tier[eligible] = rule.tier
        placed_by[eligible] = index
    result.tier, result.tier_rule = tier, placed_by
    scorer.set("等次", to_column(tier, TEXT))


def _take(scorer: DomainScorer, eligible, counts, rule: m.TierRule, already, quota: m.Expr):
    """The first (前列) or last (末位) ``counts`` eligible units of each group by rank."""
    result = scorer.result
    chosen = np.zeros(scorer.size, dtype=bool)
    for group in np.unique(result.groups):
        members = np.flatnonzero(result.groups == group)
        wanted = counts[members[0]] if len(members) else 0
        if np.isnan(wanted):
            wanted = 0.0
        whole = np.floor(wanted + 1e-9)
        if abs(wanted - whole) > 1e-9:
            message = f"{rule.tier} 名额 {wanted:g} 不是整数，按 {whole:g} 计"
            first = np.zeros(scorer.size, dtype=bool)
            first[members[0]] = True
            scorer.warn("KH312", message, first, quota.span)
        wanted = int(max(whole, 0))
        if already is not None:
            wanted = max(wanted - int(already[members].sum()), 0)
        candidates = members[eligible[members]]
        by_rank = candidates[np.argsort(result.rank[candidates], kind="stable")]
        if rule.bottom is not None:
            by_rank = by_rank[::-1]
        chosen[by_rank[:wanted]] = True
    return chosen


def labels(scorer: DomainScorer) -> None:
    """Every label, in file order, each able to use the ones before it."""
    for label in scorer.domain.labels:
        column = scorer.run(label.expr)
        scorer.result.labels[label.name] = column
        scorer.result.label_types[label.name] = scorer.resolved.program(label.expr).type.kind
        scorer.set(label.name, column)


def tier_order(domains: list[m.Domain]) -> list[str]:
    """Tier names best first: those given by 前列 rules, then the default (no condition),
    then those given by 末位 or a condition; within each, in the order the rules name them."""
    rank: dict[str, int] = {}
    for domain in domains:
        for rule in domain.tiers.rules if domain.tiers else ():
            if rule.top is not None:
                level = 0
            elif rule.bottom is None and rule.condition is None:
                level = 1
            else:
                level = 2
            rank[rule.tier] = min(level, rank.get(rule.tier, level))
    first = list(rank)
    return sorted(first, key=lambda t: (rank[t], first.index(t)))
