"""Single-unit evaluation in plain Python, for explaining one unit's result.

It is written independently of the vectorized evaluator (Python floats and
None instead of numpy columns), so the property tests can hold the two against
each other. Cohort functions are the exception: a unit's rank depends on its
peers, so their value is read from the vectorized column of the population.
Every node's value can be recorded in ``trace`` for explanations.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.check import Compiled, constant_value
from kaohe_rules.dsl.evaluate import Run, require_columns, vectorize
from kaohe_rules.dsl.numeric import compare_scalar, near_scalar
from kaohe_rules.dsl.population import Population, from_column, value_at
from kaohe_rules.dsl.types import Type

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate_one(
    compiled: Compiled,
    population: Population,
    index: int,
    trace: dict[int, object] | None = None,
) -> tuple[object, list[Diagnostic]]:
    """The value for unit ``index`` (float, bool, str or None) and the warnings."""
    require_columns(compiled, population)
    interpreter = _Interpreter(compiled, population, index, trace)
    value = interpreter.visit(compiled.node)
    if isinstance(value, float) and not math.isfinite(value):
        interpreter.warn("KH161", "计算结果超出数值范围，按缺失处理", compiled.node)
        value = None
    return value, interpreter.warnings


class _Interpreter:
    def __init__(
        self,
        compiled: Compiled,
        population: Population,
        index: int,
        trace: dict[int, object] | None,
    ) -> None:
        self.compiled = compiled
        self.population = population
        self.index = index
        self.trace = trace
        self.warnings: list[Diagnostic] = []

    def warn(self, code: str, message: str, node: ast.Node) -> None:
        label = self.population.unit_label(self.index)
        text = f"{message}（1 个单位：{label}）"
        diagnostic = Diagnostic(code, text, node.span, severity=Severity.WARNING)
        if diagnostic not in self.warnings:
            self.warnings.append(diagnostic)

    def visit(self, node: ast.Node) -> object:
        value = getattr(self, "visit_" + type(node).__name__)(node)
        if self.trace is not None:
            self.trace[id(node)] = value
        return value

    def _type(self, node: ast.Node) -> Type:
        return self.compiled.type_of(node)

    def visit_Number(self, node: ast.Number) -> object:
        return node.value

    def visit_String(self, node: ast.String) -> object:
        return node.value

    def visit_Bool(self, node: ast.Bool) -> object:
        return node.value

    def visit_Missing(self, node: ast.Missing) -> object:
        return None

    def visit_Name(self, node: ast.Name) -> object:
        column = self.population.columns[self.compiled.symbols[id(node)]]
        return from_column(value_at(column, self.index), self._type(node))

    def visit_Attribute(self, node: ast.Attribute) -> object:
        if id(node) in self.compiled.symbols:
            column = self.population.columns[self.compiled.symbols[id(node)]]
            return from_column(value_at(column, self.index), self._type(node))
        record = self.visit(node.obj)
        return None if record is None else record.get(node.name)

    def visit_Unary(self, node: ast.Unary) -> object:
        value = self.visit(node.operand)
        if value is None:
            return None
        return -value if node.op == "-" else not value

    def visit_Binary(self, node: ast.Binary) -> object:
        a, b = self.visit(node.left), self.visit(node.right)
        if a is None or b is None:
            return None
        if node.op == "/" and b == 0:
            self.warn("KH160", "除数为零，结果按缺失处理", node)
            return None
        try:
            result = _ARITHMETIC[node.op](a, b)
        except OverflowError:
            result = math.inf
        if math.isinf(result) or math.isnan(result):
            self.warn("KH161", "计算结果超出数值范围，按缺失处理", node)
            return None
        return result

    def visit_Compare(self, node: ast.Compare) -> object:
        a, b = self.visit(node.left), self.visit(node.right)
        if a is None or b is None:
            return None
        if isinstance(a, float) or isinstance(b, float):
            return compare_scalar(node.op, a, b)
        return _COMPARE[node.op](a, b)

    def visit_Logic(self, node: ast.Logic) -> object:
        decided = node.op == "or"
        a = self.visit(node.left)
        if a is decided:
            return decided
        b = self.visit(node.right)
        if b is decided:
            return decided
        if a is None or b is None:
            return None
        return not decided

    def visit_Member(self, node: ast.Member) -> object:
        value = self.visit(node.value)
        items = self.visit(node.items)
        if value is None:
            return None
        if isinstance(value, float):
            found = any(item is not None and near_scalar(item, value) for item in items)
        else:
            found = any(item is not None and item == value for item in items)
        return found != node.negated

    def visit_ListExpr(self, node: ast.ListExpr) -> object:
        return [self.visit(item) for item in node.items]

    def visit_Cond(self, node: ast.Cond) -> object:
        test = self.visit(node.test)
        if test is None:
            return None
        return self.visit(node.then if test else node.orelse)

    def visit_Keyword(self, node: ast.Keyword) -> object:
        return self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> object:
        binding = self.compiled.bindings[id(node)]
        function = binding.function
        if function.cohort:
            return self._cohort(node)
        args: list[object] = []
        for param, value in zip(function.params, binding.values, strict=True):
            if isinstance(value, tuple):
                args.extend(self.visit(v) for v in value)
            elif not isinstance(value, ast.Node):
                args.append(value)
            elif param.const:
                args.append(constant_value(value))
            else:
                args.append(self.visit(value))
        return function.scalar(self._context(node), *args)

    def _context(self, node: ast.Node) -> Callable[..., None]:
        def warn(code: str, message: str, mask: object = True) -> None:
            self.warn(code, message, node)

        return warn

    def _cohort(self, node: ast.Call) -> object:
        """A cohort value: the unit's element of the column over the whole population."""
        key = ("cohort", id(node))
        cached = self.population.cache.get(key)
        # The node is kept in the entry so that a reused id() cannot match it.
        kind = self._type(node)
        if cached is None or cached[0] is not node:
            part = Compiled(node, kind, types=self.compiled.types)
            part.symbols, part.bindings = self.compiled.symbols, self.compiled.bindings
            run = Run(self.population)
            program = vectorize(part)
            if kind.kind == "record":  # history(n): a record of columns
                column = program.closure(run, None)
            else:
                column = program.evaluate(self.population, run)
            cached = self.population.cache[key] = (node, column, run.warnings())
        _node, column, warnings = cached
        self.warnings.extend(w for w in warnings if w not in self.warnings)
        if self.trace is not None:
            # Visited only to record their values: their warnings are the column's.
            kept, self.warnings = self.warnings, []
            for child in ast.children(node):
                self.visit(child)
            self.warnings = kept
        if kind.kind == "record":
            return {name: from_column(column[name][self.index], t) for name, t in kind.fields}
        return from_column(column[self.index], kind)
