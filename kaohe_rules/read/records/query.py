"""All of a rule set's aggregations over one record source as ONE query, built as a
sqlglot tree over the table ``records`` (engine.py provides it), rendered per dialect.

The query groups the records by the unit column (as trimmed text) and gives, per unit
key: its number of records; for each aggregation (and each group of a grouped one) the
records that pass its filter and the measure over them, each an aggregate with a
``FILTER (WHERE …)`` so that one pass over the file serves them all; and the checks on
the records themselves (non-numbers in a number column, negative weights, the records of
each group). The output has one row per unit key, never one per record.

How the aggregates become SQL is levels.py's: over the records, each with its FILTER
clause (what a record contributes computed once, decision 110), or in two levels, the
records first summed up per combination of the categories the conditions test (decision
112). The meaning of each measure is here, once, for both.
"""

from __future__ import annotations

import sqlglot.expressions as exp

from kaohe_rules.dsl.types import NUMBER, TEXT
from kaohe_rules.read.records.compile import Compiled, column
from kaohe_rules.read.records.layout import Layout
from kaohe_rules.read.records.levels import NOT_ADDITIVE, PerRecord, TwoLevels, categories, ratio
from kaohe_rules.read.records.source import Source


def build(source: Source, compiled: list[Compiled]) -> tuple[exp.Select, Layout]:
    """The one query over ``source`` for ``compiled``, and what its columns hold."""
    unit = column(source, compiled[0].aggregation.unit_column, TEXT)
    per_unit = _per_unit(compiled, unit)
    outputs: list[exp.Expression] = [unit, per_unit.count(exp.true())]
    parts = []
    for index, item in enumerate(compiled):
        for group in item.groups or ("",):
            where = _where(item, group)
            count = per_unit.count(where)
            measure = _measure(item, where, count, per_unit)
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
        outputs += [per_unit.count(not_number), per_unit.least(raw, not_number)]
    negative = []
    for name in sorted({i.aggregation.weights for i in compiled if i.weights is not None}):
        below = exp.LT(this=column(source, name, NUMBER), expression=exp.Literal.number(0))
        negative.append((name, len(outputs)))
        outputs.append(per_unit.count(below))
    totals = []
    for item in compiled:
        for group in item.groups:
            key = (item.aggregation.group_column, group)
            if key not in [t[:2] for t in totals]:
                totals.append((*key, len(outputs)))
                equal = exp.EQ(this=item.group.copy(), expression=exp.Literal.string(group))
                outputs.append(per_unit.count(equal))
    layout = Layout(1, tuple(parts), tuple(bad), tuple(negative), tuple(totals))
    return per_unit.query(outputs), layout


def _per_unit(compiled: list[Compiled], unit: exp.Expression) -> PerRecord | TwoLevels:
    """Two levels where every measure can be summed up from parts (levels.py), with the
    unit column, the 分组 column and the columns the conditions compare as categories as
    the first level's keys; else straight from the records."""
    if any(item.aggregation.measure in NOT_ADDITIVE for item in compiled):
        return PerRecord(unit)
    keys = {c.name for c in unit.find_all(exp.Column)}
    for item in compiled:
        if item.group is not None:
            keys |= {c.name for c in item.group.find_all(exp.Column)}
    tested = [e for item in compiled for e in (item.filter, item.condition) if e is not None]
    return TwoLevels(unit, keys | categories(tested))


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


def _measure(
    item: Compiled, where: exp.Expression, count: exp.Expression, per_unit: PerRecord | TwoLevels
) -> exp.Expression:
    """The measure over the records ``where`` selects (NULL where it has no value)."""
    measure = item.aggregation.measure
    if measure == "count":
        return count.copy()
    value = item.value
    if measure == "count_distinct":
        return per_unit.distinct(value, where)
    if measure == "share":
        met = exp.and_(
            where.copy(),
            exp.Coalesce(this=exp.paren(item.condition.copy()), expressions=[exp.false()]),
        )
        known = exp.and_(
            where.copy(),
            exp.Not(this=exp.Is(this=exp.paren(item.condition.copy()), expression=exp.null())),
        )
        return ratio(per_unit.count(met), per_unit.count(known))
    if measure == "weighted_mean":
        both = exp.and_(
            where.copy(),
            exp.Not(this=exp.Is(this=item.value.copy(), expression=exp.null())),
            exp.Not(this=exp.Is(this=item.weights.copy(), expression=exp.null())),
        )
        product = exp.Mul(this=item.value.copy(), expression=item.weights.copy())
        return ratio(per_unit.total(product, both), per_unit.total(item.weights, both))
    if measure == "sum":
        # A unit whose records hold no value to add sums to 0, as counting gives 0; a unit
        # without records in the file gets no row at all, and so is missing.
        summed = per_unit.total(value, where)
        return exp.Coalesce(this=summed, expressions=[exp.Literal.number(0)])
    simple = {"mean": per_unit.mean, "min": per_unit.least, "max": per_unit.most}
    if measure in simple:
        return simple[measure](value, where)
    quantile = 0.5 if measure == "median" else item.aggregation.percentile
    return per_unit.quantile(value, quantile, where)
