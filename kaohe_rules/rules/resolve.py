"""Compiles every expression of a rule set against the names visible where it is written.

What a formula may name grows along the evaluation order (categories from the
roster; indicators from data; papers from indicator scores; adjustments from
papers; ranking, tiers and labels from totals), so each place gets its own
scope. Problems come back as diagnostics located in the rule files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from functools import cached_property

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, KaoheError
from kaohe_rules.dsl import Compiled, Scope, Symbol, compile_expression
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.functions import BUILTINS, Function, Param
from kaohe_rules.dsl.population import Population
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type, record
from kaohe_rules.records import data_record
from kaohe_rules.rules import rosters
from kaohe_rules.rules.rosters import Rosters, unit_symbols
from kaohe_rules.source import name_keys

PARAMETERS = (
    "满分",
    "目标值",
    "下限值",
    "上限值",
    "排名步长",
    "最低分",
    "半年目标值",
    "半年下限值",
    "半年上限值",
)
RESULTS = {"总分": NUMBER, "加分": NUMBER, "扣分": NUMBER, "否决": BOOL, "名次": NUMBER}
RESULTS_CONTEXT = {"人数": NUMBER, "类别": TEXT}
RESERVED = {"值", "权重", "等次", "unit", *PARAMETERS, *RESULTS, *RESULTS_CONTEXT}
HISTORY = record(**m.HISTORY_FIELDS)


def _history(cx: object, years: float) -> dict:
    """Earlier results from the population's history; missing where a year is not known."""
    known = cx.population.history.get(int(years), {})
    out = {}
    for name, kind in HISTORY.fields:
        column = known.get(name)
        if column is None:
            column = (
                np.full(cx.size, None, dtype=object) if kind == TEXT else np.full(cx.size, np.nan)
            )
        out[name] = column
    return out


def _years_rule(value: object) -> str | None:
    return None if value == int(value) and 1 <= value <= 10 else "须是 1 到 10 之间的整数"


HISTORY_FUNCTION = Function(
    "history",
    (Param("years", NUMBER, const=True, rule=_years_rule),),
    HISTORY,
    _history,
    cohort=True,  # read from the population's history columns, as a group value is
    summary="往年的结果：history(1) 是上一年，history(1).等次",
)
FUNCTIONS = {**BUILTINS, "history": HISTORY_FUNCTION}


@data_record
class Resolved:
    """A rule set with every expression compiled, keyed by the expression as written."""

    ruleset: m.RuleSet
    programs: Mapping[m.Expr, Compiled]
    # The names each expression was checked against, compiled or not: what an editor
    # offers inside that formula (kaohe_rules.editing). Scopes are shared, not copied.
    scopes: Mapping[m.Expr, Scope] = field(default_factory=dict, compare=False, repr=False)

    def program(self, expr: m.Expr) -> Compiled:
        """The compiled form of one expression of the rule set."""
        return self.programs[expr]

    @cached_property
    def rosters(self) -> Rosters:
        """The roster as columns, each domain's units a selection: fixed by the rule set,
        so worked out once (a half year or a test case makes a new Resolved)."""
        return rosters.build(self.ruleset, self.programs)

    @cached_property
    def unit_name_keys(self) -> tuple[Sequence[str], bool]:
        """Every unit's name as a reader sees it (source.name_key: NFKC), and whether no
        two are the same: the roster checks (semantics.py, meaning.py) both ask, and a
        million names took 0.3 s each time."""
        keys = name_keys(m.roster_column(self.ruleset.units, "名称"))
        return keys, len(set(keys)) == len(keys)

    def category_hits(self, domain: m.Domain) -> tuple[np.ndarray, ...] | None:
        """For each category of ``domain``, where its condition holds over the domain's
        roster (== 1.0, read-only); None when a condition did not compile or the domain
        has no unit. Worked out once for the checks (semantics.py, meaning.py), which
        both count them."""
        kept = self._category_hits
        if domain.name not in kept:
            kept[domain.name] = self._evaluate_categories(domain)
        return kept[domain.name]

    @cached_property
    def _category_hits(self) -> dict[str, tuple[np.ndarray, ...] | None]:
        return {}

    def _evaluate_categories(self, domain: m.Domain) -> tuple[np.ndarray, ...] | None:
        programs = [self.programs.get(c.condition) for c in domain.categories]
        if None in programs:
            return None
        listed = self.rosters.of(domain)
        if not listed.units:
            return None
        population = Population(listed.columns, size=len(listed.units), unit_ids=listed.names)
        hits = tuple(evaluate(program, population)[0] == 1.0 for program in programs)
        for hit in hits:
            if isinstance(hit, np.ndarray):
                hit.flags.writeable = False
        return hits


def base_symbols(ruleset: m.RuleSet, domain: m.Domain) -> dict[str, Type]:
    """What every formula of a domain may name: unit attributes, data items, indicator values."""
    names = unit_symbols(ruleset)
    for item in (*ruleset.data_items, *domain.data_items):
        names[item.name] = item.type
    for indicator in domain.all_indicators():
        names[indicator.id] = NUMBER
    return names


