"""Domains that share their rules, scored in one pass and then cut apart.

Two domains are twins when their rules are the same but for the domain's name and its
categories: the same papers, indicators, parameters, items, vetoes, ranking, tiers and
labels (written in different files). A domain costs a fixed number of numpy calls
whatever its size, so scoring twins as one population of their units, each category
still its own group, costs about what one of them does; each domain's result is then
cut from it, as views. Decision 38 in docs/decisions.md.

Only where the results are the same by construction: every formula reads one unit's
values or its category's (no cohort function, whose ``by=`` could reach across
domains), ranks and tiers are within categories, no 一单位一策, no special assessment,
and no formula used twice in a domain (a YAML alias: one key of the explanation contexts,
where a twin writing it out has two). The engine scores the domains one by one instead
when the fused run warns or refuses the data, so warnings and errors name each domain's
units as they always do, and when the group has more than MOST_UNITS units, where fusing
no longer pays.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial

import numpy as np

from kaohe_rules import batch
from kaohe_rules import model as m
from kaohe_rules.dsl import Population
from kaohe_rules.dsl.ast import Call, walk
from kaohe_rules.dsl.evaluate import Run, vectorize
from kaohe_rules.dsl.functions import BUILTINS
from kaohe_rules.resolve import Resolved
from kaohe_rules.scoring import (
    DomainResult,
    Roster,
    batched_context,
    category_labels,
    repeated,
    roster,
    roster_of,
)

# Not a name a rule file can give a domain (YAML text has no NUL): the fused domain's
# entries in the rule set's cache never meet a real domain's.
_PREFIX = "\0twins:"
_SKIPPED = frozenset({"span", "origin", "written", "cap_span", "caps_at"})  # places, not rules
# Fusing saves a fixed cost per domain (about 0.3 ms); past this many units in all the
# work per unit dominates, and arrays of one domain at a time stay nearer the CPU's
# caches: at 1,000,000 units a fused pass took 15% longer (bench/scale/README.md).
MOST_UNITS = 50_000


@dataclass(frozen=True)
class Twins:
    """A group of twin domains and what cutting their fused result apart needs: all
    fixed by the rules and the roster, worked out once per rule set."""

    members: tuple[m.Domain, ...]
    fused: m.Domain  # the first member's rules under a name of its own, no categories
    bounds: tuple[tuple[int, int], ...]  # each member's rows of the fused population
    labels: tuple[np.ndarray, ...]  # each member's category names and codes, read-only
    codes: tuple[np.ndarray, ...]
    exprs: tuple[dict[int, m.Expr], ...]  # id of the fused domain's Expr -> the member's
    batches: tuple[dict[int, batch.Batch], ...]  # id of a fused batch -> the member's
    # Per member, the tables that no data changes when no unit has a variant and the
    # run did not warn: owner, applicable, excluded, full (满分) and paper weights.
    fixed: tuple[dict[str, dict[str, np.ndarray]], ...]


def plan(resolved: Resolved) -> dict[str, Twins]:
    """Each twin domain's name -> its group (kept for the rule set); empty when none."""
    return resolved.kept("twins", lambda: _plan(resolved))


def _plan(resolved: Resolved) -> dict[str, Twins]:
    ruleset = resolved.ruleset
    if ruleset.specials:  # their contributions and members are per domain
        return {}
    alike: dict[object, list[m.Domain]] = {}
    for domain in ruleset.domains:
        if _eligible(resolved, domain):
            alike.setdefault(shape(domain), []).append(domain)
    found: dict[str, Twins] = {}
    for members in alike.values():
        units = sum(len(roster(resolved, d).units) for d in members)
        if len(members) < 2 or units > MOST_UNITS:
            continue
        twins = _twins(resolved, tuple(members))
        if twins is not None:
            found.update(dict.fromkeys((d.name for d in members), twins))
    return found


def _eligible(resolved: Resolved, domain: m.Domain) -> bool:
    if domain.variants or not roster(resolved, domain).units:
        return False
    adjust = domain.adjustments
    if any(item.family for item in (*adjust.bonuses, *adjust.deductions)):
        return False  # a family's members are found in the data, domain by domain
    if domain.ranking is not None and domain.ranking.scope != "类别":
        return False
    exprs = _exprs(_rules(domain))
    if len(set(exprs)) != len(exprs):
        # One formula used twice (a YAML alias) is one key of the explanation contexts:
        # a twin written out in full would have nothing to map its second copy from.
        return False
    for expr in exprs:
        program = resolved.programs.get(expr)
        if program is None:
            return False
        # history() reads each unit's own earlier results (its columns are cut like any
        # other), so only the library's cohort functions keep a domain apart.
        for node in walk(program.node):
            if isinstance(node, Call) and getattr(BUILTINS.get(node.func), "cohort", False):
                return False
    return True


