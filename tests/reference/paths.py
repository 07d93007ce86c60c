"""The two scoring paths, run on freshly loaded inputs, and the only place these tests
import the package's stages from (their modules may move in the reorganisation).

The switch: ``evaluate_year(..., fast=False)`` runs the reference path, whose speed
seam (score/fast.py) answers nothing: no batches, no block paper sums, no block of
adjustment items, no quotas or tie-break orders worked out at plan time.
(`rule_set_cases` runs `kaohe test`'s runner with and without recording branches:
recording them takes the reference path.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.outputs.explain import explain
from kaohe_rules.outputs.testing import CaseResult, case_files, run_file
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.rules.half_year import half_year
from kaohe_rules.rules.resolve import Resolved
from kaohe_rules.score.engine import Evaluation, evaluate_year
from kaohe_rules.score.plan import Plan
from kaohe_rules.score.plan import build as build_plan

__all__ = [
    "KaoheError",
    "Outcome",
    "Source",
    "evaluate_both",
    "explain",
    "inputs",
    "rule_set_cases",
]


def evaluate_fast(resolved: Resolved, data: DataSet, plan: Plan | None = None) -> Evaluation:
    """What every command runs."""
    return evaluate_year(resolved, data, plan=plan)


def evaluate_reference(resolved: Resolved, data: DataSet) -> Evaluation:
    """The plain path: no batching, shared blocks or other speed technique."""
    return evaluate_year(resolved, data, fast=False)


@dataclass(frozen=True)
class Source:
    """Where a year comes from: a rule folder, a data folder, and the period."""

    rules: Path
    data: Path
    half: bool = False  # the half-year evaluation (cycle.half_year), as `--period H1`
    lenient: bool = False  # names the rules do not know are left out, as `kaohe diff --data`


def inputs(source: Source) -> tuple[Resolved, DataSet]:
    """A freshly loaded rule set and its data, as `kaohe evaluate` reads them: the data
    are checked against the whole year's rules, the half year scores its own."""
    loaded = load_rules(source.rules).resolved
    data = read_data(source.data, loaded.ruleset, lenient=source.lenient)
    return (half_year(loaded) if source.half else loaded), data


Outcome = Evaluation | KaoheError


def _run(evaluate: Callable[..., Evaluation], *given) -> Outcome:
    try:
        return evaluate(*given)
    except KaoheError as error:  # refused data: both paths must refuse it alike
        return error


def evaluate_both(source: Source) -> dict[str, Outcome]:
    """The reference result and the fast path's, each from its own loading of the files,
    and the fast path's twice more with one plan, as a long-running process evaluates
    again (the plan is shared by every evaluation: none may change what the next sees)."""
    reference = _run(evaluate_reference, *inputs(source))
    resolved, data = inputs(source)
    fast = _run(evaluate_fast, resolved, data)
    plan = build_plan(resolved)
    _run(evaluate_fast, resolved, data, plan)
    again = _run(evaluate_fast, resolved, data, plan)
    return {"reference": reference, "fast": fast, "fast again": again}


def rule_set_cases(folder: Path) -> dict[str, list[CaseResult]]:
    """The `kaohe test` cases of a rule-set folder (its tests/*.yaml), run by the
    reference path, which `kaohe test` runs (it records branch coverage), and by the
    fast path; each from its own loading of the rules."""
    found = {}
    for path, branches in (("reference", {}), ("fast", None)):
        resolved = load_rules(folder).resolved
        found[path] = [r for f in case_files(folder) for r in run_file(f, resolved, branches)]
    return found
