"""Vectorized evaluation: a checked expression runs once over a whole population.

Each node compiles to a closure over numpy columns, so evaluation costs a few
numpy passes per node whatever the number of units, and no Python loop runs per
unit. Warnings (division by zero, overflow) are recorded only for the units
whose branch of an ``if`` or ``and``/``or`` was actually taken, so a guarded
formula such as ``if x == 0 then 0 else y / x`` raises none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from kaohe_rules.diagnostics import Diagnostic, KaoheError, Severity
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.check import Compiled, constant_value
from kaohe_rules.dsl.columns import choose, missing_mask
from kaohe_rules.dsl.numeric import compare_vector, near_vector
from kaohe_rules.dsl.population import Population
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT
from kaohe_rules.records import data_record
from kaohe_rules.source import Span

Active = np.ndarray | None  # the units whose value matters here; None: all of them
Closure = Callable[["Run", Active], object]

_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_COMPARE = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


class Run:
    """One evaluation: the population, and the warnings gathered so far."""

    def __init__(self, population: Population, branches: dict | None = None) -> None:
        self.population = population
        self.problems: dict[tuple[str, Span], tuple[str, np.ndarray]] = {}
        # For `kaohe test --coverage`: id(if-node) -> (node, {True, False} outcomes seen).
        self.branches = branches

    def warn(self, code: str, message: str, span: Span, mask: object, active: Active) -> None:
        """Record a warning for the units in ``mask`` that are active."""
        hits = np.broadcast_to(np.asarray(mask, dtype=bool), self.population.size)
        if active is not None:
            hits = hits & active
        if not hits.any():
            return
        key = (code, span)
        if key in self.problems:
            hits = hits | self.problems[key][1]
        self.problems[key] = (message, hits)

    def warnings(self) -> list[Diagnostic]:
        """The recorded warnings, each naming the first units it concerns."""
        out = []
        for (code, span), (message, hits) in self.problems.items():
            indexes = np.flatnonzero(hits)
            names = "、".join(self.population.unit_label(i) for i in indexes[:5])
            more = "等" if len(indexes) > 5 else ""
            text = f"{message}（{len(indexes)} 个单位：{names}{more}）"
            out.append(Diagnostic(code, text, span, severity=Severity.WARNING))
        return out


@data_record(frozen=False)
class _CallContext:
    run: Run
    span: Span
    active: Active

    @property
    def size(self) -> int:
        return self.run.population.size

    @property
    def population(self) -> Population:
        return self.run.population

    def groups(self, by: object) -> np.ndarray:
        return self.run.population.groups(by)

    def __call__(self, code: str, message: str, mask: object = True) -> None:
        self.run.warn(code, message, self.span, mask, self.active)


class _Fallback(Exception):
    """The fast path met a warning to give: the closures run the formula and give it."""


class _Quiet:
    """The fast path's call context: a function that would warn sends it back."""

    def __call__(self, code: str, message: str, mask: object = True) -> None:
        if np.any(mask):
            raise _Fallback


_QUIET = _Quiet()
# Functions the fast path calls without switching numpy's error state: they only take
# minima and maxima, which raise no floating-point flag, NaN or not.
_FLAGLESS = frozenset({"min", "max"})
Fast = Callable[[Mapping[str, object]], object]


@data_record
class Vectorized:
    """A compiled expression: ``evaluate(population)`` gives one value per unit."""

    compiled: Compiled
    closure: Closure
    # The same computation as plain numpy calls over the columns (None: not available
    # for this formula); see _Compiler.fast.
    fast: Fast | None = None
    # Made of arithmetic, min and max only: an overflow is caught by the operation that
    # makes it (columns and numbers are finite), so the result needs no pass for one.
    finite: bool = False
    # The symbol the expression is, when it is just one (`否决`, `总分`): its value is
    # that column as it stands, read without a run.
    column: str | None = None

    def value(self, run: Run) -> object:
        """The expression over ``run``'s population: its value, a column or a constant.

        The fast path, when there is one, runs under one raising error state; any
        floating-point problem or warning and the closures run it again, giving the
        warnings. Not when recording branches (there are none in a fast formula)."""
        if self.fast is not None and run.branches is None:
            try:
                with np.errstate(all="raise"):
                    return self.fast(run.population.columns)
            except (FloatingPointError, _Fallback):
                pass
        return self.closure(run, None)

    def evaluate(self, population: Population, run: Run | None = None) -> np.ndarray:
        """The expression's column over ``population``; warnings go to ``run``."""
        require_columns(self.compiled, population)
        run = run or Run(population)
        value = self.value(run)
        column = _broadcast(value, population.size, self.compiled.type == TEXT)
        # A truth value is 1, 0 or missing by construction: no pass looking for overflow.
        if column.dtype != object and self.compiled.type != BOOL and not self.finite:
            overflow = np.isinf(column)
            if overflow.any():
                run.warn(
                    "KH161",
                    "计算结果超出数值范围，按缺失处理",
                    self.compiled.node.span,
                    overflow,
                    None,
                )
                column = np.where(overflow, np.nan, column)
        return column


