"""Compile-time checking: names resolved, calls bound, types inferred, before any data.

The checker never edits the tree: it returns a Compiled value whose side tables
(keyed by node identity) give each node's type and each name's resolved symbol.
An erroneous part gets the type ``any`` so that one mistake is reported once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import field
from functools import cached_property

from kaohe_rules.diagnostics import Collector
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.functions import BUILTINS, REQUIRED, Function, Param
from kaohe_rules.dsl.hints import glued_keyword, suggest
from kaohe_rules.dsl.types import ANY, BOOL, MISSING, NUMBER, TEXT, Type, accepts, list_of, unify
from kaohe_rules.records import data_record
from kaohe_rules.source import Span


@data_record
class Symbol:
    """A name an expression may use: a data column, a parameter or an earlier result."""

    name: str
    type: Type
    description: str = ""


class Scope:
    """The names and functions visible to an expression."""

    def __init__(
        self,
        symbols: Mapping[str, Type] | Iterable[Symbol] = (),
        functions: Mapping[str, Function] = BUILTINS,
    ) -> None:
        if isinstance(symbols, Mapping):
            symbols = [Symbol(name, type_) for name, type_ in symbols.items()]
        self.symbols: dict[str, Symbol] = {s.name: s for s in symbols}
        self.functions = functions

    @cached_property
    def namespaces(self) -> set[str]:
        """The prefixes of dotted names (``unit`` of ``unit.山区县``): read only to explain
        an unknown name, so made then, not for each of a rule set's hundreds of formulas."""
        return {
            ".".join(parts[:i])
            for parts in (name.split(".") for name in self.symbols)
            for i in range(1, len(parts))
        }

    def children(self, prefix: str) -> list[str]:
        """The attribute names under a namespace, e.g. the fields of ``unit``."""
        start = prefix + "."
        return [n[len(start) :] for n in self.symbols if n.startswith(start)]


@data_record
class Binding:
    """A call's arguments matched to the function's parameters, in parameter order."""

    function: Function
    values: tuple[object, ...]  # a Node, a tuple of Nodes (variadic), or a default


@data_record(frozen=False)
class Compiled:
    """A checked expression, ready for either evaluator."""

    node: ast.Node
    type: Type
    source: str = ""
    types: dict[int, Type] = field(default_factory=dict)
    symbols: dict[int, str] = field(default_factory=dict)
    bindings: dict[int, Binding] = field(default_factory=dict)

    def type_of(self, node: ast.Node) -> Type:
        """The inferred type of any node of this expression."""
        return self.types[id(node)]

    @property
    def names(self) -> frozenset[str]:
        """Every symbol the expression reads (kept: each evaluation asks; rebuilt if a
        symbol was added since)."""
        kept = self.__dict__.get("_names")
        if kept is None or kept[0] != len(self.symbols):
            kept = self.__dict__["_names"] = (len(self.symbols), frozenset(self.symbols.values()))
        return kept[1]


_EXPECT = {
    "bool": ("KH131", "此处需要条件（真假值），而表达式的结果是{actual}"),
    "number": ("KH130", "此处需要数值，而表达式的结果是{actual}"),
    "text": ("KH130", "此处需要文本，而表达式的结果是{actual}"),
}


def check(node: ast.Node, scope: Scope, expect: Type | None = None, source: str = "") -> Compiled:
    """Check ``node`` against ``scope``; raise KaoheError listing every problem found."""
    checker = _Checker(scope, Compiled(node, ANY, source))
    result = checker.visit(node)
    checker.require_value(result, node)
    if expect is not None and not accepts(expect, result):
        code, message = _EXPECT.get(
            expect.kind, ("KH130", "此处需要" + expect.label + "，而表达式的结果是{actual}")
        )
        checker.errors.error(code, message.format(actual=result.label), node.span)
    checker.errors.raise_if_errors()
    checker.out.type = result
    return checker.out


