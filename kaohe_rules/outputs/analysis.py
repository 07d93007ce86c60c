"""Analyses of evaluated years: indicator spread, domain summaries, year-on-year trends.

Pure computations on :class:`~kaohe_rules.score.engine.Evaluation` objects, and the
renderings of their tables (terminal text, CSV, JSON, XLSX); ``kaohe analyze``
in ``cli/analyze.py`` only parses options and writes.

Every table has a fixed order (domains in rule-set order, categories in rule
order, papers and indicators in file order, units in roster order) and every
number is rounded to :data:`DIGITS` decimals, so the same inputs give the same
bytes.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.dsl.numeric import round_scalar
from kaohe_rules.outputs.report import plain
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.score.ranking import tier_order
from kaohe_rules.score.result import DomainResult
from kaohe_rules.source import align, cell_text

DIGITS = 4
FORMULA = "（公式）"  # the 指标 cell of a paper scored by its own formula, not by indicators
YES, NO = "是", "否"


@dataclass
class Table:
    """One analysis table: a header, rows of plain values, and text-only notes below it."""

    title: str
    header: list[str]
    rows: list[list[object]]
    notes: list[str] = field(default_factory=list)
    percent: tuple[str, ...] = ()  # columns of shares (0.25), shown as 25% in a workbook

    def records(self) -> list[dict[str, object]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


# -- numbers ---------------------------------------------------------------------------------


def number(value: object) -> int | float | None:
    """A number rounded half-up to DIGITS decimals, whole numbers as ints (30, not 30.0,
    as the terminal shows them); None for missing, never -0."""
    if value is None:
        return None
    value = float(value)
    if np.isnan(value):
        return None
    return plain(round_scalar(value, DIGITS))


def _share(part: float, whole: float) -> float | None:
    if whole == 0 or np.isnan(whole) or np.isnan(part):
        return None
    return number(part / whole)


def _categories(d: DomainResult) -> list[object]:
    """The categories present in a domain, in the order the rules declare them."""
    present = set(d.category)
    order: list[object] = [c.name for c in d.domain.categories if c.name in present]
    return order + [c for c in dict.fromkeys(d.category) if c not in order]


# -- analyze indicators ----------------------------------------------------------------------

INDICATOR_HEADER = [
    "领域",
    "类别",
    "考卷",
    "指标",
    "满分",
    "权重",
    "单位数",
    "剔除数",
    "平均分",
    "最低分",
    "最高分",
    "满分占比",
    "零分占比",
    "不区分",
]


def _full_cell(full: np.ndarray) -> object:
    values = sorted({number(v) for v in full if not np.isnan(v)})
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return f"{cell_text(values[0])}–{cell_text(values[-1])}"  # 一单位一策 changed it for some units


def _indicator_row(
    domain: m.Domain,
    category: object,
    paper: str,
    name: str,
    scores: np.ndarray,
    full: np.ndarray,
    excluded: int,
) -> list[object]:
    """One row of the indicator table from the scores of the units it counted for."""
    count = len(scores)
    cell = _full_cell(full)
    weight = None
    if isinstance(cell, int | float) and domain.total:
        weight = number(cell / domain.total)
    row: list[object] = [domain.name, category, paper, name, cell, weight, count, excluded]
    if count == 0:
        return [*row, None, None, None, None, None, NO]
    rounded = np.array([number(s) for s in scores], dtype=np.float64)
    at_full = np.sum(scores >= full - 1e-9)
    at_zero = np.sum(rounded == 0)
    same = count >= 2 and float(rounded.max()) == float(rounded.min())
    return [
        *row,
        number(scores.mean()),
        number(scores.min()),
        number(scores.max()),
        number(at_full / count),
        number(at_zero / count),
        YES if same else NO,
    ]


def indicator_table(evaluation: Evaluation) -> Table:
    """Per domain, category and indicator: how the units' scores spread.

    Units whose data was missing under 剔除折算 are not scored (剔除数); an indicator
    scored the same for every unit of a category (two or more) is flagged 不区分. A
    paper scored by a formula of its own appears as one row with 指标 ``（公式）``.
    """
    rows = []
    for d in evaluation.domains:
        for category in _categories(d):
            members = d.category == category
            for paper in d.domain.papers:
                if paper.formula is not None:
                    scores = d.papers[paper.id][members]
                    full = d.paper_weights[paper.id][members]
                    row = _indicator_row(d.domain, category, paper.id, FORMULA, scores, full, 0)
                    rows.append(row)
                    continue
                for key in dict.fromkeys(i.id for i in d.indicators if i.paper == paper.id):
                    applies = members & d.applicable[key]
                    if not applies.any():
                        continue
                    counted = applies & ~d.excluded[key]
                    excluded = int((applies & d.excluded[key]).sum())
                    scores, full = d.scores[key][counted], d.full[key][counted]
                    if not counted.any():
                        full = d.full[key][applies]
                    rows.append(
                        _indicator_row(d.domain, category, paper.id, key, scores, full, excluded)
                    )
    notes = [_footer(evaluation)]
    return Table("指标分析", list(INDICATOR_HEADER), rows, notes, ("权重", "满分占比", "零分占比"))


# -- analyze domains -------------------------------------------------------------------------


def domain_table(evaluation: Evaluation) -> Table:
    """Per domain and category: units, units per tier, the totals' spread, and each
    paper's mean score and its share of the mean total (加分、扣分 make up the rest)."""
    tiers = tier_order([d.domain for d in evaluation.domains])
    papers = list(dict.fromkeys(p.id for d in evaluation.domains for p in d.domain.papers))
    header = ["领域", "类别", "单位数", *tiers]
    header += ["平均总分", "最低总分", "最高总分", "总分中位数"]
    for paper in papers:
        header += [f"{paper}平均分", f"{paper}占比"]
    header += ["平均加分", "平均扣分"]
    rows = []
    for d in evaluation.domains:
        for category in _categories(d):
            members = d.category == category
            totals = d.total[members]
            mean_total = float(totals.mean())
            row: list[object] = [d.domain.name, category, int(members.sum())]
            row += [int(np.sum(d.tier[members] == t)) for t in tiers]
            row += [number(mean_total), number(totals.min()), number(totals.max())]
            row.append(number(np.median(totals)))
            for paper in papers:
                if paper not in d.papers:
                    row += [None, None]
                    continue
                mean = float(d.papers[paper][members].mean())
                row += [number(mean), _share(mean, mean_total)]
            row += [number(d.bonus[members].mean()), number(d.deduction[members].mean())]
            rows.append(row)
    shares = tuple(f"{paper}占比" for paper in papers)
    return Table("领域分析", header, rows, [_footer(evaluation)], shares)


