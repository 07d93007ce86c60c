"""The manual's Chinese sentence for each scoring method says what the formula does.

Each sentence comes with examples (values and the points it promises for them); here
the indicator's own formula, compiled and run by the engine's evaluator, must give
exactly those points, for every indicator of the official rule sets.
"""

from __future__ import annotations

import math

import pytest

from kaohe_rules import model as m
from kaohe_rules.dsl import Population, Scope, compile_expression
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.outputs import manual_methods
from kaohe_rules.outputs.manual_methods import Example, describe, shown
from kaohe_rules.pipeline import load_rules
from tests.conftest import ROOT


def _ruleset(year: str) -> m.RuleSet:
    return load_rules(ROOT / "rules" / year).resolved.ruleset


RULESETS = {year: _ruleset(year) for year in ("2023", "2024")}
INDICATORS = [
    (year, domain.name, indicator)
    for year, ruleset in RULESETS.items()
    for domain in ruleset.scored()
    for indicator in domain.all_indicators()
]
NAMED = [case for case in INDICATORS if case[2].method != "formula"]


def formula_scores(indicator: m.Indicator, values: tuple[float, ...]) -> list[float | None]:
    """What the indicator's formula gives units of one category with ``values``."""
    parameters = {k: v for k, v in indicator.parameters().items() if v is not None}
    rows = [{"值": value, **parameters} for value in values]
    types = dict.fromkeys(rows[0], NUMBER)
    compiled = compile_expression(indicator.formula.text, Scope(types))
    column, _warnings = evaluate(compiled, Population.from_rows(rows, types))
    return [None if math.isnan(x) else round(float(x), 9) for x in column]


def _promised(example: Example) -> list[float | None]:
    return [None if s is None else round(s, 9) for s in example.scores]


def test_the_official_rules_use_every_named_method() -> None:
    assert {i.method for _y, _d, i in NAMED} == set(m.METHOD_NAMES) - {"formula"}


@pytest.mark.parametrize("year, domain, indicator", NAMED, ids=lambda x: getattr(x, "id", x))
def test_the_formula_gives_what_the_sentence_says(year, domain, indicator) -> None:
    method = describe(indicator)
    assert method.sentence, indicator.id
    own_benchmark = indicator.method == "benchmark" and indicator.benchmark is not None
    assert method.examples or own_benchmark, indicator.id
    for example in method.examples:
        assert formula_scores(indicator, example.values) == _promised(example), (
            f"{year} {domain} {indicator.id}: {method.sentence}"
        )


@pytest.mark.parametrize("year, domain, indicator", NAMED, ids=lambda x: getattr(x, "id", x))
def test_the_sentence_names_the_parameters_as_written(year, domain, indicator) -> None:
    sentence = describe(indicator).sentence
    for key, value in (("目标值", indicator.target), ("下限值", indicator.floor)):
        named = value is not None and indicator.method in ("linear", "efficacy")
        if named and (key == "目标值" or indicator.direction == "越高越好"):
            assert f"{key} {shown(indicator, key, value)}" in sentence
    for limit in indicator.thresholds:
        assert shown(indicator, "档位", limit) in sentence


def test_a_misstated_sentence_is_caught() -> None:
    """Were 功效系数 described as 线性 (nothing below the floor), its examples would
    promise 0 points where the formula gives 60% of full marks: the check fails."""
    efficacy = next(i for _y, _d, i in NAMED if i.method == "efficacy")
    wrong = manual_methods._interpolated(efficacy, 0.0)
    assert any(
        formula_scores(efficacy, example.values) != _promised(example) for example in wrong.examples
    )


def test_efficacy_says_sixty_percent_below_the_floor() -> None:
    indicator = next(
        i for i in RULESETS["2024"].domain("市县").indicators() if i.id == "一般公共预算收入增速"
    )
    assert describe(indicator).sentence == (
        "达到或高于目标值 7% 得满分 4 分；不高于下限值 0% 得满分的 60%（2.4 分）；"
        "介于两者之间按线性插值，得满分的 60% 至 100%。"
    )


def test_a_free_formula_gets_no_paraphrase() -> None:
    free = [i for _y, _d, i in INDICATORS if i.method == "formula"]
    assert free
    assert all(describe(i).sentence == "" for i in free)


def test_lower_is_better_starts_from_the_ceiling() -> None:
    indicator = next(
        i for i in RULESETS["2024"].domain("市县").indicators() if i.id == "城乡居民收入倍差"
    )
    assert describe(indicator).sentence == (
        "达到或低于目标值 1.58 倍 得满分 5 分；不低于上限值 2 倍 得 0 分；介于两者之间按线性插值。"
    )


def test_rank_by_domain_is_said() -> None:
    """排名范围: 领域 puts by=1 into the formula; the sentence says 领域, not 类别."""
    indicator = next(i for _y, _d, i in NAMED if i.method == "rank")
    text = indicator.formula.text.replace("desc=true)", "desc=true, by=1)")
    wide = m.Indicator(
        **{
            **indicator.__dict__,
            "formula": m.Expr(text, indicator.formula.origin, indicator.formula.span),
        }
    )
    assert "在领域内排名" in describe(wide).sentence
    assert "在类别内排名" in describe(indicator).sentence
