"""Evaluates a year: a checked rule set and its data to every unit's result.

The stages run in the order the assessment defines: categories, indicator
scores, papers, adjustments and totals, ranks, tiers, labels.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import field
from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, KaoheError, Severity
from kaohe_rules.dsl.population import to_column
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.read.files import digest
from kaohe_rules.records import data_record
from kaohe_rules.rules.resolve import Resolved
from kaohe_rules.score import (
    adjustments,
    indicators,
    papers,
    plausibility,
    ranking,
    result_checks,
    special,
)
from kaohe_rules.score.plan import Plan, build
from kaohe_rules.score.result import DomainResult
from kaohe_rules.score.scorer import DomainScorer, categories

# A domain's stages, in the order the assessment defines.
STAGES = (
    categories,
    indicators.score,
    papers.score,
    adjustments.score,
    adjustments.totals,
    ranking.rank,
    ranking.tiers,
    ranking.labels,
    special.apply_labels,
)


@data_record(frozen=False)
class Evaluation:
    """A year's results: one DomainResult per domain, warnings, and a fingerprint."""

    resolved: Resolved
    data: DataSet
    domains: list[DomainResult] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    fingerprint: str = ""
    period: str = "全年"  # or H1, the half-year evaluation (cycle.half_year)
    specials: list[special.SpecialResult] = field(default_factory=list)
    plan: Plan | None = None  # what the rules and roster fixed before the data

    @property
    def year_label(self) -> str:
        """ "2024 年度", or "2024 年度（半年）" for a half-year result."""
        year = self.resolved.ruleset.year
        return f"{year} 年度" + ("（半年）" if self.period == "H1" else "")


def fingerprint(paths: list[Path], known: dict | None = None, listed: Sequence = ()) -> str:
    """A short hash of the rule and data files: their names and contents, not where they
    are, so the same inputs copied elsewhere or named by another path give the same.
    ``known``: path -> (resolved path, SHA-256) recorded when the file was read; other
    files are hashed as they are now. ``listed``: record files under a --records-root
    (records/source.RemoteFile: uri, name, digest), taken by their listing, not their
    content (decision 114)."""
    known = known or {}
    parts: dict[object, tuple[str, str]] = {}
    for path in paths:
        resolved, content = known.get(path) or (path.resolve(), digest(path))
        parts[resolved] = (resolved.name, content)
    for file in listed:
        parts[file.uri] = (file.name, file.digest)
    combined = hashlib.sha256()
    for name, content in sorted(parts.values()):
        combined.update(f"{name}\0{content}\n".encode())
    return combined.hexdigest()[:16]


def _history(scorer: DomainScorer, data: DataSet, year: int) -> None:
    """history(n) reads these columns: each unit's result n years earlier."""
    population = scorer.result.population
    units = scorer.result.units
    years = {y for _unit, y in data.history}
    for back in range(1, 11):
        if year - back not in years:
            continue
        records = [data.history.get((u.id, year - back), {}) for u in units]
        population.history[back] = {
            name: to_column([r.get(name) for r in records], kind)
            for name, kind in m.HISTORY_FIELDS.items()
        }


def reference_requested() -> bool:
    """Whether KAOHE_REFERENCE asks for the reference path (no speed techniques)."""
    return os.environ.get("KAOHE_REFERENCE", "") not in ("", "0")


