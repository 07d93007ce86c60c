"""One domain's evaluation in progress: its plan, its data, the population the stages
add columns to, and the seam to the speed techniques.

Each stage (engine.STAGES) is a function of a DomainScorer; the scorer only runs
formulas, records warnings and holds what the stages built so far.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.dsl import Population
from kaohe_rules.dsl.evaluate import Run, Vectorized
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.score import fast as speed
from kaohe_rules.score.plan import DomainPlan, Plan, categories_of
from kaohe_rules.score.result import DomainResult


class DomainScorer:
    """Evaluates one domain step by step; each step adds columns to the population."""

    def __init__(
        self,
        plan: Plan,
        domain: DomainPlan,
        data: DataSet,
        *,
        fast: bool = True,
        branches: dict | None = None,
    ) -> None:
        self.plan, self.planned, self.data = plan, domain, data
        self.resolved, self.domain = plan.resolved, domain.domain
        self.precision = plan.resolved.ruleset.precision
        self.branches = branches  # set by `kaohe test` to record the if-branches taken
        self.inputs: list = []  # special.Input columns, set by the engine before the stages
        # `kaohe test` records the branch each unit takes: only the reference path does.
        use_fast = fast and branches is None
        self.fast: speed.Seam = speed.FastPath(domain) if use_fast else speed.REFERENCE
        self.result = DomainResult(
            domain.domain,
            domain.roster.units,
            self._population(),
            np.empty(0),
            list(domain.indicators),
        )

    def _population(self) -> Population:
        """Unit attributes, data items and indicator values as typed columns."""
        roster = self.planned.roster
        columns = dict(roster.columns)
        columns.update(self.fast.values(self.data))  # what the fast path gathers at once
        for name, kind in self.planned.value_names:
            if name not in columns:
                columns[name] = self.data.column(name, kind, roster.rows)
        return Population.trusted(columns, self.planned.size, roster.names)

    def run(self, expr: m.Expr, population: Population | None = None) -> np.ndarray:
        """One formula over all units; its warnings are kept for the report."""
        population = population or self.result.population
        self.result.contexts[expr] = population  # explain re-evaluates it for one unit
        program = self.vector(expr)
        if program.column is not None and self.branches is None:
            # A formula that is one name (`否决`) reads its column: nothing to warn of.
            found = population.columns.get(program.column)
            if isinstance(found, np.ndarray) and found.shape == (population.size,):
                return found
        run = Run(population, self.branches)
        column = program.evaluate(population, run)
        self.result.warnings += run.warnings()
        return column

    def vector(self, expr: m.Expr) -> Vectorized:
        """A formula of the rule set, ready to run."""
        return self.plan.vector(expr)

    def warn(self, code: str, message: str, mask: np.ndarray, span) -> None:
        """A warning naming the first units of ``mask`` (nothing when it is empty)."""
        found = self.warning(code, message, mask, span)
        if found is not None:
            self.result.warnings.append(found)

    def warning(self, code: str, message: str, mask: np.ndarray, span) -> Diagnostic | None:
        """The warning warn() records, or None when ``mask`` is empty."""
        hits = np.flatnonzero(mask)
        if not len(hits):
            return None
        listed = self.planned.roster.names  # the units' names, no Unit objects made
        names = "、".join(listed[i] for i in hits[:5])
        more = "等" if len(hits) > 5 else ""
        text = f"{message}（{len(hits)} 个单位：{names}{more}）"
        return Diagnostic(code, text, span, severity=Severity.WARNING)

    def set(self, name: str, column: np.ndarray) -> None:
        self.result.population.columns[name] = column

    @property
    def size(self) -> int:
        return self.result.population.size


def categories(scorer: DomainScorer) -> None:
    """Each unit's category. The plan worked them out from the roster; `kaohe test`
    works them out again, to record the branches its conditions take."""
    found = scorer.planned.categories
    population = scorer.result.population
    if scorer.branches is not None:
        found = categories_of(
            scorer.domain, scorer.planned.roster, scorer.plan.vectors, scorer.branches
        )
    for category in scorer.domain.categories:
        scorer.result.contexts[category.condition] = population
    scorer.result.warnings += found.warnings
    scorer.result.category = found.labels
    population.group_by(found.codes)
    scorer.set("类别", found.labels)