class FormulaBlock:
    """Several number formulas run over a population as one units-wide block, one row
    each, by their fast paths under one error state: what Vectorized.evaluate gives each,
    when none warns and every result is a number. ``evaluate`` gives None otherwise (or
    when one has no fast path): run them one by one then, which gives the warnings and
    the missing values. Made once per rule set; each formula's own run costs more than
    its few numpy calls at a few hundred units."""

    def __init__(self, programs: list[Vectorized]) -> None:
        self.programs = programs
        self.fast = [p.fast for p in programs]
        self.usable = all(p.fast is not None and p.compiled.type == NUMBER for p in programs)
        self.names = frozenset().union(*(p.compiled.names for p in programs))

    def evaluate(self, population: Population) -> np.ndarray | None:
        if not self.usable:
            return None
        if not population.columns.keys() >= self.names:
            for program in self.programs:
                require_columns(program.compiled, population)  # names the one missing
        columns = population.columns
        block = np.empty((len(self.fast), population.size))
        try:
            with np.errstate(all="raise"):
                for row, fast in zip(block, self.fast, strict=True):
                    row[...] = fast(columns)
        except (FloatingPointError, _Fallback):
            return None
        return block if np.isfinite(block).all() else None


def vectorize(compiled: Compiled) -> Vectorized:
    """Compile a checked expression into closures over columns."""
    compiler = _Compiler(compiled)
    fast = compiler.fast(compiled.node)
    finite = fast is not None and all(
        compiled.bindings[id(node)].function.name in _FLAGLESS
        for node in ast.walk(compiled.node)
        if isinstance(node, ast.Call)
    )
    node = compiled.node
    plain = isinstance(node, ast.Name | ast.Attribute) and id(node) in compiled.symbols
    column = compiled.symbols[id(node)] if plain else None
    return Vectorized(compiled, compiler.build(compiled.node), fast, finite, column)


def evaluate(compiled: Compiled, population: Population) -> tuple[np.ndarray, list[Diagnostic]]:
    """Evaluate over ``population``: the column of results and the warnings."""
    run = Run(population)
    column = vectorize(compiled).evaluate(population, run)
    return column, run.warnings()


def require_columns(compiled: Compiled, population: Population) -> None:
    if population.columns.keys() >= compiled.names:  # the usual case, without a new set
        return
    absent = sorted(compiled.names - population.columns.keys())
    if absent:
        raise KaoheError(
            [
                Diagnostic(
                    "KH170",
                    f"数据中没有 '{name}'",
                    compiled.node.span,
                    "检查数据文件的列名，或用 --set 给出它的值",
                )
                for name in absent
            ]
        )


def _broadcast(value: object, size: int, text: bool) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.shape == (size,):
        return value
    dtype = object if text else np.float64
    column = np.empty(size, dtype=dtype)
    column[:] = np.nan if value is None and not text else value
    return column


def _and(left: object, right: object) -> object:
    result = np.minimum(left, right)
    return np.where((np.equal(left, 0.0)) | (np.equal(right, 0.0)), 0.0, result)


def _or(left: object, right: object) -> object:
    result = np.maximum(left, right)
    return np.where((np.equal(left, 1.0)) | (np.equal(right, 1.0)), 1.0, result)


def _narrow(active: Active, mask: object, size: int) -> Active:
    chosen = np.broadcast_to(np.asarray(mask, dtype=bool), size)
    return chosen if active is None else active & chosen


