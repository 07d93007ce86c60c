"""All of a rule set's aggregations over one record source as ONE query, built as a
sqlglot tree over the table ``records`` (engine.py provides it), rendered per dialect.

The query groups the records by the unit column (as trimmed text) and gives, per unit
key: its number of records; for each aggregation (and each group of a grouped one) the
records that pass its filter and the measure over them, each an aggregate with a
``FILTER (WHERE …)`` so that one pass over the file serves them all; and the checks on
the records themselves (non-numbers in a number column, negative weights, the records of
each group). The output has one row per unit key, never one per record.

What each record contributes (its unit key, each filter, each measured value) is computed
once per record in an inner select and named there; the aggregates only refer to those
names. Aggregations over one file share their filters and columns (上评下 and 下评上 both
test 有效, a count and a mean of one group test the same condition), and an engine
evaluates each FILTER clause on its own: written inline, the trimming, the number rule
and the tolerant comparisons ran once per aggregate instead of once per record
(decision 110).
"""

from __future__ import annotations

import sqlglot.expressions as exp

from kaohe_rules.dsl.types import NUMBER, TEXT
from kaohe_rules.read.records.compile import Compiled, column
from kaohe_rules.read.records.engine import TABLE
from kaohe_rules.read.records.source import Source
from kaohe_rules.records import data_record


@data_record
class Layout:
    """What each output column of the query holds, by position (0 is the unit key)."""

    total: int  # all records of the unit key
    parts: tuple[tuple[int, str, int, int], ...]  # (aggregation, group or "", count, value)
    bad_numbers: tuple[tuple[str, int, int], ...]  # (column, count, example)
    negative_weights: tuple[tuple[str, int], ...]  # (column, count)
    group_totals: tuple[tuple[str, str, int], ...]  # (group column, group, count)


class _Rows:
    """The expressions of one record that the aggregates use, each named once (r0, r1 …)
    however many aggregates use it; structurally equal trees are one expression."""

    def __init__(self) -> None:
        self.named: dict[exp.Expression, str] = {}

    def __call__(self, expression: exp.Expression) -> exp.Column:
        name = self.named.setdefault(expression, f"r{len(self.named)}")
        return exp.column(name)

    def select(self) -> exp.Select:
        columns = [exp.alias_(e.copy(), name) for e, name in self.named.items()]
        return exp.select(*columns).from_(TABLE)


def build(source: Source, compiled: list[Compiled]) -> tuple[exp.Select, Layout]:
    """The one query over ``source`` for ``compiled``, and what its columns hold."""
    rows = _Rows()
    unit_column = compiled[0].aggregation.unit_column
    unit = rows(column(source, unit_column, TEXT))
    outputs: list[exp.Expression] = [unit, exp.Count(this=exp.Star())]
    parts = []
    for index, item in enumerate(compiled):
        for group in item.groups or ("",):
            where = _where(item, group)
            count = _filtered(exp.Count(this=exp.Star()), rows(where))
            measure = _measure(item, where, count, rows)
            parts.append((index, group, len(outputs), len(outputs) + 1))
            outputs += [count, measure]
    bad = []
    for name in sorted({n for item in compiled for n in item.number_columns}):
        raw = exp.cast(exp.column(name, quoted=True), "VARCHAR")
        converted = column(source, name, NUMBER)
        not_number = exp.and_(
            exp.Not(this=exp.Is(this=raw.copy(), expression=exp.null())),
            exp.Is(this=converted.copy(), expression=exp.null()),
            exp.NEQ(this=exp.Trim(this=raw.copy()), expression=exp.Literal.string("")),
        )
        bad.append((name, len(outputs), len(outputs) + 1))
        outputs += [
            _filtered(exp.Count(this=exp.Star()), rows(not_number)),
            _filtered(exp.Min(this=rows(raw)), rows(not_number)),
        ]
    negative = []
    for name in sorted({i.aggregation.weights for i in compiled if i.weights is not None}):
        below = exp.LT(this=column(source, name, NUMBER), expression=exp.Literal.number(0))
        negative.append((name, len(outputs)))
        outputs.append(_filtered(exp.Count(this=exp.Star()), rows(below)))
    totals = []
    for item in compiled:
        for group in item.groups:
            key = (item.aggregation.group_column, group)
            if key not in [t[:2] for t in totals]:
                totals.append((*key, len(outputs)))
                equal = exp.EQ(this=item.group.copy(), expression=exp.Literal.string(group))
                outputs.append(_filtered(exp.Count(this=exp.Star()), rows(equal)))
    aliased = [exp.alias_(o, f"c{i}") for i, o in enumerate(outputs)]
    inner = rows.select().subquery("per_record")
    query = exp.select(*aliased).from_(inner).group_by(unit.copy())
    layout = Layout(1, tuple(parts), tuple(bad), tuple(negative), tuple(totals))
    return query, layout


