"""What one domain's evaluation gives: every number, one entry per unit, and the
populations explain re-evaluates a formula in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import field

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.dsl import Population
from kaohe_rules.records import data_record


@data_record(frozen=False)
class DomainResult:
    """Every number of one domain's evaluation, one entry per unit (roster order)."""

    domain: m.Domain
    units: Sequence[m.Unit]
    population: Population
    category: np.ndarray
    indicators: list[m.Indicator] = field(default_factory=list)
    applicable: dict[str, np.ndarray] = field(default_factory=dict)
    excluded: dict[str, np.ndarray] = field(default_factory=dict)
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    full: dict[str, np.ndarray] = field(default_factory=dict)
    owner: dict[str, np.ndarray] = field(default_factory=dict)  # the Indicator scoring each unit
    papers: dict[str, np.ndarray] = field(default_factory=dict)
    paper_weights: dict[str, np.ndarray] = field(default_factory=dict)
    bonus: np.ndarray | None = None
    deduction: np.ndarray | None = None
    items: dict[str, np.ndarray] = field(default_factory=dict)
    veto: np.ndarray | None = None
    vetoes: dict[str, np.ndarray] = field(default_factory=dict)
    total: np.ndarray | None = None
    groups: np.ndarray | None = None
    rank: np.ndarray | None = None
    size: np.ndarray | None = None
    order: np.ndarray | None = None  # positions sorted by group, then rank
    tier: np.ndarray | None = None
    tier_rule: np.ndarray | None = None
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    label_types: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    contexts: Contexts = field(default_factory=lambda: Contexts())
    inputs: list = field(default_factory=list)  # special.Input: what special assessments gave
    families: dict[str, list] = field(default_factory=dict)  # item id -> families.Part each

    def index(self, unit_id: str) -> int:
        """The position of a unit in this domain's columns."""
        ids = self.population.columns["unit.编号"]
        return int(np.flatnonzero(ids == unit_id)[0])


class Contexts(dict):
    """Each formula's population, in which explain re-evaluates it for one unit. Those of
    batched indicators are made only when asked for: most evaluations never ask."""

    def __init__(self) -> None:
        super().__init__()
        # Formula -> what makes its population when given the formula: one maker serves
        # a whole batch.
        self.pending: dict[m.Expr, Callable[[m.Expr], Population]] = {}

    def __missing__(self, key: m.Expr) -> Population:
        found = self[key] = self.pending.pop(key)(key)  # KeyError, as a dict, when neither
        return found

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.pending

    def get(self, key: m.Expr, default: object = None) -> object:
        # dict.get does not call __missing__; cycle.py asks with get.
        return self[key] if key in self else default  # noqa: SIM401
