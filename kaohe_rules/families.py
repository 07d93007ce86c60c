"""Open families of bonus and deduction items: 加减分 items written with 前缀 and 每项.

A family's members are the data items whose names start with its prefix: those the
rule set declares in 数据项 (which must be numbers), and the columns or indicator names of
the data files with that prefix, read as numbers without being declared one by one.
Indicators are never members. Each member is scored by the family's 每项 formula, in
which 值 is that member's value; a unit without a value for a member gets 0 from it (an
open family lists what some units have, not what every unit must report). The members'
points are summed, then the family's 上限 applies as any item's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, Severity
from kaohe_rules.dsl.types import NUMBER

if TYPE_CHECKING:
    from kaohe_rules.score.scorer import DomainScorer


@dataclass(frozen=True)
class Part:
    """One member's share of a family for every unit: its values and the points they gave."""

    member: str
    values: np.ndarray
    points: np.ndarray


def families(domain: m.Domain) -> list[tuple[str, m.Adjustment]]:
    """The domain's family items, with 加分 or 扣分."""
    adjust = domain.adjustments
    return [
        (kind, item)
        for kind, items in (("加分", adjust.bonuses), ("扣分", adjust.deductions))
        for item in items
        if item.family is not None
    ]


def prefixes(ruleset: m.RuleSet) -> tuple[str, ...]:
    """Every family prefix of the rule set: data names with one are members, not unknown."""
    return tuple(
        dict.fromkeys(item.family.prefix for d in ruleset.scored() for _k, item in families(d))
    )


def members(ruleset: m.RuleSet, domain: m.Domain, prefix: str, data_names) -> list[str]:
    """The names a family with ``prefix`` sums, in name order: declared data items and
    names given in the data, indicators excepted."""
    declared = [item.name for item in (*ruleset.data_items, *domain.data_items)]
    indicators = {i.id for d in ruleset.scored() for i in d.all_indicators()}
    found = {*declared, *data_names}
    return sorted(n for n in found if n.startswith(prefix) and n not in indicators)


def check(ruleset: m.RuleSet, programs: dict, errors: Collector) -> None:
    """KH244: a declared member that is not a number; KH245: two families of one domain
    whose prefixes overlap, or another bonus or deduction item naming a member (an error
    and a warning: either way a member would count twice)."""
    items = {item.name: item for item in ruleset.data_items}
    for domain in ruleset.scored():
        _named_members(domain, programs, errors)
        declared = {**items, **{item.name: item for item in domain.data_items}}
        found = families(domain)
        for kind, item in found:
            prefix = item.family.prefix
            for name, data_item in declared.items():
                if name.startswith(prefix) and data_item.type != NUMBER:
                    message = (
                        f"{kind} {item.id} 的成员 {name}（以 '{prefix}' 开头）"
                        f"声明为{data_item.type.label}，一族加减项的成员须是数值"
                    )
                    hint = f"把 {name} 改为数值，或改名使它不以 '{prefix}' 开头"
                    errors.error("KH244", message, data_item.span, hint)
        for index, (_kind, item) in enumerate(found):
            for _other_kind, other in found[:index]:
                a, b = item.family.prefix, other.family.prefix
                if a.startswith(b) or b.startswith(a):
                    message = (
                        f"加减项 {item.id} 的前缀 '{a}' 与 {other.id} 的前缀 '{b}' 重叠："
                        "同一个数据项会在两族中各计一次"
                    )
                    hint = "让各族的前缀互不为开头，如 表彰_ 与 通报_"
                    errors.error("KH245", message, item.family.span, hint)


def _named_members(domain: m.Domain, programs: dict, errors: Collector) -> None:
    found = families(domain)
    adjust = domain.adjustments
    # indicators and papers are never members (their scores are names of formulas too)
    scored = {i.id for i in domain.all_indicators()} | {p.id for p in domain.papers}
    for item in (*adjust.bonuses, *adjust.deductions):
        program = programs.get(item.formula)
        if item.family is not None or program is None:
            continue
        for name in sorted(program.names):
            if name.split(".")[0] in scored:
                continue
            family = next((f for _k, f in found if name.startswith(f.family.prefix)), None)
            if family is None:
                continue
            message = (
                f"加减项 {item.id} 的计分用到 {name}，它也是一族加减项 {family.id}"
                f"（前缀 '{family.family.prefix}'）的成员：会计两次"
            )
            hint = f"从 {item.id} 的计分中去掉 {name}，或改名使它不以该前缀开头"
            errors.add(
                Diagnostic("KH245", message, item.formula.span, hint, severity=Severity.WARNING)
            )


def score(scorer: DomainScorer, item: m.Adjustment) -> np.ndarray:
    """A family's points for every unit (before its 上限): the sum over its members of
    每项 with 值 the member's value; KH243 when the family has no member at all."""
    resolved, domain = scorer.resolved, scorer.domain
    names = members(resolved.ruleset, domain, item.family.prefix, scorer.data.columns)
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
