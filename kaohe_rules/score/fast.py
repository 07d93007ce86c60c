"""The speed techniques, behind one seam: what the scoring stages may ask of them.

Scoring's meaning is in indicators.py, papers.py, adjustments.py and ranking.py. At a
few points they ask the seam first, and do the work themselves when it answers
nothing. ``FastPath`` answers where it can give the very same numbers sooner:

- indicators sharing one elementwise formula are scored as one block (batch.py);
- a paper whose indicators are consecutive rows of such a block, none missing, is one
  reduction down the block; a paper nothing was excluded from is the plain sum;
- a domain's bonus or deduction items run as one block when none misses a value;
- a tier quota that reads only 人数 is worked out once per group, at plan time;
- trailing ranking tie-breaks on roster columns are sorted once, at plan time.

``REFERENCE`` answers nothing: the stages then run the plain reference path alone.
The tests in tests/reference run both and require identical results. ``fast=False``
(engine.evaluate_year) or the environment variable ``KAOHE_REFERENCE=1`` chooses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.dsl import Population
from kaohe_rules.dsl.evaluate import FormulaBlock, Run, Vectorized
from kaohe_rules.records import data_record
from kaohe_rules.rules.resolve import Resolved
from kaohe_rules.score import batch
from kaohe_rules.score.order import Groups, quota_takes, sort_value

if TYPE_CHECKING:
    from kaohe_rules.read.dataset import DataSet
    from kaohe_rules.score.plan import DomainPlan, IndicatorGroup, PaperPlan
    from kaohe_rules.score.scorer import DomainScorer


@data_record
class Quota:
    """A quota that reads only 人数, for each group that has units: the number it gives
    and how many units it takes (None when taking them warns: worked out each time)."""

    values: np.ndarray
    take: np.ndarray | None


@data_record
class Block:
    """A batch's scores, one row per indicator, with what storing them needs: each row's
    满分, owner and units (``everyone``, the mask shared by every unit, unless a 一单位一策
    drops the indicator), and how explain rebuilds a formula's population (its 值 and
    parameters)."""

    indicators: tuple[m.Indicator, ...]
    scores: np.ndarray
    missing: np.ndarray  # whether each row has a unit without a score
    full: Sequence[np.ndarray]
    owner: np.ndarray
    applies: tuple[np.ndarray, ...]
    everyone: np.ndarray
    no_one: np.ndarray
    context: Callable[[m.Expr], Population]
    index: int  # the batch's place in the domain's plan


@data_record
class DomainFast:
    """What the speed techniques work out once per domain, before any data."""

    batches: tuple[batch.Batch, ...]
    # paper id -> (batch, first row, end row, the ids after them) where its indicators lie
    paper_places: Mapping[str, tuple[int, int, int, tuple[str, ...]]]
    items: Mapping[str, tuple[FormulaBlock, np.ndarray]]  # 加分 / 扣分 -> formulas, caps
    quotas: Mapping[m.Expr, Quota]
    # The id order sorted by the ranking's trailing tie-breaks that are roster columns,
    # and how many tie-breaks that covers.
    start: np.ndarray | None
    covered: int


class Seam(Protocol):
    """What the scoring stages ask of the speed techniques; None or nothing: do it yourself."""

    def values(self, data: DataSet) -> dict[str, np.ndarray]: ...
    def indicators(self, scorer: DomainScorer) -> list[Block]: ...
    def paper_sum(self, scorer: DomainScorer, planned: PaperPlan) -> np.ndarray | None: ...
    def items(self, scorer: DomainScorer, kind: str, items: tuple) -> np.ndarray | None: ...
    def quota(self, scorer: DomainScorer, quota: m.Expr) -> Quota | None: ...
    def start(self, scorer: DomainScorer) -> tuple[np.ndarray, int] | None: ...
    def settled(self, block: Block, scores: np.ndarray) -> None: ...


class _Reference:
    """The seam answering nothing: the reference path."""

    def values(self, data):
        return {}

    def indicators(self, scorer):
        return []

    def paper_sum(self, scorer, planned):
        return None

    def items(self, scorer, kind, items):
        return None

    def quota(self, scorer, quota):
        return None

    def start(self, scorer):
        return None

    def settled(self, block, scores):
        return None


REFERENCE: Seam = _Reference()


def plan_domain(
    resolved: Resolved,
    domain: m.Domain,
    vectors: Mapping[m.Expr, Vectorized],
    groups: Groups,
    roster_columns: Mapping[str, np.ndarray],
    papers: tuple[PaperPlan, ...],
    ids_sorted: np.ndarray,
    scorings: Mapping[str, tuple[IndicatorGroup, ...]],
) -> DomainFast:
    """The domain's batches, paper places, item blocks, quotas and tie-break order
    (``ids_sorted``: the plan's positions sorted by unit id; ``scorings``: the plan's
    indicator groups)."""
    batches = batch.plan(resolved, domain, scorings)
    places = {}
    for planned in papers:
        place = _paper_place(batches, planned.members, scorings)
        if place is not None:
            places[planned.paper.id] = place
    items = {}
    adjust = domain.adjustments
    for kind, listed in (("加分", adjust.bonuses), ("扣分", adjust.deductions)):
        if listed and not any(i.family for i in listed):  # a family runs once per member
            formulas = FormulaBlock([vectors[item.formula] for item in listed])
            caps = np.array([[np.inf if i.cap is None else float(i.cap)] for i in listed])
            caps.flags.writeable = False
            items[kind] = (formulas, caps)
    quotas = _quotas(resolved, domain, vectors, groups)
    start, covered = _start(resolved, domain, vectors, groups, roster_columns, ids_sorted)
    return DomainFast(
        batches,
        MappingProxyType(places),
        MappingProxyType(items),
        MappingProxyType(quotas),
        start,
        covered,
    )


def _paper_place(
    batches, members: tuple[str, ...], scorings
) -> tuple[int, int, int, tuple[str, ...]] | None:
    """Where a paper's indicators lie: (batch, first row, end row, the ids after them)
    when they are consecutive rows of one batch in file order, perhaps followed by ones
    scored alone (a 一单位一策's own indicator), and no unit can have 0 marks counted
    (sum_indicators would score it 0): with every unit scored alike and nothing after
    them, their marks add up to more than 0; else none is negative and one row scores
    every unit with more than 0."""
    for index, group in enumerate(batches):
        if members and members[0] in group.ids:
            first = end = group.ids.index(members[0])
            while end < len(group.ids) and end - first < len(members):
                if group.ids[end] != members[end - first]:
                    break
                end += 1
            tail = members[end - first :]
            if any(key in b.ids for b in batches for key in tail):
                return None
            rows = range(first, end)
            marks = sum(float(v) for v in group.full[first:end, 0])
            alike = all(group.applies[r] is None for r in rows)
            alike = alike and all(group.full_rows[r].strides == (0,) for r in rows)
            if alike and marks > 0 and not tail:
                return index, first, end, ()
            fulls = [group.full_rows[r] for r in rows]
            fulls += [scorings[key][0].full for key in tail if len(scorings[key]) == 1]
            if len(fulls) < len(members):
                return None  # an id scored by two formulas: the plain sum decides
            unsigned = all(bool((full >= 0).all()) for full in fulls)  # NaN: False
            anchored = any(
                group.applies[r] is None and bool((group.full_rows[r] > 0).all()) for r in rows
            )
            return (index, first, end, tail) if unsigned and anchored else None
    return None


def _quotas(resolved, domain, vectors, groups: Groups) -> dict[m.Expr, Quota]:
    """Each tier quota that reads only 人数, for each group's first unit, when it gives
    a number without a warning: the same numbers as run unit by unit."""
    found = {}
    sizes = groups.sizes[groups.first[groups.present]]
    for rule in domain.tiers.rules if domain.tiers else ():
        quota = rule.top or rule.bottom
        if quota is None or not batch.group_level(resolved.program(quota)):
            continue
        local = Population({"人数": sizes}, size=len(sizes))
        run = Run(local)
        values = vectors[quota].evaluate(local, run)
        if run.problems or np.isnan(values).any():
            continue
        values = np.asarray(values, dtype=np.float64)
        values.flags.writeable = False
        found[quota] = Quota(values, _take(values, groups))
    return found


def _take(values: np.ndarray, groups: Groups) -> np.ndarray | None:
    """How many units each group's quota takes, or None when one is not a whole number
    (ranking then warns, every evaluation)."""
    take, fractions = quota_takes(values, groups)
    if fractions:
        return None
    take.flags.writeable = False
    return take


def _start(
    resolved, domain, vectors, groups: Groups, columns, ids_sorted: np.ndarray
) -> tuple[np.ndarray | None, int]:
    """The id order sorted by the ranking's trailing tie-breaks that are roster columns
    (unit.类型 …): the same in every evaluation, so sorted once."""
    ranking = domain.ranking
    if ranking is None or not len(groups.codes):
        return None, 0
    keys = (ranking.key, *ranking.tiebreak)
    trailing = []
    for key in reversed(keys):
        name = vectors[key.expr].column
        if name is None or name not in columns:
            break
        trailing.append((columns[name], key.descending))
    if not trailing:
        return None, 0
    order = ids_sorted  # sorted once per domain, by the plan
    precision = resolved.ruleset.precision
    ids = columns.get("unit.编号")
    for column, descending in trailing:  # last key first, as lexsort does
        if column is ids and not descending and order is ids_sorted:
            # 并列时 unit.编号 升序 (the usual last tie-break): ``order`` is sorted by it
            # already, and a stable sort by it again changes nothing (0.3 s a million ids)
            continue
        values = sort_value(column, descending, precision)
        order = order[np.argsort(values[order], kind="stable")]
    order.flags.writeable = False
    return order, len(trailing)


def batched_context(population: Population, group: batch.Batch, formula: m.Expr) -> Population:
    """A batched indicator's formula reads 值 and its parameters, nothing else: the
    values and constants scoring it alone reads (a dropped unit's 值 missing)."""
    indicator = group.by_formula[formula]
    scoring = group.groups[group.indicators.index(indicator)]
    value = population.columns[indicator.id]
    local = {"值": value if scoring.everyone else np.where(scoring.applies, value, np.nan)}
    local.update(scoring.parameters)
    return population.with_columns(local)


class FastPath:
    """The seam answering where the speed techniques apply, for one domain's evaluation."""

    def __init__(self, domain: DomainPlan) -> None:
        self.planned = domain
        self.own = domain.fast
        self.blocks: list[tuple[batch.Batch, np.ndarray]] = []
        # Each batch's scores, when it was stored whole (no unit missing a score).
        self.stored: list[np.ndarray | None] = []
        size = domain.size
        self.everyone = np.broadcast_to(np.array(True), (size,))
        self.no_one = np.broadcast_to(np.array(False), (size,))

    def values(self, data: DataSet) -> dict[str, np.ndarray]:
        """The batches' indicator values, each batch gathered as one block."""
        columns = {}
        for group in self.own.batches:
            block = batch.gather(group, data, self.planned.roster.rows)
            self.blocks.append((group, block))
            columns.update(zip(group.ids, block, strict=True))
        return columns

    def indicators(self, scorer: DomainScorer) -> list[Block]:
        """Scores the batches: a block of scores for each batch that ran without a
        warning (indicators.py stores it); the others are scored one by one."""
        population = scorer.result.population
        done = []
        for group, block in self.blocks:
            scored = batch.score(group, block)
            self.stored.append(None)
            if scored is None:
                continue  # it would warn: scored one by one, warnings and all
            scores, missing = scored
            applies = tuple(self.everyone if a is None else a for a in group.applies)
            done.append(
                Block(
                    group.indicators,
                    scores,
                    missing,
                    group.full_rows,
                    np.broadcast_to(group.owners, scores.shape),
                    applies,
                    self.everyone,
                    self.no_one,
                    partial(batched_context, population, group),
                    len(self.stored) - 1,
                )
            )
        return done

    def settled(self, block: Block, scores: np.ndarray) -> None:
        """A block's scores as stored, missing ones settled (none excluded): papers whose
        indicators are consecutive rows of it may sum them down (paper_sum)."""
        self.stored[block.index] = scores

    def paper_sum(self, scorer: DomainScorer, planned: PaperPlan) -> np.ndarray | None:
        """One reduction down a stored block's rows: the very additions of the plain sum,
        in file order from 0, so the same total to the last bit (not for one unit: numpy
        sums a single column pairwise). Or the plain sum where nothing is excluded."""
        if planned.paper.rescale:
            return None
        place = self.own.paper_places.get(planned.paper.id)
        if place is not None and place[0] < len(self.stored):
            block = self.stored[place[0]]
            # C order: numpy reduces rows of it in file order (batch.score makes it so).
            if block is not None and block.shape[1] > 1 and block.flags.c_contiguous:
                return self._sum_down(scorer, block, *place)
        r = scorer.result
        total = np.zeros(scorer.size)
        marks = 0.0
        for key in planned.members:
            applies, excluded, full = r.applicable[key], r.excluded[key], r.full[key]
            everyone = applies is self.everyone or bool(applies.all())
            if not everyone or (excluded is not self.no_one and excluded.any()):
                return None
            if full.strides != (0,):
                return None  # 满分 differs between units: the plain sum decides
            marks += float(full[0]) if len(full) else 0.0
            total += r.scores[key]
        return total if marks > 0 else None

    def _sum_down(self, scorer, block, index, first, end, tail) -> np.ndarray | None:
        """The plain sum of a paper's rows of a block and the indicators after them, in
        file order from 0; None when one of those after them excludes a unit."""
        r = scorer.result
        if any(r.excluded[key] is not self.no_one and r.excluded[key].any() for key in tail):
            return None
        rows = block[first:end]
        group = self.own.batches[index]
        dropped = [row for row in range(first, end) if group.applies[row] is not None]
        if dropped:  # a unit an indicator does not apply to adds 0
            rows = rows.copy()
            for row in dropped:
                rows[row - first, ~group.applies[row]] = 0.0
        total = np.add.reduce(rows, axis=0, initial=0.0)
        for key in tail:
            total += np.where(r.applicable[key], r.scores[key], 0.0)
        return total

    def items(self, scorer: DomainScorer, kind: str, items: tuple) -> np.ndarray | None:
        """Every item's capped points, one row each, when none misses a value or warns."""
        found = self.own.items.get(kind)
        if found is None:
            return None
        formulas, caps = found
        block = formulas.evaluate(scorer.result.population)
        if block is None:
            return None
        np.minimum(block, caps, out=block)
        block.flags.writeable = False  # each item's values are a row of it: shared
        return block

    def quota(self, scorer: DomainScorer, quota: m.Expr) -> Quota | None:
        """A quota worked out per group at plan time."""
        return self.own.quotas.get(quota)

    def start(self, scorer: DomainScorer) -> tuple[np.ndarray, int] | None:
        """The start order with the trailing roster-column tie-breaks sorted in."""
        if self.own.start is None:
            return None
        return self.own.start, self.own.covered