def _footer(evaluation: Evaluation) -> str:
    year = evaluation.resolved.ruleset.year
    return f"{year} 年度 · 指纹 {evaluation.fingerprint}"


# -- analyze trend ---------------------------------------------------------------------------


@dataclass
class _Result:
    domain: str
    category: object
    name: str
    total: float
    rank: int
    tier: object


def _results(evaluation: Evaluation) -> dict[str, _Result]:
    """Each unit's result by 编号, in rule-set and roster order."""
    found = {}
    for d in evaluation.domains:
        for i, unit in enumerate(d.units):
            found[unit.id] = _Result(
                d.domain.name, d.category[i], unit.name, d.total[i], int(d.rank[i]), d.tier[i]
            )
    return found


@dataclass
class Trend:
    """The trend table (one row per unit) and the units rising and falling most."""

    table: Table
    movers: Table


def trend(years: list[tuple[int, Evaluation]], top: int = 5) -> Trend:
    """Units matched by 编号 across years (oldest first): total, rank and tier per year.

    名次变化 is the first year's rank minus the last year's (positive: rose), given only
    for units in both years and in the same domain and category in both. Per domain and
    category of the last year, the ``top`` units rising most and falling most (ties by
    编号) are marked in 升降 and listed in the movers table.
    """
    years = sorted(years, key=lambda pair: pair[0])
    results = [(year, _results(evaluation)) for year, evaluation in years]
    ids = list(dict.fromkeys(uid for _y, found in reversed(results) for uid in found))
    first, last = results[0][1], results[-1][1]
    header = ["编号", "名称", "领域", "类别"]
    for year, _found in results:
        header += [f"{year}年总分", f"{year}年名次", f"{year}年等次"]
    header += ["名次变化", "升降"]
    change: dict[str, int | None] = {}
    latest: dict[str, _Result] = {}
    for uid in ids:
        latest[uid] = next(found[uid] for _y, found in reversed(results) if uid in found)
        a, b = first.get(uid), last.get(uid)
        same = a is not None and b is not None and (a.domain, a.category) == (b.domain, b.category)
        change[uid] = a.rank - b.rank if same else None
    marks, mover_rows = _movers(ids, latest, change, top, results[0][0], results[-1][0])
    rows = []
    for uid in ids:
        now = latest[uid]
        row: list[object] = [uid, now.name, now.domain, now.category]
        for _year, found in results:
            r = found.get(uid)
            row += [None, None, None] if r is None else [number(r.total), r.rank, r.tier]
        row += [change[uid], marks.get(uid, "")]
        rows.append(row)
    span = f"{results[0][0]}–{results[-1][0]}"
    prints = "，".join(f"{year} {e.fingerprint}" for year, e in years)
    notes = [f"{span} 年度 · 共 {len(ids)} 个考核对象 · 指纹 {prints}"]
    table = Table("年度趋势", header, rows, notes)
    mover_header = ["领域", "类别", "升降", "位次", "编号", "名称"]
    mover_header += [f"{results[0][0]}年名次", f"{results[-1][0]}年名次", "名次变化"]
    return Trend(table, Table("升降最多", mover_header, mover_rows))


