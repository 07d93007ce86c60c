"""Where each category's units lie in a domain's result: worked out once per rule set.

Categories follow from the roster (plan.categories_of), so the plausibility and result
checks read this layout from the plan instead of grouping the units again on every
evaluation (at 100,000 units the grouping cost more than the checks themselves).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from kaohe_rules.dsl.codes import factorize, first_of_each
from kaohe_rules.records import data_record


@data_record
class Layout:
    """A domain's units grouped by category: each unit's code (-1: none), the positions
    sorted by category, and where each category's run of them starts and stops."""

    codes: np.ndarray
    names: list[str]
    order: np.ndarray
    starts: np.ndarray
    stops: np.ndarray

    def segments(self) -> Iterator[tuple[int, np.ndarray]]:
        """Each category's code and its units' positions."""
        for start, stop in zip(self.starts, self.stops, strict=True):
            members = self.order[start:stop]
            yield int(self.codes[members[0]]), members


def layout(category: np.ndarray) -> Layout:
    """Where each category's units lie, from each unit's category label (None: none)."""
    category = np.asarray(category, dtype=object)
    codes = factorize(category)
    names = category[first_of_each(codes)]
    placed = np.flatnonzero(codes >= 0)
    order = placed[np.argsort(codes[placed], kind="stable")]
    cuts = np.flatnonzero(np.diff(codes[order])) + 1
    starts = np.concatenate([[0], cuts]) if len(order) else np.zeros(0, dtype=np.int64)
    stops = np.concatenate([cuts, [len(order)]]) if len(order) else starts
    return Layout(codes, [str(n) for n in names], order, starts, stops)
