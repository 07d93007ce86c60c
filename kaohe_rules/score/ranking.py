"""Ranks units within their category, places them in tiers, and derives labels.

Ranks are strict: scores are rounded by the rule set's 精度, ties are broken by
the 并列时 chain, and, as the last resort, by unit id, so the same rules and
data always give the same order.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.score.order import lexsorted, quota_takes, sort_value
from kaohe_rules.score.scorer import DomainScorer


def rank(scorer: DomainScorer) -> None:
    """名次 and 人数 within each category (or the whole domain), strict and reproducible."""
    result = scorer.result
    ranking = scorer.domain.ranking
    layout = scorer.planned.groups
    start = scorer.planned.id_order
    keys = []
    if ranking is None:
        keys.append(sort_value(result.population.columns["总分"], True, None))  # rounded
    else:
        exprs = (ranking.key, *ranking.tiebreak)
        columns = [scorer.run(key.expr) for key in exprs]
        # Trailing tie-breaks on roster columns order the units the same way in every
        # evaluation: the fast path may have sorted them in already.
        sorted_in = scorer.fast.start(scorer)
        covered = 0
        if sorted_in is not None:
            start, covered = sorted_in
        for key, column in zip(exprs[: len(exprs) - covered], columns, strict=False):
            # 总分 itself (a plain `依据: 总分`) is rounded already: not rounded again.
            precision = None if column is result.total else scorer.precision
            keys.append(sort_value(column, key.descending, precision))
    order = lexsorted(layout.codes, keys, start, layout.small)
    ranks = np.empty(scorer.size, dtype=np.float64)
    ranks[order] = layout.in_group  # ``order`` runs through the groups one by one
    result.rank, result.size, result.order = ranks, layout.sizes, order
    scorer.set("名次", ranks)
    scorer.set("人数", layout.sizes)
    result.groups = layout.codes


def tiers(scorer: DomainScorer) -> None:
    """Each unit's tier from the first rule that places it; the rule is kept for explain."""
    result = scorer.result
    rules = scorer.domain.tiers.rules if scorer.domain.tiers else ()
    placed_by = np.full(scorer.size, -1, dtype=np.int64)
    veto_counts = scorer.domain.tiers.veto_takes_bottom if scorer.domain.tiers else True
    for index, rule in enumerate(rules):
        eligible = placed_by < 0
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
            take = _quota_take(scorer, rule, quota, where)
            # A bottom quota never falls on a vetoed unit; with 否决占末位名额 the
            # category's vetoed units use up places of it, wherever their rule stands.
            if rule.bottom is not None:
                eligible &= ~result.veto
                if veto_counts:
                    used = np.bincount(layout_codes(scorer)[result.veto], minlength=len(take))
                    take = np.maximum(take - used, 0)
            eligible = _take(scorer, eligible, take, rule)
        placed_by[eligible] = index
    # Each unit's tier name from the rule that placed it (-1, none: the last, None).
    tier = scorer.planned.tier_names[placed_by]
    result.tier, result.tier_rule = tier, placed_by
    scorer.set("等次", tier)  # a text column: names, None where no rule placed


def layout_codes(scorer: DomainScorer) -> np.ndarray:
    """Each unit's group as the quotas count them: a unit in no category (-1) is a
    group of its own, 0."""
    return scorer.planned.groups.shifted


def _quota_take(scorer: DomainScorer, rule: m.TierRule, quota: m.Expr, where: str) -> np.ndarray:
    """How many units the quota takes in each group (numbered as layout_codes), from the
    quota of each group's first unit; KH311 for a missing quota, KH312 for a fraction."""
    groups = scorer.planned.groups
    known = scorer.fast.quota(scorer, quota)
    if known is not None:  # explain evaluates the quota for one unit
        scorer.result.contexts[quota] = scorer.result.population
    if known is not None and known.take is not None:
        return known.take
    if known is not None:
        wanted = known.values
    else:
        counts = scorer.run(quota)
        message = f"{where}的名额因数据缺失无法计算，按 0 处理"
        scorer.warn("KH311", message, np.isnan(counts), quota.span)
        wanted = np.broadcast_to(counts, scorer.size)[groups.first[groups.present]]
    take, fractions = quota_takes(wanted, groups)
    for at, value, whole in fractions:
        message = f"{rule.tier} 名额 {value:g} 不是整数，按 {whole:g} 计"
        first = np.zeros(scorer.size, dtype=bool)
        first[groups.first[groups.present[at]]] = True
        scorer.warn("KH312", message, first, quota.span)
    return take


def _take(scorer: DomainScorer, eligible: np.ndarray, take: np.ndarray, rule: m.TierRule):
    """The first (前列) or last (末位) ``take`` eligible units of each group by rank.

    One pass over all groups: walking the units in rank order (``result.order``, which
    runs through the groups in turn), each eligible unit's place among its group's
    eligible units decides."""
    result = scorer.result
    groups = scorer.planned.groups
    picked = eligible[result.order]
    ordered = result.order[picked]
    group = groups.sorted_shifted[picked]
    sizes = np.bincount(group, minlength=groups.count)
    ends = sizes.cumsum()  # each group's eligible units are ordered[ends - sizes:ends]
    place = np.arange(len(ordered)) - (ends - sizes)[group]  # 0 = best
    bottom = rule.bottom is not None
    hit = place >= sizes[group] - take[group] if bottom else place < take[group]
    chosen = np.zeros(scorer.size, dtype=bool)
    chosen[ordered[hit]] = True
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
    rank = tier_levels(domains)
    first = list(rank)
    return sorted(first, key=lambda t: (rank[t], first.index(t)))


def tier_levels(domains: list[m.Domain]) -> dict[str, int]:
    """Each tier name's level, in the order the rules name them: 0 given by a 前列 rule,
    1 the default (no condition), 2 given by 末位 or a condition (the best level wins)."""
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
    return rank