def _where(item: Compiled, group: str) -> exp.Expression:
    """The records an aggregate reads: those passing the 筛选 and in ``group``. NULL where
    the filter's result is missing, so it stands only where NULL excludes as FALSE does:
    as a FILTER clause or a conjunct of one, never under a NOT."""
    conditions = []
    if item.filter is not None:
        conditions.append(item.filter.copy())
    if group:
        conditions.append(exp.EQ(this=item.group.copy(), expression=exp.Literal.string(group)))
    return exp.and_(*conditions) if conditions else exp.true()


def _filtered(aggregate: exp.Expression, where: exp.Expression) -> exp.Expression:
    return exp.Filter(this=aggregate, expression=exp.Where(this=where))


def _measure(
    item: Compiled, where: exp.Expression, count: exp.Expression, rows: _Rows
) -> exp.Expression:
    """The measure over the records ``where`` selects (NULL where it has no value)."""
    measure = item.aggregation.measure
    if measure == "count":
        return count.copy()
    value = rows(item.value) if item.value is not None else None
    if measure == "count_distinct":
        return _filtered(exp.Count(this=exp.Distinct(expressions=[value])), rows(where))
    if measure == "share":
        met = exp.and_(
            where.copy(),
            exp.Coalesce(this=exp.paren(item.condition.copy()), expressions=[exp.false()]),
        )
        known = exp.and_(
            where.copy(),
            exp.Not(this=exp.Is(this=exp.paren(item.condition.copy()), expression=exp.null())),
        )
        return _ratio(
            _filtered(exp.Count(this=exp.Star()), rows(met)),
            _filtered(exp.Count(this=exp.Star()), rows(known)),
        )
    if measure == "weighted_mean":
        both = exp.and_(
            where.copy(),
            exp.Not(this=exp.Is(this=item.value.copy(), expression=exp.null())),
            exp.Not(this=exp.Is(this=item.weights.copy(), expression=exp.null())),
        )
        product = exp.Mul(this=item.value.copy(), expression=item.weights.copy())
        return _ratio(
            _filtered(exp.Sum(this=rows(product)), rows(both)),
            _filtered(exp.Sum(this=rows(item.weights)), rows(both)),
        )
    if measure == "sum":
        # A unit whose records hold no value to add sums to 0, as counting gives 0; a unit
        # without records in the file gets no row at all, and so is missing.
        summed = _filtered(exp.Sum(this=value), rows(where))
        return exp.Coalesce(this=summed, expressions=[exp.Literal.number(0)])
    simple = {"mean": exp.Avg, "min": exp.Min, "max": exp.Max}
    if measure in simple:
        return _filtered(simple[measure](this=value), rows(where))
    quantile = 0.5 if measure == "median" else item.aggregation.percentile
    cont = exp.PercentileCont(this=value, expression=exp.Literal.number(repr(quantile)))
    return _filtered(cont, rows(where))


def _ratio(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    divisor = exp.Nullif(this=denominator, expression=exp.Literal.number(0))
    return exp.Div(this=exp.cast(numerator, "DOUBLE"), expression=divisor)
