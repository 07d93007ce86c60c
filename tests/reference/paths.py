"""The two scoring paths, run on freshly loaded inputs, and the only place these tests
import the package's stages from (their modules may move in the reorganisation).

The switch: ``evaluate_reference`` is the one line to change when
``evaluate_year(..., fast=False)`` lands. Until then ``branches={}`` is the switch: a
scorer recording branch coverage (for `kaohe test`) takes none of the fast paths:
no batches (batch.py), no twin fusion (twins.py), no cached categories or tier quotas,
no block of adjustment items, no compiled numpy formula (Vectorized.fast), no column
shortcut for a formula that is one name. (`rule_set_cases` passes the same switch to
`kaohe test`'s runner, which takes ``branches`` itself.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kaohe_rules.cycle import half_year
from kaohe_rules.data import DataSet, read_data
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.engine import Evaluation, evaluate_year
from kaohe_rules.explain import explain
from kaohe_rules.pipeline import load_rules
from kaohe_rules.resolve import Resolved
from kaohe_rules.testing import CaseResult, case_files, run_file

__all__ = [
    "KaoheError",
    "Outcome",
    "Source",
    "evaluate_both",
    "explain",
    "inputs",
    "rule_set_cases",
]


def evaluate_fast(resolved: Resolved, data: DataSet) -> Evaluation:
    """What every command runs."""
    return evaluate_year(resolved, data)


def evaluate_reference(resolved: Resolved, data: DataSet) -> Evaluation:
    """The plain path: no batching, shared blocks or other speed technique."""
    return evaluate_year(resolved, data, branches={})


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


def _run(evaluate: Callable[[Resolved, DataSet], Evaluation], resolved, data) -> Outcome:
    try:
        return evaluate(resolved, data)
    except KaoheError as error:  # refused data: both paths must refuse it alike
        return error


def evaluate_both(source: Source) -> dict[str, Outcome]:
    """The reference result and the fast path's, each from its own loading of the files
    (so neither sees what the other kept in the rule set's cache), and the fast path's
    again on its warm rule set, as a long-running process evaluates a second time."""
    reference = _run(evaluate_reference, *inputs(source))
    resolved, data = inputs(source)
    fast = _run(evaluate_fast, resolved, data)
    again = _run(evaluate_fast, resolved, data)
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
