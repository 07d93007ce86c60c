"""Every difference between two outcomes of one year, bit for bit, as readable lines.

Arrays must have the same dtype and shape; float arrays the same numbers, NaN where
NaN, and the same sign of zero (a -0 is printed "-0"); object arrays the same values
of the same types, NaN or None where the other has it. An indicator (the ``owner`` of a
score) is compared by its id and the place it is written, as each path loads its own.
"""

from __future__ import annotations

import json
import math

import numpy as np

from tests.reference.paths import KaoheError, Outcome, explain

# Every table of score.result.DomainResult, in the order the stages fill them.
ARRAYS = (
    "category",
    "applicable",
    "excluded",
    "scores",
    "full",
    "owner",
    "papers",
    "paper_weights",
    "bonus",
    "deduction",
    "items",
    "veto",
    "vetoes",
    "total",
    "groups",
    "rank",
    "size",
    "order",
    "tier",
    "tier_rule",
    "labels",
)


def differences(reference: Outcome, other: Outcome) -> list[str]:
    """What ``other`` gives that ``reference`` does not; empty when they are the same."""
    if isinstance(reference, KaoheError) or isinstance(other, KaoheError):
        if type(reference) is not type(other):
            return [f"outcome: {_outcome(reference)} != {_outcome(other)}"]
        return _listed("error", _diagnostics(reference), _diagnostics(other))
    found = _listed("warnings", _diagnostics(reference), _diagnostics(other))
    if reference.fingerprint != other.fingerprint:
        found.append(f"fingerprint: {reference.fingerprint} != {other.fingerprint}")
    if reference.period != other.period:
        found.append(f"period: {reference.period} != {other.period}")
    found += _results("domain", reference.domains, other.domains)
    ours = [s.result for s in reference.specials]
    theirs = [s.result for s in other.specials]
    found += _results("special", ours, theirs)
    for mine, yours in zip(reference.specials, other.specials, strict=False):
        where = f"special {mine.special.name} contribution"
        mine_values = {(c.kind, c.name): v for c, v in mine.values.items()}
        your_values = {(c.kind, c.name): v for c, v in yours.values.items()}
        found += _tables(where, mine_values, your_values)
    return found


def explained(reference: Outcome, other: Outcome, most: int | None = None) -> list[str]:
    """The units whose `kaohe explain` differs (its JSON mapping: every step, formula and
    value shown), of at most ``most`` units per domain and special assessment."""
    if isinstance(reference, KaoheError) or isinstance(other, KaoheError):
        return []  # differences() compares the refusals
    found = []
    for special, result in [
        *((None, r) for r in reference.domains),
        *((s.special.name, s.result) for s in reference.specials),
    ]:
        for unit in result.units[:most]:
            mine, yours = (_explanation(e, unit.id, special) for e in (reference, other))
            if mine != yours:
                found.append(f"explain {unit.id} {special or ''}: {_first_change(mine, yours)}")
    return found


def _explanation(evaluation, unit: str, special: str | None) -> str:
    return json.dumps(explain(evaluation, unit, special), ensure_ascii=False, default=str)


def _first_change(mine: str, yours: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(mine, yours, strict=False)) if a != b), 0)
    return f"…{mine[max(0, at - 60) : at + 60]}… != …{yours[max(0, at - 60) : at + 60]}…"


def _outcome(outcome: Outcome) -> str:
    if isinstance(outcome, KaoheError):
        return "KaoheError " + ", ".join(d.code for d in outcome.diagnostics)
    return f"an evaluation of {len(outcome.domains)} domains"


def _diagnostics(outcome: Outcome) -> list[tuple]:
    return _rows(outcome.diagnostics if isinstance(outcome, KaoheError) else outcome.warnings)


def _rows(diagnostics: list) -> list[tuple]:
    return [(d.code, str(d.severity), d.message, d.span, d.hint, d.context) for d in diagnostics]


def _listed(what: str, ours: list, theirs: list) -> list[str]:
    if ours == theirs:
        return []
    for index, (mine, yours) in enumerate(zip(ours, theirs, strict=False)):
        if mine != yours:
            return [f"{what} #{index}: {mine} != {yours}"]
    return [f"{what}: {len(ours)} != {len(theirs)} entries"]


