"""Where a record source's aggregates are computed: straight from the records, or in two
levels, the records first summed up per combination of the values the conditions test.

query.py says what each output is (a count of the records passing a condition, a sum, a
mean …); the classes here say how it becomes SQL. Both give the same numbers, a mean or
a sum to its last binary digits (the two add in another order; decision 112):

- ``PerRecord``: an inner select computes what each record contributes once (its unit
  key, each condition, each measured value; decision 110) and every aggregate reads those
  names with its own ``FILTER (WHERE …)`` clause.
- ``TwoLevels``: the first level groups the records by the raw values of the columns the
  conditions compare with texts (有效, 评价方向, the unit column: a category has a few
  values) and by the truth of each condition on the other columns (评分 >= 80), and sums
  up each group (records, sum, count, least and most of each measured value). The second
  level groups those few thousand rows by unit and evaluates the conditions on categories
  there, once per combination instead of once per record. Only for measures that can be
  summed up from parts: a distinct count or a quantile needs the records themselves.
  Decision 112 has the figures.
"""

from __future__ import annotations

import sqlglot.expressions as exp

from kaohe_rules.read.records.engine import TABLE

# Measures whose value cannot be computed from per-group sums: PerRecord for the source.
NOT_ADDITIVE = ("count_distinct", "median", "percentile")

# What may stand between a column and the comparison that makes it a category: trimming,
# lower-casing, a cast to text (not one to a number: grouping by the numbers of a column
# would be grouping by almost every record).
_TEXT_WRAPPERS = (exp.Trim, exp.Lower, exp.Paren)


def categories(conditions: list[exp.Expression]) -> set[str]:
    """The columns that every one of ``conditions`` only compares, as text, for equality
    or membership (有效 == "是", 类型 in ["甲", "乙"], a 是/否 column): grouping the
    records by their raw values gives few groups. A column also used otherwise (ordered,
    measured, passed to a function, read as a number or a date) is not one."""
    equal: dict[str, bool] = {}
    for condition in conditions:
        for found in condition.find_all(exp.Column):
            equal[found.name] = equal.get(found.name, True) and _compared(found)
    return {name for name, only in equal.items() if only}


def _compared(found: exp.Column) -> bool:
    node = found.parent
    while isinstance(node, _TEXT_WRAPPERS) or (isinstance(node, exp.Cast) and _to_text(node)):
        node = node.parent
    return isinstance(node, exp.EQ | exp.NEQ | exp.In)


def _to_text(cast: exp.Cast) -> bool:
    return cast.to.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)


