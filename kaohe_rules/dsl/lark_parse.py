"""The Lark facade: expression text to AST, with Lark's errors turned into Diagnostics.

This is the only module that imports lark, and parser.py imports it only for a text it
has neither parsed in this process nor kept from an earlier one (kept_trees.py). The
parser builds the AST during the LALR parse (an inline transformer), so deep input cannot
exhaust Python's stack.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from kaohe_rules import user_cache
from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.brackets import OPENERS, end_position, unclosed_bracket
from kaohe_rules.dsl.hints import after_comparison, expected_hint, glued_keyword, invisible_hint
from kaohe_rules.resources import data_path
from kaohe_rules.source import Origin, Span

MAX_STRING = 1_000
MAX_NUMBER = 1e308

_ESCAPE = re.compile(r"\\(.)")
_COMPARE_OPS = {"≥": ">=", "≤": "<=", "≠": "!="}


class _Problem(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


class _Builder(Transformer):
    """Builds AST nodes as the parser reduces; ``origin`` is set for each parse."""

    origin = Origin()

    def _span(self, first: object, last: object) -> Span:
        start = first.span if isinstance(first, ast.Node) else self._token_span(first)
        end = last.span if isinstance(last, ast.Node) else self._token_span(last)
        return start.to(end)

    def _token_span(self, tok: Token) -> Span:
        return self.origin.span(tok.line, tok.column, tok.end_line, tok.end_column)

    def number(self, children: list) -> ast.Node:
        tok = children[0]
        text = str(tok)
        percent = text[-1] in "%％"
        digits = text[:-1] if percent else text
        try:
            exact = Decimal(digits) / 100 if percent else Decimal(digits)
            value = float(exact)
        except (InvalidOperation, OverflowError):
            value = math.inf
        if not abs(value) < MAX_NUMBER:
            raise _Problem(
                Diagnostic(
                    "KH142",
                    f"数值 {_clip(text)} 超出可表示的范围",
                    self._token_span(tok),
                    "数值的绝对值须小于 1e308",
                )
            )
        return ast.Number(value, percent, span=self._token_span(tok))

    def string(self, children: list) -> ast.Node:
        tok = children[0]
        raw = str(tok)
        if len(raw) - 2 > MAX_STRING:
            raise _Problem(
                Diagnostic(
                    "KH143",
                    f"文本长度 {len(raw) - 2} 超过上限 {MAX_STRING} 个字符",
                    self._token_span(tok),
                )
            )
        body = raw[1:-1]
        if raw[0] == '"':
            body = _ESCAPE.sub(r"\1", body)
        return ast.String(body, span=self._token_span(tok))

    def true(self, children: list) -> ast.Node:
        return ast.Bool(True, span=self._token_span(children[0]))

    def false(self, children: list) -> ast.Node:
        return ast.Bool(False, span=self._token_span(children[0]))

    def missing(self, children: list) -> ast.Node:
        return ast.Missing(span=self._token_span(children[0]))

    def name(self, children: list) -> ast.Node:
        return ast.Name(str(children[0]), span=self._token_span(children[0]))

    def group(self, children: list) -> ast.Node:
        return children[1]

    def attribute(self, children: list) -> ast.Node:
        obj, _dot, name = children
        return ast.Attribute(obj, str(name), span=self._span(obj, name))

    def call(self, children: list) -> ast.Node:
        func, _lpar, arguments, rpar = children
        args: list[ast.Node] = []
        keywords: list[ast.Keyword] = []
        for arg in arguments or []:
            if isinstance(arg, ast.Keyword):
                if any(k.name == arg.name for k in keywords):
                    raise _Problem(Diagnostic("KH122", f"参数 {arg.name} 重复给出", arg.span))
                keywords.append(arg)
            elif keywords:
                raise _Problem(
                    Diagnostic(
                        "KH122",
                        "位置参数不能写在关键字参数之后",
                        arg.span,
                        "先写位置参数，再写 名称=值 形式的参数",
                    )
                )
            else:
                args.append(arg)
        return ast.Call(str(func), tuple(args), tuple(keywords), span=self._span(func, rpar))

    def arguments(self, children: list) -> list:
        return [c for c in children if isinstance(c, ast.Node)]

    def keyword(self, children: list) -> ast.Node:
        name, _eq, value = children
        return ast.Keyword(str(name), value, span=self._span(name, value))

    def list_(self, children: list) -> ast.Node:
        items = tuple(c for c in children if isinstance(c, ast.Node))
        return ast.ListExpr(items, span=self._span(children[0], children[-1]))

    def neg(self, children: list) -> ast.Node:
        op, operand = children
        return ast.Unary("-", operand, span=self._span(op, operand))

    def not_(self, children: list) -> ast.Node:
        op, operand = children
        return ast.Unary("not", operand, span=self._span(op, operand))

    def binary(self, children: list) -> ast.Node:
        left, op, right = children
        return ast.Binary(str(op), left, right, span=self._span(left, right))

    def compare(self, children: list) -> ast.Node:
        left, op, right = children
        symbol = _COMPARE_OPS.get(str(op), str(op))
        return ast.Compare(symbol, left, right, span=self._span(left, right))

    def logic(self, children: list) -> ast.Node:
        left, op, right = children
        word = "and" if op.type.startswith("AND") else "or"
        return ast.Logic(word, left, right, span=self._span(left, right))

    def member(self, children: list) -> ast.Node:
        value, items = children[0], children[-1]
        return ast.Member(value, items, False, span=self._span(value, items))

    def not_member(self, children: list) -> ast.Node:
        value, items = children[0], children[-1]
        return ast.Member(value, items, True, span=self._span(value, items))

    def cond(self, children: list) -> ast.Node:
        kw, test, _then, then, _else, orelse = children
        return ast.Cond(test, then, orelse, span=self._span(kw, orelse))


_BUILDER = _Builder()
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = data_path("grammar", "kaohe.lark").read_text(encoding="utf-8")
    options = {"parser": "lalr", "transformer": _BUILDER, "maybe_placeholders": True}
    return Lark(grammar, cache=_cache_file(grammar), **options)


def _cache_file(grammar: str) -> str | bool:
    """Where the built parser is cached: the user's own cache folder, not shared /tmp.

    Building the LALR tables takes ~50 ms, loading them ~5 ms. The cache is a
    pickle, so it lives where only this user can write; Lark checks the
    grammar's hash on load and rebuilds when it differs or the file is broken.
    """
    folder = user_cache.folder()
    if folder is None:
        return False
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    path = folder / f"kaohe-{lark.__version__}-{digest}.lark"
    # Lark opens it as it is: a named pipe there would block every parse.
    return str(path) if user_cache.regular_or_absent(path) else False


def parse_text(text: str, origin: Origin) -> ast.Node:
    """The Lark parse of ``text``, its places mapped through ``origin``; KaoheError with
    one KH1xx diagnostic if Lark refuses it."""
    with _LOCK:
        _BUILDER.origin = origin
        try:
            return _lark().parse(text)
        except _Problem as problem:
            raise KaoheError([problem.diagnostic]) from None
        except UnexpectedInput as error:
            raise KaoheError([_translate(error, text, origin)]) from None


def _translate(error: UnexpectedInput, text: str, origin: Origin) -> Diagnostic:
    """Turn a Lark error into one Diagnostic that names the slip in the user's words."""
    if isinstance(error, UnexpectedCharacters):
        return _bad_character(error, text, origin)
    assert isinstance(error, UnexpectedToken)
    tok = error.token
    if tok.type == "$END":
        return _unexpected_end(error, text, origin)
    span = origin.span(tok.line, tok.column, tok.end_line, tok.end_column)
    expected = _acceptable(error)
    prefix = text[: tok.start_pos]
    if tok.type == "EQUAL":
        return Diagnostic("KH107", "'=' 不是比较运算符", span, "判断相等请用 '=='")
    if tok.type == "COMP_OP" and "COMP_OP" not in expected and after_comparison(prefix):
        return Diagnostic(
            "KH106",
            f"比较运算不能连写：第二个 '{tok}'",
            span,
            "把 a < b < c 写成 a < b and b < c",
        )
    hint = expected_hint(expected)
    # 如果 glued to a name (如果x>3则…) shows as a stray 则/否则, or as that name.
    stray = tok.type.startswith(("THEN", "ELSE")) and glued_keyword(prefix)
    if stray or (tok.type == "NAME" and glued_keyword(str(tok))):
        hint = "关键字 '如果' 与后面的文字之间需要空格"
    return Diagnostic("KH101", f"此处不应出现 '{_clip(str(tok))}'", span, hint)


