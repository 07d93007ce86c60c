"""score/plan.py numbers each unit's category from the first condition that holds and
makes the group codes by factorizing those numbers (NaN for no category): the same codes
factorizing the category labels gives (first seen first, -1 for a unit in no category),
for any layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.dsl.codes import factorize
from kaohe_rules.pipeline import load_rules
from kaohe_rules.score import plan

ROOT = Path(__file__).resolve().parent.parent.parent


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 6).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.integers(-1, n - 1)))))
def test_codes_from_numbers_are_the_labels_factorized(case):
    count, numbers = case
    first = np.array(numbers, dtype=np.int64)
    names = np.array([*(f"类{k}" for k in range(count)), None], dtype=object)
    numbers = np.where(first < 0, np.nan, first)
    assert factorize(numbers).tolist() == factorize(names[first]).tolist()


def test_bundled_rules_categories_match_their_labels() -> None:
    built = plan.build(load_rules(ROOT / "rules" / "2024").resolved)
    seen = 0
    for domain in built.domains.values():
        labels, codes = domain.categories.labels, domain.categories.codes
        assert codes.tolist() == factorize(labels).tolist()
        assert not labels.flags.writeable and not codes.flags.writeable
        seen += len({label for label in labels.tolist() if label is not None})
    assert seen >= 5  # the bundled domains do have categories
