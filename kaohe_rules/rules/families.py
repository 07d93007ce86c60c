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

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, Severity
from kaohe_rules.dsl.types import NUMBER


def check(ruleset: m.RuleSet, programs: dict, errors: Collector) -> None:
    """KH244: a declared member that is not a number; KH245: two families of one domain
    whose prefixes overlap, or another bonus or deduction item naming a member (an error
    and a warning: either way a member would count twice)."""
    items = {item.name: item for item in ruleset.data_items}
    for domain in ruleset.scored():
        _named_members(domain, programs, errors)
        declared = {**items, **{item.name: item for item in domain.data_items}}
        found = m.family_items(domain)
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
    found = m.family_items(domain)
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
