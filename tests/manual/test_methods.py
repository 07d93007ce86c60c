"""The manual's Chinese sentence for each scoring method says what the formula does.

Each sentence comes with examples (values and the points it promises for them); here
the indicator's own formula, compiled and run by the engine's evaluator, must give
exactly those points, for every indicator of the official rule sets.
"""

from __future__ import annotations

import math
from pathlib import Path

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
# what the official rules do not use: lower is better for every method, 排名范围 领域, own 标杆
RULESETS["methods"] = load_rules(Path(__file__).parent / "methods").resolved.ruleset
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
    official = {i.method for y, _d, i in NAMED if y != "methods"}
    assert official == set(m.METHOD_NAMES) - {"formula"}


def test_lower_is_better_sentences() -> None:
    said = {i.id: describe(i).sentence for i in RULESETS["methods"].domains[0].indicators()}
    assert said == {
        "事故率排名": "按值在领域内排名（值低者在前，并列者名次相同）：第 1 名得满分 20 分，"
        "每落后一名减 3 分，最低得 5 分。",
        "能耗分档": "分档计分，取所达到的最高一档：不高于 3% 得满分的 50%（10 分）；"
        "不高于 2% 得满分的 80%（16 分）；不高于 1% 得满分的 100%（20 分）；高于 3% 得 0 分。",
        "倍差功效": "达到或低于目标值 1.5 倍 得满分 20 分；"
        "不低于上限值 2.5 倍 得满分的 60%（12 分）；介于两者之间按线性插值，得满分的 60% 至 100%。",
        "排放标杆": "以标杆值（本类别内的最低值）为满分：值不高于标杆值得满分 20 分，"
        "否则得分 = 满分 × 标杆值 ÷ 值；"
        "标杆值或值小于 0 时得分缺失，按缺失数据办法（记零分）处理。",
        "收入标杆": "以标杆值（quantile(值, 50%)）为满分：得分 = 满分 20 分 × 值 ÷ 标杆值，"
        "不超过满分、不低于 0 分；标杆值不大于 0 时得分缺失，按缺失数据办法（记零分）处理。",
    }


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


def test_rank_by_category_is_said() -> None:
    indicator = next(i for _y, _d, i in NAMED if i.method == "rank")
    assert "by=1" not in indicator.formula.text
    assert "在类别内排名" in describe(indicator).sentence


def test_steps_out_of_order_get_no_sentence() -> None:
    """Thresholds not running one way make "the highest step reached" untrue for some
    values: the manual then shows the formula alone."""
    indicator = next(i for _y, _d, i in NAMED if i.method == "steps")
    for thresholds in ((0.03, 0.02, 0.035, 0.04), (0.02, 0.02, 0.03, 0.035)):
        odd = m.Indicator(**{**indicator.__dict__, "thresholds": thresholds})
        assert describe(odd).sentence == ""
