"""The year's cycle around the final result: half-year evaluation, problem lists, 实绩到人.

- Half-year (H1): indicators with a 半年目标值 are scored against it; those
  without one are left out of the half-year and their papers rescaled to full
  marks (折算), so a unit's half-year total reads on the same scale as a year's.
  Ranks and tiers follow the year's rules; labels are not derived.
- Problem list (问题清单): every (unit, indicator) that falls below what the rule
  set declares a problem — a score share below a threshold, or a place among the
  last of its category on that indicator — with the gap to target, the scoring
  lead unit and the responsible role, to be fed back to the unit.
- Attribution (实绩到人): for every unit and responsible role, the indicators the
  role owns, their scores and the share of full marks achieved.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector
from kaohe_rules.resolve import Resolved
from kaohe_rules.score.engine import Evaluation


def half_year(resolved: Resolved) -> Resolved:
    """The rule set as the half-year evaluation applies it; KH235 when a paper of
    indicators has none with a half-year target (it would score nothing)."""
    errors = Collector()
    for domain, paper in empty_papers(resolved):
        message = f"半年评估：领域 {domain.name} 考卷 {paper.name} 的指标都没有半年目标值"
        errors.error("KH235", message, paper.span, "给其中的指标写上 半年目标值")
    errors.raise_if_errors()
    ruleset = resolved.ruleset
    domains = tuple(_half_year_domain(d) for d in ruleset.domains)
    # Special assessments are judged at the year's end: the half year runs without them.
    half = dataclasses.replace(ruleset, domains=domains, specials=())
    return Resolved(half, resolved.programs)


def _half(indicator: m.Indicator) -> m.Indicator | None:
    """The indicator scored against its half-year target, or None when it has none.

    A 半年下限值 or 半年上限值 is used as it is. Without one, the year's floor or ceiling,
    set for the year's target, is scaled by the same ratio, so it keeps its place relative
    to the half-year target (a 完成率 floor of 80% against a year's 100% becomes 40%
    against a half-year's 50%), and a higher value never scores lower.
    """
    half = indicator.half_year_target
    if half is None:
        return None
    target = indicator.target
    ratio = half / target if target and half / target > 0 else None

    def scaled(own: float | None, value: float | None) -> float | None:
        if own is not None:
            return own
        return value if value is None or ratio is None else value * ratio

    return dataclasses.replace(
        indicator,
        formula=indicator.half_year_formula or indicator.formula,
        thresholds=indicator.half_year_thresholds or indicator.thresholds,
        target=half,
        floor=scaled(indicator.half_year_floor, indicator.floor),
        ceiling=scaled(indicator.half_year_ceiling, indicator.ceiling),
    )


# A unit's own half-year parameter -> the parameter it sets in the half year.
_HALF_NAMES = {"半年目标值": "目标值", "半年下限值": "下限值", "半年上限值": "上限值"}


def _half_changes(variant: m.Variant, halved: dict[str, set[str]]) -> tuple:
    """A unit's own 半年目标值 (半年下限值, 半年上限值) is its half-year 目标值 (下限值,
    上限值); its own year value does not apply where a half-year one is given for the
    indicator (``halved``: year parameter -> indicators with a half-year value)."""
    own = {
        (target, _HALF_NAMES[parameter])
        for target, parameter, _value, _span in variant.changes
        if parameter in _HALF_NAMES
    }
    changes = []
    for target, parameter, value, span in variant.changes:
        if parameter in _HALF_NAMES:
            changes.append((target, _HALF_NAMES[parameter], value, span))
        elif not (target in halved.get(parameter, ()) or (target, parameter) in own):
            changes.append((target, parameter, value, span))
    return tuple(changes)


def _halved(indicators) -> dict[str, set[str]]:
    """For each year parameter, the indicators whose half-year value replaces it."""
    return {
        "目标值": {i.id for i in indicators if i.half_year_target is not None},
        "下限值": {i.id for i in indicators if i.half_year_floor is not None},
        "上限值": {i.id for i in indicators if i.half_year_ceiling is not None},
    }


def _half_year_domain(domain: m.Domain) -> m.Domain:
    papers = []
    dropped_papers = set()
    for paper in domain.papers:
        kept = tuple(h for h in (_half(i) for i in paper.indicators) if h is not None)
        if len(kept) < len(paper.indicators):
            dropped_papers.add(paper.id)
        papers.append(dataclasses.replace(paper, indicators=kept))
    base = [i for p in domain.papers for i in p.indicators]
    variants = []
    for variant in domain.variants:
        added = tuple(h for h in (_half(i) for i in variant.add) if h is not None)
        if len(added) < len(variant.add):
            dropped_papers.update(i.paper for i in variant.add if i.half_year_target is None)
        halved = _halved([*base, *variant.add])
        variants.append(
            dataclasses.replace(variant, add=added, changes=_half_changes(variant, halved))
        )
    papers = [dataclasses.replace(p, rescale=p.rescale or p.id in dropped_papers) for p in papers]
    # Labels (先进单位, 绩效系数, consecutive tiers) are consequences of the year's result
    # and read history by year; a half-year result must not award or withhold them.
    return dataclasses.replace(domain, papers=tuple(papers), variants=tuple(variants), labels=())


def empty_papers(resolved: Resolved) -> list[tuple[m.Domain, m.Paper]]:
    """Papers scored by indicators none of which has a half-year target: no half-year score."""
    return [
        (domain, paper)
        for domain in resolved.ruleset.domains
        for paper in domain.papers
        if paper.formula is None
        and paper.indicators
        and all(i.half_year_target is None for i in paper.indicators)
    ]


@dataclasses.dataclass
class Problem:
    """One (unit, indicator) to feed back."""

    domain: str
    category: str
    unit: m.Unit
    indicator: m.Indicator
    value: float | None
    target: float | None
    gap: float | None
    score: float
    full: float
    place: int
    count: int
    reasons: list[str]


def problems(evaluation: Evaluation, rule: m.ProblemRule) -> list[Problem]:
    """Every problem, by domain, unit and indicator in rule-set order."""
    found = []
    for d in evaluation.domains:
        for key in dict.fromkeys(i.id for i in d.indicators):
            found += _indicator_problems(d, key, rule)
    order = {u.id: i for i, u in enumerate(evaluation.resolved.ruleset.units)}
    position = {id(i): n for d in evaluation.domains for n, i in enumerate(d.indicators)}
    found.sort(key=lambda p: (order[p.unit.id], position[id(p.indicator)]))
    return found


def _indicator_problems(d, key: str, rule: m.ProblemRule) -> list[Problem]:
    applies = d.applicable[key] & ~d.excluded[key]
    scores, full = d.scores[key], d.full[key]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = scores / full
    places = _places(d, key, applies)
    context = d.contexts
    out = []
    for i in np.flatnonzero(applies):
        reasons = []
        if share[i] < rule.share - 1e-12:
            reasons.append(f"得分率 {share[i] * 100 + 0.0:.1f}% 低于 {rule.share * 100:g}%")
        place, count = places[i]
        # "the last N" only means something in a group larger than N, and full marks is
        # never a problem however the others did.
        at_full = scores[i] >= full[i] - 1e-12
        if rule.last and count > rule.last and place > count - rule.last and not at_full:
            reasons.append(f"类别内该指标第 {places[i][0]} 名，处于末 {rule.last} 位")
        if not reasons:
            continue
        indicator = d.owner[key][i]
        population = context.get(indicator.formula)
        value = _at(population.columns["值"], i) if population is not None else None
        target = _at(population.columns["目标值"], i) if population is not None else None
        gap = None
        if value is not None and target is not None:
            gap = target - value if indicator.direction == "越高越好" else value - target
        out.append(
            Problem(
                d.domain.name,
                d.category[i],
                d.units[i],
                indicator,
                value,
                target,
                gap,
                float(scores[i]),
                float(full[i]),
                places[i][0],
                places[i][1],
                reasons,
            )
        )
    return out


def _at(column: object, index: int) -> float | None:
    value = column if np.ndim(column) == 0 else column[index]
    return None if value is None or np.isnan(value) else float(value)


def _places(d, key: str, applies: np.ndarray) -> dict[int, tuple[int, int]]:
    """Each unit's place on one indicator's score within its category (ties share the best)."""
    places = {}
    for group in np.unique(d.groups):
        members = np.flatnonzero((d.groups == group) & applies)
        scores = d.scores[key][members]
        for position, unit in enumerate(members):
            better = int((scores > scores[position] + 1e-12).sum())
            places[int(unit)] = (better + 1, len(members))
    return places


@dataclasses.dataclass
class Attribution:
    """What one responsible role achieved in one unit."""

    unit: m.Unit
    domain: str
    role: str
    indicators: list[tuple[m.Indicator, float, float]]

    @property
    def scored(self) -> float:
        return sum(score for _i, score, _full in self.indicators)

    @property
    def full(self) -> float:
        return sum(full for _i, _score, full in self.indicators)

    @property
    def ratio(self) -> float:
        return self.scored / self.full if self.full else 0.0


def attribute(evaluation: Evaluation) -> list[Attribution]:
    """Per unit and responsible role, the owned indicators with their scores."""
    out = []
    for d in evaluation.domains:
        keys = list(dict.fromkeys(i.id for i in d.indicators))
        for i, unit in enumerate(d.units):
            roles: dict[str, list] = {}
            for key in keys:
                if not d.applicable[key][i] or d.excluded[key][i]:
                    continue
                indicator = d.owner[key][i]
                role = indicator.owner or "（未指定）"
                roles.setdefault(role, []).append(
                    (indicator, float(d.scores[key][i]), float(d.full[key][i]))
                )
            for role, owned in roles.items():
                out.append(Attribution(unit, d.domain.name, role, owned))
    return out