def _results(kind: str, ours: list, theirs: list) -> list[str]:
    names = [r.domain.name for r in ours], [r.domain.name for r in theirs]
    if names[0] != names[1]:
        return [f"{kind}s: {names[0]} != {names[1]}"]
    found = []
    for mine, yours in zip(ours, theirs, strict=True):
        where = f"{kind} {mine.domain.name}"
        if [u.id for u in mine.units] != [u.id for u in yours.units]:
            found.append(f"{where} units differ")
        if [_indicator(i) for i in mine.indicators] != [_indicator(i) for i in yours.indicators]:
            found.append(f"{where} indicators differ")
        if mine.label_types != yours.label_types:
            found.append(f"{where} label_types: {mine.label_types} != {yours.label_types}")
        for name in ARRAYS:
            found += _field(f"{where} {name}", getattr(mine, name), getattr(yours, name))
        found += _listed(f"{where} warnings", _rows(mine.warnings), _rows(yours.warnings))
        found += _inputs(f"{where} inputs", mine.inputs, yours.inputs)
    return found


def _inputs(where: str, mine: list, yours: list) -> list[str]:
    """What special assessments gave a domain (special.Input), one by one."""
    names = [(i.special.name, i.contribution.kind, i.type) for i in mine]
    if names != [(i.special.name, i.contribution.kind, i.type) for i in yours]:
        return [f"{where}: {names} != …"]
    found = []
    for index, (a, b) in enumerate(zip(mine, yours, strict=True)):
        found += _arrays(f"{where} #{index} value", a.value, b.value)
        found += _arrays(f"{where} #{index} member", a.member, b.member)
    return found


def _field(where: str, mine: object, yours: object) -> list[str]:
    if isinstance(mine, dict) or isinstance(yours, dict):
        if not (isinstance(mine, dict) and isinstance(yours, dict)):
            return [f"{where}: {type(mine).__name__} != {type(yours).__name__}"]
        return _tables(where, mine, yours)
    return _arrays(where, mine, yours)


def _tables(where: str, mine: dict, yours: dict) -> list[str]:
    if list(mine) != list(yours):
        return [f"{where} keys: {list(mine)} != {list(yours)}"]
    found = []
    for key in mine:
        found += _arrays(f"{where}[{key}]", mine[key], yours[key])
    return found


def _arrays(where: str, mine: object, yours: object) -> list[str]:
    if mine is None or yours is None:
        return [] if mine is yours else [f"{where}: {_short(mine)} != {_short(yours)}"]
    if not (isinstance(mine, np.ndarray) and isinstance(yours, np.ndarray)):
        return [f"{where}: {type(mine).__name__} != {type(yours).__name__}"]
    if mine.dtype != yours.dtype or mine.shape != yours.shape:
        return [f"{where}: {mine.dtype}{mine.shape} != {yours.dtype}{yours.shape}"]
    if mine.dtype == object:
        unequal = [i for i, (a, b) in enumerate(zip(mine, yours, strict=True)) if not _same(a, b)]
    elif mine.dtype.kind == "f":
        same = np.array_equal(mine, yours, equal_nan=True)
        same = same and np.array_equal(np.signbit(mine), np.signbit(yours))
        unequal = [] if same else _positions(mine, yours)
    else:
        unequal = [] if np.array_equal(mine, yours) else list(np.flatnonzero(mine != yours))
    if not unequal:
        return []
    at = unequal[0]
    return [
        f"{where}: {len(unequal)} of {len(mine)} differ, first at {at}: "
        f"{_short(mine[at])} != {_short(yours[at])}"
    ]


def _positions(mine: np.ndarray, yours: np.ndarray) -> list[int]:
    nan = np.isnan(mine) & np.isnan(yours)
    differ = ~nan & ((mine != yours) | (np.signbit(mine) != np.signbit(yours)))
    return list(np.flatnonzero(differ.reshape(len(mine), -1).any(axis=1)))


def _same(mine: object, yours: object) -> bool:
    if mine is yours:
        return True
    if type(mine) is not type(yours):
        return False
    if isinstance(mine, float):
        return (math.isnan(mine) and math.isnan(yours)) or (
            mine == yours and math.copysign(1, mine) == math.copysign(1, yours)
        )
    if hasattr(mine, "formula") and hasattr(mine, "paper"):  # an Indicator
        return _indicator(mine) == _indicator(yours)
    return bool(mine == yours)


def _indicator(indicator) -> tuple:
    return (indicator.id, indicator.paper, indicator.span, indicator.formula.text)


def _short(value: object) -> str:
    if hasattr(value, "formula") and hasattr(value, "paper"):
        return f"指标 {value.id}"
    text = repr(value)
    return text if len(text) < 200 else text[:200] + "…"