def ratio(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    """numerator / denominator as a float, NULL where the denominator is 0."""
    divisor = exp.Nullif(this=denominator, expression=exp.Literal.number(0))
    return exp.Div(this=exp.cast(numerator, "DOUBLE"), expression=divisor)


def filtered(aggregate: exp.Expression, where: exp.Expression) -> exp.Expression:
    return exp.Filter(this=aggregate, expression=exp.Where(this=where))


class _Names:
    """Expressions named once (``prefix`` + a number) however often they are used;
    structurally equal trees are one name."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.named: dict[exp.Expression, str] = {}

    def __call__(self, expression: exp.Expression) -> exp.Column:
        name = self.named.setdefault(expression, f"{self.prefix}{len(self.named)}")
        return exp.column(name)

    def aliased(self) -> list[exp.Expression]:
        return [exp.alias_(e.copy(), name) for e, name in self.named.items()]


class PerRecord:
    """Each aggregate over the records, each with its FILTER clause."""

    def __init__(self, unit: exp.Expression) -> None:
        self.rows = _Names("r")
        self.unit = self.rows(unit)

    def count(self, where: exp.Expression) -> exp.Expression:
        if where == exp.true():
            return exp.Count(this=exp.Star())
        return filtered(exp.Count(this=exp.Star()), self.rows(where))

    def total(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        return filtered(exp.Sum(this=self.rows(value)), self.rows(where))

    def mean(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        return filtered(exp.Avg(this=self.rows(value)), self.rows(where))

    def least(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        return filtered(exp.Min(this=self.rows(value)), self.rows(where))

    def most(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        return filtered(exp.Max(this=self.rows(value)), self.rows(where))

    def distinct(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        distinct = exp.Distinct(expressions=[self.rows(value)])
        return filtered(exp.Count(this=distinct), self.rows(where))

    def quantile(self, value: exp.Expression, q: float, where: exp.Expression):
        cont = exp.PercentileCont(this=self.rows(value), expression=exp.Literal.number(repr(q)))
        return filtered(cont, self.rows(where))

    def query(self, outputs: list[exp.Expression]) -> exp.Select:
        """One row per unit key: ``outputs`` (the first is the unit key) as c0, c1 …"""
        aliased = [exp.alias_(o, f"c{i}") for i, o in enumerate([self.unit, *outputs[1:]])]
        inner = exp.select(*self.rows.aliased()).from_(TABLE).subquery("per_record")
        return exp.select(*aliased).from_(inner).group_by(self.unit.copy())


class TwoLevels:
    """The records summed up per combination of their categories (the columns ``keys``)
    and of the truth of the other conditions; the aggregates per unit over those sums."""

    def __init__(self, unit: exp.Expression, keys: set[str]) -> None:
        self.unit = unit
        self.keys = keys
        # The first level's names must not be taken for a record column of the same name.
        prefix = "_"
        while any(key.startswith(prefix) for key in self.keys):
            prefix += "_"
        self.tests = _Names(prefix + "t")  # conditions on other columns, a group key each
        self.sums = _Names(prefix + "s")  # the first level's aggregates

    def count(self, where: exp.Expression) -> exp.Expression:
        # Counting no rows gives 0, as COUNT does; SUM of nothing would be NULL.
        counted = filtered(exp.Sum(this=self.sums(exp.Count(this=exp.Star()))), self._where(where))
        return exp.Coalesce(this=counted, expressions=[exp.Literal.number(0)])

    def total(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        return filtered(exp.Sum(this=self.sums(exp.Sum(this=value.copy()))), self._where(where))

    def mean(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        # AVG is the sum of the values given over their number (NULLs are neither).
        given = filtered(exp.Sum(this=self.sums(exp.Count(this=value.copy()))), self._where(where))
        return ratio(self.total(value, where), given)

    def least(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        return filtered(exp.Min(this=self.sums(exp.Min(this=value.copy()))), self._where(where))

    def most(self, value: exp.Expression, where: exp.Expression) -> exp.Expression:
        return filtered(exp.Max(this=self.sums(exp.Max(this=value.copy()))), self._where(where))

    def _where(self, where: exp.Expression) -> exp.Expression:
        """``where`` over the first level's rows: what tests only categories as written;
        each largest part that tests other columns replaced by the group key that holds
        its truth (TRUE, FALSE or NULL): down through AND and OR where they join tests of
        categories with others, and through NOT and the null tests, so that one comparison
        (评分 >= 80) read as "met" and as "known" is one key."""
        names = {c.name for c in where.find_all(exp.Column)}
        if names <= self.keys:
            return where.copy()
        if isinstance(where, exp.And | exp.Or) and names & self.keys:
            parts = {"this": self._where(where.this), "expression": self._where(where.expression)}
            return type(where)(**parts)
        if isinstance(where, exp.Not | exp.Paren):
            return type(where)(this=self._where(where.this))
        if isinstance(where, exp.Is) and isinstance(where.expression, exp.Null):
            return exp.Is(this=self._where(where.this), expression=exp.null())
        if isinstance(where, exp.Coalesce) and all(
            isinstance(e, exp.Boolean) for e in where.expressions
        ):
            rest = [e.copy() for e in where.expressions]
            return exp.Coalesce(this=self._where(where.this), expressions=rest)
        return self.tests(where)

    def query(self, outputs: list[exp.Expression]) -> exp.Select:
        """One row per unit key: ``outputs`` (the first is the unit key) as c0, c1 …"""
        keys = [exp.column(key, quoted=True) for key in sorted(self.keys)]
        # by the tests themselves, not their names: not every dialect groups by an alias
        grouped = [*keys, *self.tests.named]
        first = exp.select(*keys, *self.tests.aliased(), *self.sums.aliased()).from_(TABLE)
        first = first.group_by(*[g.copy() for g in grouped]) if grouped else first
        aliased = [exp.alias_(o, f"c{i}") for i, o in enumerate(outputs)]
        second = exp.select(*aliased).from_(first.subquery("per_category"))
        return second.group_by(self.unit.copy())
