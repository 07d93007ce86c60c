"""Results that look right and are most likely a rule or data mistake, as warnings:
an indicator that does not tell a category's units apart (KH319), an indicator whose
value is missing for every unit of a category (KH320), a label that is the same for
every unit (KH321). Thresholds and why: docs/decisions.md (decision 45).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.dsl.codes import object_missing
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.score.layout import Layout
from kaohe_rules.score.plausibility import BLOCK_CELLS, LISTED, distinct_indicators, layout_of
from kaohe_rules.score.result import DomainResult

if TYPE_CHECKING:
    from kaohe_rules.score.engine import Evaluation

# Fewer units share a score by chance: two colleges in one step of 分档 (rules/2023 高校).
MIN_UNITS = 5
# A label is looked at over at least this many units: in a toy set of four, a label that
# holds for one unit in five is false for all of them as often as not.
MIN_LABEL_UNITS = 8


def check(evaluation: Evaluation) -> list[Diagnostic]:
    """Every result check of an evaluation (warnings only)."""
    found: list[Diagnostic] = []
    for done in [*evaluation.domains, *(s.result for s in evaluation.specials)]:
        groups = layout_of(evaluation, done)
        rows = evaluation.resolved.rosters.of(done.domain).rows
        scored = [
            indicator
            for indicator in distinct_indicators(done.domain)
            if done.scores.get(indicator.id) is not None
            and done.applicable.get(indicator.id) is not None
        ]
        if scored:
            found += _indicators(evaluation, done, scored, groups, rows)
    found += constant_labels(evaluation)
    return found


def _indicators(
    evaluation: Evaluation,
    done: DomainResult,
    indicators: list[m.Indicator],
    groups: Layout,
    rows: np.ndarray,
) -> list[Diagnostic]:
    """For each indicator, in order: KH320 for the categories where its value is missing
    for every unit, KH319 for those where every unit gets the same score."""
    # Only a formula that reads 值 is checked for values missing everywhere.
    reads = np.array(
        ["值" in evaluation.resolved.program(i.formula).names for i in indicators], dtype=bool
    )
    columns = [
        (
            evaluation.data.column(i.id, NUMBER, rows) if reads[row] else None,
            done.scores[i.id],
            done.applicable[i.id],
        )
        for row, i in enumerate(indicators)
    ]
    segments = list(groups.segments())
    # The first few units of a category settle almost every indicator there (values
    # differ, or some are given): all indicators over them at once, and only those they
    # leave open over all the category's units.
    heads = [members[:PEEK] for _code, members in segments]
    head = _cells(columns, range(len(indicators)), np.concatenate(heads))
    missing: list[list[str]] = [[] for _ in indicators]
    constant: list[list[str]] = [[] for _ in indicators]
    start = 0
    for (code, members), first in zip(segments, heads, strict=True):
        part = slice(start, start + len(first))
        start += len(first)
        open_ = np.flatnonzero(np.logical_or(*_settles(*(c[:, part] for c in head), reads)))
        step = max(1, BLOCK_CELLS // len(members))  # a million units: a few rows at once
        for at in (open_[i : i + step] for i in range(0, len(open_), step)):
            values, scores, applies = _cells(columns, at, members)
            none_given, same = _settles(values, scores, applies, reads[at])
            count = np.count_nonzero(applies, axis=1)
            for j in np.flatnonzero(none_given & (count > 0)):
                missing[at[j]].append(f"{groups.names[code]}（{count[j]} 个单位）")
            for j in np.flatnonzero(same & (count >= MIN_UNITS)):
                given = scores[j][applies[j]]
                share = f"{len(given)} 个单位都得 {given[0]:.6g} 分"
                constant[at[j]].append(f"{groups.names[code]}（{share}）")
    found = []
    for row, indicator in enumerate(indicators):
        context = (done.domain.name, f"指标 {indicator.id}")
        if missing[row]:
            message = f"指标 {indicator.id} 在类别 {_listed(missing[row])} 中每个单位都没有值"
            hint = f"数据中是否漏了 {indicator.id} 这一列（或这些单位的行）"
            found.append(_warning("KH320", message, indicator.span, hint, context))
        if constant[row]:
            message = f"指标 {indicator.id} 不区分单位：类别 {_listed(constant[row])}"
            hint = "核对目标值、下限值等参数与数据的量级是否相符（如 6.5% 与 6.5），或数据是否有误"
            found.append(_warning("KH319", message, indicator.span, hint, context))
    return found


def _cells(columns: list[tuple], rows, at: np.ndarray) -> tuple[np.ndarray, ...]:
    """The values, scores and applicability of the indicators at ``rows`` for the units
    at ``at``, one row per indicator (values NaN for a formula that does not read 值)."""
    values = np.full((len(rows), len(at)), np.nan)
    scores = np.empty((len(rows), len(at)))
    applies = np.empty((len(rows), len(at)), dtype=bool)
    for j, row in enumerate(rows):
        value, score, applicable = columns[row]
        if value is not None:
            values[j] = value[at]
        scores[j], applies[j] = score[at], applicable[at]
    return values, scores, applies


def _settles(
    values: np.ndarray, scores: np.ndarray, applies: np.ndarray, reads: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each row (indicator) over some units: whether none of them has a value (for an
    indicator whose formula reads 值), and else whether the scores of those it applies to
    may all be equal (no NaN among them, the largest is the smallest and a number, as
    np.ptp(given) == 0 holds: inf - inf is NaN)."""
    none_given = reads & (np.isnan(values) | ~applies).all(axis=1)
    unknown = (np.isnan(scores) & applies).any(axis=1)
    high = np.where(applies, scores, -np.inf).max(axis=1, initial=-np.inf)
    low = np.where(applies, scores, np.inf).min(axis=1, initial=np.inf)
    one = np.count_nonzero(applies, axis=1) <= 1
    same = ~none_given & (one | (~unknown & (high == low) & np.isfinite(high)))
    return none_given, same


