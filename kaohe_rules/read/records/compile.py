"""A declaration's formulas compiled against a record source's columns: the names checked
against the header (KH561), the types checked (the language's KH13x), and the checked
tree translated to SQL (dsl/sql.py, KH563). Every problem points into the rule file.

A Parquet column has the type it is stored with. A CSV column is text until the rules
use it otherwise: compared with a number or used in arithmetic, it is a number; used as
a condition, a truth value (是/否, true/false, 1/0). The measured column and the weights
are numbers: one stored as text is converted where it is written as a number
(NUMBER_PATTERN, the same for every engine), and what does not convert is counted.
"""

from __future__ import annotations

import sqlglot.expressions as exp

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.check import Scope, check
from kaohe_rules.dsl.hints import suggest
from kaohe_rules.dsl.parser import parse
from kaohe_rules.dsl.sql import to_sql
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type
from kaohe_rules.read.records.source import Source
from kaohe_rules.records import data_record

_TRUE = ("true", "是", "1")
_FALSE = ("false", "否", "0")


@data_record
class Compiled:
    """One aggregation ready to become a query's columns."""

    aggregation: m.Aggregation
    # The 筛选. Its result may be NULL (missing): query.py uses it only where NULL keeps
    # the record out as FALSE does (a FILTER clause, a conjunct), never under a NOT.
    filter: exp.Expression | None
    condition: exp.Expression | None  # 占比's 条件, NULL where it cannot be decided
    value: exp.Expression | None  # the measured column (a number; text for 去重计数)
    weights: exp.Expression | None
    group: exp.Expression | None  # the 分组 column, as text
    groups: tuple[str, ...]  # the group names 合成 reads; () without 分组
    number_columns: tuple[str, ...]  # columns read as numbers (their non-numbers counted)


def compile_one(
    aggregation: m.Aggregation, source: Source, problems: list[Diagnostic]
) -> Compiled | None:
    """The aggregation over ``source``, or None with its problems added to ``problems``."""
    before = len(problems)
    for key, name in aggregation.columns():
        if source.type_of(name) is None:
            problems.append(_unknown(name, source, aggregation.span_of(key), key))
    formulas = {"筛选": aggregation.filter, "条件": aggregation.condition}
    nodes = {key: parse(expr.text, expr.origin) for key, expr in formulas.items() if expr}
    for node in nodes.values():
        for name in _names(node):
            if source.type_of(name.name) is None:
                problems.append(_unknown(name.name, source, name.span, "筛选"))
    if len(problems) > before:
        return None
    types = _types(source, nodes.values())
    # Columns read as numbers that are not stored as numbers: converted, and what does not
    # convert is counted (a CSV column; a Parquet text column measured by 平均值 …).
    numbers = {n for n, kind in types.items() if kind == NUMBER and source.type_of(n) != NUMBER}
    sql = {}
    for key, node in nodes.items():
        try:
            compiled = check(node, Scope(types), expect=BOOL, source=formulas[key].text)
            sql[key] = to_sql(compiled, lambda name: column(source, name, types[name]))
        except KaoheError as error:
            problems.extend(error.diagnostics)
    if len(problems) > before:
        return None
    measured = aggregation.measure != "count_distinct"
    value_type = NUMBER if measured else TEXT
    for name in (aggregation.column if measured else None, aggregation.weights):
        if name and source.type_of(name) != NUMBER:
            numbers.add(name)
    combine = aggregation.combine
    groups = () if combine is None else tuple(_group_names(combine))
    return Compiled(
        aggregation=aggregation,
        filter=sql.get("筛选"),
        condition=sql.get("条件"),
        value=_optional(source, aggregation.column, value_type),
        weights=_optional(source, aggregation.weights, NUMBER),
        group=_optional(source, aggregation.group_column, TEXT),
        groups=groups,
        number_columns=tuple(sorted(numbers)),
    )


def column(source: Source, name: str, kind: Type) -> exp.Expression:
    """A column of the source read as ``kind``: CSV text converted (a cell that is not
    written as a number becomes NULL, and is counted by the query), Parquet as stored."""
    ident = exp.column(name, quoted=True)
    stored = source.type_of(name)
    if kind == NUMBER:
        if stored != NUMBER:  # text (every CSV cell): what does not convert is counted
            text = exp.cast(ident, "VARCHAR")  # a date, say, converts through its text
            return number_from_text(text)
        return exp.cast(ident, "DOUBLE")
    if kind == BOOL:
        if stored == BOOL:
            return ident
        text = exp.Lower(this=exp.Trim(this=exp.cast(ident, "VARCHAR")))
        case = exp.Case().when(exp.In(this=text, expressions=_strings(_TRUE)), exp.true())
        return case.when(exp.In(this=text.copy(), expressions=_strings(_FALSE)), exp.false())
    return exp.Trim(this=exp.cast(ident, "VARCHAR"))