class _Compiler:
    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled

    def build(self, node: ast.Node) -> Closure:
        return getattr(self, "build_" + type(node).__name__)(node)

    def build_Number(self, node: ast.Number) -> Closure:
        value = node.value
        return lambda run, active: value

    def build_String(self, node: ast.String) -> Closure:
        value = node.value
        return lambda run, active: value

    def build_Bool(self, node: ast.Bool) -> Closure:
        value = 1.0 if node.value else 0.0
        return lambda run, active: value

    def build_Missing(self, node: ast.Missing) -> Closure:
        return lambda run, active: np.nan

    def build_Name(self, node: ast.Name) -> Closure:
        name = self.compiled.symbols[id(node)]
        return lambda run, active: run.population.columns[name]

    def build_Attribute(self, node: ast.Attribute) -> Closure:
        if id(node) in self.compiled.symbols:
            name = self.compiled.symbols[id(node)]
            return lambda run, active: run.population.columns[name]
        obj, field = self.build(node.obj), node.name
        return lambda run, active: obj(run, active)[field]

    def build_Unary(self, node: ast.Unary) -> Closure:
        operand = self.build(node.operand)
        if node.op == "-":
            return lambda run, active: np.negative(operand(run, active))
        return lambda run, active: np.subtract(1.0, operand(run, active))

    def build_Binary(self, node: ast.Binary) -> Closure:
        left, right, ufunc, span = self.build(node.left), self.build(node.right), node.op, node.span
        op = _ARITHMETIC[ufunc]

        def run_binary(run: Run, active: Active) -> object:
            a, b = left(run, active), right(run, active)
            try:
                with np.errstate(all="raise"):
                    return op(a, b)
            except FloatingPointError:
                return _careful(run, active, span, op, a, b)

        return run_binary

    def build_Compare(self, node: ast.Compare) -> Closure:
        left, right, op = self.build(node.left), self.build(node.right), _COMPARE[node.op]
        if NUMBER in (self.compiled.type_of(node.left), self.compiled.type_of(node.right)):
            symbol = node.op
            op = lambda a, b: compare_vector(symbol, a, b)  # noqa: E731

        def run_compare(run: Run, active: Active) -> object:
            a, b = left(run, active), right(run, active)
            unknown = missing_mask(a) | missing_mask(b)
            result = np.asarray(op(a, b), dtype=np.float64)
            return np.where(unknown, np.nan, result)

        return run_compare

    def build_Logic(self, node: ast.Logic) -> Closure:
        left, right = self.build(node.left), self.build(node.right)
        combine, decided = (_and, 0.0) if node.op == "and" else (_or, 1.0)

        def run_logic(run: Run, active: Active) -> object:
            a = left(run, active)
            b = right(run, _narrow(active, np.not_equal(a, decided), run.population.size))
            return combine(a, b)

        return run_logic

    def build_Member(self, node: ast.Member) -> Closure:
        value = self.build(node.value)
        items = [self.build(item) for item in node.items.items]
        negated = node.negated
        numeric = self.compiled.type_of(node.value) == NUMBER

        def run_member(run: Run, active: Active) -> object:
            v = value(run, active)
            found = np.zeros(np.shape(v), dtype=bool)
            for item in items:
                candidate = item(run, active)
                equal = near_vector(v, candidate) if numeric else np.equal(v, candidate)
                found = found | (equal & ~missing_mask(candidate))
            result = np.where(found != negated, 1.0, 0.0)
            return np.where(missing_mask(v), np.nan, result)

        return run_member

    def build_Cond(self, node: ast.Cond) -> Closure:
        test, then, orelse = self.build(node.test), self.build(node.then), self.build(node.orelse)
        text = self.compiled.type_of(node) == TEXT

        def run_cond(run: Run, active: Active) -> object:
            t = test(run, active)
            size = run.population.size
            if run.branches is not None:
                _record_branches(run.branches, node, t, active, size)
            a = then(run, _narrow(active, np.equal(t, 1.0), size))
            b = orelse(run, _narrow(active, np.equal(t, 0.0), size))
            return choose(np.equal(t, 1.0), a, b, missing_mask(t), text)

        return run_cond

    def build_ListExpr(self, node: ast.ListExpr) -> Closure:
        items = [self.build(item) for item in node.items]
        return lambda run, active: [item(run, active) for item in items]

    def build_Call(self, node: ast.Call) -> Closure:
        binding = self.compiled.bindings[id(node)]
        function, span = binding.function, node.span
        parts: list[Callable[[Run, Active], object]] = []
        for param, value in zip(function.params, binding.values, strict=True):
            parts.append(self._argument(param.const, value))

        def run_call(run: Run, active: Active) -> object:
            if function.cohort and (active is None or active.any()):
                # A unit's rank depends on every peer's value: its arguments
                # are computed, and checked, for all units.
                active = None
            args = [part(run, active) for part in parts]
            if function.variadic:
                args = list(args[0]) + args[1:]
            context = _CallContext(run, span, active)
            with np.errstate(all="ignore"):
                result = function.vector(context, *args)
            if function.cohort:
                # Sums and means of a group can overflow although each value is finite.
                result = _finite(run, active, span, result)
            return result

        return run_call

    def fast(self, node: ast.Node) -> Fast | None:
        """``node`` as plain numpy calls over the columns, if it is made of numbers,
        names, arithmetic and calls of functions that do not look at the cohort only:
        the closures' work without an error state switched per operation or a call
        context made per call (Vectorized.value runs it under one, and falls back)."""
        match node:
            case ast.Number(value=number):
                return lambda columns: number
            case ast.Bool(value=truth):
                one = 1.0 if truth else 0.0
                return lambda columns: one
            case ast.Missing():
                return lambda columns: np.nan
            case ast.Name() | ast.Attribute() if id(node) in self.compiled.symbols:
                name = self.compiled.symbols[id(node)]
                return lambda columns: columns[name]
            case ast.Unary(op=op, operand=operand):
                inner = self.fast(operand)
                if inner is None:
                    return None
                if op == "-":
                    return lambda columns: np.negative(inner(columns))
                return lambda columns: np.subtract(1.0, inner(columns))
            case ast.Binary(op=op, left=left, right=right):
                a, b = self.fast(left), self.fast(right)
                if a is None or b is None:
                    return None
                ufunc = _ARITHMETIC[op]
                if isinstance(right, ast.Number):  # `值 * 0.5`: one call fewer
                    number = right.value
                    return lambda columns: ufunc(a(columns), number)
                return lambda columns: ufunc(a(columns), b(columns))
            case ast.ListExpr(items=nodes):
                items = [self.fast(item) for item in nodes]
                if any(item is None for item in items):
                    return None
                return lambda columns: [item(columns) for item in items]
            case ast.Call():
                return self._fast_call(node)
        return None

    def _fast_call(self, node: ast.Call) -> Fast | None:
        binding = self.compiled.bindings[id(node)]
        function = binding.function
        if function.cohort:
            return None
        pair = binding.values[0] if len(binding.values) == 1 else None
        if function.name in _FLAGLESS and isinstance(pair, tuple) and len(pair) == 2:
            # min(a, b) and max(a, b), the commonest calls, as the one ufunc call they are.
            a, b = self.fast(pair[0]), self.fast(pair[1])
            if a is None or b is None:
                return None
            ufunc = np.minimum if function.name == "min" else np.maximum
            return lambda columns: ufunc(a(columns), b(columns))
        parts: list[Fast] = []
        for param, value in zip(function.params, binding.values, strict=True):
            if isinstance(value, tuple):
                items = [self.fast(v) for v in value]
                if any(item is None for item in items):
                    return None
                parts.append(lambda columns, items=items: [item(columns) for item in items])
            elif not isinstance(value, ast.Node):
                parts.append(lambda columns, value=value: value)
            elif param.const:
                constant = constant_value(value)
                parts.append(lambda columns, constant=constant: constant)
            else:
                part = self.fast(value)
                if part is None:
                    return None
                parts.append(part)
        vector, variadic = function.vector, function.variadic
        flagless = function.name in _FLAGLESS

        def call(columns: Mapping[str, object]) -> object:
            args = [part(columns) for part in parts]
            if variadic:
                args = list(args[0]) + args[1:]
            if flagless:
                return vector(_QUIET, *args)
            with np.errstate(all="ignore"):
                return vector(_QUIET, *args)

        return call

    def _argument(self, const: bool, value: object) -> Callable[[Run, Active], object]:
        if isinstance(value, tuple):
            closures = [self.build(v) for v in value]
            return lambda run, active: [c(run, active) for c in closures]
        if not isinstance(value, ast.Node):
            return lambda run, active: value
        if const:
            constant = constant_value(value)
            return lambda run, active: constant
        return self.build(value)


