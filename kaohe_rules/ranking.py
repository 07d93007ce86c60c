"""Ranks units within their category, places them in tiers, and derives labels.

Ranks are strict: scores are rounded by the rule set's 精度, ties are broken by
the 并列时 chain, and, as the last resort, by unit id, so the same rules and
data always give the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaohe_rules import batch
from kaohe_rules import model as m
from kaohe_rules.dsl.evaluate import Run
from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.dsl.population import Population
from kaohe_rules.scoring import DomainScorer, roster


def _sort_value(
    column: np.ndarray, descending: bool, precision: int | None, cache: dict | None
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
    values = column if precision is None else round_vector(column, precision)  # None: rounded
    # Missing (NaN) sorts last as it is: numpy's sorts put NaN after every number.
    return -values if descending else values


def _id_order(ids: np.ndarray, cache: dict | None) -> np.ndarray:
    """Positions sorted by unit id, the last tie-break: a roster column, sorted once."""
    cached = cache.get(("id order", id(ids))) if cache is not None else None
    if cached is None or cached[0] is not ids:
        values = _sort_value(ids, False, None, cache)
        cached = (ids, np.argsort(values, kind="stable"))
        if cache is not None:
            cache[("id order", id(ids))] = cached
    return cached[1]


def lexsorted(
    groups: np.ndarray,
    keys: list[np.ndarray],
    start: np.ndarray,
    small: np.ndarray | None = None,
) -> np.ndarray:
    """Positions sorted by group, then by each key in turn, then in the order ``start``
    (a permutation): ``np.lexsort`` with ``start`` as its last key, but sooner, since
    ``start`` is sorted once per rule set and small group codes sort by radix
    (``small``: the groups as int16, when they fit, given by a caller who keeps them)."""
    order = start
    for key in reversed(keys):
        order = order[np.argsort(key[order], kind="stable")]
    if small is None:
        small = _small_codes(groups)
    return order[np.argsort((groups if small is None else small)[order], kind="stable")]


def _small_codes(groups: np.ndarray) -> np.ndarray | None:
    """The group codes as int16 (which numpy sorts by radix), or None if they do not fit."""
    if len(groups) and groups.min() >= -(2**15) and groups.max() < 2**15:
        return groups.astype(np.int16)
    return None


# Up to this many groups in a domain, _take marks each group's quota as a slice.
_FEW_GROUPS = 64


@dataclass(frozen=True)
class _Groups:
    """What ranks and tiers read of a domain's groups, all fixed by the group codes."""

    codes: np.ndarray  # each unit's group, 0.. (every unit has a category: semantics.py)
    small: np.ndarray | None  # codes as int16 for the radix sort, if they fit
    in_group: np.ndarray  # 1, 2, … within each group, for units in group-sorted order
    sizes: np.ndarray  # each unit's group size (人数), float64
    # _take's view: codes + 1 (a unit in no group is a group of its own, 0), the number
    # of such groups, each one's first unit, and the groups that have units.
    shifted: np.ndarray
    count: int
    first: np.ndarray
    present: np.ndarray
    sorted_shifted: np.ndarray  # ``shifted`` of the units in group-sorted order

    @classmethod
    def of(cls, codes: np.ndarray) -> _Groups:
        counts = np.bincount(codes, minlength=1)
        starts = np.cumsum(counts) - counts  # where each group begins in sorted order
        in_group = np.arange(1, len(codes) + 1) - np.repeat(starts, counts)
        shifted = codes + 1
        count = int(shifted.max()) + 1 if len(shifted) else 0
        first = np.full(count, -1)
        first[shifted[::-1]] = np.arange(len(shifted))[::-1]
        made = cls(
            codes,
            _small_codes(codes),
            in_group.astype(np.float64),
            counts[codes].astype(np.float64),
            shifted,
            count,
            first,
            np.flatnonzero(first >= 0),
            np.repeat(np.arange(count), np.bincount(shifted, minlength=count)),
        )
        kept = (made.in_group, made.sizes, made.shifted, made.first, made.present)
        for value in (*kept, made.sorted_shifted):
            value.flags.writeable = False  # kept for every evaluation: shared
        return made


def _groups(scorer: DomainScorer, codes: np.ndarray) -> _Groups:
    """The domain's _Groups: kept in the rule set's cache when the codes are the
    categories worked out from the roster (read-only, the same array every time)."""
    found = scorer.group_layout
    if found is not None and found.codes is codes:
        return found
    key = ("groups", scorer.domain.name)
    found = scorer.resolved.cache.get(key)
    if found is None or found.codes is not codes:
        found = _Groups.of(codes)
        if not codes.flags.writeable:
            scorer.resolved.cache[key] = found
    scorer.group_layout = found
    return found


