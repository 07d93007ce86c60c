"""Runs every case file: both evaluators must give the expected value, or the expected error."""

from __future__ import annotations

import math

import pytest

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.dsl import Population, Scope, compile_expression
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.population import from_column
from kaohe_rules.dsl.scalar import evaluate_one
from tests.language.cases import Case, load_cases

CASES = load_cases()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 150
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in c.expr) for c in CASES)


def test_case_names_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def _population(case: Case) -> Population:
    rows = case.rows or [{}]
    groups = [row.get(case.group) for row in rows] if case.group else None
    return Population.from_rows(rows, case.types, groups=groups)


def _same(actual: object, expected: object) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | float) and isinstance(actual, float):
        return math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12)
    return actual == expected


@pytest.mark.parametrize("case", [c for c in CASES if c.error], ids=lambda c: c.id)
def test_error_case(case: Case) -> None:
    with pytest.raises(KaoheError) as raised:
        compile_expression(case.expr, Scope(case.types))
    first = raised.value.diagnostics[0]
    assert first.code == case.error["code"], first
    for key in ("line", "column", "end_column"):
        if key in case.error:
            assert getattr(first.span, key) == case.error[key], f"{key}: {first}"


@pytest.mark.parametrize("case", [c for c in CASES if not c.error], ids=lambda c: c.id)
def test_value_case(case: Case) -> None:
    compiled = compile_expression(case.expr, Scope(case.types))
    population = _population(case)
    column, warnings = evaluate(compiled, population)
    vector = [from_column(v, compiled.type) for v in column]
    scalar, scalar_warnings = [], set()
    for i in range(population.size):
        value, found = evaluate_one(compiled, population, i)
        scalar.append(value)
        scalar_warnings |= {w.code for w in found}
    expected = case.expect if case.expect_many else [case.expect]
    assert len(vector) == len(expected)
    for got_vector, got_scalar, want in zip(vector, scalar, expected, strict=True):
        assert _same(got_vector, want), f"vectorized: {vector} != {expected}"
        assert _same(got_scalar, want), f"single unit: {scalar} != {expected}"
    assert sorted({w.code for w in warnings}) == sorted(set(case.warnings))
    assert scalar_warnings == set(case.warnings)
