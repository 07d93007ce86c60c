"""The checks after scoring, as passes over blocks of indicators x units
(score/plausibility.py, score/result_checks.py), give the very diagnostics of the same
checks one indicator and one category at a time (tests/scale/checks_one_by_one.py): same
codes, messages, hints, places and order. On every real input the project has, and on
random values (hypothesis) in a real rule set's results."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.score import engine, plausibility, result_checks
from tests.conftest import ROOT
from tests.reference.paths import Source, inputs
from tests.reference.test_fixtures import FIXTURES, OFFICIAL, _name
from tests.scale import checks_one_by_one as one_by_one


def _unchecked(source: Source, monkeypatch):
    """The evaluation of ``source`` before its checks (None when refused before them)."""
    with monkeypatch.context() as patched:
        patched.setattr(engine.plausibility, "check", lambda evaluation: [])
        patched.setattr(engine.result_checks, "check", lambda evaluation: [])
        try:
            resolved, data = inputs(source)
            return engine.evaluate_year(resolved, data)
        except KaoheError:
            return None


def _shown(found) -> list[tuple]:
    return [(d.code, d.message, d.hint, str(d.span), d.context, d.severity) for d in found]


def _same(evaluation) -> None:
    assert _shown(plausibility.check(evaluation)) == _shown(
        one_by_one.plausibility_check(evaluation)
    )
    assert _shown(result_checks.check(evaluation)) == _shown(one_by_one.result_check(evaluation))


@pytest.mark.parametrize("source", OFFICIAL + FIXTURES, ids=_name)
def test_block_checks_are_the_one_by_one_checks(source: Source, monkeypatch) -> None:
    evaluation = _unchecked(source, monkeypatch)
    if evaluation is not None:
        _same(evaluation)


def test_blocks_of_a_few_indicators_are_the_whole(monkeypatch) -> None:
    """At a million units a block holds one indicator: its seams must not show."""
    source = Source(ROOT / "rules" / "2024", ROOT / "samples" / "2024")
    evaluation = _unchecked(source, monkeypatch)
    whole = _shown(plausibility.check(evaluation)), _shown(result_checks.check(evaluation))
    for cells in (1, 25, 100):
        monkeypatch.setattr(plausibility, "BLOCK_CELLS", cells)
        monkeypatch.setattr(result_checks, "BLOCK_CELLS", cells)
        got = _shown(plausibility.check(evaluation)), _shown(result_checks.check(evaluation))
        assert got == whole


# Values that set the checks off: missing, zero, percent-numbers, 100x slips, ties.
CELL = st.sampled_from([np.nan, 0.0, -0.0, 0.05, 0.065, 1.0, 5.83, 6.5, 57.0, 650.0, 1e6])
CELL |= st.floats(-1e3, 1e5, allow_nan=False) | st.sampled_from([np.inf, -np.inf])


@pytest.fixture(scope="module")
def evaluation_2024():
    mp = pytest.MonkeyPatch()
    try:
        return _unchecked(Source(ROOT / "rules" / "2024", ROOT / "samples" / "2024"), mp)
    finally:
        mp.undo()


@given(st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
def test_random_values_give_the_one_by_one_checks(evaluation_2024, data) -> None:
    """Some indicators' values and scores replaced by random ones (each draw on the
    evaluation as it was: the replaced columns are put back)."""
    evaluation = evaluation_2024
    size = len(evaluation.data.row)
    done = data.draw(st.sampled_from(evaluation.domains))
    names = sorted(k for k in done.scores if k in evaluation.data.columns)
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    saved = [(name, evaluation.data.columns[name], done.scores[name]) for name in chosen]
    try:
        for name in chosen:
            evaluation.data.columns[name] = data.draw(arrays(np.float64, size, elements=CELL))
            width = len(done.scores[name])
            tie = data.draw(st.booleans())
            drawn = (
                np.full(width, 3.0) if tie else data.draw(arrays(np.float64, width, elements=CELL))
            )
            done.scores[name] = drawn
        _same(evaluation)
    finally:
        for name, values, scores in saved:
            evaluation.data.columns[name], done.scores[name] = values, scores


@pytest.mark.parametrize("sample", [3, 7, 40])
def test_sampled_categories_give_the_one_by_one_checks(sample: int, monkeypatch) -> None:
    """With categories larger than the sample (a million units), the medians and counts
    are over every k-th unit: made so here with a small sample."""
    sources = [Source(ROOT / "rules" / y, ROOT / "samples" / y) for y in ("2023", "2024")]
    evaluations = [_unchecked(source, monkeypatch) for source in sources]
    monkeypatch.setattr(plausibility, "SAMPLE", sample)
    monkeypatch.setattr(one_by_one, "SAMPLE", sample)
    for evaluation in evaluations:
        _same(evaluation)
