"""Expression text to AST: the limits on a formula, each text parsed once per process
and placed wherever it occurs, trees kept between runs (kept_trees.py), and Lark
(lark_parse.py, imported only for a text neither holds).
"""

from __future__ import annotations

import dataclasses

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl import ast, kept_trees
from kaohe_rules.dsl.brackets import too_deep
from kaohe_rules.source import Origin, Span

MAX_LENGTH = 10_000
MAX_DEPTH = 100


def parse(text: str, origin: Origin | None = None) -> ast.Node:
    """Parse one expression; raise KaoheError with KH1xx diagnostics if it is invalid."""
    origin = origin or Origin()
    if len(text) > MAX_LENGTH:
        raise KaoheError(
            [
                Diagnostic(
                    "KH140",
                    f"表达式长度 {len(text)} 超过上限 {MAX_LENGTH} 个字符",
                    origin.span(1, 1, 1, 2),
                    "把长公式拆成几个指标或中间结果",
                )
            ]
        )
    deep = too_deep(text, MAX_DEPTH)
    if deep is not None:
        line, column = deep
        raise KaoheError(
            [
                Diagnostic(
                    "KH141",
                    f"括号嵌套超过上限 {MAX_DEPTH} 层",
                    origin.span(line, column, line, column + 1),
                    "把深层嵌套拆成几个中间结果",
                )
            ]
        )
    own, new = _own_parse(text, origin)
    level, deepest = ast.depth(own)
    if level <= MAX_DEPTH and new:
        kept_trees.keep(text, own, _OWN_FILE)  # a text refused for its depth is never kept
    if level > MAX_DEPTH:
        raise KaoheError(
            [
                Diagnostic(
                    "KH141",
                    f"表达式嵌套 {level} 层，超过上限 {MAX_DEPTH} 层",
                    _place(deepest.span, origin),
                    "把深层嵌套拆成几个中间结果",
                )
            ]
        )
    return _placed(own, origin)


# A rule set writes one formula text in many places (满分 * linear(值, 下限值, 目标值) twenty
# times in rules/2024): each text is parsed once, in its own coordinates, and placed in the
# file wherever it occurs; a text the parser refuses is parsed again at its place, so every
# diagnostic points into the file.
_OWN_FILE = "<表达式自身>"
_OWN = Origin(file=_OWN_FILE)
_PARSED: dict[str, ast.Node] = {}
_PARSED_MOST = 4096
_FIELDS: dict[type, tuple[str, ...]] = {}


def _own_parse(text: str, origin: Origin) -> tuple[ast.Node, bool]:
    """The tree of ``text`` in its own coordinates, parsed once, and whether Lark has just
    parsed it (neither this process nor the kept trees held it); a text the parser
    refuses raises its diagnostic placed at ``origin`` in the file."""
    own = _PARSED.get(text)
    if own is not None:
        return own, False
    own = kept_trees.tree(text, _OWN_FILE)
    new = own is None
    if new:
        try:
            own = _parse(text, _OWN)
        except KaoheError:
            _parse(text, origin)  # raises the same refusal, at its place in the file
            raise
    if len(_PARSED) >= _PARSED_MOST:
        _PARSED.clear()
    _PARSED[text] = own
    return own, new


def _place(span: Span, origin: Origin) -> Span:
    if span.file != _OWN_FILE:
        return span
    return origin.span(span.line, span.column, span.end_line, span.end_column)


def _parse(text: str, origin: Origin) -> ast.Node:
    """Lark's parse of ``text``, its places mapped through ``origin``."""
    from kaohe_rules.dsl.lark_parse import parse_text  # imports lark: only when it parses

    return parse_text(text, origin)


def _placed(node: object, origin: Origin) -> object:
    """A tree parsed in its text's own coordinates, with every place mapped into the file."""
    if isinstance(node, tuple):
        return tuple(_placed(child, origin) for child in node)
    if not isinstance(node, ast.Node):
        return node
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        # every field of a node is an argument of its __init__, in order (no init=False,
        # no keyword-only): the node is made again as dataclasses.replace would, faster
        fields = dataclasses.fields(node)
        assert all(f.init and not f.kw_only for f in fields), kind
        names = _FIELDS[kind] = tuple(f.name for f in fields)
    values = []
    for name in names:
        value = getattr(node, name)
        if isinstance(value, Span):
            value = _place(value, origin)
        elif isinstance(value, ast.Node | tuple):
            value = _placed(value, origin)
        values.append(value)
    return kind(*values)
