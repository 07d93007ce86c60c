"""Indicators that share one formula, scored together as one units x indicators block.

A domain usually scores dozens of indicators with one formula
(``满分 * linear(值, 下限值, 目标值)``, or ``上限值`` in place of ``下限值`` when lower is
better) and only different constants. Formulas of one shape (see ``shape``: the same
but for which parameters they read) make one batch. Running the formula once over a
block — one row per indicator, its parameters as a column — gives every unit the same
numbers as one run per indicator, because the formula is elementwise: it reads only the
unit's own value and the indicator's constants (no cohort function, no other column, no
branch). What it saves is the fixed cost of a formula run, which is most of the time at
a few thousand units.

Batched: one indicator per id (no 一单位一策 adds one), no benchmark. A 一单位一策 that
drops the indicator for a unit or changes one of its parameters is batched all the same,
since the formula is elementwise: the dropped unit's 值 is missing (as scoring it alone
makes it) and its score is none; a unit with a parameter of its own is scored again
with its own constants (``Changed``), exactly as a run with the parameter as a column
scores it. Anything that warns (a division by zero, an overflow, a zero linear width)
abandons the batch, and its indicators are scored one by one, so the warnings come out
exactly as they would have.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.check import Compiled
from kaohe_rules.dsl.evaluate import Run, Vectorized, vectorize
from kaohe_rules.dsl.population import Population
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.records import data_record
from kaohe_rules.rules.resolve import Resolved

# Builtins that compute each element from the same element of their arguments.
_ELEMENTWISE = frozenset(
    {"min", "max", "clamp", "abs", "linear", "steps", "round_half_up", "floor", "ceil"}
)
# The nodes an elementwise formula is made of (calls only to _ELEMENTWISE, no keywords).
_ARITHMETIC = (ast.Number, ast.Missing, ast.Name, ast.Unary, ast.Binary, ast.ListExpr, ast.Call)
# Rows of a block per indicator: bounds the block's temporaries to ~8 MB each.
_BLOCK_CELLS = 1 << 20


@data_record
class Changed:
    """The cells (indicator row, unit) whose constants a 一单位一策 changes, and each
    slot's value for each of them, (1, cells): scored again after the block's run."""

    rows: np.ndarray
    units: np.ndarray
    parameters: Mapping[str, np.ndarray]


@data_record
class Batch:
    """Indicators of one domain scored by one formula."""

    indicators: tuple[m.Indicator, ...]
    program: Vectorized  # the first indicator's; the others' have the same shape()
    parameters: Mapping[str, np.ndarray]  # name in program -> one value per indicator, (k, 1)
    full: np.ndarray  # each indicator's 满分, (k, 1)
    # What scoring stores for each row, worked out with the plan, not per evaluation.
    ids: tuple[str, ...] = ()
    owners: np.ndarray | None = None  # each row's Indicator, (k, 1) objects
    by_formula: Mapping[m.Expr, m.Indicator] | None = None
    # Each row's scoring in the plan (units, constants), units (None: every unit; else
    # 一单位一策 drops it for some) and 满分; the cells with constants of their own.
    groups: tuple[Any, ...] = ()  # plan.IndicatorGroup (plan imports this module)
    applies: tuple[np.ndarray | None, ...] = ()
    full_rows: tuple[np.ndarray, ...] = ()
    changed: Changed | None = None


class _Abandon(Exception):
    """A batched run would have warned: score the batch one indicator at a time."""


class _StrictRun(Run):
    def warn(self, code, message, span, mask, active) -> None:
        # Run.warn records nothing when no unit is hit (active is always None here: a
        # batched formula has no branches); anything else abandons the batch.
        if active is None and not np.any(mask):
            return
        raise _Abandon


def plan(
    resolved: Resolved, domain: m.Domain, scorings: Mapping[str, tuple[Any, ...]]
) -> tuple[Batch, ...]:
    """The domain's batches: two or more indicators of one formula shape each.
    ``scorings``: the plan's groups by id (which units each scores, with which constants)."""
    groups: dict[tuple, list[tuple[m.Indicator, tuple[str, ...]]]] = {}
    for indicator, program in _candidates(resolved, domain):
        form, slots = shape(program)
        groups.setdefault(form, []).append((indicator, slots))
    return tuple(
        _batch(resolved, members, scorings) for members in groups.values() if len(members) > 1
    )


def _candidates(resolved: Resolved, domain: m.Domain) -> list[tuple[m.Indicator, Compiled]]:
    """The indicators a batch may take, with their programs: one per id (no 一单位一策
    adds one), no benchmark, an elementwise formula."""
    touched: set[str] = set()
    for variant in domain.variants:
        touched.update(a.id for a in variant.add)
    counts: dict[str, int] = {}
    for indicator in domain.all_indicators():
        counts[indicator.id] = counts.get(indicator.id, 0) + 1
    found = []
    for indicator in domain.indicators():
        if counts[indicator.id] > 1 or indicator.id in touched or indicator.benchmark:
            continue
        program = resolved.programs.get(indicator.formula)
        if program is not None and _elementwise(program, indicator):
            found.append((indicator, program))
    return found


