"""The data of a random case: gaps (none in about a third of the cases), ties, zeros,
values on a floor, a target or a threshold, overflowing values now and then, an
indicator no unit has, values for units an indicator does not apply to, units in
another order than the roster's, and last year's results for history(1)."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.reference.case import FAMILY, GRADES, TIERS, Case, has_family

VALUES = (0, 1, 2.5, 3, 5, 10, 50, 60, 80, 90, 100)  # indicator values, with the rules'
EXTREME = (1e110, -1e110)  # now and then: cubed, they overflow

# A special assessment's 对象, and who it selects.
MEMBERS = {
    'unit.规模 == "大"': lambda unit: unit["规模"] == "大",
    "unit.山区": lambda unit: unit["山区"],
}


def _indicators(case: Case) -> dict[str, tuple[set[str], list[float]]]:
    """Each indicator id -> the units it is scored for, and its parameters (edge values)."""
    found: dict[str, tuple[set[str], list[float]]] = {}
    members = {}
    for unit in case.roster["单位"]:
        members.setdefault(unit["领域"], set()).add(unit["名称"])
    for name, document in case.specials.items():
        chosen = MEMBERS[document["对象"]]
        members[name] = {u["名称"] for u in case.roster["单位"] if chosen(u)}
    for name, document in [*case.domains.items(), *case.specials.items()]:
        specs = [(iid, spec, members[name]) for p in document["考卷"].values()
                 for iid, spec in p.get("指标", {}).items()]  # fmt: skip
        for unit, variant in document.get("一单位一策", {}).items():
            for added in variant.get("新增指标", {}).values():
                specs += [(iid, spec, {unit}) for iid, spec in added.items()]
        for iid, spec, scored in specs:
            edges = [v for k, v in spec.items() if k in ("目标值", "下限值", "上限值")]
            edges += list(spec.get("档位", ()))
            entry = found.setdefault(iid, (set(), []))
            entry[0].update(scored)
            entry[1].extend(edges)
    return found


@st.composite
def data(draw, case: Case, clean: bool) -> None:
    """The case's data: gaps (none in ``clean`` and about a third of the other cases),
    ties, zeros, edges."""
    gaps = 0 if clean else draw(st.sampled_from([0, 0, 1, 3, 6]))  # in 20ths of the cells
    indicators = _indicators(case)
    case.indicators = tuple(indicators)
    case.long = draw(st.booleans())
    family = has_family(case)
    stray = draw(st.integers(0, 5)) == 0  # values for units an indicator does not apply to
    extreme = EXTREME if draw(st.integers(0, 5)) == 0 else ()
    # An indicator no unit has a value of (in wide data: no column at all).
    absent = set()
    if indicators and draw(st.integers(0, 4)) == 0:
        absent.add(draw(st.sampled_from(sorted(indicators))))
    rows = []
    for unit in case.roster["单位"]:
        row: dict[str, object] = {"编号": unit["编号"], "名称": unit["名称"]}
        row["基础分"] = draw(_gap(gaps, [0, 60, 80, 90, 100]))
        row["表彰数"] = draw(_gap(gaps, [0, 1, 2, 5]))
        row["问题数"] = draw(_gap(gaps, [0, 1, 4, 10]))
        row["事故"] = draw(_gap(gaps, [False, False, False, True]))
        row["班子等次"] = draw(_gap(gaps, list(GRADES)))
        for member in FAMILY if family else ():
            row[member] = draw(st.sampled_from([None, 0, 1, 3]))
        for iid, (scored, edges) in indicators.items():
            if iid in absent:
                continue
            if unit["名称"] in scored or (stray and draw(st.booleans())):
                pool = sorted(set(VALUES) | set(edges) | set(extreme))
                row[iid] = draw(_gap(gaps, pool))
        rows.append(row)
    case.rows = draw(st.permutations(rows)) if draw(st.booleans()) else rows
    if draw(st.integers(0, 2)) == 0:
        case.history = [draw(_history(u["编号"])) for u in case.roster["单位"]]


@st.composite
def _history(draw, unit: str) -> dict:
    """The unit's result a year earlier, for history(1) in the labels."""
    tier, total = draw(st.sampled_from(TIERS)), draw(st.sampled_from([60, 75.5, 90]))
    return {"编号": unit, "年度": 2023, "等次": tier, "总分": total, "名次": 1}


def _gap(gaps: int, values: list) -> st.SearchStrategy:
    """One of ``values``, or None (a blank cell) in about ``gaps`` of 20 draws: one
    choice per cell, so that a case of 30 units stays within hypothesis's budget."""
    blanks = round(len(values) * gaps / (20 - gaps))
    return st.sampled_from([*values, *[None] * blanks])