class _Checker:
    def __init__(self, scope: Scope, out: Compiled) -> None:
        self.scope = scope
        self.out = out
        self.errors = Collector()

    def require_value(self, kind: Type, node: ast.Node) -> bool:
        """A list or a record cannot stand where a single value is needed."""
        if kind.kind == "list":
            message = "列表只能写在 in/属于 之后或作为函数参数"
            self.errors.error("KH136", message, node.span)
        elif kind.kind == "record":
            names = "、".join(name for name, _ in kind.fields)
            self.errors.error(
                "KH134", f"这里需要取出一个字段（{names}）", node.span, "如 history(1).等次"
            )
        else:
            return True
        return False

    def visit(self, node: ast.Node) -> Type:
        method = getattr(self, "visit_" + type(node).__name__)
        result = method(node)
        self.out.types[id(node)] = result
        return result

    def visit_Number(self, node: ast.Number) -> Type:
        return NUMBER

    def visit_String(self, node: ast.String) -> Type:
        return TEXT

    def visit_Bool(self, node: ast.Bool) -> Type:
        return BOOL

    def visit_Missing(self, node: ast.Missing) -> Type:
        return MISSING

    def visit_Name(self, node: ast.Name) -> Type:
        symbol = self.scope.symbols.get(node.name)
        if symbol is not None:
            self.out.symbols[id(node)] = symbol.name
            return symbol.type
        if node.name in self.scope.functions:
            self.errors.error(
                "KH110", f"{node.name} 是函数，调用时需要括号", node.span, f"写成 {node.name}(…)"
            )
        elif node.name in self.scope.namespaces:
            fields = "、".join(sorted(self.scope.children(node.name))[:10])
            self.errors.error(
                "KH110",
                f"{node.name} 需要写明字段",
                node.span,
                f"如 {node.name}.字段，可用：{fields}",
            )
        else:
            hint = suggest(node.name, self._known_names())
            if glued_keyword(node.name):
                hint = "关键字 '如果' 与后面的名称之间需要空格"
            self.errors.error("KH110", f"未知名称 '{node.name}'", node.span, hint)
        return ANY

    def _known_names(self) -> list[str]:
        return list(self.scope.symbols) + sorted(self.scope.namespaces)

    def visit_Attribute(self, node: ast.Attribute) -> Type:
        path = _dotted(node)
        if path is not None and path in self.scope.symbols:
            self.out.symbols[id(node)] = path
            return self.scope.symbols[path].type
        if path is not None:
            prefix = path.rsplit(".", 1)[0]
            if prefix in self.scope.namespaces:
                hint = suggest(node.name, self.scope.children(prefix))
                self.errors.error("KH112", f"{prefix} 没有字段 '{node.name}'", node.span, hint)
                return ANY
        base = self.visit(node.obj)
        if base == ANY:
            return ANY
        field_type = base.field(node.name) if base.kind == "record" else None
        if field_type is None:
            names = [name for name, _ in base.fields]
            self.errors.error(
                "KH112",
                f"{base.label}没有字段 '{node.name}'",
                node.span,
                suggest(node.name, names) or ("可用字段：" + "、".join(names) if names else None),
            )
            return ANY
        return field_type

    def visit_ListExpr(self, node: ast.ListExpr) -> Type:
        elem: Type = MISSING
        for item in node.items:
            item_type = self.visit(item)
            if item_type.kind in ("list", "record"):
                self.errors.error("KH136", "列表不能嵌套，列表中只能是单个的值", item.span)
                return ANY
            joined = unify(elem, item_type)
            if joined is None:
                message = f"列表中的值类型不一致：前面是{elem.label}，这里是{item_type.label}"
                self.errors.error("KH136", message, item.span)
                return ANY
            elem = joined
        return list_of(elem)

    def visit_Unary(self, node: ast.Unary) -> Type:
        operand = self.visit(node.operand)
        if node.op == "-":
            self._require(operand, NUMBER, node.operand, "KH130", "负号只能用于数值")
            return NUMBER
        self._require(operand, BOOL, node.operand, "KH131", "not/非 只能用于条件")
        return BOOL

    def visit_Binary(self, node: ast.Binary) -> Type:
        for side in (node.left, node.right):
            kind = self.visit(side)
            hint = "真假值可写成 if 条件 then 1 else 0" if kind == BOOL else None
            self._require(kind, NUMBER, side, "KH130", f"'{node.op}' 只能用于数值", hint)
        return NUMBER

    def visit_Compare(self, node: ast.Compare) -> Type:
        left, right = self.visit(node.left), self.visit(node.right)
        if MISSING in (left, right):
            self.errors.error(
                "KH135",
                "与 missing 比较的结果总是缺失",
                node.span,
                "判断是否缺失请用 is_missing(x)",
            )
        elif node.op in ("<", "<=", ">", ">="):
            for side, kind in ((node.left, left), (node.right, right)):
                self._require(kind, NUMBER, side, "KH132", f"'{node.op}' 只能比较数值")
        elif not (self.require_value(left, node.left) and self.require_value(right, node.right)):
            pass
        elif unify(left, right) is None:
            self.errors.error(
                "KH132",
                f"不能比较{left.label}与{right.label}",
                node.span,
                _compare_hint(left, right),
            )
        return BOOL

    def visit_Logic(self, node: ast.Logic) -> Type:
        word = "and/且" if node.op == "and" else "or/或"
        for side in (node.left, node.right):
            kind = self.visit(side)
            hint = "条件需要比较，如 x > 0" if kind == NUMBER else None
            self._require(kind, BOOL, side, "KH131", f"{word} 两边需要条件", hint)
        return BOOL

    def visit_Member(self, node: ast.Member) -> Type:
        value = self.visit(node.value)
        items = self.visit(node.items)
        for part in (node.value, *node.items.items):
            if isinstance(part, ast.Missing):
                message = "与 missing 比较的结果总是缺失，列表中的 missing 也不会匹配任何值"
                self.errors.error("KH135", message, part.span, "判断是否缺失请用 is_missing(x)")
        if not self.require_value(value, node.value):
            return BOOL
        if items != ANY and unify(value, items.elem) is None:
            self.errors.error("KH132", f"不能在{items.label}中查找{value.label}", node.value.span)
        return BOOL

    def visit_Cond(self, node: ast.Cond) -> Type:
        test = self.visit(node.test)
        hint = "条件需要比较，如 x > 0" if test == NUMBER else None
        self._require(test, BOOL, node.test, "KH131", "如果/if 之后需要条件", hint)
        then, orelse = self.visit(node.then), self.visit(node.orelse)
        if not (self.require_value(then, node.then) and self.require_value(orelse, node.orelse)):
            return ANY
        joined = unify(then, orelse)
        if joined is None:
            self.errors.error(
                "KH133",
                f"两个分支的类型不同：则/then 是{then.label}，否则/else 是{orelse.label}",
                node.orelse.span,
            )
            return ANY
        return joined

    def visit_Keyword(self, node: ast.Keyword) -> Type:
        return self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> Type:
        function = self.scope.functions.get(node.func)
        if function is None:
            for arg in node.args + node.keywords:
                self.visit(arg)
            hint = suggest(node.func, self.scope.functions)
            where = node.span
            name_span = Span(
                where.file, where.line, where.column, where.line, where.column + len(node.func)
            )
            self.errors.error("KH111", f"未知函数 '{node.func}'", name_span, hint)
            return ANY
        binding = _bind(function, node, self.errors)
        if binding is None:
            for arg in node.args + node.keywords:
                self.visit(arg)
            return ANY
        self.out.bindings[id(node)] = binding
        return self._check_arguments(function, binding, node)

    def _check_arguments(self, function: Function, binding: Binding, node: ast.Call) -> Type:
        shared: Type = MISSING
        for param, value in zip(function.params, binding.values, strict=True):
            nodes = value if isinstance(value, tuple) else (value,)
            for arg in nodes:
                if not isinstance(arg, ast.Node):
                    continue
                kind = self.visit(arg)
                self._check_argument(function, param, arg, kind)
                joined = unify(shared, kind)
                if function.result is None and joined is None:
                    self.errors.error(
                        "KH134",
                        f"{function.name} 的参数类型须一致：{shared.label}与{kind.label}",
                        arg.span,
                    )
                shared = joined or ANY
        if function.aligned_lists:
            _check_aligned_lists(function, binding, self.errors)
        return function.result if function.result is not None else shared

    def _check_argument(self, function: Function, param: Param, arg: ast.Node, kind: Type) -> None:
        where = f"{function.name} 的参数 {param.name}"
        if param.type.kind == "list" and not isinstance(arg, ast.ListExpr):
            self.errors.error("KH136", f"{where} 须写成列表，如 [1, 2, 3]", arg.span)
            return
        if param.type.kind != "list" and not self.require_value(kind, arg):
            return
        if not accepts(param.type, kind):
            self.errors.error(
                "KH134", f"{where} 需要{param.type.label}，而这里是{kind.label}", arg.span
            )
            return
        if param.const:
            _check_constant(function, param, arg, self.errors)

    def _require(
        self,
        actual: Type,
        wanted: Type,
        node: ast.Node,
        code: str,
        message: str,
        hint: str | None = None,
    ) -> None:
        if not accepts(wanted, actual):
            self.errors.error(code, f"{message}，而这里是{actual.label}", node.span, hint)


