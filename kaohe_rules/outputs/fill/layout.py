"""What each lead unit's fill-in workbook asks for, worked out from the rules' plan.

One ``Book`` per 评分牵头单位; in it one ``Page`` per domain where the unit leads an
indicator, listing the units at least one of those indicators applies to (一单位一策: a
unit whose variant drops an indicator is not asked for it), one ``Column`` per indicator.
The writer (template.py) and the reader (collect.py) both read this layout, so a returned
workbook is checked cell by cell against exactly what was sent.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.read.cells import allowed_range
from kaohe_rules.records import data_record
from kaohe_rules.score.plan import Plan

TEMPLATE_VERSION = "1"
GUIDE_SHEET = "填报说明"
INFO_SHEET = "模板信息"
# Rows above the units: 1 ids (what data files name), 2 names, 3 单位, 4 targets, 5 ranges.
HEADER_LABELS = ("指标", "指标名称", "计量单位", "目标值", "填报范围")
FIRST_ROW = len(HEADER_LABELS) + 1
FIRST_COLUMN = 3  # A 编号, B 名称
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\[\]]')


@data_record
class Column:
    """One indicator of a page: what its header says and which rows it asks of."""

    id: str
    name: str
    measure: str  # 单位 as the rules write it ("%", "分" …)
    minimum: float | None
    maximum: float | None
    target: str  # the header's target text, units with their own target named
    applies: tuple[bool, ...]  # per row of the page

    @property
    def percent(self) -> bool:
        """Values of a % indicator are fractions (0.0293 is 2.93%), as in data files."""
        return self.measure == "%"

    def shown(self, value: float) -> str:
        """A value as the header and messages write it."""
        return f"{value * 100:g}%" if self.percent else f"{value:g}"

    @property
    def range_text(self) -> str:
        """The declared range, or 任意数值 when the rules declare none."""
        if self.minimum is None and self.maximum is None:
            return "任意数值"
        return allowed_range(self.minimum, self.maximum, self.shown)


@data_record
class Page:
    """One sheet: a domain's units (id, name) and the lead unit's indicators in it."""

    domain: str
    units: tuple[tuple[str, str], ...]
    columns: tuple[Column, ...]
    title: str = ""  # the sheet's title: the domain's name as Excel allows, unique in the book


@data_record
class Book:
    """One lead unit's workbook."""

    lead: str
    pages: tuple[Page, ...]
    file_name: str = ""  # the lead's name as a file may be named, unique in the folder

    def asked(self) -> int:
        """How many values the workbook asks for."""
        return sum(sum(c.applies) for p in self.pages for c in p.columns)


def sheet_title(name: str) -> str:
    """A domain's name as a sheet may be titled (Excel: 31 characters, no []:*?/\\)."""
    return _NOT_IN_NAMES.sub("_", name)[:31]


def books(plan: Plan) -> tuple[Book, ...]:
    """Every lead unit's workbook, by lead name; indicators without a lead are asked of
    nobody (the data files give them as before)."""
    ruleset = plan.resolved.ruleset
    leads = sorted({i.lead for d in ruleset.scored() for i in d.all_indicators() if i.lead})
    found, taken = [], set()
    for lead in leads:
        pages = [p for d in ruleset.scored() if (p := _page(plan, d, lead)) is not None]
        # two leads alike once /\:*?"<>| are replaced must not write one file
        stem, number = _NOT_IN_NAMES.sub("_", lead), 1
        name = stem
        while name.casefold() in taken:
            number += 1
            name = f"{stem}（{number}）"
        taken.add(name.casefold())
        found.append(Book(lead, _titled(pages), name + ".xlsx"))
    return tuple(found)


def _titled(pages: list[Page]) -> tuple[Page, ...]:
    """Each page with a sheet title of its own: two domain names alike in their first 31
    characters (or once []:*?/\\ are replaced) would otherwise share a sheet."""
    taken = {GUIDE_SHEET, INFO_SHEET}
    titled = []
    for page in pages:
        title, number = sheet_title(page.domain), 1
        while title.casefold() in {t.casefold() for t in taken}:  # Excel ignores case
            number += 1
            suffix = f"（{number}）"
            title = sheet_title(page.domain)[: 31 - len(suffix)] + suffix
        taken.add(title)
        titled.append(replace(page, title=title))
    return tuple(titled)


def _page(plan: Plan, domain: m.Domain, lead: str) -> Page | None:
    ids = list(dict.fromkeys(i.id for i in domain.all_indicators() if i.lead == lead))
    if not ids:
        return None
    dp = plan.of(domain)
    masks = {key: _applies(dp.scorings[key], lead) for key in ids}
    asked = np.flatnonzero(np.logical_or.reduce(list(masks.values())))
    units = tuple((str(dp.roster.units[r].id), str(dp.roster.units[r].name)) for r in asked)
    columns = tuple(_column(dp.scorings[key], lead, masks[key], asked, units) for key in ids)
    return Page(domain.name, units, columns)


def _applies(groups, lead: str) -> np.ndarray:
    """The units an indicator id asks this lead for (variants may add it with another lead)."""
    masks = [
        mask
        for group in groups
        for indicator, mask in zip(group.indicators, group.masks, strict=True)
        if indicator.lead == lead
    ]
    return np.logical_or.reduce(masks)


def _column(groups, lead: str, mask: np.ndarray, asked: np.ndarray, units) -> Column:
    group = next(g for g in groups if any(i.lead == lead for i in g.indicators))
    indicator = next(i for i in group.indicators if i.lead == lead)
    probe = Column(
        indicator.id,
        indicator.name,
        indicator.unit_of_measure,
        indicator.minimum,
        indicator.maximum,
        "",
        tuple(bool(mask[r]) for r in asked),
    )
    target = _target_text(probe, indicator.target, group.parameters["目标值"], mask, asked, units)
    return replace(probe, target=target)


def _target_text(column: Column, common, targets, mask, asked, units) -> str:
    """The rule's target, then each unit whose own target differs (一单位一策)."""
    text = "—" if common is None else column.shown(common)
    if not isinstance(targets, np.ndarray):
        return text
    own = []
    for (_id, name), row in zip(units, asked, strict=True):
        value = float(targets[row])
        if mask[row] and not np.isnan(value) and (common is None or value != common):
            own.append(f"{name} {column.shown(value)}")
    return text + ("（" + "；".join(own) + "）" if own else "")


def rules_fingerprint(ruleset: m.RuleSet) -> str:
    """The rule files' fingerprint (names and contents, as ``kaohe evaluate`` stamps it
    without data): a template carries it, and collecting checks it."""
    from kaohe_rules.score.engine import fingerprint

    return fingerprint(list(ruleset.files), dict(ruleset.digests))
