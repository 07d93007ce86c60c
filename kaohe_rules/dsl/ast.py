"""Expression nodes: small frozen dataclasses, each carrying the span it came from.

Equality ignores spans, so two parses of the same formula compare equal whatever
their layout, keywords (English or Chinese) or brackets (ASCII or full-width).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field

from kaohe_rules.records import data_record
from kaohe_rules.source import Span

NO_SPAN = Span("<生成>", 1, 1, 1, 1)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


@data_record(slots=True)
class Node:
    """Base of every expression node."""


@data_record(slots=True)
class Number(Node):
    """A number literal; ``percent`` records that it was written as ``10%``."""

    value: float
    percent: bool = False
    span: Span = _span()


@data_record(slots=True)
class String(Node):
    """A text literal."""

    value: str
    span: Span = _span()


@data_record(slots=True)
class Bool(Node):
    """``true``/``是`` or ``false``/``否``."""

    value: bool
    span: Span = _span()


@data_record(slots=True)
class Missing(Node):
    """The ``missing``/``缺失`` literal."""

    span: Span = _span()


@data_record(slots=True)
class Name(Node):
    """A bare identifier: a data column, a parameter or an earlier result."""

    name: str
    span: Span = _span()


@data_record(slots=True)
class Attribute(Node):
    """Dotted access, ``unit.山区县`` or ``history(1).tier``."""

    obj: Node
    name: str
    span: Span = _span()


@data_record(slots=True)
class Keyword(Node):
    """A keyword argument inside a call, ``desc=true``."""

    name: str
    value: Node
    span: Span = _span()


@data_record(slots=True)
class Call(Node):
    """A function call with positional and keyword arguments."""

    func: str
    args: tuple[Node, ...] = ()
    keywords: tuple[Keyword, ...] = ()
    span: Span = _span()


@data_record(slots=True)
class ListExpr(Node):
    """A bracketed list, allowed after ``in`` and as a function argument."""

    items: tuple[Node, ...]
    span: Span = _span()


@data_record(slots=True)
class Unary(Node):
    """``-x`` or ``not x``; ``op`` is ``-`` or ``not``."""

    op: str
    operand: Node
    span: Span = _span()


@data_record(slots=True)
class Binary(Node):
    """Arithmetic: ``op`` is one of ``+ - * /``."""

    op: str
    left: Node
    right: Node
    span: Span = _span()


@data_record(slots=True)
class Compare(Node):
    """A comparison; ``op`` is one of ``== != < <= > >=`` (≥ ≤ ≠ are normalised)."""

    op: str
    left: Node
    right: Node
    span: Span = _span()


@data_record(slots=True)
class Logic(Node):
    """``and``/``且`` or ``or``/``或`` with three-valued (Kleene) semantics."""

    op: str
    left: Node
    right: Node
    span: Span = _span()


@data_record(slots=True)
class Member(Node):
    """``x in [a, b]``; ``negated`` for ``not in``/``不属于``."""

    value: Node
    items: ListExpr
    negated: bool = False
    span: Span = _span()


@data_record(slots=True)
class Cond(Node):
    """``if test then a else b`` / ``如果 … 则 … 否则 …``."""

    test: Node
    then: Node
    orelse: Node
    span: Span = _span()


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    match node:
        case Attribute(obj=obj):
            return (obj,)
        case Keyword(value=value):
            return (value,)
        case Call(args=args, keywords=keywords):
            return args + keywords
        case ListExpr(items=items):
            return items
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right) | Compare(left=left, right=right):
            return (left, right)
        case Logic(left=left, right=right):
            return (left, right)
        case Member(value=value, items=items):
            return (value, items)
        case Cond(test=test, then=then, orelse=orelse):
            return (test, then, orelse)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every sub-expression below it, parents before their children, without
    recursion (an expression may be 100 deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def depth(node: Node) -> tuple[int, Node]:
    """The nesting depth of ``node`` and its deepest node, without recursion."""
    best, deepest = 1, node
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        if level > best:
            best, deepest = level, current
        stack.extend((child, level + 1) for child in children(current))
    return best, deepest