def resolve(ruleset: m.RuleSet, errors: Collector) -> Resolved:
    """Compile every expression; problems go to ``errors``."""
    programs: dict[m.Expr, Compiled] = {}
    scopes: dict[m.Expr, Scope] = {}
    for domain in ruleset.domains:
        _Domain(ruleset, domain, programs, errors, scopes=scopes).run()
    for special in ruleset.specials:
        compiler = _Domain(ruleset, special.domain, programs, errors, "专项考核", scopes)
        compiler.compile(special.members, unit_symbols(ruleset), BOOL, "对象")
        names = compiler.run()
        for item in special.contributions:
            expect = {"加分": NUMBER, "扣分": NUMBER, "一票否决": BOOL}.get(item.kind)
            where = ("计入综合考核", item.kind) + ((item.name,) if item.kind == "标签" else ())
            compiler.compile(item.expr, names, expect, *where)
    return Resolved(ruleset, programs, scopes)


class _Domain:
    def __init__(
        self,
        ruleset: m.RuleSet,
        domain: m.Domain,
        out: dict[m.Expr, Compiled],
        errors: Collector,
        kind: str = "领域",
        scopes: dict[m.Expr, Scope] | None = None,
    ) -> None:
        self.ruleset, self.domain, self.out, self.errors = ruleset, domain, out, errors
        self.kind = kind
        self.scopes = {} if scopes is None else scopes
        self.base = base_symbols(ruleset, domain)
        self._scopes: dict[tuple, Scope] = {}

    def compile(self, expr: m.Expr | None, names: dict[str, Type], expect: Type, *where: str):
        if expr is None:
            return
        scope = self.scopes[expr] = self._scope(names)
        try:
            self.out[expr] = compile_expression(expr.text, scope, expr.origin, expect)
        except KaoheError as error:
            context = (f"{self.kind} {self.domain.name}", *where)
            for d in error.diagnostics:
                self.errors.add(Diagnostic(d.code, d.message, d.span, d.hint, context, d.severity))

    def _scope(self, names: dict[str, Type]) -> Scope:
        # A domain's hundreds of formulas see a few sets of names: one Scope (read only to
        # the checker) for each. The types are keyed by identity, kept alive by the Scope.
        key = (tuple(names), tuple(map(id, names.values())))
        scope = self._scopes.get(key)
        if scope is None:
            symbols = [Symbol(n, t) for n, t in names.items()]
            scope = self._scopes[key] = Scope(symbols, functions=FUNCTIONS)
        return scope

    def run(self) -> dict[str, Type]:
        """Compile the domain's formulas; the names its labels' stage sees, labels included."""
        units = unit_symbols(self.ruleset)
        for category in self.domain.categories:
            self.compile(category.condition, units, BOOL, f"类别 {category.name}")
        for indicator in self.domain.all_indicators():
            names = {**self.base, "值": NUMBER, **dict.fromkeys(PARAMETERS, NUMBER)}
            where = (f"考卷 {indicator.paper}", f"指标 {indicator.id}")
            if indicator.benchmark is not None:
                # The benchmark is its own formula, evaluated first as 标杆.
                self.compile(indicator.benchmark, names, NUMBER, *where, "标杆")
                names["标杆"] = NUMBER
            self.compile(indicator.formula, names, NUMBER, *where, "计分")
            # a 分档 indicator's 半年档位: the half year's formula (cycle.half_year)
            self.compile(indicator.half_year_formula, names, NUMBER, *where, "半年档位")
        scores = {f"{i.id}.得分": NUMBER for i in self.domain.all_indicators()}
        for paper in self.domain.papers:
            names = {**self.base, **scores, "权重": NUMBER}
            self.compile(paper.formula, names, NUMBER, f"考卷 {paper.id}", "计分")
        papers = {**self.base, **scores, **{p.id: NUMBER for p in self.domain.papers}}
        self._adjustments(papers)
        return self._ranking_and_tiers(papers)

    def _adjustments(self, names: dict[str, Type]) -> None:
        adjust = self.domain.adjustments
        for kind, items in (("加分", adjust.bonuses), ("扣分", adjust.deductions)):
            for item in items:
                # a family's 每项 reads 值, each member's value in turn (families.py)
                own = {**names, "值": NUMBER} if item.family else names
                self.compile(item.formula, own, NUMBER, "加减分", kind, item.id)
        for name, condition in adjust.vetoes:
            self.compile(condition, names, BOOL, "加减分", "一票否决", name)

    def _ranking_and_tiers(self, names: dict[str, Type]) -> dict[str, Type]:
        # Ranking keys come before 名次 and 人数 exist; tiers and labels may use them.
        before = {k: v for k, v in RESULTS.items() if k != "名次"}
        ranking = self.domain.ranking
        names = {**names, **before}
        if ranking is not None:
            for key in (ranking.key, *ranking.tiebreak):
                self.compile(key.expr, names, None, "排名")
                compiled = self.out.get(key.expr)
                if compiled is not None and compiled.type not in (NUMBER, TEXT):
                    message = f"排名依据须为数值或文本，这里是{compiled.type.label}"
                    self.errors.error("KH130", message, key.expr.span)
        names = {**names, **RESULTS, **RESULTS_CONTEXT}
        tiers = self.domain.tiers.rules if self.domain.tiers else ()
        for index, rule in enumerate(tiers, 1):
            where = ("等次", f"第 {index} 条（{rule.tier}）")
            self.compile(rule.condition, names, BOOL, *where, "条件")
            self.compile(rule.unless, names, BOOL, *where, "除非")
            self.compile(rule.top, names, NUMBER, *where, "前列")
            self.compile(rule.bottom, names, NUMBER, *where, "末位")
        names = {**names, "等次": TEXT}
        for label in self.domain.labels:
            self.compile(label.expr, names, None, "标签", label.name)
            compiled = self.out.get(label.expr)
            if compiled is not None:
                names[label.name] = compiled.type
        return names
