"""Scores one domain: indicators (with 一单位一策), papers, adjustments and totals.

Vectorized: each formula runs once over all units of the domain; per-unit
differences (a variant's target, a dropped indicator) are columns, not loops.
Ranking, tiers and labels follow in ranking.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

import numpy as np

from kaohe_rules import batch, families
from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, KaoheError, Severity
from kaohe_rules.dsl import Population
from kaohe_rules.dsl.evaluate import FormulaBlock, Run, Vectorized, vectorize
from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.dsl.population import to_column
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.resolve import Resolved, unit_symbols


@dataclass
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


def batched_context(population: Population, group: batch.Batch, formula: m.Expr) -> Population:
    """A batched indicator's formula reads 值 and its parameters, nothing else."""
    indicator = group.by_formula[formula]
    local = {"值": population.columns[indicator.id]}
    for name, number in indicator.parameters().items():
        local[name] = np.nan if number is None else float(number)
    return population.with_columns(local)


class _Batched(NamedTuple):
    """One indicator's share of a batch that has a missing score: its rows of the block."""

    score: np.ndarray
    full: np.ndarray
    owner: np.ndarray
    missing: bool  # whether any unit has no score


@dataclass
class Roster:
    """A domain's units as columns: built once per rule set, like its compiled formulas."""

    units: Sequence[m.Unit]
    rows: np.ndarray  # each unit's position in the rule set's roster (DataSet.positions maps)
    columns: dict[str, np.ndarray]
    names: list[str]


def roster(resolved: Resolved, domain: m.Domain) -> Roster:
    """The domain's roster columns, cached on the resolved rule set."""
    key = ("roster", domain.name)
    cached = resolved.cache.get(key)
    if cached is None:
        ruleset = resolved.ruleset
        special = ruleset.special(domain.name)
        if special is not None and special.domain is domain:
            rows = member_rows(resolved, special)
        else:
            rows = np.flatnonzero(_all_columns(resolved)["unit.领域"] == domain.name)
        cached = resolved.cache[key] = roster_of(resolved, rows)
    return cached


def roster_of(resolved: Resolved, rows: np.ndarray) -> Roster:
    """The roster units at positions ``rows``, as columns."""
    units = m.take_units(resolved.ruleset.units, rows)
    columns = {name: column[rows] for name, column in _all_columns(resolved).items()}
    return Roster(units, rows, columns, list(columns["unit.名称"]))


def _all_columns(resolved: Resolved) -> dict[str, np.ndarray]:
    """Every roster unit's id, name, domain and attributes as columns, built in one pass
    and cached: each domain's roster is a selection of rows from them."""
    cached = resolved.cache.get("unit columns")
    if cached is None:
        ruleset = resolved.ruleset
        if isinstance(ruleset.units, m.UnitTable):  # a roster file: columns already
            types = unit_symbols(ruleset)
            cached = {
                name: to_column(ruleset.units.column(name), kind) for name, kind in types.items()
            }
        else:
            cached = _unit_columns(ruleset, ruleset.units)
        resolved.cache["unit columns"] = cached
    return cached


def _unit_columns(ruleset: m.RuleSet, units) -> dict[str, np.ndarray]:
    raw = {
        "unit.编号": [u.id for u in units],
        "unit.名称": [u.name for u in units],
        "unit.领域": [u.domain for u in units],
    }
    names = [name for name, _kind in ruleset.attributes]
    values: dict[str, list] = {name: [None] * len(units) for name in names}
    for index, unit in enumerate(units):
        for name, value in unit.attributes:
            if name in values:
                values[name][index] = value
    for name in names:
        raw[f"unit.{name}"] = values[name]
    types = unit_symbols(ruleset)
    return {name: to_column(values, types[name]) for name, values in raw.items()}


def members(resolved: Resolved, special: m.Special) -> Sequence[m.Unit]:
    """The roster units a special assessment's 对象 selects, in roster order (none when the
    condition did not compile). It reads unit attributes only, so it is known before data."""
    return m.take_units(resolved.ruleset.units, member_rows(resolved, special))


