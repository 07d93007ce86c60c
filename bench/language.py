"""Benchmark of the expression language: compiling, and vectorized evaluation.

    python bench/language.py [--units 1000000] [--repeat 7]

1. Compile (parse + check) 500 distinct expressions in the style of real rule
   files; report milliseconds, cold (first parser use in the process) and warm.
2. Evaluate a 10-operation scoring expression over N units with the engine and,
   in the same run, with hand-written numpy code of the same formula; report
   the median times and the ratio engine / numpy. The results must agree.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_seconds  # bench/ is on the path as the script's folder

from kaohe_rules.dsl import Population, Scope, compile_expression
from kaohe_rules.dsl.evaluate import vectorize
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT

SCORING = "clamp((研发投入强度 - 2) / (3.5 - 2), 0, 1) * 10 + min(加分, 3) - min(问题数 * 0.5, 5)"

TEMPLATES = [
    "linear(指标{i}, {lo}, {hi}) * {full}",
    "如果 指标{i} >= {hi} 则 {full} 否则 linear(指标{i}, {lo}, {hi}) * {full}",
    "steps(指标{i}, [{lo}, {mid}, {hi}], [60%, 80%, 100%]) * {full}",
    "min(加分{i}, {full}) - min(问题数{i} * 0.5, {lo})",
    "if unit.山区县 and 指标{i} > {mid} then {full} else round_half_up(指标{i} / {hi} * {full}, 2)",
    "clamp(指标{i} / group_max(指标{i}) * {full}, 0, {full})",
    'rank(指标{i}, desc=false) <= round_half_up(count() * 30%) or unit.班子等次 == "优秀"',
    "coalesce(指标{i}, mean(指标{i})) * {full} / 100",
]


def _expressions(count: int) -> list[str]:
    out = []
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        lo = 1 + i % 7
        mid = lo + 1 + i % 5
        hi = mid + 5 + i % 13
        out.append(template.format(i=i, lo=lo, mid=mid, hi=hi, full=5 + i % 10))
    return out


def _scope(count: int) -> Scope:
    types = {"unit.山区县": BOOL, "unit.班子等次": TEXT}
    for i in range(count):
        types.update({f"指标{i}": NUMBER, f"加分{i}": NUMBER, f"问题数{i}": NUMBER})
    return Scope(types)


def bench_compile(count: int = 500) -> tuple[float, float]:
    """Milliseconds to compile ``count`` distinct expressions: cold, then warm."""
    expressions, scope = _expressions(count), _scope(count)
    assert len(set(expressions)) == count
    times = []
    for _ in range(2):
        start = time.perf_counter()
        for text in expressions:
            compile_expression(text, scope)
        times.append((time.perf_counter() - start) * 1000)
    return times[0], times[1]


def bench_evaluate(units: int, repeat: int) -> tuple[float, float]:
    """Median seconds of the engine and of hand-written numpy over ``units`` units."""
    rng = np.random.default_rng(20231)
    columns = {
        "研发投入强度": rng.uniform(0.5, 5.0, units),
        "加分": rng.uniform(0.0, 5.0, units),
        "问题数": rng.integers(0, 15, units).astype(np.float64),
    }
    scope = Scope(dict.fromkeys(columns, NUMBER))
    engine = vectorize(compile_expression(SCORING, scope))
    population = Population(columns, size=units)
    rd, bonus, problems = columns["研发投入强度"], columns["加分"], columns["问题数"]

    def numpy_formula() -> np.ndarray:
        share = np.clip((rd - 2) / 1.5, 0, 1)
        return share * 10 + np.minimum(bonus, 3) - np.minimum(problems * 0.5, 5)

    expected = numpy_formula()
    assert np.allclose(engine.evaluate(population), expected, rtol=0, atol=1e-12)
    t_engine = median_seconds(lambda: engine.evaluate(population), repeat)
    t_numpy = median_seconds(numpy_formula, repeat)
    return t_engine, t_numpy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--expressions", type=int, default=500)
    args = parser.parse_args()
    cold, warm = bench_compile(args.expressions)
    print(f"compile {args.expressions} expressions: cold {cold:.0f} ms, warm {warm:.0f} ms")
    t_engine, t_numpy = bench_evaluate(args.units, args.repeat)
    print(
        f"evaluate 10-operation formula over {args.units:,} units: "
        f"engine {t_engine * 1000:.1f} ms, numpy {t_numpy * 1000:.1f} ms, "
        f"ratio {t_engine / t_numpy:.2f}x (median of {args.repeat})"
    )


if __name__ == "__main__":
    main()
