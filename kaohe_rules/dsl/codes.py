"""Missing masks, group codes and ranks within groups, in numpy alone.

Each function gives exactly what the pandas call it replaced gives (pd.isna,
pd.factorize, groupby().rank()), which tests/language/test_codes.py proves with
hypothesis against pandas: start-up must not pay for importing pandas when a
command only needs these. A value numpy cannot treat as pandas does (pd.NA, a
mixed-type text column) goes to pandas itself, loaded only then.
"""

from __future__ import annotations

import numpy as np


def object_missing(values: np.ndarray) -> np.ndarray:
    """``pd.isna`` of an object array: None, NaN (float, numpy, Decimal) and NaT."""
    try:
        # NaN, NaT and a Decimal NaN are unequal to themselves; None equals only None.
        return np.not_equal(values, values) | np.equal(values, None)
    except (TypeError, ValueError):
        # pd.NA (whose comparisons have no truth value) or an element that is itself an
        # array: only pandas can hold the first, and pandas says what the second is.
        import pandas as pd

        return np.asarray(pd.isna(values), dtype=bool)


def factorize(keys: np.ndarray) -> np.ndarray:
    """``pd.factorize(keys, use_na_sentinel=True)[0]``: int64 codes in the order each
    key first appears, -1 for a missing key."""
    keys = np.asarray(keys)
    if keys.dtype.kind in "US":
        keys = keys.astype(object)  # pandas holds numpy text as str objects too
    if keys.dtype.kind in "fiub":
        return _factorize_numbers(keys)
    codes = _factorize_text(keys)
    if codes is None:
        import pandas as pd  # keys of mixed kinds: pandas decides which are equal

        codes, _ = pd.factorize(pd.Series(keys), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def first_of_each(codes: np.ndarray) -> np.ndarray:
    """Where each code of ``factorize`` first appears, in code order (its uniques are
    ``keys[first_of_each(codes)]``)."""
    codes = np.asarray(codes)
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    # Codes are numbered as they first appear: a code is new where it passes every
    # code before it (one pass, not a sort of a million codes).
    before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    return np.flatnonzero(codes > before)


def sorted_codes(keys: np.ndarray) -> np.ndarray:
    """``pd.factorize(keys, sort=True, use_na_sentinel=True)[0]`` of an object array:
    codes in the sorted order of the keys, -1 for a missing key."""
    missing = object_missing(keys)
    texts = keys[~missing].tolist()
    if set(map(type, texts)) - {str}:  # one C pass over a million keys
        import pandas as pd  # keys of mixed kinds: pandas decides how they sort

        codes, _ = pd.factorize(pd.Series(keys), sort=True, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64)
    codes = np.full(len(keys), -1, dtype=np.int64)
    if texts:
        codes[~missing] = _text_order(texts)
    return codes


def sorted_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(sorted_codes(keys), kind="stable")``: positions in the order of their
    keys, equal keys (and missing ones, last) in position order."""
    missing = object_missing(keys)
    texts = keys[~missing].tolist()
    if texts and not missing.any() and set(map(type, texts)) == {str} and _fixed_width(texts):
        # One stable sort of fixed-width text (by code point, as Python compares), not a
        # sort for the codes and a second of the codes: a million unit ids, 1.7 -> 0.8 s.
        width = max(map(len, texts))
        return np.argsort(np.array(texts, dtype=f"U{width}"), kind="stable")
    return np.argsort(sorted_codes(keys), kind="stable")


def _fixed_width(texts: list[str]) -> bool:
    """Whether numpy's fixed-width text holds ``texts`` in Python's order: not too wide
    in all, and no NUL (which it drops from the end of a text)."""
    width = max(map(len, texts))
    return width * len(texts) <= _WIDE_TEXT and "\0" not in "".join(texts)


# numpy's fixed-width text holds every key at the longest one's width: past this many
# characters in all, sorting the distinct keys in Python costs less memory.
_WIDE_TEXT = 16_000_000


def _text_order(texts: list[str]) -> np.ndarray:
    """Each text's place among the distinct texts sorted by code point (Python's order)."""
    if _fixed_width(texts):
        width = max(map(len, texts))
        # numpy compares fixed-width text by code point as Python does, far faster than
        # objects; it drops trailing NULs, hence the check.
        return np.unique(np.array(texts, dtype=f"U{width}"), return_inverse=True)[1].ravel()
    place = {text: at for at, text in enumerate(sorted(set(texts)))}
    return np.array([place[t] for t in texts], dtype=np.int64)


def _factorize_numbers(keys: np.ndarray) -> np.ndarray:
    keys = keys.astype(np.float64) if keys.dtype.kind == "f" else keys
    known = ~np.isnan(keys) if keys.dtype.kind == "f" else np.ones(len(keys), dtype=bool)
    codes = np.full(len(keys), -1, dtype=np.int64)
    if known.any():
        # -0.0 and 0.0 are one key to both: np.unique compares, it does not hash bits.
        _, first, inverse = np.unique(keys[known], return_index=True, return_inverse=True)
        codes[known] = _by_first_appearance(first)[inverse.ravel()]
    return codes


def _factorize_text(keys: np.ndarray) -> np.ndarray | None:
    """Codes by first appearance when every key given is a str; None otherwise."""
    missing = object_missing(keys)
    given = keys[~missing].tolist()
    if set(map(type, given)) - {str}:
        return None
    # dict.fromkeys keeps the first appearance order; both passes run in C.
    place = {key: at for at, key in enumerate(dict.fromkeys(given))}
    codes = np.full(len(keys), -1, dtype=np.int64)
    codes[~missing] = np.fromiter(map(place.__getitem__, given), np.int64, len(given))
    return codes


def _by_first_appearance(first: np.ndarray) -> np.ndarray:
    """For sorted uniques that first appear at ``first``: each one's rank in order of
    appearance."""
    ranks = np.empty(len(first), dtype=np.int64)
    ranks[np.argsort(first, kind="stable")] = np.arange(len(first))
    return ranks


def group_rank(
    values: np.ndarray, codes: np.ndarray, method: str, ascending: bool, pct: bool = False
) -> np.ndarray:
    """``pd.Series(values).groupby(codes).rank(method, ascending, pct)`` for the units
    whose code is >= 0 (NaN elsewhere): a missing value gets a missing rank."""
    out = np.full(len(values), np.nan)
    at = np.flatnonzero((codes >= 0) & ~np.isnan(values))
    if not len(at):
        return out
    key = values[at] if ascending else -values[at]
    order = np.lexsort((key, codes[at]))
    runs = _Runs(key[order], codes[at][order])
    out[at[order]] = runs.ranks(method, pct)
    return out


def group_extreme(values: np.ndarray, codes: np.ndarray, largest: bool) -> np.ndarray:
    """``pd.Series(values).groupby(codes).transform("max" or "min")`` for every unit
    whose code is >= 0."""
    at = np.flatnonzero((codes >= 0) & ~np.isnan(values))
    if _both_zeros(values[at], codes[at]):
        # Of 0.0 and -0.0 (equal), which is the extreme is pandas' own choice.
        import pandas as pd

        done = pd.Series(values).groupby(codes).transform("max" if largest else "min")
        return np.where(codes >= 0, done.to_numpy(), np.nan)
    order = np.lexsort((-values[at] if largest else values[at], codes[at]))
    groups = codes[at][order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(at) else at
    return _spread(codes, groups[starts], values[at][order][starts])


def _spread(codes: np.ndarray, groups: np.ndarray, per_group: np.ndarray) -> np.ndarray:
    """Each unit's group's value (NaN for a unit in no group or a group without one)."""
    out = np.full(len(codes), np.nan)
    if not len(groups):
        return out
    lookup = np.full(int(groups.max()) + 1, np.nan)
    lookup[groups] = per_group
    placed = (codes >= 0) & (codes < len(lookup))
    out[placed] = lookup[codes[placed]]
    return out


def group_quantile(values: np.ndarray, codes: np.ndarray, p: float) -> np.ndarray:
    """``pd.Series(values).groupby(codes).quantile(p)`` (linear interpolation) for every
    unit whose code is >= 0: pandas' own formula, so the same float comes out."""
    at = np.flatnonzero((codes >= 0) & ~np.isnan(values))
    if not len(at):
        return np.full(len(values), np.nan)
    order = np.lexsort((values[at], codes[at]))
    ordered, groups = values[at][order], codes[at][order]
    found, start, count = np.unique(groups, return_index=True, return_counts=True)
    # As pandas' group_quantile: the position p * (n - 1) cut to a whole index and its
    # fraction; val + (next - val) * frac unless the fraction is 0.
    position = p * (count - 1).astype(np.float64)
    index = start + position.astype(np.int64)
    fraction = position % 1
    value = ordered[index]
    following = ordered[np.minimum(index + 1, start + count - 1)]
    with np.errstate(invalid="ignore"):  # inf - inf, as pandas computes it too
        per_group = np.where(fraction == 0.0, value, value + (following - value) * fraction)
    if _both_zeros(ordered, groups):
        # Which of 0.0 and -0.0 a sort puts first is the one thing it may choose, and
        # pandas' choice is its own: a group holding both zeros is left to pandas.
        import pandas as pd

        per_group = pd.Series(values).groupby(codes).quantile(p).reindex(codes).to_numpy()
        return np.where(codes >= 0, per_group, np.nan)
    return _spread(codes, found, per_group)


