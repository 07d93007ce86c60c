"""score/order.py sorts many text keys with pyarrow: the same order and codes as numpy's
sorts in dsl/codes.py (Python's code point order, stable), for any text."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.dsl.codes import sorted_codes, sorted_order
from kaohe_rules.score import order

# Code points across the planes, NUL, and lone surrogates (which have no UTF-8).
TEXTS = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=6)
KEYS = st.lists(st.one_of(TEXTS, st.sampled_from(["甲", "乙", "U01", "U1", "u01", "", "\0"])))


@settings(max_examples=300, deadline=None)
@given(KEYS)
def test_arrow_sorts_text_as_numpy_does(items):
    keys = np.empty(len(items), dtype=object)
    keys[:] = items
    saved, order.ARROW_FROM = order.ARROW_FROM, 0
    try:
        found, codes = order._arrow_order(keys), order._arrow_codes(keys)
    finally:
        order.ARROW_FROM = saved
    surrogate = any(0xD800 <= ord(c) <= 0xDFFF for text in items for c in text)
    if surrogate or not len(keys):
        assert found is None and codes is None  # numpy's sorts decide
        return
    assert found.tolist() == sorted_order(keys).tolist()
    assert codes.tolist() == sorted_codes(keys).tolist()


def test_missing_keys_and_few_keys_are_left_to_numpy():
    many = np.array([f"U{i:05d}" for i in range(order.ARROW_FROM)], dtype=object)
    assert order._arrow_order(many) is not None
    assert order._arrow_order(many[:-1]) is None  # fewer than ARROW_FROM
    many[7] = None
    assert order._arrow_order(many) is None and order._arrow_codes(many) is None


def test_id_order_and_sort_value_take_the_arrow_path_for_many_ids():
    rng = np.random.default_rng(5)
    ids = np.array([f"单位{i:06d}" for i in rng.permutation(order.ARROW_FROM + 5)], dtype=object)
    ids[3] = ids[9]  # a tie keeps position order
    assert order.id_order(ids).tolist() == sorted_order(ids).tolist()
    descending = order.sort_value(ids, True, None)
    expected = -sorted_codes(ids).astype(np.float64)
    assert descending.tolist() == expected.tolist()
