"""Scoring an open family of bonus or deduction items (前缀 and 每项): each member's value
through 每项, summed; a unit without a value for a member gets 0 from it. The checks of
families are rules/families.py; which names are members, model.family_members."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.records import data_record

if TYPE_CHECKING:
    from kaohe_rules.score.scorer import DomainScorer


@data_record
class Part:
    """One member's share of a family for every unit: its values and the points they gave."""

    member: str
    values: np.ndarray
    points: np.ndarray


def score(scorer: DomainScorer, item: m.Adjustment) -> np.ndarray:
    """A family's points for every unit (before its 上限): the sum over its members of
    每项 with 值 the member's value; KH243 when the family has no member at all."""
    resolved, domain = scorer.resolved, scorer.domain
    names = m.family_members(resolved.ruleset, domain, item.family.prefix, scorer.data.columns)
    total = np.zeros(scorer.size)
    parts: list[Part] = []
    if not names:
        message = (
            f"一族加减项 {item.name} 没有成员：规则集的数据项和数据文件中都没有以 "
            f"'{item.family.prefix}' 开头的名称，它对每个单位都计 0"
        )
        hint = "检查前缀是否与数据列名一致（全角/半角、下划线）"
        diagnostic = Diagnostic("KH243", message, item.family.span, hint, severity=Severity.WARNING)
        scorer.result.warnings.append(diagnostic)
    rows = scorer.planned.roster.rows
    base = scorer.result.population
    for name in names:
        values = scorer.data.column(name, NUMBER, rows)
        population = base.with_columns({**base.columns, "值": values})
        points = np.broadcast_to(np.asarray(scorer.run(item.formula, population)), total.shape)
        points = np.where(np.isnan(points), 0.0, points)  # no value for this member: 0
        parts.append(Part(name, values, points))
        total += points
    scorer.result.families[item.id] = parts
    # explain re-evaluates 每项 member by member from this population, 值 set per member
    scorer.result.contexts[item.formula] = base.with_columns(
        {**base.columns, "值": np.full(scorer.size, np.nan)}
    )
    return total
