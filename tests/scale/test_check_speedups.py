"""The speed techniques of the checks after scoring give what the plain code gives:
field places of a CSV line without quotes by splitting, and the KH317 medians of many
indicators taken together in one sort per category."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kaohe_rules.read.csv import field_columns
from kaohe_rules.score.layout import layout
from kaohe_rules.score.plausibility import (
    SAMPLE,
    UNIT_ERROR_MIN_GROUP,
    _median,
    median_magnitudes,
)
from kaohe_rules.source import all_name_keys, name_key, name_keys


def _places_by_characters(raw: str, count: int) -> list[tuple[int, int]]:
    """field_columns as it read every line before: character by character."""
    spans, start, quoted = [], 0, False
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            spans.append((start + 1, index + 1))
            start = index + 1
    spans.append((start + 1, len(raw.rstrip("\r")) + 1))
    return spans + [(len(raw) + 1, len(raw) + 2)] * max(count - len(spans), 0)


@given(st.text(alphabet=st.sampled_from('ab,"\r 甲１'), max_size=40), st.integers(0, 12))
@settings(max_examples=400, deadline=None)
def test_field_places_are_the_character_scan(raw: str, count: int) -> None:
    assert field_columns(raw, count) == _places_by_characters(raw, count)


def _one_by_one(values, valid, groups):
    """The KH317 medians as they were taken before: one indicator and category at a time."""

    def median_magnitude(members):
        picked = members[:: max(1, len(members) // SAMPLE)]
        given = np.abs(values[picked[valid[picked]]])
        return None if len(given) < UNIT_ERROR_MIN_GROUP else _median(given)

    middle = np.full(len(groups.names) + 1, np.nan)
    for code, members in groups.segments():
        found = median_magnitude(members)
        if found is not None and found > 0:
            middle[code] = found
    borrowed = np.isnan(middle)
    whole = median_magnitude(np.arange(len(values)))
    if whole is not None and whole > 0:
        middle[borrowed] = whole
    return middle, borrowed


values_strategy = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1.0, 2.5, np.nan]
)


@given(
    st.integers(1, 3000).flatmap(
        lambda n: st.tuples(
            st.lists(arrays(np.float64, n, elements=values_strategy), min_size=1, max_size=4),
            st.lists(arrays(np.bool_, n), min_size=4, max_size=4),
            arrays(np.int8, n, elements=st.integers(-1, 3)),
        )
    )
)
@settings(max_examples=150, deadline=None)
def test_medians_together_are_the_medians_one_by_one(case) -> None:
    columns, masks, kinds = case
    labels = np.array([None if k < 0 else f"类{k}" for k in kinds.tolist()], dtype=object)
    groups = layout(labels)
    pairs = [(v, masks[i] & ~np.isnan(v)) for i, v in enumerate(columns)]
    stacked = np.array([v for v, _ in pairs]), np.array([ok for _, ok in pairs])
    together = median_magnitudes(*stacked, groups)
    for (values, valid), (middle, borrowed) in zip(pairs, together, strict=True):
        expected_middle, expected_borrowed = _one_by_one(values, valid, groups)
        np.testing.assert_array_equal(middle, expected_middle)
        np.testing.assert_array_equal(borrowed, expected_borrowed)


NAME_TEXT = st.text(
    alphabet=st.sampled_from("甲乙市县（）()Ｊ０１J01 \u3000\u200b\u0301e\u00e9\u212b\n·"),
    max_size=6,
)


@given(st.lists(NAME_TEXT, max_size=12))
@settings(max_examples=600, deadline=None)
def test_name_keys_of_a_column_are_each_name_key(names: list[str]) -> None:
    """A column's names normalised at once ("\\n"-joined) are each name's own name_key,
    combining marks at the edges and names holding "\\n" included."""
    assert list(name_keys(names)) == [name_key(n) for n in names]
    assert all_name_keys("\n".join(names)) == all(name_key(n) == n for n in names)
