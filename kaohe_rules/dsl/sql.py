"""An expression of the language as a SQL expression (a sqlglot tree), for conditions
evaluated over records by a database rather than over units by the evaluators.

Only what makes sense over one record translates: literals, the record's columns,
arithmetic, comparisons, and/or/not, ``in``, if-then-else, and the functions abs,
coalesce and is_missing. Anything else (unit attributes, history, cohort functions that
compare units, rounding) is KH563 at its place in the rule file.

The SQL means what the language means: missing is NULL and propagates as the language
propagates it (a missing condition of ``if`` gives missing, not the else branch),
division by zero gives missing, and numbers equal up to binary noise compare equal, as
``dsl/numeric.py`` compares them. The tree is built once and rendered in any dialect.

sqlglot is imported by the modules that read records, and only then (start-up stays light).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot.expressions as exp

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.check import Compiled
from kaohe_rules.dsl.numeric import TOLERANCE
from kaohe_rules.dsl.types import NUMBER

Column = Callable[[str], exp.Expression]  # a column's name → its (typed) SQL expression

_ARITHMETIC = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
_ORDER = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE, "==": exp.EQ, "!=": exp.NEQ}
FUNCTIONS = ("abs", "coalesce", "is_missing")


def to_sql(compiled: Compiled, column: Column) -> exp.Expression:
    """The SQL of a checked expression whose names are record columns; KaoheError (KH563)
    for every part that has no meaning over one record."""
    translator = _Translator(compiled, column)
    found = translator.visit(compiled.node)
    if translator.problems:
        raise KaoheError(translator.problems)
    return found


class _Translator:
    def __init__(self, compiled: Compiled, column: Column) -> None:
        self.compiled = compiled
        self.column = column
        self.problems: list[Diagnostic] = []

    def visit(self, node: ast.Node) -> exp.Expression:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            return self._refuse(node, "记录的筛选中不能用这种写法")
        return method(node)

    def _refuse(self, node: ast.Node, message: str) -> exp.Expression:
        allowed = "、".join(FUNCTIONS)
        hint = (
            "筛选只看一条记录本身：列、数、文本、运算、比较、且或非、属于、如果，"
            f"以及函数 {allowed}"
        )
        self.problems.append(Diagnostic("KH563", message, node.span, hint))
        return exp.null()

    def visit_Number(self, node: ast.Number) -> exp.Expression:
        literal = exp.Literal.number(repr(abs(node.value)))
        return exp.Neg(this=literal) if node.value < 0 else literal

    def visit_String(self, node: ast.String) -> exp.Expression:
        return exp.Literal.string(node.value)

    def visit_Bool(self, node: ast.Bool) -> exp.Expression:
        return exp.Boolean(this=node.value)

    def visit_Missing(self, node: ast.Missing) -> exp.Expression:
        return exp.null()

    def visit_Name(self, node: ast.Name) -> exp.Expression:
        return self.column(node.name)

    def visit_Attribute(self, node: ast.Attribute) -> exp.Expression:
        return self._refuse(node, "记录的筛选中不能用单位的属性或历史结果")

    def visit_Unary(self, node: ast.Unary) -> exp.Expression:
        operand = exp.paren(self.visit(node.operand))
        return exp.Neg(this=operand) if node.op == "-" else exp.Not(this=operand)

    def visit_Binary(self, node: ast.Binary) -> exp.Expression:
        left, right = exp.paren(self.visit(node.left)), exp.paren(self.visit(node.right))
        if node.op == "/":  # by zero: missing, as the language has it
            divisor = exp.Nullif(this=right, expression=exp.Literal.number(0))
            return exp.Div(this=exp.cast(left, "DOUBLE"), expression=divisor)
        return _ARITHMETIC[node.op](this=left, expression=right)

    def visit_Compare(self, node: ast.Compare) -> exp.Expression:
        left, right = exp.paren(self.visit(node.left)), exp.paren(self.visit(node.right))
        if self.compiled.type_of(node.left) != NUMBER:
            return _ORDER[node.op](this=left, expression=right)
        near = _near(left, right)
        strict = {"<": exp.LT, ">": exp.GT}
        if node.op == "==":
            return near
        if node.op == "!=":
            return exp.Not(this=exp.paren(near))
        base = strict[node.op[0]](this=left.copy(), expression=right.copy())
        if node.op in ("<", ">"):
            return exp.and_(base, exp.Not(this=exp.paren(near)))
        return exp.or_(base, near)

    def visit_Logic(self, node: ast.Logic) -> exp.Expression:
        left, right = exp.paren(self.visit(node.left)), exp.paren(self.visit(node.right))
        return (
            exp.And(this=left, expression=right)
            if node.op == "and"
            else exp.Or(this=left, expression=right)
        )

    def visit_Member(self, node: ast.Member) -> exp.Expression:
        value = exp.paren(self.visit(node.value))
        items = [self.visit(item) for item in node.items.items]
        if self.compiled.type_of(node.value) == NUMBER:
            found: exp.Expression = exp.or_(*(_near(value.copy(), i) for i in items))
        else:
            found = exp.In(this=value, expressions=items)
        found = exp.paren(found)
        return exp.Not(this=found) if node.negated else found

    def visit_Cond(self, node: ast.Cond) -> exp.Expression:
        test = exp.paren(self.visit(node.test))
        then, orelse = self.visit(node.then), self.visit(node.orelse)
        case = exp.Case().when(exp.Is(this=test, expression=exp.null()), exp.null())
        return case.when(test.copy(), then).else_(orelse)

    def visit_Call(self, node: ast.Call) -> exp.Expression:
        if node.func not in FUNCTIONS or node.keywords:
            return self._refuse(node, f"记录的筛选中不能用函数 {node.func}")
        args = [self.visit(arg) for arg in node.args]
        if node.func == "abs":
            return exp.Abs(this=args[0])
        if node.func == "is_missing":
            return exp.Is(this=exp.paren(args[0]), expression=exp.null())
        return exp.Coalesce(this=args[0], expressions=args[1:])


def _near(left: exp.Expression, right: exp.Expression) -> exp.Expression:
    """``|a - b| <= TOLERANCE * max(|a|, |b|)``: numeric.near_scalar in SQL."""
    difference = exp.Abs(this=exp.Sub(this=left.copy(), expression=right.copy()))
    # Where a side is NULL the difference is NULL, and so the comparison, whatever the
    # scale: GREATEST may skip NULLs (both engines' own GREATEST does), and sqlglot then
    # writes it as itself instead of guarding every record with a CASE.
    scale = exp.Greatest(
        this=exp.Abs(this=left.copy()),
        expressions=[exp.Abs(this=right.copy())],
        ignore_nulls=True,
    )
    bound = exp.Mul(this=exp.Literal.number(repr(TOLERANCE)), expression=scale)
    return exp.paren(exp.LTE(this=difference, expression=bound))