# What a text cell must look like to be a number: decimal digits with an optional sign,
# point and exponent, between spaces. Written out rather than left to an engine's cast,
# whose ideas differ (DuckDB takes '+-1', '1_000', 'inf' and 'nan'; Spark takes '1.5d'),
# so that every engine reads the same cells as numbers (decision 97). No backslash but
# one: ``\z`` is the end of the text in RE2 and Java alike (``$`` also matches before a
# final newline in Java).
NUMBER_PATTERN = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?\z"


def number_from_text(text: exp.Expression) -> exp.Expression:
    """``text`` as a number where it is written as one (spaces around it allowed), NULL
    elsewhere (the query counts those cells: KH564)."""
    trimmed = exp.Trim(this=text)
    written = exp.RegexpLike(this=trimmed, expression=exp.Literal.string(NUMBER_PATTERN))
    return exp.Case().when(written, exp.cast(trimmed.copy(), "DOUBLE"))


def _strings(values: tuple[str, ...]) -> list[exp.Expression]:
    return [exp.Literal.string(v) for v in values]


def _optional(source: Source, name: str | None, kind: Type) -> exp.Expression | None:
    return None if name is None else column(source, name, kind)


def _unknown(name: str, source: Source, span, key: str) -> Diagnostic:
    shown = "、".join(source.names[:30])
    message = f"记录 {source.declared} 中没有列 '{name}'（{key}）"
    hint = suggest(name, source.names) or f"记录的列有：{shown}"
    return Diagnostic("KH561", message, span, hint)


def _names(node: ast.Node) -> list[ast.Name]:
    """The names of an expression in the order they are written (walk's is not)."""
    found = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    return sorted(found, key=lambda n: (n.span.line, n.span.column))


def _group_names(expr: m.Expr) -> list[str]:
    node = parse(expr.text, expr.origin)
    return list(dict.fromkeys(n.name for n in _names(node)))


def _types(source: Source, nodes) -> dict[str, Type]:
    """Each column's type: as stored in Parquet; in CSV, by how the formulas use it."""
    if source.kind == "parquet":
        return dict(source.columns)
    used: dict[str, Type] = {}
    for node in nodes:
        for part in ast.walk(node):
            for name, kind in _uses(part):
                used.setdefault(name, kind)
        used.update((n.name, BOOL) for n in _conditions(node) if n.name not in used)
    return {name: used.get(name, TEXT) for name in source.names}


def _uses(node: ast.Node) -> list[tuple[str, Type]]:
    """(column, type) that ``node`` says of the names directly under it."""
    if isinstance(node, ast.Binary) or (isinstance(node, ast.Unary) and node.op == "-"):
        operands = (node.left, node.right) if isinstance(node, ast.Binary) else (node.operand,)
        return [(o.name, NUMBER) for o in operands if isinstance(o, ast.Name)]
    if isinstance(node, ast.Call) and node.func == "abs" and node.args:
        return [(a.name, NUMBER) for a in node.args[:1] if isinstance(a, ast.Name)]
    if isinstance(node, ast.Compare):
        return _compared(node.left, node.right) + _compared(node.right, node.left)
    if isinstance(node, ast.Member) and isinstance(node.value, ast.Name):
        kinds = {_literal_type(item) for item in node.items.items} - {None}
        return [(node.value.name, kinds.pop())] if len(kinds) == 1 else []
    return []


def _compared(name: ast.Node, other: ast.Node) -> list[tuple[str, Type]]:
    kind = _literal_type(other)
    if not isinstance(name, ast.Name):
        return []
    if kind is None and isinstance(other, ast.Binary | ast.Unary):
        kind = NUMBER  # compared with arithmetic
    return [(name.name, kind)] if kind is not None else []


def _literal_type(node: ast.Node) -> Type | None:
    if isinstance(node, ast.Number) or (isinstance(node, ast.Unary) and node.op == "-"):
        return NUMBER
    if isinstance(node, ast.String):
        return TEXT
    if isinstance(node, ast.Bool):
        return BOOL
    return None


def _conditions(node: ast.Node) -> list[ast.Name]:
    """Names standing where a condition is required: the whole filter, operands of
    and/or/not, the test of if."""
    found = [node] if isinstance(node, ast.Name) else []
    for part in ast.walk(node):
        if isinstance(part, ast.Logic):
            found += [p for p in (part.left, part.right) if isinstance(p, ast.Name)]
        elif isinstance(part, ast.Unary) and part.op == "not":
            found += [part.operand] if isinstance(part.operand, ast.Name) else []
        elif isinstance(part, ast.Cond) and isinstance(part.test, ast.Name):
            found.append(part.test)
    return found
