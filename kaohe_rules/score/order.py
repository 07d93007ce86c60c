"""Orders for ranking: sort keys, the id order ties fall back to, and the layout of a
domain's groups that ranks and tiers read."""

from __future__ import annotations

import math

import numpy as np

from kaohe_rules.dsl.codes import sorted_codes, sorted_order
from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.read.arrow_numpy import text_array, to_numpy
from kaohe_rules.records import data_record

# Text keys of this many units and more are sorted by pyarrow: three times numpy's speed
# on a million ids, once the strings are in an Arrow array (below, the conversion and
# pyarrow's import cost more than they save).
ARROW_FROM = 20_000


def sort_value(column: np.ndarray, descending: bool, precision: int | None) -> np.ndarray:
    """A column as numbers that sort ascending in the wanted order, missing last."""
    if column.dtype == object:
        codes = _arrow_codes(column)
        codes = sorted_codes(column) if codes is None else codes
        values = np.where(codes < 0, np.inf, codes).astype(np.float64)
        return np.where(values == np.inf, np.inf, -values) if descending else values
    values = column if precision is None else round_vector(column, precision)  # None: rounded
    # Missing (NaN) sorts last as it is: numpy's sorts put NaN after every number.
    return -values if descending else values


def id_order(ids: np.ndarray) -> np.ndarray:
    """Positions sorted by unit id, the last tie-break."""
    if ids.dtype == object:
        found = _arrow_order(ids)
        return sorted_order(ids) if found is None else found
    return np.argsort(sort_value(ids, False, None), kind="stable")


def _arrow_text(keys: np.ndarray):
    """The keys as an Arrow string array, when they are many and every one is a str;
    else None (numpy's sorts, dsl/codes.py, decide). UTF-8's byte order is the code
    point order Python compares strings by, so pyarrow sorts them as Python does."""
    if len(keys) < ARROW_FROM:
        return None
    texts = keys.tolist()
    if set(map(type, texts)) != {str}:  # a missing key, or not text
        return None
    try:
        return text_array(texts)
    except UnicodeError:  # a lone surrogate: no UTF-8 of it
        return None


def _arrow_order(keys: np.ndarray) -> np.ndarray | None:
    """sorted_order(keys) (a stable sort) by pyarrow, or None (see _arrow_text)."""
    text = _arrow_text(keys)
    if text is None:
        return None
    import pyarrow.compute as pc

    return to_numpy(pc.sort_indices(text)).astype(np.int64)  # sort_indices is stable


def _arrow_codes(keys: np.ndarray) -> np.ndarray | None:
    """sorted_codes(keys) (each key's place among the distinct keys sorted) by pyarrow,
    or None (see _arrow_text)."""
    text = _arrow_text(keys)
    if text is None:
        return None
    import pyarrow.compute as pc

    return to_numpy(pc.rank(text, tiebreaker="dense")).astype(np.int64) - 1


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


@data_record
class Groups:
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
    def of(cls, codes: np.ndarray) -> Groups:
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
        small = () if made.small is None else (made.small,)
        for value in (*kept, *small, made.sorted_shifted):
            value.flags.writeable = False  # kept for every evaluation: shared
        return made


def quota_takes(
    values: np.ndarray, groups: Groups
) -> tuple[np.ndarray, list[tuple[int, float, int]]]:
    """How many units each group's quota takes (``values``: one quota per group that has
    units, in ``groups.present`` order), never more than all; and the quotas that were no
    whole number, as (place in ``values``, quota, whole number taken)."""
    take = np.zeros(groups.count, dtype=np.int64)
    size = len(groups.codes)
    fractions = []
    for at, value in enumerate(np.asarray(values, dtype=np.float64).tolist()):
        whole, exact = whole_quota(value)
        if not exact:
            fractions.append((at, value, whole))
        take[groups.present[at]] = min(max(whole, 0), size)  # more than all: all
    return take, fractions


def whole_quota(value: float) -> tuple[int, bool]:
    """A quota as a whole number of units (a missing one is 0), and whether it was one:
    a quota a hair off a whole number (float arithmetic) counts as that number."""
    value = 0.0 if math.isnan(value) else value
    whole = math.floor(value + 1e-9)
    return whole, abs(value - whole) <= 1e-9
