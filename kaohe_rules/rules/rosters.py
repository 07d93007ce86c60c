"""The roster as columns: every unit's id, name, domain and attributes, and each
domain's (and special assessment's) units as a selection of them.

Fixed by the rule set alone (its roster and the 对象 conditions of its special
assessments, which read unit attributes only), so they are worked out once per rule
set and shared, read-only, by the checks, the plan and every evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.dsl import Compiled, Population
from kaohe_rules.dsl.evaluate import Run, vectorize
from kaohe_rules.dsl.population import to_column
from kaohe_rules.dsl.types import TEXT, Type
from kaohe_rules.records import data_record


@data_record
class Roster:
    """One domain's units as columns."""

    units: Sequence[m.Unit]  # a tuple, or a read-only view of a roster table
    rows: np.ndarray  # each unit's position in the rule set's roster (DataSet.positions maps)
    columns: Mapping[str, np.ndarray]
    names: tuple[str, ...]


@data_record
class Rosters:
    """The rule set's roster as columns, and each scored domain's selection of it."""

    columns: Mapping[str, np.ndarray]  # every roster unit, in roster order
    domains: Mapping[str, Roster]  # by domain name (a special assessment's too)

    def of(self, domain: m.Domain) -> Roster:
        """A domain's (or a special assessment's) roster."""
        return self.domains[domain.name]


def unit_symbols(ruleset: m.RuleSet) -> dict[str, Type]:
    """``unit.编号``, ``unit.名称``, ``unit.领域`` and the roster's declared attributes."""
    names = {"unit.编号": TEXT, "unit.名称": TEXT, "unit.领域": TEXT}
    names.update({f"unit.{name}": kind for name, kind in ruleset.attributes})
    return names


def build(ruleset: m.RuleSet, programs: Mapping[m.Expr, Compiled]) -> Rosters:
    """Every roster column once, then each domain's and special assessment's rows."""
    columns = _all_columns(ruleset)
    for column in columns.values():
        column.flags.writeable = False  # shared by every evaluation
    domains = {}
    for domain in ruleset.domains:
        rows = np.flatnonzero(columns["unit.领域"] == domain.name)
        domains[domain.name] = _roster_of(ruleset, columns, rows)
    for special in ruleset.specials:
        rows = _member_rows(ruleset, columns, programs.get(special.members))
        domains[special.domain.name] = _roster_of(ruleset, columns, rows)
    return Rosters(MappingProxyType(columns), MappingProxyType(domains))


def _roster_of(ruleset: m.RuleSet, columns: Mapping[str, np.ndarray], rows) -> Roster:
    units = m.take_units(ruleset.units, rows)
    units = tuple(units) if isinstance(units, list) else units
    selected = {name: column[rows] for name, column in columns.items()}
    for column in selected.values():
        column.flags.writeable = False
    rows.flags.writeable = False
    return Roster(units, rows, MappingProxyType(selected), tuple(selected["unit.名称"]))


def _all_columns(ruleset: m.RuleSet) -> dict[str, np.ndarray]:
    types = unit_symbols(ruleset)
    if isinstance(ruleset.units, m.UnitTable):  # a roster file: columns already
        return {name: to_column(ruleset.units.column(name), kind) for name, kind in types.items()}
    units = ruleset.units
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
    return {name: to_column(values, types[name]) for name, values in raw.items()}


def _member_rows(
    ruleset: m.RuleSet, columns: Mapping[str, np.ndarray], program: Compiled | None
) -> np.ndarray:
    """The roster positions a special assessment's 对象 selects (none when it did not
    compile): it reads unit attributes only, so it is known before any data."""
    size = len(ruleset.units)
    if program is None or not size:
        return np.empty(0, dtype=np.int64)
    population = Population(columns, size=size, unit_ids=list(columns["unit.名称"]))
    hit = vectorize(program).evaluate(population, Run(population, None)) == 1.0
    return np.flatnonzero(np.broadcast_to(hit, size))