def _batch(
    resolved: Resolved,
    members: list[tuple[m.Indicator, tuple[str, ...]]],
    scorings: Mapping[str, tuple[Any, ...]],
) -> Batch:
    first, first_slots = members[0]
    # Slot j is read under the first indicator's name for it; each row holds the value of
    # that indicator's own parameter in slot j.
    parameters = {
        name: np.array([[_number(i.parameters()[slots[j]])] for i, slots in members])
        for j, name in enumerate(first_slots)
    }
    full = np.array([[_number(i.full)] for i, _slots in members])
    for constants in (*parameters.values(), full):
        constants.flags.writeable = False  # shared by every evaluation
    indicators = tuple(i for i, _slots in members)
    owners = np.empty((len(indicators), 1), dtype=object)
    owners[:, 0] = indicators
    owners.flags.writeable = False
    groups = [scorings[i.id][0] for i in indicators]
    return Batch(
        indicators,
        vectorize(resolved.program(first.formula)),
        MappingProxyType(parameters),
        full,
        tuple(i.id for i in indicators),
        owners,
        MappingProxyType({i.formula: i for i in indicators}),
        tuple(groups),
        tuple(None if g.everyone else g.applies for g in groups),
        tuple(g.full for g in groups),
        _changed(members, groups, first_slots, parameters),
    )


def _changed(members, groups, names: tuple[str, ...], constants) -> Changed | None:
    """Where a 一单位一策 gives a unit a constant of its own (the plan's parameter
    columns differ from the row's constant), with every slot's value there."""
    rows, units = [], []
    for row, ((_indicator, slots), group) in enumerate(zip(members, groups, strict=True)):
        differs = np.zeros(len(group.full), dtype=bool)
        for j, slot in enumerate(slots):
            column = group.parameters[slot]
            if isinstance(column, np.ndarray):
                constant = constants[names[j]][row, 0]
                differs |= ~((column == constant) | (np.isnan(column) & np.isnan(constant)))
        at = np.flatnonzero(differs)
        rows += [row] * len(at)
        units += at.tolist()
    if not rows:
        return None
    rows_at, units_at = np.array(rows), np.array(units, dtype=np.int64)
    values = {}
    for j, name in enumerate(names):
        cells = [
            _cell(groups[row].parameters[members[row][1][j]], unit)
            for row, unit in zip(rows, units, strict=True)
        ]
        values[name] = np.array([cells], dtype=np.float64)
    for array in (rows_at, units_at, *values.values()):
        array.flags.writeable = False
    return Changed(rows_at, units_at, MappingProxyType(values))


def _cell(column: float | np.ndarray, unit: int) -> float:
    return float(column[unit]) if isinstance(column, np.ndarray) else float(column)


def shape(program: Compiled) -> tuple[tuple, tuple[str, ...]]:
    """An elementwise formula with its parameters' names taken out: the nodes in walk
    order, each parameter as a numbered slot, and the names filling the slots.

    ``满分 * linear(值, 下限值, 目标值)`` and ``满分 * linear(值, 上限值, 目标值)`` (the
    higher- and the lower-is-better 线性) have one shape: one formula run scores both, each
    row with its own constants. Node kinds, operators, functions, numbers and argument
    counts all take part, so two formulas of one shape compute the same thing."""
    form: list[tuple] = []
    slots: dict[str, int] = {}
    for node in ast.walk(program.node):
        match node:
            case ast.Name():
                name = program.symbols[id(node)]
                if name == "值":
                    form.append(("值",))
                else:
                    form.append(("参数", slots.setdefault(name, len(slots))))
            case ast.Number(value=value):
                form.append(("数", value))
            case ast.Missing():
                form.append(("缺失",))
            case ast.Unary(op=op) | ast.Binary(op=op):
                form.append((type(node).__name__, op))
            case ast.Call(func=func, args=args):
                form.append(("调用", func, len(args)))
            case ast.ListExpr(items=items):
                form.append(("列表", len(items)))
            case _:  # _elementwise admits nothing else
                raise AssertionError(type(node).__name__)
    return tuple(form), tuple(slots)


