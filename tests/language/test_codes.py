"""The numpy group codes, missing masks and group statistics equal the pandas calls they
replaced (dsl/codes.py), ties, NaN, -0.0, infinities and units in no group included:
compared bit for bit, so a zero's sign or a last digit cannot differ."""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.dsl import codes

# Few distinct values, so that ties and whole groups of missing values are common.
VALUES = st.sampled_from([0.0, -0.0, 1.0, 1.5, 2.0, -3.25, 1e300, -1e300, np.inf, -np.inf, np.nan])
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
columns = st.lists(st.one_of(VALUES, ANY_FLOAT), min_size=0, max_size=40)
group_codes = st.lists(st.integers(-1, 4), min_size=0, max_size=40)


def _same_bits(got: np.ndarray, want: object) -> None:
    want = np.asarray(want, dtype=np.float64)
    assert got.dtype == np.float64 and got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    known = ~np.isnan(want)
    assert (got[known].view(np.int64) == want[known].view(np.int64)).all(), (got, want)


def _pair(values: list[float], groups: list[int]) -> tuple[np.ndarray, np.ndarray]:
    size = min(len(values), len(groups))
    column = np.array(values[:size], dtype=np.float64)
    keys = np.array(groups[:size], dtype=np.int64)
    column[keys < 0] = np.nan  # as cohort.py gives them: a unit in no group has no value
    return column, keys


def _pandas_grouped(column: np.ndarray, keys: np.ndarray):
    return pd.Series(column).groupby(keys)


@settings(max_examples=500, deadline=None)
@given(columns, group_codes, st.sampled_from(["min", "max", "dense", "average"]), st.booleans())
def test_group_rank_equals_pandas(values, groups, method, ascending):
    column, keys = _pair(values, groups)
    want = _pandas_grouped(column, keys).rank(method=method, ascending=ascending)
    want[keys < 0] = np.nan
    _same_bits(codes.group_rank(column, keys, method, ascending), want)


@settings(max_examples=300, deadline=None)
@given(columns, group_codes, st.sampled_from(["min", "max", "dense", "average"]))
def test_group_rank_pct_equals_pandas(values, groups, method):
    column, keys = _pair(values, groups)
    want = _pandas_grouped(column, keys).rank(method=method, pct=True)
    want[keys < 0] = np.nan
    _same_bits(codes.group_rank(column, keys, method, True, pct=True), want)


@settings(max_examples=500, deadline=None)
@given(columns, group_codes, st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0, 1 / 3]))
def test_group_quantile_equals_pandas(values, groups, p):
    column, keys = _pair(values, groups)
    grouped = _pandas_grouped(column, keys).quantile(p)
    want = grouped.reindex(keys).to_numpy().copy() if len(keys) else np.zeros(0)
    want[keys < 0] = np.nan
    _same_bits(codes.group_quantile(column, keys, p), want)


@settings(max_examples=500, deadline=None)
@given(columns, group_codes, st.booleans())
def test_group_extreme_equals_pandas(values, groups, largest):
    column, keys = _pair(values, groups)
    want = _pandas_grouped(column, keys).transform("max" if largest else "min").to_numpy().copy()
    want[keys < 0] = np.nan
    _same_bits(codes.group_extreme(column, keys, largest), want)


TEXTS = st.sampled_from(["优秀", "良好", "a", "A", "", " ", "一般", "z\u200b", "b"])
MISSING = st.sampled_from([None, np.nan, float("nan"), pd.NaT, np.datetime64("NaT")])
text_keys = st.lists(st.one_of(TEXTS, MISSING), max_size=40)


def _objects(items: list[object]) -> np.ndarray:
    column = np.empty(len(items), dtype=object)
    column[:] = items
    return column


@settings(max_examples=500, deadline=None)
@given(text_keys)
def test_factorize_text_equals_pandas(items):
    keys = _objects(items)
    want, uniques = pd.factorize(pd.Series(keys), use_na_sentinel=True)
    got = codes.factorize(keys)
    assert got.tolist() == want.tolist()
    assert keys[codes.first_of_each(got)].tolist() == list(uniques)


@settings(max_examples=500, deadline=None)
@given(columns)
def test_factorize_numbers_equals_pandas(values):
    keys = np.array(values, dtype=np.float64)
    want, _ = pd.factorize(pd.Series(keys), use_na_sentinel=True)
    assert codes.factorize(keys).tolist() == want.tolist()


@settings(max_examples=500, deadline=None)
@given(text_keys)
def test_sorted_codes_equal_pandas(items):
    keys = _objects(items)
    want, _ = pd.factorize(pd.Series(keys), sort=True, use_na_sentinel=True)
    assert codes.sorted_codes(keys).tolist() == want.tolist()


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(TEXTS, MISSING, st.sampled_from(["x\0", "x", "\0", "é", "😀"])), max_size=40)
)
def test_sorted_order_is_the_stable_order_of_the_sorted_codes(items):
    keys = _objects(items)
    want = np.argsort(codes.sorted_codes(keys), kind="stable")
    assert codes.sorted_order(keys).tolist() == want.tolist()


ODD = [
    pd.NA,
    decimal.Decimal("NaN"),
    decimal.Decimal("1"),
    np.float32("nan"),
    1,
    1.0,
    True,
    "x\0",
    "x",
    complex("nan"),
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(TEXTS, MISSING, st.sampled_from(ODD)), max_size=30))
def test_odd_objects_still_equal_pandas(items):
    """pd.NA, numbers among text, a NUL at the end: numpy cannot decide these alone, and
    the fallback to pandas gives pandas' answer."""
    keys = _objects(items)
    assert codes.object_missing(keys).tolist() == pd.isna(keys).tolist()
    assert codes.factorize(keys).tolist() == pd.factorize(pd.Series(keys))[0].tolist()
    if all(isinstance(k, str) or k is None for k in items):
        want = pd.factorize(pd.Series(keys), sort=True)[0].tolist()
        assert codes.sorted_codes(keys).tolist() == want


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float32, "U3"])
def test_factorize_other_dtypes(dtype):
    keys = np.array([1, 0, 1, 2, 0], dtype=dtype)
    want = pd.factorize(pd.Series(keys))[0].tolist()
    assert codes.factorize(keys).tolist() == want


def test_empty_columns():
    empty = np.zeros(0)
    assert codes.factorize(empty).tolist() == []
    assert codes.sorted_codes(np.zeros(0, dtype=object)).tolist() == []
    assert codes.group_rank(empty, np.zeros(0, dtype=np.int64), "min", True).tolist() == []


def test_sorted_codes_of_wide_text_sort_in_python(monkeypatch):
    """Keys too wide for a fixed-width numpy array (or ending in NUL) sort in Python,
    in the same order."""
    keys = _objects(["b", "a\0", "a", None, "ab", "b", "Z" * 50])
    want = pd.factorize(pd.Series(keys), sort=True)[0].tolist()
    assert codes.sorted_codes(keys).tolist() == want
    monkeypatch.setattr(codes, "_WIDE_TEXT", 10)
    assert codes.sorted_codes(_objects(["b", "a", None, "ab", "b"])).tolist() == [2, 0, -1, 1, 2]
