"""A formula text parsed once and placed wherever it occurs gives the tree, places
included, that parsing it at that place gives; a refused text still points into the file."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.dsl import ast, parser
from kaohe_rules.source import Origin, Span

FORMULAS = [
    "满分 * linear(值, 下限值, 目标值)",
    "否决",
    'unit.山区县 and history(1).tier == "第一等次"',
    "if 值 >= 目标值 then 满分 else max(0, 满分 - (目标值 - 值) * 2)",
    "rank(值, desc=true) <= 3 or 值 in [1, 2, 3]",
    "-值 + 10% * （a + b）",
    'x not in ["甲", "乙"]',
    "a\n  + b\n  * c",
]
ORIGINS = [
    Origin(),
    Origin("规则/市县.yaml", 12, 9),
    Origin("规则/市县.yaml", 30, 5, continuation_column=7),
    Origin("a.yaml", 3, 4, positions=(((3, 4), (3, 5), (3, 6)), ((4, 2), (4, 3)))),
]


def _places(node: object) -> list[tuple[str, Span]]:
    """Every node's type and place, in walk order (equality of nodes ignores places)."""
    found = []
    if isinstance(node, tuple):
        for child in node:
            found += _places(child)
    elif isinstance(node, ast.Node):
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            if isinstance(value, Span):
                found.append((type(node).__name__, value))
            else:
                found += _places(value)
    return found


def _fresh(text: str, origin: Origin) -> ast.Node:
    parser._PARSED.clear()
    return parser._parse(text, origin)


@pytest.mark.parametrize("text", FORMULAS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_a_placed_tree_is_the_tree_parsed_in_place(text: str, origin: Origin) -> None:
    parser.parse(text, Origin("elsewhere.yaml", 99, 3))  # parsed once, elsewhere
    assert text in parser._PARSED
    placed = parser.parse(text, origin)
    fresh = _fresh(text, origin)
    assert placed == fresh
    assert _places(placed) == _places(fresh)


@given(st.sampled_from(FORMULAS), st.integers(1, 500), st.integers(1, 80), st.integers(1, 40))
@settings(max_examples=200, deadline=None)
def test_placed_anywhere(text: str, line: int, column: int, continuation: int) -> None:
    origin = Origin("f.yaml", line, column, continuation_column=continuation)
    parser.parse(text, Origin())
    placed = parser.parse(text, origin)
    assert _places(placed) == _places(_fresh(text, origin))


@pytest.mark.parametrize("text", ["值 +", "a = b", "max(1, desc=true, 2)", "1e999"])
def test_a_refused_text_points_into_the_file(text: str) -> None:
    origin = Origin("规则/市县.yaml", 40, 11)
    for _ in range(2):  # the second time too: a refusal is never remembered
        with pytest.raises(KaoheError) as caught:
            parser.parse(text, origin)
        span = caught.value.diagnostics[0].span
        assert span.file == "规则/市县.yaml" and span.line == 40 and span.column >= 11
    assert text not in parser._PARSED


def test_each_parse_gives_new_nodes() -> None:
    """The checker keeps tables by node identity: two places never share a node."""
    first = parser.parse("a + b", Origin("x.yaml", 1, 1))
    second = parser.parse("a + b", Origin("x.yaml", 1, 1))
    assert first == second and first is not second and first.left is not second.left