def rank(scorer: DomainScorer) -> None:
    """名次 and 人数 within each category (or the whole domain), strict and reproducible."""
    result = scorer.result
    ranking = scorer.domain.ranking
    population = result.population
    groups = population.groups() if ranking is None or ranking.scope == "类别" else None
    if groups is None:
        groups = np.zeros(scorer.size, dtype=np.int64)
    keys = []
    roster_columns = _roster_ids(scorer)

    def cache_for(column: np.ndarray) -> dict | None:
        return scorer.resolved.cache if id(column) in roster_columns else None

    fixed = []  # whether each key is a roster column (unit.编号, unit.类型 …)
    if ranking is None:
        total = population.columns["总分"]
        keys.append(_sort_value(total, True, None, None))  # 总分 is rounded already
        fixed.append(False)
    else:
        for key in (ranking.key, *ranking.tiebreak):
            column = scorer.run(key.expr)
            # 总分 itself (a plain `依据: 总分`) is rounded already: not rounded again.
            precision = None if column is result.total else scorer.precision
            keys.append((column, key.descending, precision))
            fixed.append(cache_for(column) is not None)
    ids = population.columns["unit.编号"]
    start = _id_order(ids, cache_for(ids))
    # Trailing tie-breaks on roster columns put the units in the same order in every
    # evaluation: that order is worked out once per rule set, and serves as the start.
    trailing = len(keys)
    while trailing and fixed[trailing - 1]:
        trailing -= 1
    if trailing < len(keys):
        start = _roster_order(scorer, start, keys[trailing:])
    keys = [
        k if isinstance(k, np.ndarray) else _sort_value(*k, cache_for(k[0]))
        for k in keys[:trailing]
    ]
    layout = _groups(scorer, groups)
    order = lexsorted(groups, keys, start, layout.small)
    ranks = np.empty(scorer.size, dtype=np.float64)
    ranks[order] = layout.in_group  # ``order`` runs through the groups one by one
    result.rank, result.size, result.order = ranks, layout.sizes, order
    scorer.set("名次", ranks)
    scorer.set("人数", layout.sizes)
    result.groups = groups


def _roster_ids(scorer: DomainScorer) -> frozenset[int]:
    """The ids of the domain's roster columns (kept for the rule set, as they are)."""
    columns = roster(scorer.resolved, scorer.domain).columns.values()
    key = ("roster column ids", scorer.domain.name)
    return scorer.resolved.kept(key, lambda: frozenset(id(c) for c in columns))


def _roster_order(scorer: DomainScorer, start: np.ndarray, keys: list[tuple]) -> np.ndarray:
    """``start`` sorted by roster-column keys (column, descending, precision), kept in
    the rule set's cache: those columns are fixed by the roster, as ``start`` is."""
    cache = scorer.resolved.cache
    name = ("roster order", id(start), *((id(c), d, p) for c, d, p in keys))
    cached = cache.get(name)
    if (
        cached is None
        or cached[0] is not start
        or any(a is not b for a, b in zip(cached[1], (c for c, _d, _p in keys), strict=True))
    ):
        order = start
        for column, descending, precision in reversed(keys):
            values = _sort_value(column, descending, precision, cache)
            order = order[np.argsort(values[order], kind="stable")]
        order.flags.writeable = False
        cached = cache[name] = (start, tuple(c for c, _d, _p in keys), order)
    return cached[2]


def tiers(scorer: DomainScorer) -> None:
    """Each unit's tier from the first rule that places it; the rule is kept for explain."""
    result = scorer.result
    rules = scorer.domain.tiers.rules if scorer.domain.tiers else ()
    placed_by = np.empty(scorer.size, dtype=np.int64)
    placed_by.fill(-1)
    veto_counts = scorer.domain.tiers.veto_takes_bottom if scorer.domain.tiers else True
    veto = result.veto
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
            wanted = _quota(scorer, quota)
            if wanted is None:
                counts = scorer.run(quota)
                message = f"{where}的名额因数据缺失无法计算，按 0 处理"
                scorer.warn("KH311", message, np.isnan(counts), quota.span)
                _codes, _count, first, present = _layout(scorer)
                wanted = np.broadcast_to(counts, scorer.size)[first[present]]
            # A bottom quota never falls on a vetoed unit; with 否决占末位名额 the
            # category's vetoed units use up places of it, wherever their rule stands.
            if rule.bottom is not None:
                eligible &= ~veto
            used = veto if (rule.bottom is not None and veto_counts) else None
            eligible = _take(scorer, eligible, wanted, rule, used, quota)
        placed_by[eligible] = index
    # Each unit's tier name from the rule that placed it (-1, none: the last, None):
    # one gather, not an object-array assignment per rule.
    names = scorer.resolved.kept(("tier names", scorer.domain.name), lambda: _names(rules))
    tier = names[placed_by]
    result.tier, result.tier_rule = tier, placed_by
    scorer.set("等次", tier)  # already a text column: names, None where no rule placed


def _names(rules: tuple[m.TierRule, ...]) -> np.ndarray:
    """Each rule's tier name, then None (placed by no rule), read-only: kept."""
    names = np.array([*(rule.tier for rule in rules), None], dtype=object)
    names.flags.writeable = False
    return names


