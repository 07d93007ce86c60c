"""A formula of numbers, names, arithmetic and non-cohort calls also compiles to plain
numpy calls (evaluate.py, ``_Compiler.fast``), run under one raising error state. It must
give what the closures give, value for value and warning for warning: a division by
zero, an overflow or a function's warning sends the formula back to the closures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kaohe_rules.dsl import Population, Scope, compile_expression
from kaohe_rules.dsl.evaluate import Run, vectorize
from kaohe_rules.dsl.types import NUMBER, TEXT

SCOPE = Scope({"x": NUMBER, "y": NUMBER, "满分": NUMBER, "名称": TEXT})
COLUMNS = {
    "x": np.array([1.0, -2.5, np.nan, 0.0, 1e300, 7.0]),
    "y": np.array([2.0, 0.0, 3.0, np.nan, 1e300, -1.0]),
    "满分": np.array([5.0, 5.0, 5.0, 5.0, 5.0, 5.0]),
    "名称": np.array(["甲", "乙", "丙", "丁", "戊", "己"], dtype=object),
}
FAST = [
    "min(x * 0.5, 1) + min(y * 1, 1)",
    "满分 * linear(x, 0, 10)",
    "满分 * linear(x, 3, 3)",  # zero width: linear warns (KH162)
    "x / y",  # a zero divisor: KH160
    "x * y",  # 1e300 * 1e300 overflows: KH161
    "-x + max(x, y, 2) - abs(y)",
    "round_half_up(x / 3, 2) + clamp(y, 0, 1)",
    "steps(x, [0, 5], [0.5, 1])",
    "1 - x",
]
SLOW = [
    "if x > 0 then 1 else 0",  # a branch: active units
    "rank(x)",  # a cohort function
    "x > 1 and y > 1",
    '名称 == "甲"',
]


def _both(text: str) -> tuple[object, list, object, list]:
    program = vectorize(compile_expression(text, SCOPE))
    population = Population(COLUMNS)
    fast_run, slow_run = Run(population), Run(population)
    fast = program.evaluate(population, fast_run)
    slow = dataclasses.replace(program, fast=None).evaluate(population, slow_run)
    return fast, fast_run.warnings(), slow, slow_run.warnings()


@pytest.mark.parametrize("text", FAST)
def test_the_fast_path_gives_what_the_closures_give(text: str) -> None:
    program = vectorize(compile_expression(text, SCOPE))
    assert program.fast is not None
    fast, fast_warnings, slow, slow_warnings = _both(text)
    assert np.array_equal(fast, slow, equal_nan=True)
    assert [(w.code, w.message) for w in fast_warnings] == [
        (w.code, w.message) for w in slow_warnings
    ]


def test_warnings_come_from_the_closures() -> None:
    codes = {text: [w.code for w in _both(text)[1]] for text in FAST}
    assert codes["x / y"] == ["KH160"]
    assert codes["x * y"] == ["KH161"]
    assert codes["满分 * linear(x, 3, 3)"] == ["KH162"]
    assert codes["min(x * 0.5, 1) + min(y * 1, 1)"] == []


@pytest.mark.parametrize("text", SLOW)
def test_branches_cohorts_and_comparisons_keep_the_closures(text: str) -> None:
    assert vectorize(compile_expression(text, SCOPE)).fast is None