def _both_zeros(values: np.ndarray, groups: np.ndarray) -> bool:
    """Whether a group holds both 0.0 and -0.0."""
    zero = values == 0.0
    negative = set(groups[zero & np.signbit(values)].tolist())
    return bool(negative) and not negative.isdisjoint(groups[zero & ~np.signbit(values)].tolist())


class _Runs:
    """Sorted values within sorted groups, cut into runs of equal values (ties)."""

    def __init__(self, values: np.ndarray, groups: np.ndarray) -> None:
        size = len(values)
        index = np.arange(size)
        new_group = np.ones(size, dtype=bool)
        new_group[1:] = groups[1:] != groups[:-1]
        new_run = new_group.copy()
        new_run[1:] |= values[1:] != values[:-1]
        self.group_start = np.maximum.accumulate(np.where(new_group, index, 0))
        run_start = np.maximum.accumulate(np.where(new_run, index, 0))
        self.run = np.cumsum(new_run) - 1
        self.run_length = np.bincount(self.run)[self.run]
        self.before = run_start - self.group_start  # units of the group ranked before the run
        group = np.cumsum(new_group) - 1
        self.group_size = np.bincount(group)[group]

    def ranks(self, method: str, pct: bool) -> np.ndarray:
        if method == "min":
            ranks = (self.before + 1).astype(np.float64)
        elif method == "max":
            ranks = (self.before + self.run_length).astype(np.float64)
        elif method == "average":
            # pandas sums the tied positions and divides; the mean of consecutive whole
            # numbers is a half-integer, exact either way.
            ranks = self.before + (self.run_length + 1) / 2
        elif method == "dense":
            ranks = (self.run - self.run[self.group_start] + 1).astype(np.float64)
        else:
            raise ValueError(f"unknown rank method {method!r}")
        if pct:
            size = self.group_size if method != "dense" else self._distinct()
            ranks = ranks / size
        return ranks

    def _distinct(self) -> np.ndarray:
        """Distinct values in each unit's group (what pandas divides dense ranks by)."""
        last = np.maximum.reduceat(self.run, np.flatnonzero(self._starts()))
        per_group = last - self.run[self._starts()] + 1
        return per_group[np.cumsum(self._starts()) - 1].astype(np.float64)

    def _starts(self) -> np.ndarray:
        return self.group_start == np.arange(len(self.group_start))