def _number(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _elementwise(program: Compiled, indicator: m.Indicator) -> bool:
    """Whether each unit's score depends only on its own 值 and the constants."""
    if not program.names <= {"值", *indicator.parameters()}:
        return False
    for node in ast.walk(program.node):
        if not isinstance(node, _ARITHMETIC):
            return False
        if isinstance(node, ast.Call) and (node.func not in _ELEMENTWISE or node.keywords):
            return False
    return True


def group_level(program: Compiled) -> bool:
    """Whether a formula gives every unit of a group the same value because it reads
    only 人数 (the group's size) and calls no cohort function: a tier quota, which can
    then be worked out once per group instead of once per unit."""
    if not program.names <= {"人数"}:
        return False
    calls = (n for n in ast.walk(program.node) if isinstance(n, ast.Call))
    return not any(program.bindings[id(call)].function.cohort for call in calls)


def _in_matrix(data: DataSet, name: str) -> bool:
    """Whether the column of ``name`` is still its row of the data's array."""
    column = data.columns.get(name)
    return column is not None and column.base is data.matrix


def gather(batch: Batch, data: DataSet, rows: np.ndarray) -> np.ndarray:
    """The batch's indicator values for the units at ``rows``, one row per indicator:
    a view of the data when they lie in adjacent rows of its array, else gathered
    straight into the block the formula runs over, so nothing is copied twice."""
    return gather_ids(batch.ids, data, rows)


def gather_ids(ids: tuple[str, ...] | list[str], data: DataSet, rows: np.ndarray) -> np.ndarray:
    """The values of the names ``ids`` for the units at ``rows``, one row per name (NaN
    where a name has no column), a read-only view where the data hold them so."""
    if len(rows) and rows[-1] >= len(data.row):  # rows ascend: a roster selection
        raise IndexError(f"数据只有 {len(data.row)} 个单位，名单第 {rows[-1] + 1} 个不在其中")
    at = data.positions(rows)
    if isinstance(at, slice) and data.matrix is not None and ids:
        placed = [data.matrix_row.get(key) for key in ids]
        first = placed[0]
        if (
            first is not None
            and placed == list(range(first, first + len(placed)))
            and all(_in_matrix(data, k) for k in ids)
        ):
            # Adjacent rows of the data's array (DataSet.consolidate): a view, no copy,
            # read-only since it is the data set's own values.
            view = data.matrix[first : first + len(placed), at]
            view.flags.writeable = False
            return view
    block = np.empty((len(ids), len(rows)))
    for row, key in enumerate(ids):
        found = data.columns.get(key)
        if found is None:
            block[row] = np.nan
        elif isinstance(at, slice):  # the domain's units lie together: one copy
            block[row] = found[at]
        else:
            # mode="clip": ``at`` are valid positions, and "raise" would buffer the output.
            found.take(at, out=block[row], mode="clip")
    return block


def score(batch: Batch, block: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Every indicator's score, one row per indicator (k x units, like ``block``, the
    values), and which rows have a missing score; None when a run would warn. A unit an
    indicator does not apply to reads a missing 值 and scores none, a unit with constants
    of its own is scored with them, as scoring the indicator alone does."""
    dropped = [row for row, applies in enumerate(batch.applies) if applies is not None]
    scored = _run_block(batch, block, dropped)
    if scored is None or (batch.changed is None and not dropped):
        return scored
    scores, missing = scored
    if not scores.flags.writeable or scores.base is not None:
        scores = np.array(scores)
    changed = batch.changed
    if changed is not None:
        values = block[changed.rows, changed.units]
        for at, (row, unit) in enumerate(zip(changed.rows, changed.units, strict=True)):
            if batch.applies[row] is not None and not batch.applies[row][unit]:
                values[at] = np.nan  # a unit the indicator does not apply to reads none
        values = values.reshape(1, -1)
        local = Population.trusted({"值": values, **changed.parameters}, values.shape[1], [])
        try:
            own = batch.program.value(_StrictRun(local))
        except _Abandon:
            return None
        own = np.broadcast_to(np.asarray(own, dtype=np.float64), values.shape)
        if np.isinf(own).any():
            return None  # an overflow: Vectorized.evaluate would warn
        scores[changed.rows, changed.units] = own[0]
    for row in dropped:
        scores[row, ~batch.applies[row]] = np.nan
    missing = np.isnan(scores)
    for row in dropped:
        missing[row] &= batch.applies[row]
    return scores, missing.any(axis=1)


def _run_block(
    batch: Batch, block: np.ndarray, dropped: list[int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The formula over the block with each row's constants, the ``dropped`` rows' values
    missing where they do not apply. Units go through in slices so the formula's
    temporaries (and a copy of the values to drop from) stay small at a million units."""
    k, size = block.shape
    out: np.ndarray | None = None
    missing = np.zeros(k, dtype=bool)
    step = max(1, _BLOCK_CELLS // max(k, 1))
    for start in range(0, size, step):
        stop = min(size, start + step)
        values = block[:, start:stop]
        if dropped:
            values = values.copy()  # the data's values stay as they are
            for row in dropped:
                values[row, ~batch.applies[row][start:stop]] = np.nan
        # Its columns are a block and (k, 1) constants, not unit columns: an elementwise
        # formula reads nothing else of it.
        local = Population.trusted({"值": values, **batch.parameters}, stop - start, [])
        try:
            result = batch.program.value(_StrictRun(local))
        except _Abandon:
            return None
        result = np.asarray(result, dtype=np.float64)
        if result.shape != values.shape:  # a constant formula, or one row per indicator
            result = np.broadcast_to(result, values.shape)
        finite = np.isfinite(result)
        if not finite.all():  # one pass in the usual case, where every score is a number
            if np.isinf(result).any():
                return None  # an overflow: Vectorized.evaluate would warn
            missing |= ~finite.all(axis=1)
        fresh = result.base is None and all(result is not p for p in batch.parameters.values())
        if stop - start == size and fresh and result.flags.c_contiguous:
            return result, missing  # one slice and a fresh array, not a kept one: no copy
        if out is None:
            out = np.empty((k, size))
        out[:, start:stop] = result
    return (np.empty((k, 0)) if out is None else out), missing
