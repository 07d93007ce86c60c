"""Special assessments (专项考核): scored first, then handed to the units' own domains.

A special assessment is scored by the same stages as a domain, over the units its
对象 selects. Its 计入综合考核 formulas are then evaluated on its own result, and
each value is carried to the domain of the unit it belongs to as an ``Input``: a
bonus or deduction (added before the domain's caps), a veto, or a label.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.records import data_record
from kaohe_rules.score.result import DomainResult
from kaohe_rules.score.scorer import DomainScorer

# What a non-member receives: nothing to add, no veto, and no label value.
_ABSENT = {"加分": 0.0, "扣分": 0.0, "一票否决": 0.0, "标签": np.nan}


@data_record(frozen=False)
class SpecialResult:
    """One special assessment's own result and the value of each contribution per member."""

    special: m.Special
    result: DomainResult
    values: dict[m.Contribution, np.ndarray]


@data_record(frozen=False)
class Input:
    """One contribution of one special assessment, as a column over a domain's units."""

    special: m.Special
    contribution: m.Contribution
    value: np.ndarray
    member: np.ndarray  # which of the domain's units take part in the special assessment
    type: str = "number"  # the formula's type kind: "number", "bool" or "text"


def contributions(scorer: DomainScorer, special: m.Special) -> SpecialResult:
    """The 计入综合考核 values for every member, after the special's own stages ran."""
    values: dict[m.Contribution, np.ndarray] = {}
    for item in special.contributions:
        value = scorer.run(item.expr)
        if item.kind != "标签":
            missing = np.isnan(value)
            if item.kind == "一票否决":
                message = f"专项考核 {special.name} 的一票否决条件因数据缺失无法判断，按不成立处理"
                scorer.warn("KH311", message, missing, item.expr.span)
            else:
                message = f"专项考核 {special.name} 的{item.kind}缺少数据，按 0 计"
                scorer.warn("KH306", message, missing, item.expr.span)
            value = np.where(missing, 0.0, value)
        if item.cap is not None:
            value = np.minimum(value, item.cap)
        values[item] = value
    return SpecialResult(special, scorer.result, values)


def inputs_for(units: list[m.Unit], specials: list[SpecialResult], resolved) -> list[Input]:
    """What every special assessment gives the given units (one domain's, in its order)."""
    found = []
    for done in specials:
        where = {u.id: i for i, u in enumerate(done.result.units)}
        rows = np.array([where.get(u.id, -1) for u in units], dtype=np.int64)
        member = rows >= 0
        for item, column in done.values.items():
            kind = resolved.program(item.expr).type.kind
            if kind == "text":
                value = np.full(len(units), None, dtype=object)
            else:
                value = np.full(len(units), _ABSENT[item.kind])
                if kind == "bool" and item.kind == "标签":
                    value[:] = 0.0  # a yes/no label is "no" for a unit outside the assessment
            value[member] = column[rows[member]]
            found.append(Input(done.special, item, value, member, kind))
    return found


def apply_labels(scorer: DomainScorer) -> None:
    """The stage after a domain's own labels: labels special assessments give its units."""
    for given in scorer.inputs:
        if given.contribution.kind == "标签":
            name = given.contribution.name
            scorer.result.labels[name] = given.value
            scorer.result.label_types[name] = given.type
            scorer.set(name, given.value)