def _dotted(node: ast.Node) -> str | None:
    """``unit.山区县`` for a chain of names, None when a call is in the chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.name)
        node = node.obj
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.name)
    return ".".join(reversed(parts))


def _compare_hint(left: Type, right: Type) -> str | None:
    if {left, right} == {TEXT, NUMBER}:
        return "文本要加双引号比较，数值不加引号；检查两边是否同一类数据"
    return None


def _bind(function: Function, node: ast.Call, errors: Collector) -> Binding | None:
    """Match positional and keyword arguments to parameters; report what does not fit."""
    params = function.params
    values: list[object] = [p.default for p in params]
    args = list(node.args)
    if function.variadic:
        if not args:
            errors.error("KH120", f"{function.name} 至少需要 1 个参数", node.span)
            return None
        values[0] = tuple(args)
        args = []
    elif len(args) > len(params):
        errors.error(
            "KH120",
            f"{function.name} 最多接受 {len(params)} 个参数，这里有 {len(args)} 个",
            args[len(params)].span,
            "参数：" + "、".join(p.name for p in params),
        )
        return None
    for i, arg in enumerate(args):
        values[i] = arg
    for keyword in node.keywords:
        index = next((i for i, p in enumerate(params) if p.name == keyword.name), None)
        if index is None or (function.variadic and index == 0):
            allowed = "、".join(p.name for p in params[1 if function.variadic else 0 :])
            errors.error(
                "KH121",
                f"{function.name} 没有参数 '{keyword.name}'",
                keyword.span,
                f"可用的参数：{allowed}" if allowed else None,
            )
            return None
        if isinstance(values[index], ast.Node):
            errors.error("KH122", f"参数 {keyword.name} 已按位置给出", keyword.span)
            return None
        values[index] = keyword.value
    missing = [p.name for p, v in zip(params, values, strict=True) if v is REQUIRED]
    if missing:
        errors.error("KH120", f"{function.name} 缺少参数：" + "、".join(missing), node.span)
        return None
    return Binding(function, tuple(values))


def constant_value(node: ast.Node) -> object:
    """The value of a literal (numbers may carry a minus sign), else a sentinel."""
    if isinstance(node, ast.Number | ast.String | ast.Bool):
        return node.value
    if isinstance(node, ast.Unary) and node.op == "-" and isinstance(node.operand, ast.Number):
        return -node.operand.value
    return NOT_CONSTANT


NOT_CONSTANT = object()  # what constant_value gives for a node that is not a literal


def _check_constant(function: Function, param: Param, arg: ast.Node, errors: Collector) -> None:
    value = constant_value(arg)
    where = f"{function.name} 的参数 {param.name}"
    if value is NOT_CONSTANT:
        errors.error("KH150", f"{where} 须是常量", arg.span)
    elif param.choices and value not in param.choices:
        errors.error(
            "KH150", f"{where} 不能是 {value!r}", arg.span, "可选：" + "、".join(param.choices)
        )
    elif param.rule is not None and (problem := param.rule(value)):
        errors.error("KH150", f"{where} {problem}", arg.span)


def _check_aligned_lists(function: Function, binding: Binding, errors: Collector) -> None:
    """Paired lists (steps' thresholds and shares) have equal, non-zero lengths;
    the first, when constant, is strictly monotone."""
    lists = [v for v in binding.values if isinstance(v, ast.ListExpr)]
    if len(lists) < 2:
        return
    thresholds, shares = lists[0], lists[1]
    if not thresholds.items or len(thresholds.items) != len(shares.items):
        counts = f"档位有 {len(thresholds.items)} 个，得分率有 {len(shares.items)} 个"
        message = f"{function.name} 的{counts}，须一样多且不为空"
        errors.error("KH150", message, shares.span)
        return
    known = [constant_value(item) for item in thresholds.items]
    if all(v is not NOT_CONSTANT for v in known) and len(known) > 1:
        rising = all(a < b for a, b in itertools.pairwise(known))
        falling = all(a > b for a, b in itertools.pairwise(known))
        if not (rising or falling):
            errors.error(
                "KH150",
                f"{function.name} 的档位须严格递增（越高越好）或严格递减（越低越好）",
                thresholds.span,
            )
