"""The fast path gives what the reference path gives on every real input the project
has: the official rule sets with their samples (the half year included), and every
rule-set fixture under tests/ that has data next to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.reference.paths import (
    KaoheError,
    Outcome,
    Source,
    evaluate_both,
    inputs,
    rule_set_cases,
)
from tests.reference.same import differences, explained

GOLDEN = ROOT / "tests" / "golden" / "evaluate"

OFFICIAL = [
    Source(ROOT / "rules" / "2023", ROOT / "samples" / "2023"),
    Source(ROOT / "rules" / "2024", ROOT / "samples" / "2024"),
    Source(ROOT / "rules" / "2024", ROOT / "samples" / "2024半年", half=True),
]

# Rule sets whose data lie elsewhere than in a data* folder beside them.
_T = ROOT / "tests"
PAIRED = [
    # One data set for two years' rules, each knowing its own indicators.
    Source(_T / "rulesets" / "mini", _T / "rulesets" / "mini_data", lenient=True),
    Source(_T / "rulesets" / "mini_2024", _T / "rulesets" / "mini_data", lenient=True),
    Source(_T / "scale" / "roster_csv", GOLDEN / "data"),
    Source(GOLDEN / "rules", _T / "archive" / "data_changed"),
    Source(_T / "adversarial" / "base" / "rules", _T / "adversarial" / "base" / "data"),
    *(
        Source(folder / "rules", folder / "data", half=True)
        for folder in (
            _T / "expressiveness" / "half_year",
            _T / "data_checks" / "percent_scale_half_year",
        )
    ),
]

# Broken on purpose: rules the loader refuses (tests/rules_bad), and folders of
# `kaohe test` cases, which are no rule sets.
_NOT_RULE_SETS = ("rules_bad", "adversarial", "reference")


def beside(root: Path) -> list[Source]:
    """Every rule-set folder under tests/ with each data* folder beside it."""
    found = []
    for ruleset in sorted((root / "tests").glob("**/规则集.yaml")):
        rules = ruleset.parent
        parts = rules.relative_to(root / "tests").parts
        if parts[0] in _NOT_RULE_SETS or "tests" in parts:
            continue
        for data in sorted(rules.parent.iterdir()):
            if data.is_dir() and data.name.startswith("data"):
                found.append(Source(rules, data))
    return found


FIXTURES = beside(ROOT) + PAIRED


def _name(source: Source) -> str:
    rules = source.rules.relative_to(ROOT)
    return f"{rules}+{source.data.name}" + (" H1" if source.half else "")


def _check(source: Source, most: int | None = None) -> Outcome:
    """Both paths on ``source``, and the explanations of ``most`` units a domain."""
    outcomes = evaluate_both(source)
    reference = outcomes.pop("reference")
    for path, outcome in outcomes.items():
        assert differences(reference, outcome) == [], path
        assert explained(reference, outcome, most) == [], path
    return reference


@pytest.mark.parametrize("source", OFFICIAL, ids=_name)
def test_official_rule_sets(source: Source) -> None:
    reference = _check(source, most=10)
    assert not isinstance(reference, KaoheError)
    assert sum(len(d.units) for d in reference.domains) == 429  # not vacuous


@pytest.mark.parametrize("source", FIXTURES, ids=_name)
def test_fixtures(source: Source) -> None:
    try:
        inputs(source)
    except KaoheError as error:  # e.g. tests/evaluate/data_bad: refused before scoring
        pytest.skip(f"refused before scoring: {error.diagnostics[0].code}")
    _check(source)


def test_fixtures_are_found() -> None:
    """Not vacuous: the golden year, the twins and batches of tests/scale, the special
    assessment of tests/special and the data checks are all among them."""
    names = {_name(s) for s in FIXTURES}
    for expected in (
        "tests/golden/evaluate/rules+data",
        "tests/scale/batch/rules+data",
        "tests/special/rules+data",
        "tests/data_checks/clean/rules+data",
    ):
        assert expected in names
    assert len(FIXTURES) >= 35


# Rule sets with `kaohe test` cases (tests/*.yaml beside 规则集.yaml).
WITH_CASES = sorted(
    {p.parent.parent for p in ROOT.glob("**/tests/*.yaml")}
    & {p.parent for p in ROOT.glob("**/规则集.yaml")}
)


@pytest.mark.parametrize("folder", WITH_CASES, ids=lambda p: str(p.relative_to(ROOT)))
def test_rule_set_cases(folder: Path) -> None:
    """The hand-checked `kaohe test` cases of a rule set (rules/2024/tests …) run by
    the reference path, as `kaohe test` runs them; by the fast path they give the same."""
    found = rule_set_cases(folder)
    assert len(found["reference"]) == len(found["fast"]) > 0
    for mine, yours in zip(found["reference"], found["fast"], strict=True):
        where = f"{mine.span.file}:{mine.span.line} {mine.name}"
        assert (mine.passed, yours.passed) == (True, True), where
        assert differences(mine.evaluation, yours.evaluation) == [], where
