"""Hand-written numpy code for the issue-8 rules: the practical limit in Python.

Works on a units x indicators float64 array (column order ``spec.indicator_ids``);
``pivot`` builds that array from the long table. Needs numpy and pandas only (the CI
test uses it), and kaohe_rules' ``round_vector`` for 精度 rounding: ranks depend on the
rounded total, and the engine rounds half up on the 15-significant-digit decimal
reading of a float, which a plain ``np.round`` does not reproduce at exact halves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from workload import CATEGORIES, Spec

from kaohe_rules.dsl.numeric import round_vector


@dataclass
class Results:
    """One entry per roster unit, in roster (= unit id) order."""

    ids: np.ndarray
    total: np.ndarray  # rounded to 精度
    rank: np.ndarray  # int64, 1 = best in its category
    tier: np.ndarray  # int8: 1 第一等次, 2 第二等次, 3 第三等次

    def save(self, path) -> None:
        np.savez(path, ids=self.ids.astype(str), total=self.total, rank=self.rank, tier=self.tier)

    @classmethod
    def load(cls, path) -> Results:
        z = np.load(path, allow_pickle=False)
        return cls(z["ids"].astype(object), z["total"], z["rank"], z["tier"])


def read_roster(path) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids and category codes (0..9) from 名单.csv, roster order."""
    frame = pd.read_csv(path, dtype=str, usecols=["编号", "类型"])
    codes = pd.Categorical(frame["类型"], categories=list(CATEGORIES)).codes.astype(np.int64)
    return frame["编号"].to_numpy(dtype=object), codes


def _positions(labels, index: pd.Index) -> np.ndarray:
    """Each label's position in ``index`` (-1 if absent); Categoricals look up each
    category once and then only take codes."""
    if isinstance(labels, pd.Categorical):
        found = index.get_indexer(labels.categories)
        return np.where(labels.codes < 0, -1, found[labels.codes])
    return index.get_indexer(labels)


def pivot(spec: Spec, ids: np.ndarray, unit, name, value: np.ndarray) -> np.ndarray:
    """Long (unit, indicator, value) rows -> units x indicators array (NaN: no value).
    ``unit`` and ``name`` are arrays of labels or pandas Categoricals."""
    row = _positions(unit, pd.Index(ids))
    col = _positions(name, pd.Index(spec.indicator_ids))
    if (row < 0).any() or (col < 0).any():
        raise ValueError("unknown unit or indicator in the data")
    out = np.full((len(ids), len(spec.indicator_ids)), np.nan)
    out[row, col] = value
    return out


def score(spec: Spec, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw total (before rounding) and veto, from the units x indicators array.

    The same order of operations as the engine: each paper sums its indicators in
    file order from 0; total = papers in order + bonus - deduction. Missing values
    score 0 (the rule set's 记零分) and count 0 as items."""
    column = {name: j for j, name in enumerate(spec.indicator_ids)}
    n = x.shape[0]
    total = np.zeros(n)
    for paper, _weight, _count in spec.papers:
        paper_sum = np.zeros(n)
        for ind in (i for i in spec.linear if i.paper == paper):
            share = np.clip((x[:, column[ind.id]] - ind.floor) / (ind.target - ind.floor), 0, 1)
            paper_sum += np.nan_to_num(ind.marks * share, nan=0.0)
        total = total + paper_sum

    def items(entries, paper_caps, cap) -> np.ndarray:
        out = np.zeros(n)
        for paper, paper_cap in paper_caps.items():
            mine = [i for i in entries if i.paper == paper]
            if not mine:
                continue
            value = np.zeros(n)
            for i in mine:
                value = value + np.minimum(x[:, column[i.id]] * i.per, i.cap)
            out += np.minimum(np.nan_to_num(value, nan=0.0), paper_cap)
        return np.minimum(out, cap)

    bonus = items(spec.bonus, spec.bonus_paper_caps, spec.bonus_cap)
    deduction = items(spec.deduction, spec.deduction_paper_caps, spec.deduction_cap)
    veto = x[:, column[spec.veto_item]] > 0
    return total + bonus - deduction, veto


def rank_and_tier(
    total: np.ndarray, category: np.ndarray, veto: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rank within category (total desc, roster order = unit id asc) and tiers:
    vetoed -> third; bottom round_half_up(10%) of the category (less its vetoed units)
    among the others -> third; top floor(30%) of the non-vetoed, non-third -> first."""
    n = len(total)
    position = np.arange(n)
    order = np.lexsort((position, -total, category))
    sizes = np.bincount(category, minlength=len(CATEGORIES))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = position - np.repeat(starts, sizes) + 1
    # Non-vetoed units by rank within category.
    kept = order[~veto[order]]
    kept_cat = category[kept]
    kept_sizes = np.bincount(kept_cat, minlength=len(CATEGORIES))
    kept_starts = np.r_[0, np.cumsum(kept_sizes)[:-1]]
    from_top = np.arange(len(kept)) - np.repeat(kept_starts, kept_sizes)  # 0-based
    from_bottom = kept_sizes[kept_cat] - from_top  # 1-based
    vetoed = np.bincount(category[veto], minlength=len(CATEGORIES))
    bottom = np.maximum((sizes + 5) // 10 - vetoed, 0)  # round_half_up(size * 10%)
    top = sizes * 3 // 10  # floor(size * 30%)
    tier = np.full(n, 2, dtype=np.int8)
    tier[veto] = 3
    third = from_bottom <= bottom[kept_cat]
    tier[kept[third]] = 3
    first = ~third & (from_top < top[kept_cat])
    tier[kept[first]] = 1
    return rank, tier


def finish(
    spec: Spec, ids: np.ndarray, category: np.ndarray, raw: np.ndarray, veto: np.ndarray
) -> Results:
    total = round_vector(raw, spec.precision)
    rank, tier = rank_and_tier(total, category, veto)
    return Results(ids, total, rank, tier)


def evaluate(spec: Spec, ids: np.ndarray, category: np.ndarray, x: np.ndarray) -> Results:
    """The whole year from the units x indicators array."""
    raw, veto = score(spec, x)
    return finish(spec, ids, category, raw, veto)
