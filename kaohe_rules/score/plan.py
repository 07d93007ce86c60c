"""What the rules and the roster fix before any data, worked out once per rule set.

A ``Plan`` holds, for every scored domain, a ``DomainPlan``: its roster, its units'
categories and groups, which units each indicator applies to and with which
parameters (一单位一策 included), each paper's members and weights, the tier names, the
id order ties fall back to, and every formula ready to run. Evaluations read it and
never change it: a half year or a test case builds its own rule set, and so its own
plan. The speed techniques' own plan (batches, blocks) is ``fast.DomainFast``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.dsl import Population
from kaohe_rules.dsl.evaluate import Run, Vectorized, vectorize
from kaohe_rules.dsl.types import NUMBER, Type
from kaohe_rules.records import data_record
from kaohe_rules.rules.resolve import Resolved
from kaohe_rules.rules.rosters import Roster
from kaohe_rules.score import fast, order
from kaohe_rules.score.layout import Layout, layout


@data_record
class Categories:
    """Each unit's category (None where no condition holds), its group code, and the
    warnings working them out gave (every evaluation reports them again)."""

    labels: np.ndarray
    codes: np.ndarray
    warnings: tuple[Diagnostic, ...]


@data_record
class IndicatorGroup:
    """Indicators of one id scored by one run of one formula: usually one indicator;
    several when 一单位一策 adds the same indicator to several units, so that its rank or
    benchmark compares them all."""

    indicators: tuple[m.Indicator, ...]
    masks: tuple[np.ndarray, ...]  # which units each of them scores
    applies: np.ndarray  # any of them
    everyone: bool  # every unit of the domain (no variant drops or adds it)
    parameters: Mapping[str, float | np.ndarray]  # 满分, 目标值 …: a number, or per unit
    full: np.ndarray  # 满分 for every unit


@data_record
class PaperPlan:
    """A paper's indicators (ids, in file order) and its weight for every unit."""

    paper: m.Paper
    members: tuple[str, ...]
    weight: float | np.ndarray  # a number, or per unit where a variant changes it
    weights: np.ndarray  # the weight for every unit, read-only


@data_record
class DomainPlan:
    """One scored domain (or special assessment), as far as the rules and roster fix it."""

    domain: m.Domain
    roster: Roster
    indicators: tuple[m.Indicator, ...]  # every indicator, variants' additions too
    # Per indicator id, in file order: the groups scoring it (one per formula text).
    scorings: Mapping[str, tuple[IndicatorGroup, ...]]
    papers: tuple[PaperPlan, ...]
    value_names: tuple[tuple[str, Type], ...]  # data items and indicators it reads
    categories: Categories
    groups: order.Groups  # what ranks and tiers read of the domain's groups
    id_order: np.ndarray  # positions sorted by unit id: the last tie-break
    tier_names: np.ndarray  # each tier rule's name, then None (placed by no rule)
    fast: fast.DomainFast  # what the speed techniques work out before any data

    @property
    def size(self) -> int:
        return len(self.roster.units)

    @cached_property
    def layout(self) -> Layout:
        """Where each category's units lie (the checks after scoring read it)."""
        return layout(self.categories.labels)


@data_record
class Plan:
    """A rule set's plan: every scored domain's, and every formula ready to run."""

    resolved: Resolved
    domains: Mapping[str, DomainPlan]
    vectors: Mapping[m.Expr, Vectorized]
    scored_names: frozenset[str]  # every indicator id of the scored domains

    def of(self, domain: m.Domain) -> DomainPlan:
        return self.domains[domain.name]

    def vector(self, expr: m.Expr) -> Vectorized:
        """A formula ready to run over a population."""
        return self.vectors[expr]


def build(resolved: Resolved) -> Plan:
    """The plan of every scored domain of a checked rule set."""
    vectors = MappingProxyType({e: vectorize(p) for e, p in resolved.programs.items()})
    domains = {}
    for domain in resolved.ruleset.scored():
        domains[domain.name] = _domain(resolved, domain, vectors)
    scored = frozenset(i.id for d in resolved.ruleset.scored() for i in d.all_indicators())
    return Plan(resolved, MappingProxyType(domains), vectors, scored)


def _domain(
    resolved: Resolved, domain: m.Domain, vectors: Mapping[m.Expr, Vectorized]
) -> DomainPlan:
    roster = resolved.rosters.of(domain)
    size = len(roster.units)
    indicators = tuple(domain.all_indicators())
    variants = _variant_positions(domain, roster)
    scorings = {}
    for key, same_id in _by_id(indicators).items():
        if len({i.formula.text for i in same_id}) == 1:
            scorings[key] = (_group(domain, same_id, variants, size),)
        else:
            scorings[key] = tuple(_group(domain, [i], variants, size) for i in same_id)
    papers = tuple(_paper(p, indicators, variants, size) for p in domain.papers)
    categories = categories_of(domain, roster, vectors)
    ranking = domain.ranking
    by_category = ranking is None or ranking.scope == "类别"
    codes = categories.codes if by_category else np.zeros(size, dtype=np.int64)
    codes.flags.writeable = False
    rules = domain.tiers.rules if domain.tiers else ()
    tier_names = np.array([*(rule.tier for rule in rules), None], dtype=object)
    tier_names.flags.writeable = False
    id_order = order.id_order(roster.columns["unit.编号"])
    id_order.flags.writeable = False
    groups = order.Groups.of(codes)
    planned = fast.plan_domain(
        resolved, domain, vectors, groups, roster.columns, papers, id_order, scorings
    )
    return DomainPlan(
        domain,
        roster,
        indicators,
        MappingProxyType(scorings),
        papers,
        tuple(value_names(resolved.ruleset, domain).items()),
        categories,
        groups,
        id_order,
        tier_names,
        planned,
    )