PEEK = 64


def _listed(parts: list[str]) -> str:
    return "、".join(parts[:LISTED]) + (f" 等 {len(parts)} 个类别" if len(parts) > LISTED else "")


def _warning(code: str, message: str, span, hint: str, context: tuple) -> Diagnostic:
    return Diagnostic(code, message, span, hint, context, Severity.WARNING)


def constant_labels(evaluation: Evaluation) -> list[Diagnostic]:
    """KH321: a label with one and the same value for every unit it is computed for,
    across the whole evaluation (a rare label is often false in one small domain, and
    says nothing there; false in every domain, its condition most likely never holds)."""
    seen: dict[str, list] = {}  # label -> [first Label, values, kind]
    for done in evaluation.domains:
        for label in done.domain.labels:
            column = done.labels.get(label.name)
            if column is None:
                continue
            entry = seen.setdefault(label.name, [label, [], done.label_types.get(label.name)])
            entry[1].append(np.asarray(column))
    found = []
    for name, (label, columns, kind) in seen.items():
        values = _present(np.concatenate(columns))
        if len(values) < MIN_LABEL_UNITS or not (values == values[0]).all():
            continue
        value = _shown(values[0], kind)
        message = f"标签 {name} 对全部 {len(values)} 个单位都是 {value}"
        hint = '核对标签的条件：比较的值是否写错（如 "优" 与 "优秀"），阈值的量级是否相符'
        found.append(_warning("KH321", message, label.span, hint, (f"标签 {name}",)))
    return found


def _present(values: np.ndarray) -> np.ndarray:
    """The values that are not missing (NaN or None)."""
    if values.dtype == object:
        return values[~object_missing(values)]
    return values[~np.isnan(values)] if values.dtype.kind in "fc" else values


def _shown(value: object, kind: str | None) -> str:
    if kind == "bool":
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
