"""All of a rule set's aggregations over one record source as ONE query, built as a
sqlglot tree over the table ``records`` (engine.py provides it), rendered per dialect.

The query groups the records by the unit column (as trimmed text) and gives, per unit
key: its number of records; for each aggregation (and each group of a grouped one) the
records that pass its filter and the measure over them, each an aggregate with a
``FILTER (WHERE …)`` so that one pass over the file serves them all; and the checks on
the records themselves (non-numbers in a number column, negative weights, the records of
each group). The output has one row per unit key, never one per record.
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


def build(source: Source, compiled: list[Compiled]) -> tuple[exp.Select, Layout]:
    """The one query over ``source`` for ``compiled``, and what its columns hold."""
    unit_column = compiled[0].aggregation.unit_column
    unit = column(source, unit_column, TEXT)
    outputs: list[exp.Expression] = [unit, exp.Count(this=exp.Star())]
    parts = []
    for index, item in enumerate(compiled):
        for group in item.groups or ("",):
            where = _where(item, group)
            count = _filtered(exp.Count(this=exp.Star()), where)
            measure = _measure(item, where, count)
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
            _filtered(exp.Count(this=exp.Star()), not_number),
            _filtered(exp.Min(this=raw.copy()), not_number.copy()),
        ]
    negative = []
    for name in sorted({i.aggregation.weights for i in compiled if i.weights is not None}):
        below = exp.LT(this=column(source, name, NUMBER), expression=exp.Literal.number(0))
        negative.append((name, len(outputs)))
        outputs.append(_filtered(exp.Count(this=exp.Star()), below))
    totals = []
    for item in compiled:
        for group in item.groups:
            key = (item.aggregation.group_column, group)
            if key not in [t[:2] for t in totals]:
                totals.append((*key, len(outputs)))
                equal = exp.EQ(this=item.group.copy(), expression=exp.Literal.string(group))
                outputs.append(_filtered(exp.Count(this=exp.Star()), equal))
    aliased = [exp.alias_(o, f"c{i}") for i, o in enumerate(outputs)]
    query = exp.select(*aliased).from_(TABLE).group_by(unit.copy())
    layout = Layout(1, tuple(parts), tuple(bad), tuple(negative), tuple(totals))
    return query, layout


def _where(item: Compiled, group: str) -> exp.Expression:
    conditions = []
    if item.filter is not None:
        conditions.append(item.filter.copy())
    if group:
        conditions.append(exp.EQ(this=item.group.copy(), expression=exp.Literal.string(group)))
    return exp.and_(*conditions) if conditions else exp.true()


def _filtered(aggregate: exp.Expression, where: exp.Expression) -> exp.Expression:
    return exp.Filter(this=aggregate, expression=exp.Where(this=where))


def _measure(item: Compiled, where: exp.Expression, count: exp.Expression) -> exp.Expression:
    """The measure over the records ``where`` selects (NULL where it has no value)."""
    measure, value = item.aggregation.measure, item.value
    if measure == "count":
        return count.copy()
    if measure == "count_distinct":
        return _filtered(exp.Count(this=exp.Distinct(expressions=[value])), where.copy())
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
            _filtered(exp.Count(this=exp.Star()), met), _filtered(exp.Count(this=exp.Star()), known)
        )
    if measure == "weighted_mean":
        both = exp.and_(
            where.copy(),
            exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())),
            exp.Not(this=exp.Is(this=item.weights.copy(), expression=exp.null())),
        )
        product = exp.Mul(this=value.copy(), expression=item.weights.copy())
        return _ratio(
            _filtered(exp.Sum(this=product), both),
            _filtered(exp.Sum(this=item.weights.copy()), both.copy()),
        )
    if measure == "sum":
        # A unit whose records hold no value to add sums to 0, as counting gives 0; a unit
        # without records in the file gets no row at all, and so is missing.
        summed = _filtered(exp.Sum(this=value), where.copy())
        return exp.Coalesce(this=summed, expressions=[exp.Literal.number(0)])
    simple = {"mean": exp.Avg, "min": exp.Min, "max": exp.Max}
    if measure in simple:
        return _filtered(simple[measure](this=value), where.copy())
    quantile = 0.5 if measure == "median" else item.aggregation.percentile
    cont = exp.PercentileCont(this=value, expression=exp.Literal.number(repr(quantile)))
    return _filtered(cont, where.copy())


def _ratio(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    divisor = exp.Nullif(this=denominator, expression=exp.Literal.number(0))
    return exp.Div(this=exp.cast(numerator, "DOUBLE"), expression=divisor)
