"""Which clauses of a rule set the test cases exercised, and which they never reached.

Items: every indicator (given a value), every band of a 分档 indicator, the three
regions of a 线性/功效系数 indicator (below the start, between, at or beyond the
target), both sides of every ``if`` in every formula, every tier rule (it placed
a unit), every label (true for a unit, or a value), every bonus and deduction
item (non-zero), every veto (triggered) and every 一单位一策 variant (its unit
was evaluated). Special assessments count like domains, and each of their
计入综合考核 items is an item (it gave a member something: points, a veto, a label).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.dsl import ast
from kaohe_rules.rules.resolve import Resolved
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.source import Span


@dataclass(frozen=True)
class Item:
    """One thing a test suite should exercise."""

    kind: str
    description: str
    span: Span | None


def domain_exprs(domain: m.Domain) -> Iterator[m.Expr]:
    """Every expression of a domain, in file order."""
    for category in domain.categories:
        yield category.condition
    for indicator in domain.all_indicators():
        if indicator.benchmark is not None:
            yield indicator.benchmark
        yield indicator.formula
    for paper in domain.papers:
        if paper.formula is not None:
            yield paper.formula
    adjust = domain.adjustments
    for item in (*adjust.bonuses, *adjust.deductions):
        yield item.formula
    for _name, condition in adjust.vetoes:
        yield condition
    if domain.ranking is not None:
        yield from (key.expr for key in (domain.ranking.key, *domain.ranking.tiebreak))
    for rule in domain.tiers.rules if domain.tiers else ():
        yield from (e for e in (rule.condition, rule.top, rule.bottom, rule.unless) if e)
    for label in domain.labels:
        yield label.expr


def _gave(column: np.ndarray) -> bool:
    """A contribution gave some member something: points, a veto, a yes or a value."""
    if column.dtype == object:
        return any(v is not None for v in column)
    return bool((np.nan_to_num(column) != 0).any())


def _conds(node: ast.Node) -> Iterator[ast.Cond]:
    return (n for n in ast.walk(node) if isinstance(n, ast.Cond))


class Coverage:
    """Collects what each evaluated case exercised."""

    def __init__(self, resolved: Resolved) -> None:
        self.resolved = resolved
        self.branches: dict[int, tuple[ast.Cond, set[bool]]] = {}
        self.hit: set[tuple] = set()
        self.items: dict[tuple, Item] = {}
        for domain in resolved.ruleset.scored():
            self._declare(domain)
        for special in resolved.ruleset.specials:
            for given in special.contributions:
                text = f"{special.name} › 计入{given.kind} {given.name}"
                key = (special.name, "计入", given.kind, given.name)
                self.items[key] = Item("计入综合考核", text, given.span)
                self._branches(special.name, given.expr)

    def _declare(self, domain: m.Domain) -> None:
        d = domain.name
        for indicator in domain.all_indicators():
            where = indicator.span
            self.items[(d, "指标", indicator.id)] = Item("指标", f"{d} › {indicator.id}", where)
            # Bands and regions belong to each definition: variants may add one id twice.
            if indicator.method == "steps":
                for band in range(len(indicator.thresholds) + 1):
                    level = f"第 {band} 档" if band else "未达第 1 档"
                    text = f"{d} › {indicator.id} {level}"
                    self.items[(d, "分档", id(indicator), band)] = Item("分档", text, where)
            if indicator.method in ("linear", "efficacy"):
                for region in ("起评值以外", "区间内", "达到目标"):
                    text = f"{d} › {indicator.id} {region}"
                    self.items[(d, "线性", id(indicator), region)] = Item("线性", text, where)
        for expr in domain_exprs(domain):
            self._branches(d, expr)
        rules = domain.tiers.rules if domain.tiers else ()
        for index, rule in enumerate(rules):
            text = f"{d} › 等次规则第 {index + 1} 条（{rule.tier}）"
            self.items[(d, "等次", index)] = Item("等次", text, rule.span)
        for label in domain.labels:
            self.items[(d, "标签", label.name)] = Item("标签", f"{d} › {label.name}", label.span)
        adjust = domain.adjustments
        for item in (*adjust.bonuses, *adjust.deductions):
            self.items[(d, "加减分", item.id)] = Item("加减分", f"{d} › {item.name}", item.span)
        for name, condition in adjust.vetoes:
            self.items[(d, "否决", name)] = Item("一票否决", f"{d} › {name}", condition.span)
        for variant in domain.variants:
            text = f"{d} › 一单位一策 {variant.unit}"
            self.items[(d, "一单位一策", variant.unit)] = Item("一单位一策", text, variant.span)

    def _branches(self, d: str, expr: m.Expr) -> None:
        program = self.resolved.programs.get(expr)
        if program is None:
            return
        for cond in _conds(program.node):
            for side in (True, False):
                word = "则/then" if side else "否则/else"
                text = f"{d} › {expr.text.strip()[:40]} 的 {word} 分支"
                self.items[("分支", id(cond), side)] = Item("分支", text, cond.span)

    def record(self, evaluation: Evaluation) -> None:
        """Mark what one case's evaluation exercised."""
        for result in evaluation.domains:
            self._record_domain(result)
        for done in evaluation.specials:
            self._record_domain(done.result)
            for given, column in done.values.items():
                if _gave(column):
                    self.hit.add((done.special.name, "计入", given.kind, given.name))
        for node, outcomes in self.branches.values():
            for side in outcomes:
                self.hit.add(("分支", id(node), side))

    def _record_domain(self, r) -> None:
        d = r.domain.name
        columns = r.population.columns
        for key, applies in r.applicable.items():
            values = np.where(applies, columns[key], np.nan)
            known = ~np.isnan(values)
            if not known.any():
                continue
            self.hit.add((d, "指标", key))
            owners = r.owner[key]
            for indicator in {id(o): o for o in owners[known]}.values():
                mine = known & np.array([o is indicator for o in owners])
                self._bands(d, indicator, values[mine])
                self._regions(d, indicator, r, key, mine)
        for index in set(r.tier_rule.tolist()):
            self.hit.add((d, "等次", index))
        for name, column in r.labels.items():
            kind = r.label_types.get(name)
            if (kind == "bool" and (column == 1.0).any()) or (kind != "bool" and len(column)):
                self.hit.add((d, "标签", name))
        for key, column in r.items.items():
            if (column != 0).any():
                self.hit.add((d, "加减分", key))
        for name, column in r.vetoes.items():
            if column.any():
                self.hit.add((d, "否决", name))
        names = {u.id for u in r.units} | {u.name for u in r.units}
        for variant in r.domain.variants:
            if variant.unit in names:
                self.hit.add((d, "一单位一策", variant.unit))

    def _bands(self, d: str, indicator: m.Indicator, values: np.ndarray) -> None:
        if indicator.method != "steps" or not indicator.thresholds:
            return
        limits = np.array(indicator.thresholds)
        ascending = limits[0] <= limits[-1]
        reached = (values[:, None] >= limits) if ascending else (values[:, None] <= limits)
        for band in np.unique(reached.sum(axis=1)):
            self.hit.add((d, "分档", id(indicator), int(band)))

    def _regions(self, d: str, indicator: m.Indicator, r, key: str, known: np.ndarray) -> None:
        if indicator.method not in ("linear", "efficacy"):
            return
        share = r.scores[key][known] / r.full[key][known]
        ratio = (share - 0.6) / 0.4 if indicator.method == "efficacy" else share
        for region, hit in (
            ("起评值以外", ratio <= 0),
            ("区间内", (ratio > 0) & (ratio < 1)),
            ("达到目标", ratio >= 1),
        ):
            if np.any(hit):
                self.hit.add((d, "线性", id(indicator), region))

    def report(self) -> tuple[float, list[Item]]:
        """The share of items exercised, and the items never exercised (in file order)."""
        missed = [item for key, item in self.items.items() if key not in self.hit]
        total = len(self.items)
        share = (total - len(missed)) / total if total else 1.0
        missed.sort(key=lambda i: (i.span.file, i.span.line) if i.span else ("", 0))
        return share, missed
