"""The fast path gives what the reference path gives on random rule sets and data
(random_rules.py), the year and, where the rules have half-year targets, the half year.

CI runs EXAMPLES derandomized examples (the same ones every run). A longer run by hand
draws other cases each time (or those of ``--hypothesis-seed=N``):
``KAOHE_REFERENCE_EXAMPLES=2000 python -m pytest tests/reference/test_random.py
--hypothesis-show-statistics``. The statistics give the share of cases the loader
accepts ("valid"), of those whose data both paths refuse (报错 with a gap), and what
the cases hold (twin domains, 一单位一策, a special assessment, gaps).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, note, settings

from tests.reference.paths import KaoheError, evaluate_both
from tests.reference.random_rules import Case, rule_sets
from tests.reference.same import differences, explained

BY_HAND = "KAOHE_REFERENCE_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("KAOHE_REFERENCE_EXAMPLES", "60"))

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not BY_HAND,  # in CI the same examples every run: a failure reproduces
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def compare(case: Case, half: bool) -> bool:
    """Both paths on ``case``; False when the rules or the data are refused before
    scoring (counted as an event, so the statistics give the share of valid cases)."""
    period = "H1 " if half else ""
    with tempfile.TemporaryDirectory() as folder:
        source = case.write(Path(folder), half=half)
        note(case.texts(source))
        try:
            outcomes = evaluate_both(source)
        except KaoheError as error:
            event(f"{period}refused before scoring: {error.diagnostics[0].code}")
            return False
        reference = outcomes.pop("reference")
        refused = isinstance(reference, KaoheError)
        event(f"{period}valid: " + ("data refused by both paths" if refused else "evaluated"))
        for path, outcome in outcomes.items():
            assert differences(reference, outcome) == [], path
            assert explained(reference, outcome) == [], path
    return True


@SETTINGS
@given(case=rule_sets())
def test_random_rule_sets(case: Case) -> None:
    for feature in case.features():
        event(feature)
    # The half year (where the rules have half-year targets) runs its own rule set.
    if compare(case, half=False) and case.has_half_year():
        compare(case, half=True)