def _record_branches(branches: dict, node: ast.Cond, t: object, active: Active, size: int):
    seen = branches.setdefault(id(node), (node, set()))[1]
    live = np.ones(size, dtype=bool) if active is None else active
    outcome = np.broadcast_to(np.asarray(t, dtype=np.float64), size)[live]
    if (outcome == 1.0).any():
        seen.add(True)
    if (outcome == 0.0).any():
        seen.add(False)


def _careful(run: Run, active: Active, span: Span, op: np.ufunc, a: object, b: object) -> object:
    """The slow path of arithmetic, taken only when numpy reported a problem."""
    with np.errstate(all="ignore"):
        result = np.asarray(op(a, b), dtype=np.float64)
    if op is np.divide:
        zero = np.equal(b, 0.0) & ~missing_mask(a)
        run.warn("KH160", "除数为零，结果按缺失处理", span, zero, active)
        result = np.where(np.equal(b, 0.0), np.nan, result)
    return _finite(run, active, span, result)


def _finite(run: Run, active: Active, span: Span, result: object) -> object:
    """Infinite results become missing, with a warning for the active units."""
    if isinstance(result, dict) or (isinstance(result, np.ndarray) and result.dtype.kind == "O"):
        return result
    overflow = np.isinf(result)
    if np.any(overflow):
        run.warn("KH161", "计算结果超出数值范围，按缺失处理", span, overflow, active)
        result = np.where(overflow, np.nan, result)
    return result