def _acceptable(error: UnexpectedToken) -> set[str]:
    """What the parser would accept here: exact when Lark can tell, else its rough set."""
    try:
        return set(error.interactive_parser.accepts())
    except Exception:  # accepts() replays the parse; any failure falls back to the estimate
        return set(error.expected)


def _bad_character(error: UnexpectedCharacters, text: str, origin: Origin) -> Diagnostic:
    char = error.char
    span = origin.span(error.line, error.column, error.line, error.column + 1)
    if char in '"“':
        return Diagnostic("KH105", "文本缺少结束引号", span, '文本写在一对双引号之间，如 "优秀"')
    return Diagnostic(
        "KH104",
        f"无法识别的字符 '{char}'（U+{ord(char):04X}）",
        span,
        invisible_hint(char),
    )


def _unexpected_end(error: UnexpectedToken, text: str, origin: Origin) -> Diagnostic:
    opener = unclosed_bracket(text)
    if opener is not None:
        line, column, char = opener
        return Diagnostic(
            "KH103",
            f"括号 '{char}' 没有闭合",
            origin.span(line, column, line, column + 1),
            f"在表达式末尾补上 '{OPENERS[char]}'",
        )
    line, column = end_position(text)
    return Diagnostic(
        "KH102",
        "表达式不完整",
        origin.span(line, column, line, column + 1),
        expected_hint(set(error.expected)),
    )


def _clip(text: str, width: int = 20) -> str:
    return text if len(text) <= width else text[:width] + "…"