def shape(domain: m.Domain) -> object:
    """The domain's rules as nested tuples, without its name, its categories and where
    anything is written: equal for twins."""
    return _shape(_rules(domain))


def _rules(domain: m.Domain) -> m.Domain:
    return dataclasses.replace(domain, name="", categories=(), span=None)


def _shape(value: object) -> object:
    if isinstance(value, m.Expr):
        return ("式", value.text)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            *(
                (f.name, _shape(getattr(value, f.name)))
                for f in dataclasses.fields(value)
                if f.name not in _SKIPPED
            ),
        )
    if isinstance(value, tuple | list):
        return tuple(_shape(v) for v in value)
    return value


def _exprs(value: object) -> list[m.Expr]:
    """Every Expr in ``value``, in the order _shape visits them."""
    if isinstance(value, m.Expr):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = (f.name for f in dataclasses.fields(value) if f.name not in _SKIPPED)
        return [e for name in fields for e in _exprs(getattr(value, name))]
    if isinstance(value, tuple | list):
        return [e for v in value for e in _exprs(v)]
    return []


def _twins(resolved: Resolved, members: tuple[m.Domain, ...]) -> Twins | None:
    first = members[0]
    fused = dataclasses.replace(first, name=_PREFIX + "、".join(d.name for d in members))
    fused = dataclasses.replace(fused, categories=())
    labels, codes, bounds = [], [], []
    start = offset = 0
    for domain in members:
        found = _categories(resolved, domain)
        if found is None:
            return None  # a category the roster cannot decide: scored one by one, warned
        labels.append(found[0])
        codes.append(found[1])
        size = len(found[1])
        bounds.append((start, start + size))
        start += size
    fused_codes = []
    for own in codes:
        fused_codes.append(own + offset)
        offset += int(own.max()) + 1
    rows = np.concatenate([roster(resolved, d).rows for d in members])
    resolved.cache[("roster", fused.name)] = roster_of(resolved, rows)
    all_labels, all_codes = np.concatenate(labels), np.concatenate(fused_codes)
    all_labels.flags.writeable = all_codes.flags.writeable = False
    resolved.cache[("categories", fused.name)] = (all_labels, all_codes, [])
    fused_exprs = _exprs(_rules(fused))
    fused_batches = batch.plan(resolved, fused)
    return Twins(
        members,
        fused,
        tuple(bounds),
        tuple(labels),
        tuple(codes),
        tuple(
            {id(a): b for a, b in zip(fused_exprs, _exprs(_rules(d)), strict=True)} for d in members
        ),
        tuple(
            {id(a): b for a, b in zip(fused_batches, batch.plan(resolved, d), strict=True)}
            for d in members
        ),
        tuple(_fixed(resolved, d) for d in members),
    )


class _Warned(Exception):
    """A category condition warned: the member is scored on its own, which warns."""


def _categories(resolved: Resolved, domain: m.Domain) -> tuple[np.ndarray, np.ndarray] | None:
    """The member's category names and codes, as DomainScorer.categories finds them;
    None when a condition warns or leaves a unit in no category."""
    units: Roster = roster(resolved, domain)
    population = Population.trusted(dict(units.columns), len(units.units), units.names)

    def condition(expr: m.Expr) -> np.ndarray:
        run = Run(population, None)
        hit = vectorize(resolved.program(expr)).evaluate(population, run)
        if run.warnings():
            raise _Warned
        return np.asarray(hit)

    try:
        labels, codes = category_labels(domain, population, condition)
    except _Warned:
        return None
    if not len(codes) or codes.min() < 0:
        return None
    return labels, codes


