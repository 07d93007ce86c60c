"""The year's cycle around the final result: problem lists and 实绩到人.

- Problem list (问题清单): every (unit, indicator) that falls below what the rule
  set declares a problem — a score share below a threshold, or a place among the
  last of its category on that indicator — with the gap to target, the scoring
  lead unit and the responsible role, to be fed back to the unit.
- Attribution (实绩到人): for every unit and responsible role, the indicators the
  role owns, their scores and the share of full marks achieved.

The half-year evaluation is rules/half_year.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.score.engine import Evaluation


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