def evaluate_year(
    resolved: Resolved,
    data: DataSet,
    progress: Callable[[int, int, str], None] | None = None,
    branches: dict | None = None,
    *,
    plan: Plan | None = None,
    fast: bool | None = None,
) -> Evaluation:
    """Every domain through every stage; raises KaoheError on data the policy refuses.

    ``plan``: the rule set's plan (pipeline.py builds it once; made here when not given).
    ``fast=False`` (or KAOHE_REFERENCE=1 when ``fast`` is not given) runs the reference
    path without the speed techniques (score/fast.py): the same results, more slowly.
    ``progress(done, total, domain)`` is told as each domain starts; ``branches``
    collects the if-branches taken, for test coverage.
    """
    if plan is None:
        plan = build(resolved)
    elif plan.resolved is not resolved:
        raise ValueError("the plan is of another rule set")
    if fast is None:
        fast = not reference_requested()
    ruleset = resolved.ruleset
    result = Evaluation(resolved, data, warnings=list(data.warnings), plan=plan)
    everything = ruleset.scored()
    # Special assessments first: their results are inputs of the domains.
    order = everything[len(ruleset.domains) :] + ruleset.domains
    for number, domain in enumerate(order):
        if progress is not None:
            progress(number, len(everything), domain.name)
        scorer = DomainScorer(plan, plan.of(domain), data, fast=fast, branches=branches)
        if scorer.size == 0:
            continue
        own = ruleset.special(domain.name)
        own = own if own is not None and own.domain is domain else None
        if own is None:  # special assessments feed domains, not each other
            scorer.inputs = special.inputs_for(scorer.result.units, result.specials, resolved)
        _stages(scorer, data, ruleset.year)
        if own is None:
            result.domains.append(scorer.result)
        else:
            with np.errstate(all="ignore"):
                result.specials.append(special.contributions(scorer, own))
        result.warnings += scorer.result.warnings
    result.warnings += unused_values(result)
    # Data the staff cannot have meant (a declared range broken, a percent scale mixed
    # up), then results that look right and most likely are not: after scoring, where
    # categories and applicable units are known.
    found = plausibility.check(result)
    refused = [d for d in found if d.severity is Severity.ERROR]
    if refused:
        raise KaoheError(refused + [d for d in found if d.severity is not Severity.ERROR])
    result.warnings += found + result_checks.check(result)
    # Of the files as they were read, not as they are now: a long-running process
    # may evaluate again after a file changed on disk without being read again.
    known = {**dict(ruleset.digests), **data.digests}
    result.fingerprint = fingerprint([*ruleset.files, *data.files], known, data.remote_files)
    return result


def _stages(scorer: DomainScorer, data: DataSet, year: int) -> None:
    """A domain through every stage, its history(n) columns first."""
    _history(scorer, data, year)
    with np.errstate(all="ignore"):
        for stage in STAGES:
            stage(scorer)


def unused_values(evaluation: Evaluation) -> list[Diagnostic]:
    """KH314: indicator values given for units they do not apply to (another domain's
    indicator, one a unit's 一单位一策 drops, a special assessment it is not in). They change
    nothing, and are most often a value in the wrong row or column: say so, never drop silently."""
    resolved, data, plan = evaluation.resolved, evaluation.data, evaluation.plan
    names = set(plan.scored_names & data.columns.keys())
    if not names:
        return []
    # Domains split the roster: a name every unit of its domains scores has no stray value.
    size = len(data.row)
    covered = dict.fromkeys(names, 0)
    for done in evaluation.domains:
        counted: dict[int, int] = {}  # most indicators share one all-units mask
        for name, applies in done.applicable.items():
            if name in covered:
                found = counted.get(id(applies))
                if found is None:
                    found = counted[id(applies)] = int(np.count_nonzero(applies))
                covered[name] += found
    names = {name for name in names if covered[name] < size}
    if not names:
        return []
    used = {name: np.zeros(size, dtype=bool) for name in names}  # by column position
    for done in [*evaluation.domains, *(s.result for s in evaluation.specials)]:
        at = data.positions(plan.of(done.domain).roster.rows)
        at = np.arange(size)[at] if isinstance(at, slice) else at
        for name, applies in done.applicable.items():
            if name in used:
                used[name][at[applies]] = True
    units = resolved.ruleset.units
    found = []
    for name in sorted(names):
        stray = np.flatnonzero(~np.isnan(data.columns[name]) & ~used[name])
        stray = np.sort(data.roster_rows(stray))  # in roster order, as they are listed
        if not len(stray):
            continue
        first = units[stray[0]]
        listed = "、".join(units[i].name for i in stray[:5]) + ("等" if len(stray) > 5 else "")
        message = (
            f"{name} 的值用不上：这个指标不适用于 {listed}（{len(stray)} 个单位；"
            "不是其领域或所参加专项考核的指标，或被一单位一策删除）"
        )
        span = data.locate(first, name)
        hint = "检查是否填错了行或列"
        found.append(Diagnostic("KH314", message, span, hint, severity=Severity.WARNING))
    return found