def _fixed(resolved: Resolved, domain: m.Domain) -> dict[str, dict[str, np.ndarray]]:
    """The member's tables that only its rules fix, as DomainScorer stores them for a
    domain without variants whose run did not warn: each indicator's one Indicator,
    every unit applicable and none excluded, 满分 and paper weights the same for all."""
    size = len(roster(resolved, domain).units)

    def constant(value: object) -> np.ndarray:
        one = np.empty(1, dtype=object if isinstance(value, m.Indicator) else np.float64)
        one[0] = value
        return repeated(one, (size,))

    everyone = repeated(np.array([True]), (size,))
    no_one = repeated(np.array([False]), (size,))
    indicators = {i.id: i for i in domain.all_indicators()}
    return {
        "owner": {key: constant(i) for key, i in indicators.items()},
        "applicable": dict.fromkeys(indicators, everyone),
        "excluded": dict.fromkeys(indicators, no_one),
        "full": {key: constant(float(i.full)) for key, i in indicators.items()},
        "paper_weights": {p.id: constant(float(p.weight)) for p in domain.papers},
    }


class _Cut:
    """One member's share of the fused result: its rows of every column, as views."""

    def __init__(self, twins: Twins, member: int, resolved: Resolved) -> None:
        self.start, self.end = twins.bounds[member]
        self.rows = slice(self.start, self.end)
        self.codes = twins.codes[member]
        self.names = roster(resolved, twins.members[member]).names
        self.populations: dict[int, Population] = {}
        self.histories: dict[int, dict] = {}

    def __call__(self, column: object) -> object:
        # A population's columns are one per unit, or a constant (a parameter): 0-d.
        return column[self.rows] if getattr(column, "ndim", 0) == 1 else column

    def each(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = self.rows
        return {k: v[rows] if getattr(v, "ndim", 0) == 1 else v for k, v in columns.items()}

    def population(self, fused: Population) -> Population:
        found = self.populations.get(id(fused))
        if found is None:
            found = Population.trusted(self.each(fused.columns), self.end - self.start, self.names)
            found._default_codes = self.codes
            history = self.histories.get(id(fused.history))
            if history is None:
                history = {back: self.each(f) for back, f in fused.history.items()}
                self.histories[id(fused.history)] = history
            found.history = history
            self.populations[id(fused)] = found
        return found


def split(resolved: Resolved, twins: Twins, fused: DomainResult) -> list[DomainResult]:
    """Each member's DomainResult, cut from the fused one: what scoring each on its own
    gives, its own rules' objects (for explain's citations) and views of the numbers."""
    out = []
    for member, domain in enumerate(twins.members):
        cut = _Cut(twins, member, resolved)
        indicators = resolved.kept(("all indicators", domain.name), domain.all_indicators)
        population = cut.population(fused.population)
        r = DomainResult(
            domain,
            roster(resolved, domain).units,
            population,
            twins.labels[member],
            list(indicators),
        )
        fixed = twins.fixed[member]
        r.applicable, r.excluded = dict(fixed["applicable"]), dict(fixed["excluded"])
        r.scores, r.full = cut.each(fused.scores), dict(fixed["full"])
        r.owner = dict(fixed["owner"])
        r.papers, r.paper_weights = cut.each(fused.papers), dict(fixed["paper_weights"])
        r.bonus, r.deduction = cut(fused.bonus), cut(fused.deduction)
        r.items, r.veto, r.vetoes = cut.each(fused.items), cut(fused.veto), cut.each(fused.vetoes)
        r.total, r.rank, r.size = cut(fused.total), cut(fused.rank), cut(fused.size)
        # The fused order runs through the groups in turn, and each member's groups
        # follow the one before's: its units are a stretch of it.
        r.order = fused.order[cut.start : cut.end] - cut.start
        r.groups = twins.codes[member]
        r.tier, r.tier_rule = cut(fused.tier), cut(fused.tier_rule)
        r.labels, r.label_types = cut.each(fused.labels), dict(fused.label_types)
        _contexts(r, fused, cut, twins, member, domain)
        out.append(r)
    return out


def _contexts(
    r: DomainResult, fused: DomainResult, cut: _Cut, twins: Twins, member: int, domain: m.Domain
) -> None:
    """Each of the member's formulas with its share of the population it ran in."""
    exprs, batches = twins.exprs[member], twins.batches[member]
    for category in domain.categories:
        r.contexts[category.condition] = r.population
    for expr, population in dict.items(fused.contexts):
        r.contexts[exprs[id(expr)]] = cut.population(population)
    # A batch's formulas share one maker (scoring._batched); they are pending together.
    makers = {id(maker): maker for maker in fused.contexts.pending.values()}
    for maker in makers.values():
        population, group = maker.args
        own = batches[id(group)]
        made = partial(batched_context, cut.population(population), own)
        r.contexts.pending.update(dict.fromkeys(own.by_formula, made))