def _movers(ids, latest, change, top, first_year, last_year):
    """The units rising and falling most per domain and category; their 升降 marks."""
    groups: dict[tuple, list[str]] = {}
    for uid in ids:
        if change[uid] is not None:
            groups.setdefault((latest[uid].domain, latest[uid].category), []).append(uid)
    marks: dict[str, str] = {}
    rows: list[list[object]] = []
    for (domain, category), members in groups.items():
        rising = sorted((u for u in members if change[u] > 0), key=lambda u: (-change[u], u))
        falling = sorted((u for u in members if change[u] < 0), key=lambda u: (change[u], u))
        for word, chosen in (("上升", rising[:top]), ("下降", falling[:top])):
            for place, uid in enumerate(chosen, 1):
                marks[uid] = f"{word}第{place}"
                now = latest[uid]
                before = now.rank + change[uid]
                rows.append(
                    [domain, category, word, place, uid, now.name, before, now.rank, change[uid]]
                )
    return marks, rows


# -- rendering -------------------------------------------------------------------------------


def text_table(table: Table) -> str:
    """A terminal table aligned by display width (Chinese characters take two columns)."""
    lines = align([table.header] + [[cell_text(v) for v in row] for row in table.rows])
    return "\n".join(lines + table.notes)


def trend_text(result: Trend) -> str:
    """The trend table, then the units rising and falling most."""
    parts = [text_table(result.table)]
    if result.movers.rows:
        parts.append(f"\n{result.movers.title}（每个领域、类别）：\n" + text_table(result.movers))
    else:
        parts.append("\n没有名次变化的单位。")
    return "\n".join(parts)


def csv_bytes(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a BOM so that Excel reads the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return buffer.getvalue().encode("utf-8-sig")


def json_bytes(table: Table) -> bytes:
    """The table as a JSON list of row objects keyed by the Chinese column names."""
    return (json.dumps(table.records(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def xlsx_bytes(table: Table, about: list[list[object]], tiers: dict[str, int]) -> bytes:
    """The table as a workbook of one sheet and its 说明, byte-for-byte reproducible; it
    opens on 说明 when that says the data are the bundled sample."""
    from kaohe_rules.outputs.excel import ABOUT, Sheet, workbook

    percent = dict.fromkeys(table.percent, True)
    sheets = {table.title: Sheet(table.header, table.rows, percent)}
    active = ABOUT if any(row[0] == "数据" for row in about) else None
    return workbook(sheets, about, tiers, active)


FORMATS = ("text", "json", "csv", "xlsx")


def render(
    table: Table,
    fmt: str,
    text: str | None = None,
    about: list[list[object]] | None = None,
    tiers: dict[str, int] | None = None,
) -> bytes:
    """The bytes of ``table`` in one of FORMATS; ``text`` overrides the text rendering;
    ``about`` (the 说明 sheet's rows) and ``tiers`` (tier levels) are for xlsx."""
    if fmt == "text":
        return ((text if text is not None else text_table(table)) + "\n").encode("utf-8")
    if fmt == "csv":
        return csv_bytes(table)
    if fmt == "json":
        return json_bytes(table)
    if fmt == "xlsx":
        return xlsx_bytes(table, about or [], tiers or {})
    raise ValueError(fmt)