def value_names(ruleset: m.RuleSet, domain: m.Domain) -> dict[str, Type]:
    """The data items and indicators a domain reads, with their types."""
    names: dict[str, Type] = {}
    for item in (*ruleset.data_items, *domain.data_items):
        names[item.name] = item.type
    for indicator in domain.all_indicators():
        names[indicator.id] = NUMBER
    return names


def categories_of(
    domain: m.Domain,
    roster: Roster,
    vectors: Mapping[m.Expr, Vectorized],
    branches: dict | None = None,
) -> Categories:
    """Each unit's category: the first whose condition holds. Category conditions read
    unit attributes only (resolve.py), so the roster decides them."""
    population = Population.trusted(dict(roster.columns), len(roster.units), roster.names)
    first = np.full(population.size, -1, dtype=np.int64)  # the first category that holds
    warnings: list[Diagnostic] = []
    for k, category in enumerate(domain.categories):
        run = Run(population, branches)
        hit = vectors[category.condition].evaluate(population, run) == 1.0
        warnings += run.warnings()
        first[hit & (first < 0)] = k
    names = np.array([*(c.name for c in domain.categories), None], dtype=object)
    labels = names[first]  # -1: the None after the names
    # The names of a domain's categories are distinct (keys of 类别): their numbers group
    # the units as the names do, and factorizing numbers is quicker than a million labels.
    codes = population.factorize(np.where(first < 0, np.nan, first))
    labels.flags.writeable = codes.flags.writeable = False
    return Categories(labels, codes, tuple(warnings))


def _by_id(indicators: tuple[m.Indicator, ...]) -> dict[str, list[m.Indicator]]:
    """A domain's indicators by id, in file order (variants may add one id twice)."""
    groups: dict[str, list[m.Indicator]] = {}
    for indicator in indicators:
        groups.setdefault(indicator.id, []).append(indicator)
    return groups


def _variant_positions(domain: m.Domain, roster: Roster) -> list[tuple[int, m.Variant]]:
    """Each 一单位一策 with the position of its unit (named by id, else by name)."""
    named = {variant.unit for variant in domain.variants}
    # The first unit with each such id, and with each such name: two passes over the
    # roster, not one per variant (30 variants over a million units took a second).
    first: list[dict[str, int]] = []
    for column in (roster.columns["unit.编号"], roster.columns["unit.名称"]):
        hits = np.fromiter(map(named.__contains__, column), dtype=bool, count=len(column))
        at: dict[str, int] = {}
        for index in np.flatnonzero(hits).tolist():
            at.setdefault(column[index], index)
        first.append(at)
    by_id, by_name = first
    found = []
    for variant in domain.variants:
        index = by_id.get(variant.unit, by_name.get(variant.unit))
        if index is not None:
            found.append((index, variant))
    return found


def _applies(domain: m.Domain, indicator: m.Indicator, variants, size: int) -> np.ndarray:
    """Which units an indicator scores: all but those whose variant drops it, or, for an
    indicator a variant adds, only that unit."""
    added = any(a is indicator for a in domain.added_indicators())
    mask = np.full(size, not added)
    for index, variant in variants:
        if any(a is indicator for a in variant.add):
            mask[index] = True
        elif indicator.id in variant.drop:
            mask[index] = False
    return mask


def _parameter(target: str, name: str, default: object, variants, size: int) -> object:
    """A parameter: the rule's value (a number, or already a column), as a column where
    variants give units their own."""
    constant = np.nan if default is None else default
    changes = [
        (index, value)
        for index, variant in variants
        for changed, parameter, value, _span in variant.changes
        if (changed, parameter) == (target, name)
    ]
    if not changes:
        return constant
    column = np.array(np.broadcast_to(np.asarray(constant, dtype=np.float64), size))
    for index, value in changes:
        column[index] = value
    return column


def _group(domain: m.Domain, same_id: list[m.Indicator], variants, size: int) -> IndicatorGroup:
    first = same_id[0]
    masks = [_applies(domain, i, variants, size) for i in same_id]
    applies = np.logical_or.reduce(masks)
    parameters: dict[str, float | np.ndarray] = {}
    for name, default in first.parameters().items():
        column: object = np.nan if default is None else float(default)
        for other, mask in zip(same_id[1:], masks[1:], strict=True):
            own = other.parameters()[name]
            column = np.where(mask, np.nan if own is None else own, column)
        parameters[name] = _parameter(first.id, name, column, variants, size)
    full = np.broadcast_to(np.asarray(parameters["满分"], dtype=np.float64), size)
    for array in (*masks, applies, *parameters.values()):
        if isinstance(array, np.ndarray):
            array.flags.writeable = False  # shared by every evaluation
    return IndicatorGroup(
        tuple(same_id),
        tuple(masks),
        applies,
        bool(applies.all()),
        MappingProxyType(parameters),
        full,
    )


def _paper(paper: m.Paper, indicators: tuple[m.Indicator, ...], variants, size: int) -> PaperPlan:
    members = tuple(dict.fromkeys(i.id for i in indicators if i.paper == paper.id))
    weight = _parameter(paper.id, "权重", paper.weight, variants, size)
    if isinstance(weight, np.ndarray):
        weight.flags.writeable = False
    weights = np.broadcast_to(np.asarray(weight, dtype=np.float64), size)
    return PaperPlan(paper, members, weight, weights)