def _quota(scorer: DomainScorer, quota: m.Expr) -> np.ndarray | None:
    """A quota that reads only 人数 (``round_half_up(人数 * 10%)``), worked out for each
    group's first unit, the one _take reads, instead of for every unit: the same number
    without a pass over the units. None when it cannot be (it reads more, or a warning
    or a missing value would have to name every unit): then run as any formula."""
    cache = scorer.resolved.cache
    program = scorer.resolved.program(quota)
    level = scorer.resolved.kept(("group level", quota), lambda: batch.group_level(program))
    if scorer.branches is not None or not level:
        return None  # `kaohe test` records the branches each unit takes
    population = scorer.result.population
    _codes, _count, first, present = _layout(scorer)
    sizes = population.columns["人数"][first[present]]
    # A function of the group sizes only, which the roster fixes: kept for re-evaluations.
    key = ("quota", quota, sizes.tobytes())
    values = cache.get(key)
    if values is None:
        local = Population({"人数": sizes}, size=len(sizes))
        run = Run(local)
        values = scorer.vector(quota).evaluate(local, run)
        if run.problems or np.isnan(values).any():
            return None
        values.flags.writeable = False
        cache[key] = values
    scorer.result.contexts[quota] = population  # explain evaluates it for one unit
    return values


def _quota_take(scorer: DomainScorer, wanted, rule: m.TierRule, quota: m.Expr) -> np.ndarray:
    """How many units each group's quota takes (_layout's group numbering), from one
    quota per group that has units. A handful of numbers: worked out in Python, not
    numpy calls, and kept with a quota _quota keeps (read-only) when none warned."""
    cache = scorer.resolved.cache
    _codes, count, first, present = _layout(scorer)
    # Kept only for a quota and group codes that are themselves kept for the rule set
    # (read-only), one entry per domain and quota: nothing piles up when they are not.
    keep = not wanted.flags.writeable and not scorer.result.groups.flags.writeable
    key = ("take", scorer.domain.name, id(wanted))
    kept = cache.get(key) if keep else None
    if kept is not None and kept[0] is wanted and kept[1] is present:
        return kept[2]
    take = np.zeros(count, dtype=np.int64)
    warned = False
    # (Quotas are finite: a formula's overflow is a warned missing value, and missing is 0.)
    for at, value in enumerate(np.asarray(wanted, dtype=np.float64).tolist()):
        value = 0.0 if math.isnan(value) else value
        whole = math.floor(value + 1e-9)
        if abs(value - whole) > 1e-9:
            message = f"{rule.tier} 名额 {value:g} 不是整数，按 {whole:g} 计"
            where = np.zeros(scorer.size, dtype=bool)
            where[first[present[at]]] = True
            scorer.warn("KH312", message, where, quota.span)
            warned = True
        take[present[at]] = min(max(whole, 0), scorer.size)  # more than all: all
    if keep and not warned:
        take.flags.writeable = False
        cache[key] = (wanted, present, take)
    return take


def _take(scorer: DomainScorer, eligible, wanted, rule: m.TierRule, already, quota: m.Expr):
    """The first (前列) or last (末位) ``wanted`` eligible units of each group by rank
    (``wanted``: one quota per group that has units, in _layout's ``present`` order).

    One pass over all groups: walking the units in rank order (``result.order``), each
    eligible unit's place among its group's eligible units decides."""
    result = scorer.result
    codes, count, _first, _present = _layout(scorer)
    take = _quota_take(scorer, wanted, rule, quota)
    if already is not None:
        used = np.bincount(codes[already], minlength=count)
        take = np.maximum(take - used, 0)
    picked = eligible[result.order]
    ordered = result.order[picked]
    # ``result.order`` runs through the groups in turn: so do the eligible units in it.
    group = _groups(scorer, result.groups).sorted_shifted[picked]
    sizes = np.bincount(group, minlength=count)
    ends = sizes.cumsum()  # each group's eligible units are ordered[ends - sizes:ends]
    if count <= _FEW_GROUPS:  # a slice per group, not passes over the units
        hit = np.zeros(len(ordered), dtype=bool)
        for at in take.nonzero()[0]:
            n = min(int(take[at]), int(sizes[at]))
            end = int(ends[at])
            if rule.bottom is not None:
                hit[end - n : end] = True
            else:
                hit[end - int(sizes[at]) : end - int(sizes[at]) + n] = True
    else:
        place = np.arange(len(ordered)) - (ends - sizes)[group]  # 0 = best
        bottom = place >= sizes[group] - take[group]
        hit = bottom if rule.bottom is not None else place < take[group]
    chosen = np.zeros(scorer.size, dtype=bool)
    chosen[ordered[hit]] = True
    return chosen


def _layout(scorer: DomainScorer) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """The groups as _take reads them, the same for each of a domain's quota rules: codes
    (a unit in no category, -1, is a group of its own: 0), their count, each group's first
    unit, and the groups that have units."""
    found = _groups(scorer, scorer.result.groups)
    return found.shifted, found.count, found.first, found.present


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
