"""What the report's charts and tables count: the categories, tier order and colours,
cut lines between tiers, and each indicator's spread of scores."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kaohe_rules.score import ranking
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.score.result import DomainResult

UNPLACED = "未定等次"
NO_CATEGORY = "（无类别）"
PALETTE = ("#2e7d32", "#1565c0", "#ef6c00", "#c62828", "#6a1b9a", "#00838f")
GREY = "#9e9e9e"
EPSILON = 1e-9


@dataclass
class Group:
    """One category of one domain: the units the tiers and ranks are decided among."""

    domain: DomainResult
    name: str
    members: np.ndarray  # positions in the domain's columns, roster order

    @property
    def label(self) -> str:
        return f"{self.domain.domain.name} · {self.name}"


def groups(evaluation: Evaluation) -> list[Group]:
    """Every (domain, category) with units: domains in rule-set order, categories as declared."""
    found = []
    for d in evaluation.domains:
        names = [c.name for c in d.domain.categories]
        names += [c for c in dict.fromkeys(d.category) if c not in names]
        for name in names:
            members = np.flatnonzero(np.array([c == name for c in d.category], dtype=bool))
            if len(members):
                found.append(Group(d, NO_CATEGORY if name is None else str(name), members))
    return found


def tier_order(evaluation: Evaluation) -> list[str]:
    """Tier names best first as the rules rank them, then any others, then 未定等次."""
    order = ranking.tier_order([d.domain for d in evaluation.domains])
    order += [t for d in evaluation.domains for t in dict.fromkeys(d.tier) if t and t not in order]
    order = list(dict.fromkeys(order))
    if any(t is None for d in evaluation.domains for t in d.tier):
        order.append(UNPLACED)
    return order


def tier_colors(order: list[str]) -> dict[str, str]:
    """A colour per tier in ``order``; 未定等次 grey."""
    named = [t for t in order if t != UNPLACED]
    colors = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(named)}
    if len(named) == 3:  # the usual three tiers: green, blue, red
        colors[named[2]] = PALETTE[3]
    colors[UNPLACED] = GREY
    return colors


def tier_of(d: DomainResult, index: int) -> str:
    """The unit's tier as the page names it: 未定等次 where it has none."""
    return UNPLACED if d.tier[index] is None else str(d.tier[index])


def cut_lines(group: Group, order: list[str]) -> list[tuple[str, str, float]]:
    """(kind, tier, total): the lowest total of the best tier and the highest of the worst."""
    named = [t for t in order if t != UNPLACED]
    if len(named) < 2:
        return []
    d = group.domain
    found = []
    for kind, tier, pick in (("top", named[0], min), ("bottom", named[-1], max)):
        totals = [float(d.total[i]) for i in group.members if d.tier[i] == tier]
        totals = [t for t in totals if not math.isnan(t)]
        if totals:
            found.append((kind, tier, pick(totals)))
    return found


@dataclass
class IndicatorStats:
    """One indicator's scores over the units it counts for, in one domain."""

    domain: str
    paper: str
    id: str
    counted: int
    mean: float
    full_low: float
    full_high: float
    share: float  # mean of score / full marks
    at_full: float  # share of units at full marks
    low: list[int]  # positions of units below the domain's 问题清单 得分率 (default 60%)
    same: bool  # every counted unit got the same score (and there are at least two)


def indicator_stats(d: DomainResult) -> list[IndicatorStats]:
    """Per indicator id (variants may add one id several times): units it counts for."""
    found = []
    papers = {}
    for indicator in d.indicators:
        papers.setdefault(indicator.id, indicator.paper)
    for key, paper in papers.items():
        score, full = d.scores[key], d.full[key]
        counted = d.applicable[key] & ~d.excluded[key] & ~np.isnan(score) & ~np.isnan(full)
        where = np.flatnonzero(counted)
        s, f = score[where], full[where]
        if len(where):
            with np.errstate(all="ignore"):
                ratio = np.where(f > 0, s / f, np.nan)
            share = d.domain.problems.share
            low = [int(i) for i in where[s < share * f - EPSILON]]
            stats = IndicatorStats(
                d.domain.name,
                paper,
                key,
                len(where),
                float(s.mean()),
                float(f.min()),
                float(f.max()),
                float(np.nanmean(ratio)) if (~np.isnan(ratio)).any() else math.nan,
                float((s >= f - EPSILON).mean()),
                low,
                len(where) >= 2 and float(s.max() - s.min()) <= EPSILON,
            )
        else:
            stats = IndicatorStats(
                d.domain.name,
                paper,
                key,
                0,
                math.nan,
                math.nan,
                math.nan,
                math.nan,
                math.nan,
                [],
                False,
            )
        found.append(stats)
    return found
