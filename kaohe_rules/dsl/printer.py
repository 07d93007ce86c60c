"""Two stable text forms of an AST: ``dump`` for golden tests, ``to_source`` for people.

``to_source`` writes the fewest brackets that keep the meaning, so printing a
parsed expression and parsing it again gives the same tree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from kaohe_rules.dsl import ast

_LEVEL = {"or": 2, "and": 3, "+": 6, "-": 6, "*": 7, "/": 7}


def number_text(value: float, percent: bool = False) -> str:
    """A number as the language writes it: ``3``, ``0.25``, ``12.5%``."""
    if percent:
        scaled = (Decimal(repr(value)) * 100).normalize()
        return format(scaled, "f") + "%"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def string_text(value: str) -> str:
    """A text literal with its quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


Show = Callable[[ast.Node], "str | None"]


def to_source(node: ast.Node, level: int = 1, show: Show | None = None) -> str:
    """Expression text for ``node``, bracketed where its context needs it.

    ``show`` may replace the text of any node (explanations put values in place
    of names this way).
    """
    text, own = _source(node, show)
    return f"({text})" if own < level else text


def _source(node: ast.Node, show: Show | None) -> tuple[str, int]:
    if show is not None:
        replaced = show(node)
        if replaced is not None:
            return replaced, 10
    sub = lambda child, level=1: to_source(child, level, show)  # noqa: E731
    match node:
        case ast.Number(value=value, percent=percent):
            return number_text(value, percent), 10
        case ast.String(value=value):
            return string_text(value), 10
        case ast.Bool(value=value):
            return ("true" if value else "false"), 10
        case ast.Missing():
            return "missing", 10
        case ast.Name(name=name):
            return name, 10
        case ast.Attribute(obj=obj, name=name):
            return f"{sub(obj, 9)}.{name}", 9
        case ast.Call(func=func, args=args, keywords=keywords):
            parts = [sub(a) for a in args] + [f"{k.name}={sub(k.value)}" for k in keywords]
            return f"{func}({', '.join(parts)})", 10
        case ast.ListExpr(items=items):
            return "[" + ", ".join(sub(i) for i in items) + "]", 10
        case ast.Unary(op="-", operand=operand):
            return f"-{sub(operand, 8)}", 8
        case ast.Unary(operand=operand):
            return f"not {sub(operand, 4)}", 4
        case ast.Binary(op=op, left=left, right=right) | ast.Logic(op=op, left=left, right=right):
            own = _LEVEL[op]
            return f"{sub(left, own)} {op} {sub(right, own + 1)}", own
        case ast.Compare(op=op, left=left, right=right):
            return f"{sub(left, 6)} {op} {sub(right, 6)}", 5
        case ast.Member(value=value, items=items, negated=negated):
            word = "not in" if negated else "in"
            return f"{sub(value, 6)} {word} {sub(items)}", 5
        case ast.Cond(test=test, then=then, orelse=orelse):
            return f"if {sub(test)} then {sub(then)} else {sub(orelse)}", 1
    raise TypeError(f"not an expression node: {node!r}")


def dump(node: ast.Node) -> str:
    """A one-line S-expression of the tree, independent of layout and keyword language."""
    match node:
        case ast.Number(value=value, percent=percent):
            return number_text(value, percent)
        case ast.String(value=value):
            return json.dumps(value, ensure_ascii=False)
        case ast.Bool(value=value):
            return "true" if value else "false"
        case ast.Missing():
            return "missing"
        case ast.Name(name=name):
            return name
        case ast.Attribute(obj=obj, name=name):
            return f"(. {dump(obj)} {name})"
        case ast.Call(func=func, args=args, keywords=keywords):
            parts = [dump(a) for a in args] + [f"(= {k.name} {dump(k.value)})" for k in keywords]
            return "(call " + " ".join([func, *parts]) + ")"
        case ast.ListExpr(items=items):
            return "[" + " ".join(dump(i) for i in items) + "]"
        case ast.Unary(op=op, operand=operand):
            return f"({op} {dump(operand)})"
        case ast.Binary(op=op, left=left, right=right) | ast.Compare(op=op, left=left, right=right):
            return f"({op} {dump(left)} {dump(right)})"
        case ast.Logic(op=op, left=left, right=right):
            return f"({op} {dump(left)} {dump(right)})"
        case ast.Member(value=value, items=items, negated=negated):
            return f"({'not-in' if negated else 'in'} {dump(value)} {dump(items)})"
        case ast.Cond(test=test, then=then, orelse=orelse):
            return f"(if {dump(test)} {dump(then)} {dump(orelse)})"
    raise TypeError(f"not an expression node: {node!r}")
