"""(a) Fuzzing the expression parser and checker: random text, token soup, mutated formulas.

Only KaoheError may leave compile_expression, each diagnostic with a code and a
location inside the expression's text; a formula that compiles also evaluates.
"""

from __future__ import annotations

from hypothesis import given

from tests.fuzz import strategies as S
from tests.fuzz.oracles import check_expression


@S.ci_settings("expr.random_text")
@given(S.random_expr_text())
def test_random_text_is_refused_with_located_errors(case: S.ExprCase) -> None:
    check_expression(case)


@S.ci_settings("expr.token_soup")
@given(S.token_soup())
def test_token_soup_is_refused_with_located_errors(case: S.ExprCase) -> None:
    check_expression(case)


@S.ci_settings("expr.mutated_formula")
@given(S.mutated_formula())
def test_mutated_formulas_of_rules_2024(case: S.ExprCase) -> None:
    check_expression(case)
