"""Inputs that once crashed or gave a silent wrong answer, each now pinned by a test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.dsl import Population, Scope, compile_expression
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.population import from_column
from kaohe_rules.dsl.scalar import evaluate_one
from kaohe_rules.dsl.types import NUMBER, TEXT
from kaohe_rules.source import SourceLines

DATA = Path(__file__).parent / "data"


def run(*args: str):
    return CliRunner().invoke(cli, ["expr", *args])


def code_of(text: str, **types) -> str:
    with pytest.raises(KaoheError) as raised:
        compile_expression(text, Scope(types or {"x": NUMBER, "t": TEXT}))
    return raised.value.diagnostics[0].code


@pytest.mark.parametrize(
    "text,code",
    [
        ("[1, 2]", "KH136"),
        ("if x > 1 then [1] else [2]", "KH136"),
        ("coalesce([1], [2])", "KH136"),
        ("rank(x, by=[1, 2])", "KH136"),
        ("[[1]]", "KH136"),
        ('missing in ["a"]', "KH135"),
        ('t in [missing, "b"]', "KH135"),
        ("x in [missing]", "KH135"),
    ],
)
def test_values_where_single_values_are_needed(text: str, code: str) -> None:
    assert code_of(text) == code


def test_a_list_over_a_table_is_an_error_not_a_crash() -> None:
    result = run("[1, 2]", "--data", str(DATA / "counties.csv"))
    assert result.exit_code == 1 and "KH136" in result.output


def test_grouping_by_a_constant_condition() -> None:
    assert run("rank(x, by=1 > 0)", "--set", "x=1").output.strip() == "1"


def test_counting_when_no_unit_has_a_group_key() -> None:
    result = run("count()", "--data", str(DATA / "no_group_keys.csv"), "--group", "g")
    assert result.exit_code == 0
    assert result.output.split() == ["单位", "结果", "A", "missing", "B", "missing"]


def test_rounding_to_tens_of_thousands_agrees_in_both_evaluators() -> None:
    result = run("ceil(x, -5) == 100000", "--data", str(DATA / "negative_digits.csv"))
    assert result.output.split()[-1] == "true"
    assert run("ceil(4.483815, -5) == 100000").output.strip() == "true"


def test_overflow_in_a_group_sum_is_missing_in_both_evaluators() -> None:
    compiled = compile_expression("coalesce(group_sum(x), 5)", Scope({"x": NUMBER}))
    population = Population({"x": np.array([1e308, 1e308])})
    column, warnings = evaluate(compiled, population)
    assert list(column) == [5.0, 5.0]
    assert [w.code for w in warnings] == ["KH161"]
    value, found = evaluate_one(compiled, population, 0)
    assert value == 5.0 and [w.code for w in found] == ["KH161"]


def test_overflow_in_linear_gives_valid_json() -> None:
    result = run("linear(x*10, -x*10, x*10)", "--set", "x=1e307", "--format", "json")
    body = json.loads(result.stdout)
    assert body["value"] is None
    assert [w["code"] for w in body["warnings"]] == ["KH161"]


def test_numbers_compare_equal_up_to_binary_noise() -> None:
    assert run("57% * 100 >= 57").output.strip() == "true"
    assert run("steps(0.7 - 0.4, [0.3], [1])").output.strip() == "1"
    assert run("0.3 in [0.1 + 0.2]").output.strip() == "true"
    assert run("57% * 100 > 57").output.strip() == "false"


@pytest.mark.parametrize(
    "name,message",
    [
        ("duplicate_header.csv", "列名 'x' 重复"),
        ("ragged_row.csv", "这一行有 4 个值"),
        ("empty_id.csv", "单位列不能为空"),
        ("number_out_of_range.csv", "超出可表示的范围"),
    ],
)
def test_broken_tables_are_refused(name: str, message: str) -> None:
    result = run("x", "--data", str(DATA / name))
    assert result.exit_code == 1
    assert "KH170" in result.output and message in result.output


def test_table_cells_and_group_keys_are_trimmed_alike() -> None:
    grouped = run("count()", "--data", str(DATA / "group_with_spaces.csv"), "--group", "g")
    by = run("count(by=g)", "--data", str(DATA / "group_with_spaces.csv"))
    assert grouped.output == by.output
    assert grouped.output.split()[-1] == "2"


def test_an_empty_column_is_a_missing_number() -> None:
    result = run("coalesce(x, 0) + y", "--data", str(DATA / "empty_column.csv"))
    assert result.exit_code == 0 and result.output.split()[-1] == "2"


def test_unreadable_table_paths_are_usage_errors() -> None:
    result = run("x", "--data", str(DATA / "counties.csv" / "x"))
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args,exit_code,output",
    [
        (["code", "--set", "code:text=330127"], 0, "330127"),
        (["x + 1", "--set", "x=1e309"], 2, "超出数值范围"),
        (["x", "--set", "1x=1"], 2, "不能作为表达式中的名称"),
        (["x", "--set", "true=1"], 2, "不能作为表达式中的名称"),
    ],
)
def test_set_values(args: list[str], exit_code: int, output: str) -> None:
    result = run(*args)
    assert result.exit_code == exit_code and output in result.output


@pytest.mark.parametrize(
    "text,code,column",
    [
        ("< 1", "KH101", 1),
        ("x + < 1", "KH101", 5),
        ("1 < 2 < 3", "KH106", 7),
        ("if x < 1 then x < 2 < 3 else 1", "KH106", 21),
    ],
)
def test_chained_comparison_only_after_a_comparison(text: str, code: str, column: int) -> None:
    with pytest.raises(KaoheError) as raised:
        compile_expression(text, Scope({"x": NUMBER}))
    first = raised.value.diagnostics[0]
    assert (first.code, first.span.column) == (code, column)


def test_glued_keyword_hint_only_for_a_stray_then() -> None:
    with pytest.raises(KaoheError) as glued:
        compile_expression("如果x>3则10否则0", Scope({"x": NUMBER}))
    assert "如果" in glued.value.diagnostics[0].hint
    with pytest.raises(KaoheError) as other:
        compile_expression("如果率 + )", Scope({"如果率": NUMBER}))
    assert "如果" not in (other.value.diagnostics[0].hint or "")


def test_escaped_quotes_do_not_confuse_the_bracket_scanner() -> None:
    with pytest.raises(KaoheError) as raised:
        compile_expression('"a\\"(" == t and (x > 1', Scope({"x": NUMBER, "t": TEXT}))
    first = raised.value.diagnostics[0]
    assert (first.code, first.span.column) == ("KH103", 17)


def test_line_numbers_count_only_newlines() -> None:
    lines = SourceLines({"<a>": "x +\u2028 y\nz"})
    assert lines.line("<a>", 1) == "x +\u2028 y"
    assert lines.line("<a>", 2) == "z"


def test_trace_does_not_add_warnings() -> None:
    compiled = compile_expression("rank(x / y)", Scope({"x": NUMBER, "y": NUMBER}))
    population = Population({"x": np.array([1.0, 2.0]), "y": np.array([0.0, 0.0])})
    plain = evaluate_one(compiled, population, 0)[1]
    traced = evaluate_one(compiled, population, 0, trace={})[1]
    assert [w.code for w in traced] == [w.code for w in plain] == ["KH160"]


def test_text_results_keep_missing_as_none() -> None:
    compiled = compile_expression('if x > 1 then "高" else missing', Scope({"x": NUMBER}))
    population = Population({"x": np.array([2.0, 0.0])})
    column, _ = evaluate(compiled, population)
    assert [from_column(v, compiled.type) for v in column] == ["高", None]
