"""The half-year evaluation (H1): the year's rules as the half year applies them.

Indicators with a 半年目标值 are scored against it; those without one are left out of
the half year and their papers rescaled to full marks (折算), so a unit's half-year total
reads on the same scale as a year's. Ranks and tiers follow the year's rules; labels are
not derived. Special assessments are judged at the year's end: the half year runs
without them.
"""

from __future__ import annotations

import dataclasses

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector
from kaohe_rules.rules.resolve import Resolved


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