def member_rows(resolved: Resolved, special: m.Special) -> np.ndarray:
    """The roster positions of a special assessment's members, worked out once."""
    key = ("members", special.name)
    cached = resolved.cache.get(key)
    if cached is None:
        size = len(resolved.ruleset.units)
        program = resolved.programs.get(special.members)
        if program is None or not size:
            return np.empty(0, dtype=np.int64)
        columns = _all_columns(resolved)
        population = Population(columns, size=size, unit_ids=list(columns["unit.名称"]))
        hit = vectorize(program).evaluate(population, Run(population, None)) == 1.0
        cached = resolved.cache[key] = np.flatnonzero(np.broadcast_to(hit, size))
    return cached


def repeated(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only view showing each of ``values`` (one per row, contiguous; a single
    value for a 1-D ``shape``) across the units: np.broadcast_to's zero-stride view,
    made directly, as it is a few dozen times an evaluation and ten times sooner."""
    strides = (values.itemsize, 0)[-len(shape) :]
    view = np.ndarray(shape, values.dtype, values, 0, strides)
    view.flags.writeable = False
    return view


def category_labels(
    domain: m.Domain, population: Population, run: Callable[[m.Expr], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's category (the first whose condition holds, None for none) and its group
    code, read-only (shared by evaluations); ``run`` evaluates a condition over
    ``population``."""
    labels = np.empty(population.size, dtype=object)
    for category in domain.categories:
        hit = run(category.condition) == 1.0
        labels[hit & (labels == None)] = category.name  # noqa: E711 - elementwise
    codes = population.factorize(labels)
    labels.flags.writeable = codes.flags.writeable = False
    return labels, codes


def _value_names(resolved: Resolved, domain: m.Domain) -> dict[str, object]:
    """The data items and indicators a domain reads, with their types."""
    names = {}
    for item in (*resolved.ruleset.data_items, *domain.data_items):
        names[item.name] = item.type
    for indicator in domain.all_indicators():
        names[indicator.id] = NUMBER
    return names


def _base_population(
    resolved: Resolved, domain: m.Domain, data: DataSet
) -> tuple[Population, list[tuple[batch.Batch, np.ndarray]]]:
    """Unit attributes, data items and indicator values as typed columns, and the domain's
    batches (batch.py) with their value blocks, whose rows are those indicators' columns."""
    units = roster(resolved, domain)
    groups = batch.plan(resolved, domain)
    columns = dict(units.columns)
    blocks = []
    for group in groups:
        block = batch.gather(group, data, units.rows)
        blocks.append((group, block))
        columns.update(zip(group.ids, block, strict=True))
    key = ("unbatched names", domain.name)
    for name, kind in resolved.kept(key, lambda: _unbatched_names(resolved, domain, groups)):
        columns[name] = data.column(name, kind, units.rows)
    return Population.trusted(columns, len(units.units), units.names), blocks


def _unbatched_names(
    resolved: Resolved, domain: m.Domain, groups: list[batch.Batch]
) -> list[tuple[str, object]]:
    """The value names (with types) no batch gives: read column by column."""
    batched = {key for group in groups for key in group.ids}
    names = _value_names(resolved, domain)
    return [(name, kind) for name, kind in names.items() if name not in batched]


class DomainScorer:
    """Evaluates one domain step by step; each step adds columns to the population."""

    def __init__(self, resolved: Resolved, domain: m.Domain, data: DataSet) -> None:
        self.resolved, self.domain, self.data = resolved, domain, data
        self.precision = resolved.ruleset.precision
        self.branches: dict | None = None  # set by `kaohe test` to record if-branches taken
        self.inputs: list = []  # special.Input columns, set by the engine before the stages
        self.group_layout: object = None  # ranking._groups: worked out once per domain
        # Each batch's scores block when it was stored whole (no unit missing a score).
        self._stored: list[np.ndarray | None] = []
        units = roster(resolved, domain).units
        population, self._blocks = _base_population(resolved, domain, data)
        key = ("all indicators", domain.name)
        indicators = list(resolved.kept(key, lambda: tuple(domain.all_indicators())))
        self.result = DomainResult(domain, units, population, np.empty(0), indicators)
        self.variants = _variant_positions(domain, population)
        # Read-only masks shared by every indicator that all units score.
        self._everyone = repeated(np.array([True]), (population.size,))
        self._no_one = repeated(np.array([False]), (population.size,))

    # -- helpers -------------------------------------------------------------------------
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
        """A formula's closures, built once per rule set, not per evaluation."""
        # Keyed by identity (the rule set's own Expr), checked: hashing an Expr costs
        # more than the lookup, a few dozen times an evaluation.
        key = ("vector", id(expr))
        found = self.resolved.cache.get(key)
        if found is None or found[0] is not expr:
            found = self.resolved.cache[key] = (expr, vectorize(self.resolved.program(expr)))
        return found[1]

    def warn(self, code: str, message: str, mask: np.ndarray, span) -> None:
        # The usual case, without flatnonzero's allocation (nor np.any's dispatch).
        if not (mask.any() if isinstance(mask, np.ndarray) else np.any(mask)):
            return
        hits = np.flatnonzero(mask)
        if len(hits):
            names = "、".join(self.result.units[i].name for i in hits[:5])
            more = "等" if len(hits) > 5 else ""
            text = f"{message}（{len(hits)} 个单位：{names}{more}）"
            self.result.warnings.append(Diagnostic(code, text, span, severity=Severity.WARNING))

    def set(self, name: str, column: np.ndarray) -> None:
        self.result.population.columns[name] = column

    @property
    def size(self) -> int:
        return self.result.population.size

    # -- steps ---------------------------------------------------------------------------
    def categories(self) -> None:
        # Category conditions see unit attributes only (resolve.py), so a rule set's
        # categories are known from its roster: worked out once, like the roster columns.
        key = ("categories", self.domain.name)
        cached = None if self.branches is not None else self.resolved.cache.get(key)
        population = self.result.population
        if cached is None:
            before = len(self.result.warnings)
            labels, groups = category_labels(self.domain, population, self.run)
            cached = (labels, groups, self.result.warnings[before:])
            self.resolved.cache[key] = cached
        else:
            self.result.warnings += cached[2]
            for category in self.domain.categories:
                self.result.contexts[category.condition] = population
        labels, groups, _warnings = cached
        self.result.category = labels
        population._default_codes = groups
        self.set("类别", labels)

    def indicator_scores(self) -> None:
        key = ("indicators by id", self.domain.name)
        groups = self.resolved.kept(key, lambda: _by_id(self.result.indicators))
        r = self.result
        # Every id gets its columns below, a batch's at once: seeded in file order
        # first, so the tables keep the indicators in the order the rules give them.
        for store in (r.applicable, r.excluded, r.scores, r.full, r.owner):
            store.update(dict.fromkeys(groups))
        batched = self._batched()
        for key, same_id in groups.items():
            if r.applicable[key] is not None:
                continue  # a batch stored it
            if key in batched:
                self._keep_batched(same_id[0], batched[key])
            elif len({i.formula.text for i in same_id}) == 1:
                # Variants adding one indicator to several units score it together, so
                # its rank or benchmark compares all of them.
                self._score(same_id)
            else:
                for indicator in same_id:
                    self._score([indicator])

    def _score(self, same_id: list[m.Indicator]) -> None:
        indicator = same_id[0]
        masks = [self._applies(i) for i in same_id]
        applies = np.logical_or.reduce(masks)
        everyone = bool(applies.all())  # the common case: no variant drops or adds it
        population = self.result.population
        value = population.columns[indicator.id]
        local = dict(population.columns)
        local["值"] = value if everyone else np.where(applies, value, np.nan)
        for name, default in indicator.parameters().items():
            column: object = np.nan if default is None else float(default)
            for other, mask in zip(same_id[1:], masks[1:], strict=True):
                own = other.parameters()[name]
                column = np.where(mask, np.nan if own is None else own, column)
            local[name] = self._parameter(indicator.id, name, column)
        scoped = population.with_columns(local)
        if indicator.benchmark is not None:
            scoped.columns["标杆"] = self.run(indicator.benchmark, scoped)
        score = self.run(indicator.formula, scoped)
        for other in same_id[1:]:
            # Scored together by the first one's formula (the same text); explain looks a
            # unit's formula up by its own indicator.
            self.result.contexts[other.formula] = scoped
            if other.benchmark is not None:
                self.result.contexts[other.benchmark] = scoped
        score = np.broadcast_to(np.asarray(score, dtype=np.float64), self.size)
        score = score if everyone else np.where(applies, score, np.nan)
        missing = np.isnan(score) if everyone else applies & np.isnan(score)
        score, excluded = self._missing(indicator, score, missing)
        full = np.broadcast_to(np.asarray(local["满分"], dtype=np.float64), self.size)
        if len(same_id) == 1:
            self._keep(indicator, applies, excluded, score, full)
            return
        for other, mask in zip(same_id, masks, strict=True):
            own = None if excluded is None else excluded & mask
            self._keep(other, mask, own, np.where(mask, score, np.nan), full)

    def _missing(
        self, indicator: m.Indicator, score: np.ndarray, missing: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The indicator's missing-data policy: the score and the excluded units (None
        when none is excluded)."""
        if not missing.any():
            return score, None
        where = indicator.span
        policy = indicator.missing
        if policy == "报错":
            units = "、".join(u.name for u, h in zip(self.result.units, missing, strict=True) if h)
            message = f"指标 {indicator.id} 缺少数据或无法计分：{units}"
            raise KaoheError([Diagnostic("KH306", message, where, "补齐数据，或改缺失数据政策")])
        if policy == "剔除折算":
            self.warn("KH306", f"指标 {indicator.id} 缺少数据，剔除后折算", missing, where)
            return score, missing
        self.warn("KH306", f"指标 {indicator.id} 缺少数据，记零分", missing, where)
        return np.where(missing, 0.0, score), None

    def _batched(self) -> dict[str, _Batched]:
        """Scores the batches (batch.py) and stores each whole when no unit misses a
        score; gives the indicators of the others. Nothing when recording branches."""
        if self.branches is not None:
            return {}
        r = self.result
        out: dict[str, _Batched] = {}
        for group, block in self._blocks:
            scored = batch.score(group, block)
            self._stored.append(None)
            if scored is None:
                continue  # it would warn: scored one by one, warnings and all
            scores, missing = scored
            # Rows of broadcast (k, 1) columns: each indicator's 满分 and owner are
            # zero-stride views, as in _score, without one broadcast_to each.
            full = repeated(group.full, scores.shape)
            owner = np.broadcast_to(group.owners, scores.shape)
            maker = partial(batched_context, r.population, group)
            r.contexts.pending.update(dict.fromkeys(group.by_formula, maker))
            if not missing.any():
                # The usual case: every unit scored, every row counts as it is.
                rows = list(scores)
                r.applicable.update(dict.fromkeys(group.ids, self._everyone))
                r.excluded.update(dict.fromkeys(group.ids, self._no_one))
                r.scores.update(zip(group.ids, rows, strict=True))
                r.full.update(zip(group.ids, full, strict=True))
                r.owner.update(zip(group.ids, owner, strict=True))
                r.population.columns.update(zip(group.score_names, rows, strict=True))
                self._stored[-1] = scores
                continue
            for row, key in enumerate(group.ids):
                out[key] = _Batched(scores[row], full[row], owner[row], bool(missing[row]))
        return out

    def _block_rows(self, paper: m.Paper) -> np.ndarray | None:
        """The scores of a paper's indicators as they lie in a batch's block, if they are
        its consecutive rows and the batch was stored whole (so every unit counts)."""
        members = self._members(paper)
        key = ("paper place", self.domain.name, paper.id)
        place = self.resolved.kept(key, lambda: _paper_place(self.resolved, self.domain, members))
        if place is None or place[0] >= len(self._stored):
            return None
        block = self._stored[place[0]]
        return None if block is None else block[place[1] : place[2]]

    def _keep_batched(self, indicator: m.Indicator, scored: _Batched) -> None:
        score, excluded = scored.score, None
        if scored.missing:
            score, excluded = self._missing(indicator, score, np.isnan(score))
        self._keep(indicator, self._everyone, excluded, score, scored.full, scored.owner)

    def _keep(self, indicator, applies, excluded, score, full, owner=None) -> None:
        """Store one indicator's columns; two variants may add indicators of one id.
        ``excluded`` is None when no unit is excluded (剔除折算), the usual case."""
        key, r = indicator.id, self.result
        if owner is None:
            one = np.empty(1, dtype=object)
            one[0] = indicator
            owner = np.broadcast_to(one, self.size)  # a view: one Indicator for every unit
        if excluded is None:
            excluded = self._no_one
        if r.applicable.get(key) is not None:  # seeded with None by indicator_scores
            owner = np.where(applies, owner, r.owner[key])
            score = np.where(applies, score, r.scores[key])
            full = np.where(applies, full, r.full[key])
            excluded = np.where(applies, excluded, r.excluded[key])
            applies = applies | r.applicable[key]
        r.applicable[key], r.excluded[key], r.scores[key], r.full[key] = (
            applies,
            excluded,
            score,
            full,
        )
        r.owner[key] = owner
        counted = self._counted(applies, excluded)
        everyone = counted is self._everyone or counted.all()
        self.set(f"{key}.得分", score if everyone else np.where(counted, score, np.nan))

    def _counted(self, applies: np.ndarray, excluded: np.ndarray) -> np.ndarray:
        """The units an indicator counts for: it applies and is not excluded (剔除折算).
        Without a pass over the units in the usual case, where both are shared masks."""
        if applies is self._everyone and excluded is self._no_one:
            return self._everyone
        return applies & ~excluded

    def _applies(self, indicator: m.Indicator) -> np.ndarray:
        """Which units an indicator scores: all but those whose variant drops it, or,
        for an indicator a variant adds, only that unit. Loops run over variants."""
        added = _is_added(self.domain, indicator)
        mask = np.full(self.size, not added)
        for index, variant in self.variants:
            if any(a is indicator for a in variant.add):
                mask[index] = True
            elif indicator.id in variant.drop:
                mask[index] = False
        return mask

    def _parameter(self, target: str, name: str, default: object) -> object:
        """A parameter: the rule's value (a number, or already a column), as a column where
        variants give units their own."""
        constant = np.nan if default is None else default
        changes = [
            (index, value)
            for index, variant in self.variants
            for changed, parameter, value, _span in variant.changes
            if (changed, parameter) == (target, name)
        ]
        if not changes:
            return constant
        column = np.array(np.broadcast_to(np.asarray(constant, dtype=np.float64), self.size))
        for index, value in changes:
            column[index] = value
        return column

    def paper_weight(self, paper: m.Paper) -> np.ndarray:
        return self._parameter(paper.id, "权重", paper.weight)

    def _weight_column(self, paper: m.Paper, weight: object) -> np.ndarray:
        """The paper's weight for every unit, read-only: one number seen through a zero
        stride, kept for the rule set when no variant changes it."""
        weight_column = np.asarray(weight, dtype=np.float64)
        if weight_column.ndim:
            return np.broadcast_to(weight_column, self.size)
        key = ("paper weight", self.domain.name, paper.id, self.size)
        found = self.resolved.cache.get(key)
        if found is None or found[0] != float(weight_column):
            found = (float(weight_column), repeated(weight_column.reshape(1), (self.size,)))
            self.resolved.cache[key] = found
        return found[1]

    def paper_scores(self) -> None:
        for paper in self.domain.papers:
            weight = self.paper_weight(paper)
            self.result.paper_weights[paper.id] = self._weight_column(paper, weight)
            if paper.formula is not None:
                local = dict(self.result.population.columns)
                local["权重"] = weight
                score = self.run(paper.formula, self.result.population.with_columns(local))
                score = self._missing_paper(paper, score)
            else:
                score = self._sum_indicators(paper, weight)
            self.result.papers[paper.id] = score
            self.set(paper.id, score)

    def _missing_paper(self, paper: m.Paper, score: np.ndarray) -> np.ndarray:
        missing = np.isnan(score)
        if not missing.any():
            return score
        if self.domain.missing == "报错":
            units = "、".join(u.name for u, h in zip(self.result.units, missing, strict=True) if h)
            message = f"考卷 {paper.id} 缺少数据，无法计分：{units}"
            raise KaoheError([Diagnostic("KH306", message, paper.span)])
        # A formula paper has nothing to rescale from, whatever the policy: it scores 0.
        self.warn("KH306", f"考卷 {paper.id} 的计分公式缺少数据，记零分", missing, paper.span)
        return np.where(missing, 0.0, score)

    def _members(self, paper: m.Paper) -> dict[str, None]:
        """The ids of a paper's indicators (一单位一策 additions too), in file order."""
        indicators = self.result.indicators
        return self.resolved.kept(
            ("paper members", self.domain.name, paper.id),
            lambda: dict.fromkeys(i.id for i in indicators if i.paper == paper.id),
        )

    def _sum_indicators(self, paper: m.Paper, weight: np.ndarray) -> np.ndarray:
        members = self._members(paper)
        r = self.result
        rows = self._block_rows(paper)
        # One reduction down the block's rows adds them in file order from 0, the very
        # additions of the loop below: the same total to the last bit. Not for one unit:
        # numpy then sums the single column pairwise, in another order. (_paper_place
        # only places papers whose marks add up to more than 0.)
        if rows is not None and rows.shape[1] > 1 and not paper.rescale:
            return np.add.reduce(rows, axis=0, initial=0.0)
        total = np.zeros(self.size)
        counted = {key: self._counted(r.applicable[key], r.excluded[key]) for key in members}
        everyone = {k: c is self._everyone or bool(c.all()) for k, c in counted.items()}
        rescaled = np.zeros(self.size, dtype=bool)
        for key in members:
            if everyone[key]:
                total += r.scores[key]  # NaN-free: every unit scored it
            else:
                total += np.where(counted[key], r.scores[key], 0.0)
                rescaled |= r.excluded[key]
        if not paper.rescale and all(everyone.values()) and _positive_marks(r, members):
            return total  # nothing excluded, nothing to rescale: the sum is the score
        full_applicable = np.zeros(self.size)
        full_counted = np.zeros(self.size)
        for key in members:
            full_applicable += np.where(r.applicable[key], r.full[key], 0.0)
            full_counted += np.where(counted[key], r.full[key], 0.0)
        nothing = full_counted == 0  # every indicator excluded: nothing to rescale from
        if nothing.any():
            message = f"考卷 {paper.id} 的指标全部缺少数据，无法折算，记零分"
            self.warn("KH306", message, nothing & (rescaled | paper.rescale), paper.span)
        with np.errstate(invalid="ignore", divide="ignore"):
            if paper.rescale:
                score = total / full_counted * weight
            else:
                score = np.where(rescaled, total / full_counted * full_applicable, total)
        return np.where(nothing, 0.0, score)

    def adjustments(self) -> None:
        adjust = self.domain.adjustments
        self.result.inputs = self.inputs
        given = {"加分": np.zeros(self.size), "扣分": np.zeros(self.size)}
        for item in self.inputs:
            if item.contribution.kind in given:
                given[item.contribution.kind] += item.value
        # Special assessments' points count within the domain's overall caps.
        self.result.bonus = self._items(adjust.bonuses, adjust.bonus_cap, given["加分"])
        self.result.deduction = self._items(adjust.deductions, adjust.deduction_cap, given["扣分"])
        veto = np.zeros(self.size, dtype=bool)
        for item in self.inputs:
            if item.contribution.kind == "一票否决":
                hit = item.value == 1.0
                self.result.vetoes[f"专项考核 {item.special.name}"] = hit
                veto |= hit
        for name, condition in adjust.vetoes:
            hit = self.run(condition)
            unknown = np.isnan(hit)
            self.warn(
                "KH311",
                f"一票否决 {name} 的条件因数据缺失无法判断，按不成立处理",
                unknown,
                condition.span,
            )
            hit = hit == 1.0
            self.result.vetoes[name] = hit
            veto |= hit
        self.result.veto = veto
        self.set("加分", self.result.bonus)
        self.set("扣分", self.result.deduction)
        self.set("否决", veto.astype(np.float64))

    def _items(
        self, items: tuple[m.Adjustment, ...], cap: float | None, given: np.ndarray
    ) -> np.ndarray:
        total = given.copy()
        block = self._item_block(items)
        if block is not None:  # the usual case: no item misses a value or warns
            for item, value in zip(items, block, strict=True):
                self.result.items[item.id] = value
                total += value
            return total if cap is None else np.minimum(total, cap)
        for item in items:
            value = families.score(self, item) if item.family else self.run(item.formula)
            missing = np.isnan(value)
            if missing.any():
                self.warn("KH306", f"{item.name} 缺少数据，按 0 计", missing, item.span)
                value = np.where(missing, 0.0, value)
            if item.cap is not None:
                value = np.minimum(value, item.cap)
            self.result.items[item.id] = value
            total += value
        return total if cap is None else np.minimum(total, cap)

    def _item_block(self, items: tuple[m.Adjustment, ...]) -> np.ndarray | None:
        """Every item's value, capped, one row each, when none misses a value or warns;
        else None. Each item's formula on its own costs more than its few numpy calls."""
        if not items or self.branches is not None or any(i.family for i in items):
            return None  # a family runs its formula once per member (families.py)
        key = ("item programs", id(items))  # the domain's own tuple: not hashed each time
        found = self.resolved.cache.get(key)
        if found is None or found[0] is not items:
            formulas = FormulaBlock([self.vector(item.formula) for item in items])
            caps = np.array([[np.inf if i.cap is None else float(i.cap)] for i in items])
            found = self.resolved.cache[key] = (items, formulas, caps)
        _items, formulas, caps = found
        population = self.result.population
        block = formulas.evaluate(population)
        if block is None:
            return None
        for item in items:
            self.result.contexts[item.formula] = population
        np.minimum(block, caps, out=block)
        block.flags.writeable = False  # each item's values are a row of it: shared
        return block

    def totals(self) -> None:
        raw = sum(self.result.papers.values()) + self.result.bonus - self.result.deduction
        self.result.total = round_vector(np.asarray(raw, dtype=np.float64), self.precision)
        self.set("总分", self.result.total)


def _by_id(indicators: list[m.Indicator]) -> dict[str, list[m.Indicator]]:
    """A domain's indicators by id, in file order (variants may add one id twice)."""
    groups: dict[str, list[m.Indicator]] = {}
    for indicator in indicators:
        groups.setdefault(indicator.id, []).append(indicator)
    return groups


def _paper_place(
    resolved: Resolved, domain: m.Domain, members: dict[str, None]
) -> tuple[int, int, int] | None:
    """Where a paper's indicators lie in the domain's batches: (batch, first row, end
    row) when they are consecutive rows of one batch in file order and their marks add
    up to more than 0; else None."""
    wanted = tuple(members)
    for index, group in enumerate(batch.plan(resolved, domain)):
        if wanted and wanted[0] in group.ids:
            first = group.ids.index(wanted[0])
            end = first + len(wanted)
            marks = sum(float(v) for v in group.full[first:end, 0])
            if group.ids[first:end] == wanted and marks > 0:
                return index, first, end
            return None
    return None


def _positive_marks(result: DomainResult, keys) -> bool:
    """Whether the 满分 of ``keys`` are the same for every unit and add up to more than 0
    (so no unit's paper falls back to 0 for want of marks), without a pass over units."""
    total = 0.0
    for key in keys:
        full = result.full[key]
        if full.strides != (0,):
            return False
        total += float(full[0]) if len(full) else 0.0
    return total > 0


def _is_added(domain: m.Domain, indicator: m.Indicator) -> bool:
    return any(a is indicator for a in domain.added_indicators())


def _variant_positions(domain: m.Domain, population: Population) -> list[tuple[int, m.Variant]]:
    """Each 一单位一策 with the position of its unit (named by id, else by name), found in
    the roster columns: a variant names one unit of possibly a million."""
    ids, names = population.columns["unit.编号"], population.columns["unit.名称"]
    found = []
    for variant in domain.variants:
        hits = np.flatnonzero(ids == variant.unit)
        if not len(hits):
            hits = np.flatnonzero(names == variant.unit)
        if len(hits):
            found.append((int(hits[0]), variant))
    return found
