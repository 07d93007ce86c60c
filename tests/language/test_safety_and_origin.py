"""Hostile input gets a coded error, never a hang or a traceback; errors point into files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError, render_text
from kaohe_rules.dsl import Origin, Population, Scope, compile_expression
from kaohe_rules.dsl.check import Symbol
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.functions import BUILTINS, Function, Param
from kaohe_rules.dsl.scalar import evaluate_one
from kaohe_rules.dsl.types import NUMBER, TEXT, record
from kaohe_rules.source import SourceLines

DATA = Path(__file__).parent / "data"

HOSTILE = {
    "10,000-deep brackets": ("(" * 10_000 + "1" + ")" * 10_000, "KH140"),
    "5,000-deep brackets within the length limit": ("(" * 4_000 + "1" + ")" * 4_000, "KH141"),
    "a 1 MB expression": ("1 + " * 250_000 + "1", "KH140"),
    "4,000 chained additions": ("1" + " +1" * 3_000, "KH141"),
    "1e309": ("1e309", "KH142"),
    "a huge integer literal": ("9" * 400, "KH142"),
    "a string of 10 million characters": ('"' + "长" * 10_000_000 + '"', "KH140"),
    "a string over the literal limit": ('"' + "a" * 2_000 + '"', "KH143"),
    "Python attribute access": ("x.__class__", "KH112"),
    "Python builtins": ('__import__("os")', "KH111"),
    "eval": ('eval("1")', "KH111"),
    "a lambda": ("lambda: 1", "KH104"),
    "a dunder on a literal": ("(1).__class__", "KH112"),
    "a NUL byte": ("1 +\x00 2", "KH104"),
}


@pytest.mark.parametrize("text,code", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_expressions_get_a_coded_error(text: str, code: str) -> None:
    with pytest.raises(KaoheError) as raised:
        compile_expression(text, Scope({"x": NUMBER}))
    first = raised.value.diagnostics[0]
    assert first.code == code
    assert first.span is not None and first.span.line >= 1


@pytest.mark.parametrize("text,code", list(HOSTILE.values())[:6], ids=list(HOSTILE)[:6])
def test_hostile_expressions_on_the_command_line(text: str, code: str) -> None:
    result = CliRunner().invoke(cli, ["expr", text])
    assert result.exit_code == 1
    assert code in result.output
    assert "Traceback" not in result.output


def _scalar_positions(path: Path) -> dict[str, yaml.ScalarNode]:
    """The YAML scalar nodes under each indicator, with their marks."""
    root = yaml.compose(path.read_text(encoding="utf-8"))
    found = {}
    for key, indicator in root.value[0][1].value:
        for field, value in indicator.value:
            if field.value == "计分":
                found[key.value] = value
    return found


def test_errors_point_into_the_rule_file() -> None:
    node = _scalar_positions(DATA / "origin.yaml")["研发投入强度"]
    origin = Origin(str(DATA / "origin.yaml"), node.start_mark.line + 1, node.start_mark.column + 1)
    scope = Scope({"研发投入强度": NUMBER, "满分": NUMBER})
    with pytest.raises(KaoheError) as raised:
        compile_expression(node.value, scope, origin)
    [problem] = raised.value.diagnostics
    assert (problem.span.line, problem.span.column, problem.span.end_column) == (5, 34, 36)
    text = render_text([problem])
    assert "计分: linear(研发投入强度, 2, 3.5) * 满份" in text
    assert "是否应为 '满分'？" in text


def test_errors_inside_a_block_scalar_keep_their_line() -> None:
    node = _scalar_positions(DATA / "origin.yaml")["问题扣分"]
    # A block scalar's text starts on the line after `|`, indented by 6 columns.
    origin = Origin(str(DATA / "origin.yaml"), node.start_mark.line + 2, 7, continuation_column=7)
    with pytest.raises(KaoheError) as raised:
        compile_expression(node.value, Scope({"问题数": NUMBER}), origin)
    [problem] = raised.value.diagnostics
    assert problem.code == "KH133"
    assert (problem.span.line, problem.span.column) == (10, 12)
    assert '否则 "零"' in render_text([problem])


def test_json_format_carries_code_and_position() -> None:
    result = CliRunner().invoke(cli, ["expr", "1 +", "--format", "json"])
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)
    assert problem["code"] == "KH102"
    assert (problem["line"], problem["column"]) == (1, 4)


def test_json_format_of_a_value() -> None:
    result = CliRunner().invoke(cli, ["expr", "x * 2", "--set", "x=1.5", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "expression": "x * 2",
        "type": "number",
        "value": 3.0,
        "warnings": [],
    }


def test_a_bad_assignment_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["expr", "x", "--set", "x"])
    assert result.exit_code == 2
    assert "名称=值" in result.output


def test_functions_returning_records_serve_dotted_access() -> None:
    """The rule layer will register history(n); the language supports it as any record."""
    last = {"tier": ["第一等次", "第二等次"], "rank": [1.0, 5.0]}

    def history_vector(cx, years):
        return {"tier": _text(last["tier"]), "rank": last["rank"]}

    def history_scalar(cx, years):
        return {"tier": "第一等次", "rank": 1.0}

    import numpy as np

    def _text(values):
        column = np.empty(len(values), dtype=object)
        column[:] = values
        return column

    history = Function(
        "history",
        (Param("years", NUMBER, const=True),),
        record(tier=TEXT, rank=NUMBER),
        history_vector,
        history_scalar,
    )
    scope = Scope([Symbol("x", NUMBER)], functions={**BUILTINS, "history": history})
    compiled = compile_expression('history(1).tier == "第一等次"', scope)
    population = Population({"x": np.array([1.0, 2.0])})
    column, _ = evaluate(compiled, population)
    assert list(column) == [1.0, 0.0]
    assert evaluate_one(compiled, population, 0)[0] is True
    with pytest.raises(KaoheError) as raised:
        compile_expression("history(1).tier_", scope)
    assert raised.value.diagnostics[0].code == "KH112"
    assert "tier" in raised.value.diagnostics[0].hint


def test_rendered_sources_come_from_memory_or_disk() -> None:
    lines = SourceLines({"<a>": "first\nsecond"})
    assert lines.line("<a>", 2) == "second"
    assert lines.line(str(DATA / "origin.yaml"), 2) == "指标:"
    assert lines.line("/no/such/file", 1) is None
