"""Cohort functions: values computed within each unit's group (its category by default).

Missing values take no part: a unit with a missing value gets a missing rank,
and means, medians and counts are over the units whose value is known.

Ranks, counts, maxima, minima and quantiles are numpy (codes.py); means, medians and
sums load pandas when a rule calls them, for its own summation exactly.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from kaohe_rules.dsl.codes import group_extreme, group_quantile, group_rank


class CallContext(Protocol):
    """What a builtin may ask of the evaluation it runs in."""

    size: int
    population: object  # the Population, for functions that read more than their arguments

    def groups(self, by: object) -> np.ndarray:
        """Group codes per unit (-1: no group), from ``by`` or the unit's category."""

    def __call__(self, code: str, message: str, mask: object = True) -> None:
        """Record a warning for the units in ``mask``."""


def _column(cx: CallContext, x: object, codes: np.ndarray) -> np.ndarray:
    column = np.array(np.broadcast_to(np.asarray(x, dtype=np.float64), cx.size))
    column[codes < 0] = np.nan
    return column


def _series(cx: CallContext, x: object, codes: np.ndarray):
    import pandas as pd  # only the functions that need its arithmetic load it

    return pd.Series(_column(cx, x, codes))


def _finish(values: object, codes: np.ndarray) -> np.ndarray:
    result = np.asarray(values, dtype=np.float64).copy()
    result[codes < 0] = np.nan
    return result


def _rank_series(cx: CallContext, x: object, desc: bool, ties: str, by: object) -> np.ndarray:
    codes = cx.groups(by)
    return group_rank(_column(cx, x, codes), codes, ties, ascending=not desc)


def rank(cx: CallContext, x: object, desc: bool = True, ties: str = "min", by: object = None):
    """Rank within the group; 1 is the best (highest when ``desc``)."""
    return _rank_series(cx, x, bool(desc), ties, by)


def count(cx: CallContext, condition: object = None, by: object = None) -> np.ndarray:
    """Units in the group; with a condition, those for which it is true."""
    codes = cx.groups(by)
    known = codes >= 0
    if condition is None:
        weights = None
    else:
        met = np.broadcast_to(np.asarray(condition, dtype=np.float64) == 1.0, cx.size)
        weights = met[known].astype(np.float64)
    totals = np.bincount(codes[known], weights=weights, minlength=max(codes.max(initial=-1) + 1, 1))
    return _finish(totals[np.where(known, codes, 0)], codes)


def _transform(how: str, **kwargs: object):
    def run(cx: CallContext, x: object, by: object = None) -> np.ndarray:
        codes = cx.groups(by)
        grouped = _series(cx, x, codes).groupby(codes)
        return _finish(grouped.transform(how, **kwargs), codes)

    run.__doc__ = f"The group's {how} of x, for every unit of the group."
    return run


def _extreme(largest: bool):
    def run(cx: CallContext, x: object, by: object = None) -> np.ndarray:
        codes = cx.groups(by)
        return group_extreme(_column(cx, x, codes), codes, largest)

    run.__doc__ = f"The group's {'max' if largest else 'min'} of x, for every unit of the group."
    return run


mean = _transform("mean")
median = _transform("median")
group_max = _extreme(largest=True)
group_min = _extreme(largest=False)
group_sum = _transform("sum", min_count=1)


def percentile(cx: CallContext, x: object, by: object = None) -> np.ndarray:
    """Share of the group's known values that are not above the unit's value."""
    codes = cx.groups(by)
    return group_rank(_column(cx, x, codes), codes, "max", ascending=True, pct=True)


def quantile(cx: CallContext, x: object, p: float, by: object = None) -> np.ndarray:
    """The group's p-quantile (linear interpolation), for every unit of the group."""
    codes = cx.groups(by)
    return group_quantile(_column(cx, x, codes), codes, float(p))


def top(cx: CallContext, x: object, n: object, by: object = None) -> np.ndarray:
    """Whether the unit ranks within the group's top n (ties at the cut all count)."""
    return _within(_rank_series(cx, x, True, "min", by), n)


def bottom(cx: CallContext, x: object, n: object, by: object = None) -> np.ndarray:
    """Whether the unit ranks within the group's bottom n (ties at the cut all count)."""
    return _within(_rank_series(cx, x, False, "min", by), n)


def _within(ranks: np.ndarray, n: object) -> np.ndarray:
    inside = (ranks <= n).astype(np.float64)
    return np.where(np.isnan(ranks) | np.isnan(n), np.nan, inside)
