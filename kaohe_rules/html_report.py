"""The year's report as one self-contained HTML page: charts as inline SVG, no scripts.

Everything is drawn here, in Python, from an Evaluation: tier counts per category,
the spread of totals with the tier cut lines, each paper's mean contribution, an
indicator table, one unit's rank and tier across years, and where units score low.
The page needs nothing from the network, prints on A4, and is deterministic: the
same rules and data give the same bytes (no timestamps, fixed number formatting,
fixed order). Every piece of text from rules or data goes through html.escape.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from kaohe_rules.dsl.numeric import round_scalar
from kaohe_rules.explain import find_unit
from kaohe_rules.score import ranking
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.score.result import DomainResult

UNPLACED = "未定等次"
NO_CATEGORY = "（无类别）"
_PALETTE = ("#2e7d32", "#1565c0", "#ef6c00", "#c62828", "#6a1b9a", "#00838f")
_GREY = "#9e9e9e"
_EPSILON = 1e-9

WIDTH = 760  # every chart's viewBox width, in CSS pixels


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape(str(value), quote=True)


def num(value: object, digits: int = 2) -> str:
    """A number rounded half-up to ``digits`` decimals, trailing zeros dropped; — if missing."""
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "—"
    rounded = round_scalar(value, digits)
    text = format(rounded, f".{digits}f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{num(value * 100, 1)}%"


# -- what the charts show --------------------------------------------------------------


@dataclass
class Group:
    """One category of one domain: the units the tiers and ranks are decided among."""

    domain: DomainResult
    name: str
    members: np.ndarray  # positions in the domain's columns, roster order

    @property
    def label(self) -> str:
        return f"{self.domain.domain.name} · {self.name}"


def groups(evaluation: Evaluation) -> list[Group]:
    """Every (domain, category) with units: domains in rule-set order, categories as declared."""
    found = []
    for d in evaluation.domains:
        names = [c.name for c in d.domain.categories]
        names += [c for c in dict.fromkeys(d.category) if c not in names]
        for name in names:
            members = np.flatnonzero(np.array([c == name for c in d.category], dtype=bool))
            if len(members):
                found.append(Group(d, NO_CATEGORY if name is None else str(name), members))
    return found


def tier_order(evaluation: Evaluation) -> list[str]:
    """Tier names best first as the rules rank them, then any others, then 未定等次."""
    order = ranking.tier_order([d.domain for d in evaluation.domains])
    order += [t for d in evaluation.domains for t in dict.fromkeys(d.tier) if t and t not in order]
    order = list(dict.fromkeys(order))
    if any(t is None for d in evaluation.domains for t in d.tier):
        order.append(UNPLACED)
    return order


def tier_colors(order: list[str]) -> dict[str, str]:
    named = [t for t in order if t != UNPLACED]
    colors = {t: _PALETTE[i % len(_PALETTE)] for i, t in enumerate(named)}
    if len(named) == 3:  # the usual three tiers: green, blue, red
        colors[named[2]] = _PALETTE[3]
    colors[UNPLACED] = _GREY
    return colors


def tier_of(d: DomainResult, index: int) -> str:
    return UNPLACED if d.tier[index] is None else str(d.tier[index])


def cut_lines(group: Group, order: list[str]) -> list[tuple[str, str, float]]:
    """(kind, tier, total): the lowest total of the best tier and the highest of the worst."""
    named = [t for t in order if t != UNPLACED]
    if len(named) < 2:
        return []
    d = group.domain
    found = []
    for kind, tier, pick in (("top", named[0], min), ("bottom", named[-1], max)):
        totals = [float(d.total[i]) for i in group.members if d.tier[i] == tier]
        totals = [t for t in totals if not math.isnan(t)]
        if totals:
            found.append((kind, tier, pick(totals)))
    return found


@dataclass
class IndicatorStats:
    domain: str
    paper: str
    id: str
    counted: int
    mean: float
    full_low: float
    full_high: float
    share: float  # mean of score / full marks
    at_full: float  # share of units at full marks
    low: list[int]  # positions of units below the domain's 问题清单 得分率 (default 60%)
    same: bool  # every counted unit got the same score (and there are at least two)


def indicator_stats(d: DomainResult) -> list[IndicatorStats]:
    """Per indicator id (variants may add one id several times): units it counts for."""
    found = []
    papers = {}
    for indicator in d.indicators:
        papers.setdefault(indicator.id, indicator.paper)
    for key, paper in papers.items():
        score, full = d.scores[key], d.full[key]
        counted = d.applicable[key] & ~d.excluded[key] & ~np.isnan(score) & ~np.isnan(full)
        where = np.flatnonzero(counted)
        s, f = score[where], full[where]
        if len(where):
            with np.errstate(all="ignore"):
                ratio = np.where(f > 0, s / f, np.nan)
            share = d.domain.problems.share
            low = [int(i) for i in where[s < share * f - _EPSILON]]
            stats = IndicatorStats(
                d.domain.name,
                paper,
                key,
                len(where),
                float(s.mean()),
                float(f.min()),
                float(f.max()),
                float(np.nanmean(ratio)) if (~np.isnan(ratio)).any() else math.nan,
                float((s >= f - _EPSILON).mean()),
                low,
                len(where) >= 2 and float(s.max() - s.min()) <= _EPSILON,
            )
        else:
            stats = IndicatorStats(
                d.domain.name,
                paper,
                key,
                0,
                math.nan,
                math.nan,
                math.nan,
                math.nan,
                math.nan,
                [],
                False,
            )
        found.append(stats)
    return found


# -- SVG helpers -----------------------------------------------------------------------


def _svg(chart: str, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" data-chart="{chart}" viewBox="0 0 {WIDTH} {num(height)}" '
        f'width="{WIDTH}" height="{num(height)}" role="img" aria-label="{esc(label)}">'
        f"<title>{esc(label)}</title>" + "".join(body) + "</svg>"
    )


def _attrs(**attributes: object) -> str:
    parts = []
    for name, value in attributes.items():
        name = name.rstrip("_").replace("_", "-")
        text = num(value) if isinstance(value, float | int) else str(value)
        parts.append(f'{name}="{esc(text)}"')
    return " ".join(parts)


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    extra = f' class="{cls}"' if cls else ""
    return f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}"{extra}>{esc(text)}</text>'


def _legend(order: list[str], colors: dict[str, str], y: float) -> list[str]:
    body, x = [], 10.0
    for tier in order:
        body.append(
            f'<rect class="legend" {_attrs(x=x, y=y - 10, width=12, height=12)} '
            f'fill="{colors[tier]}"/>'
        )
        body.append(_text(x + 16, y, tier, "small"))
        x += 16 + 13 * len(tier) + 18
    return body


def _ticks(low: float, high: float) -> list[float]:
    span = max(high - low, _EPSILON)
    raw = span / 8
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    start = math.ceil(low / step - _EPSILON) * step
    count = math.floor((high - start) / step + _EPSILON) + 1
    return [start + i * step for i in range(count)]


# -- charts ----------------------------------------------------------------------------

LABEL_W = 170.0
RIGHT_W = 150.0
PLOT_W = WIDTH - LABEL_W - RIGHT_W - 10


def tier_chart(found: list[Group], order: list[str], colors: dict[str, str]) -> str:
    """A 100% stacked bar per category, one segment per tier present, counts written in."""
    row_h, top = 28.0, 34.0
    body = _legend(order, colors, 18)
    for r, group in enumerate(found):
        d, y = group.domain, top + r * row_h
        size = len(group.members)
        body.append(_text(LABEL_W - 8, y + 15, group.label, "label", "end"))
        x = LABEL_W
        for tier in order:
            count = sum(1 for i in group.members if tier_of(d, i) == tier)
            if not count:
                continue
            width = PLOT_W * count / size
            tip = f"{group.label} · {tier}：{count} 个（{pct(count / size)}）"
            body.append(
                f'<rect class="seg" {_attrs(x=x, y=y + 2, width=width, height=row_h - 8)} '
                f'fill="{colors[tier]}" {_attrs(data_domain=d.domain.name)} '
                f"{_attrs(data_category=group.name, data_tier=tier, data_count=count)}>"
                f"<title>{esc(tip)}</title></rect>"
            )
            if width >= 16:
                body.append(_text(x + width / 2, y + 15, str(count), "inbar", "middle"))
            x += width
        body.append(_text(LABEL_W + PLOT_W + 8, y + 15, f"共 {size} 个", "small"))
    return _svg("tiers", top + len(found) * row_h + 6, body, "各类别等次人数")


def distribution_chart(found: list[Group], order: list[str], colors: dict[str, str]) -> str:
    """Each category's totals as a strip of dots on one shared axis, with the cut lines."""
    totals = [float(g.domain.total[i]) for g in found for i in g.members]
    totals = [t for t in totals if not math.isnan(t)] or [0.0, 100.0]
    ticks = _ticks(min(totals), max(totals))
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 10.0
    low = min(ticks[0], math.floor(min(totals) / step) * step)
    high = max(ticks[-1], math.ceil(max(totals) / step) * step)
    high = high if high > low else low + step
    ticks = [t for t in _ticks(low, high) if low - _EPSILON <= t <= high + _EPSILON]

    def x_of(value: float) -> float:
        return LABEL_W + (value - low) / (high - low) * PLOT_W

    radius = 4.5
    body = _legend(order, colors, 18)
    y = 34.0
    for group in found:
        d = group.domain
        # Stack dots that would overlap: alternately above and below the row's middle.
        buckets: dict[int, int] = {}
        placed = []
        members = sorted(group.members, key=lambda i: (float(d.rank[i]), int(i)))
        for i in members:
            value = float(d.total[i])
            if math.isnan(value):
                continue
            bucket = int(x_of(value) // (radius * 1.6))
            k = buckets.get(bucket, 0)
            buckets[bucket] = k + 1
            level = (k + 1) // 2 * (1 if k % 2 else -1)
            placed.append((i, value, level))
        levels = max((abs(level) for _i, _v, level in placed), default=0)
        levels = min(levels, 6)
        row_h = max(34.0, (2 * levels + 1) * radius * 1.7 + 14)
        middle = y + row_h / 2
        body.append(_text(LABEL_W - 8, middle + 5, group.label, "label", "end"))
        body.append(
            f'<line class="axis" {_attrs(x1=LABEL_W, y1=middle, x2=LABEL_W + PLOT_W, y2=middle)}/>'
        )
        for i, value, level in placed:
            level = max(-6, min(6, level))
            unit, tier = d.units[i], tier_of(d, i)
            tip = f"{unit.name}（{unit.id}）总分 {num(value, 4)} · 第 {int(d.rank[i])} 名 · {tier}"
            body.append(
                f'<circle class="dot" {_attrs(cx=x_of(value), cy=middle + level * radius * 1.7)} '
                f'r="{num(radius)}" fill="{colors[tier]}" {_attrs(data_unit=unit.id)} '
                f"{_attrs(data_group=group.label)}>"
                f"<title>{esc(tip)}</title></circle>"
            )
        notes = []
        for kind, tier, value in cut_lines(group, order):
            x = x_of(value)
            sign = "≥" if kind == "top" else "≤"
            tip = f"{group.label}：{tier}{'最低' if kind == 'top' else '最高'}总分 {num(value, 4)}"
            body.append(
                f'<line class="cut cut-{kind}" {_attrs(x1=x, y1=y + 3, x2=x, y2=y + row_h - 3)} '
                f'stroke="{colors[tier]}" {_attrs(data_group=group.label, data_kind=kind)} '
                f"{_attrs(data_total=num(value, 4))}>"
                f"<title>{esc(tip)}</title></line>"
            )
            notes.append(f"{tier.replace('等次', '')}{sign}{num(value)}")
        body.append(_text(LABEL_W + PLOT_W + 8, middle + 4, "  ".join(notes), "small"))
        y += row_h
    axis = y + 4
    body.append(f'<line class="axis" {_attrs(x1=LABEL_W, y1=axis, x2=LABEL_W + PLOT_W, y2=axis)}/>')
    for tick in ticks:
        x = x_of(tick)
        body.append(f'<line class="grid" {_attrs(x1=x, y1=34, x2=x, y2=axis + 4)}/>')
        body.append(_text(x, axis + 17, num(tick), "small", "middle"))
    body.append(_text(LABEL_W + PLOT_W / 2, axis + 34, "总分", "small", "middle"))
    return _svg("distribution", axis + 42, body, "各类别总分分布与等次分界")


def paper_chart(evaluation: Evaluation) -> str:
    """Per domain, each paper's mean score over its units against its weight."""
    rows: list[tuple[str, str, float, float]] = []
    for d in evaluation.domains:
        for paper, score in d.papers.items():
            weight = d.paper_weights.get(paper)
            mean = float(np.nanmean(score)) if (~np.isnan(score)).any() else math.nan
            full = float(np.nanmean(weight)) if weight is not None and len(weight) else math.nan
            rows.append((d.domain.name, paper, mean, full))
    scale = max([v for r in rows for v in r[2:] if not math.isnan(v)] + [_EPSILON])
    row_h, top, body = 24.0, 10.0, []
    previous = None
    y = top
    for domain, paper, mean, full in rows:
        if domain != previous:
            if previous is not None:
                y += 6
            body.append(_text(10, y + 15, domain, "head"))
            previous = domain
        body.append(_text(LABEL_W - 8, y + 15, paper, "label", "end"))
        if not math.isnan(full):
            body.append(
                f'<rect class="weight" {_attrs(x=LABEL_W, y=y + 3, width=PLOT_W * full / scale)} '
                f'height="{num(row_h - 8)}"/>'
            )
        width = 0.0 if math.isnan(mean) else PLOT_W * max(mean, 0.0) / scale
        share = mean / full if full and not math.isnan(full) else math.nan
        tip = f"{domain} · {paper}：平均 {num(mean)}，权重 {num(full)}（{pct(share)}）"
        body.append(
            f'<rect class="bar" {_attrs(x=LABEL_W, y=y + 3, width=width, height=row_h - 8)} '
            f"{_attrs(data_domain=domain, data_paper=paper, data_mean=num(mean, 4))}>"
            f"<title>{esc(tip)}</title></rect>"
        )
        text = f"{num(mean)} / {num(full)}（{pct(share)}）"
        body.append(_text(LABEL_W + PLOT_W + 8, y + 15, text, "small"))
        y += row_h
    return _svg("papers", y + 8, body, "各考卷平均得分（贡献）")


def trend_chart(evaluation: Evaluation, d: DomainResult, index: int, colors: dict[str, str]):
    """Rank (1 at the top) and tier of one unit in earlier years and this year."""
    year = evaluation.resolved.ruleset.year
    points = []  # (year, tier, total, rank, size)
    for back in sorted(d.population.history, reverse=True):
        record = d.population.history[back]
        tier = record.get("等次")[index] if "等次" in record else None
        total = float(record["总分"][index]) if "总分" in record else math.nan
        rank = float(record["名次"][index]) if "名次" in record else math.nan
        if tier is None and math.isnan(total) and math.isnan(rank):
            continue
        points.append((year - back, tier, total, rank, math.nan))
    points.append(
        (year, d.tier[index], float(d.total[index]), float(d.rank[index]), float(d.size[index]))
    )
    ranks = [p[3] for p in points if not math.isnan(p[3])]
    worst = max([*ranks, float(d.size[index]), 2.0])
    left, right, top, bottom = 80.0, WIDTH - 60.0, 30.0, 200.0

    def x_of(n: int) -> float:
        return (
            (left + right) / 2
            if len(points) == 1
            else left + n * (right - left) / (len(points) - 1)
        )

    def y_of(rank: float) -> float:
        return top + (rank - 1) / (worst - 1) * (bottom - top)

    body = [
        f'<line class="axis" {_attrs(x1=left - 20, y1=bottom + 14, x2=right + 20)} '
        f'y2="{num(bottom + 14)}"/>'
    ]
    for rank in sorted({1.0, worst, *ranks}):
        y = y_of(rank)
        body.append(f'<line class="grid" {_attrs(x1=left - 20, y1=y, x2=right + 20, y2=y)}/>')
        body.append(_text(left - 26, y + 4, f"第 {num(rank)} 名", "small", "end"))
    known = [(x_of(n), y_of(p[3])) for n, p in enumerate(points) if not math.isnan(p[3])]
    if len(known) > 1:
        path = " ".join(f"{num(x)},{num(y)}" for x, y in known)
        body.append(f'<polyline class="line" points="{path}"/>')
    for n, (when, tier, total, rank, size) in enumerate(points):
        x = x_of(n)
        tier_name = UNPLACED if tier is None else str(tier)
        color = colors.get(tier_name, _GREY)
        if not math.isnan(rank):
            out_of = "" if math.isnan(size) else f"/{num(size)}"
            tip = f"{when} 年：第 {num(rank)}{out_of} 名，总分 {num(total, 4)}，{tier_name}"
            body.append(
                f'<circle class="point" {_attrs(cx=x, cy=y_of(rank), r=6)} fill="{color}" '
                f"{_attrs(data_year=when, data_rank=num(rank))}><title>{esc(tip)}</title></circle>"
            )
            body.append(_text(x, y_of(rank) - 10, f"{num(rank)}{out_of}", "small", "middle"))
        if tier is not None:
            body.append(
                f'<rect class="chip" {_attrs(x=x - 34, y=bottom + 26, width=68, height=20)} '
                f'rx="4" fill="{color}" {_attrs(data_year=when, data_tier=tier_name)}/>'
            )
            body.append(_text(x, bottom + 40, tier_name, "chiptext", "middle"))
        body.append(_text(x, bottom + 64, f"{when} 年", "small", "middle"))
    unit = d.units[index]
    return _svg("trend", bottom + 74, body, f"{unit.name}历年名次与等次"), points


def problem_chart(evaluation: Evaluation, stats: dict[str, list[IndicatorStats]]) -> str:
    """Per domain, how many (unit, indicator) pairs score below its 问题清单 得分率."""
    rows = []
    for d in evaluation.domains:
        found = stats[d.domain.name]
        rows.append((d.domain.name, sum(len(s.low) for s in found), sum(s.counted for s in found)))
    scale = max([r[1] for r in rows] + [1])
    row_h, top, body = 26.0, 10.0, []
    for n, (domain, low, pairs) in enumerate(rows):
        y = top + n * row_h
        body.append(_text(LABEL_W - 8, y + 15, domain, "label", "end"))
        width = PLOT_W * low / scale
        tip = f"{domain}：{low} 个（单位，指标）得分率偏低，共 {pairs} 个"
        body.append(
            f'<rect class="bar problem" {_attrs(x=LABEL_W, y=y + 3, width=width)} '
            f'height="{num(row_h - 8)}" '
            f"{_attrs(data_domain=domain, data_count=low)}><title>{esc(tip)}</title></rect>"
        )
        share = f"（{pct(low / pairs)}）" if pairs else ""
        body.append(_text(LABEL_W + PLOT_W + 8, y + 15, f"{low} / {pairs}{share}", "small"))
    return _svg("problems", top + len(rows) * row_h + 6, body, "得分率偏低的（单位，指标）数")


# -- the page --------------------------------------------------------------------------

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --accent: #1565c0; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 820px; padding: 24px 20px 48px; color: var(--ink);
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; font-size: 15px; line-height: 1.6; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px;
  border-bottom: 2px solid var(--line); }
p.meta, p.note, figcaption { color: var(--muted); font-size: 13px; }
nav ol { margin: 8px 0; padding-left: 22px; columns: 2; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; }
figure { margin: 8px 0 16px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: var(--ink); }
svg text.small { font-size: 11px; fill: var(--muted); }
svg text.head { font-size: 13px; font-weight: bold; }
svg text.inbar, svg text.chiptext { font-size: 11px; fill: #fff; font-weight: bold; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg .grid { stroke: #eaeef2; stroke-width: 1; }
svg .cut { stroke-width: 2; stroke-dasharray: 4 3; }
svg .dot { stroke: #fff; stroke-width: 0.8; }
svg .bar { fill: var(--accent); }
svg .bar.problem { fill: #c62828; }
svg .weight { fill: #e3e8ee; }
svg .line { fill: none; stroke: #57606a; stroke-width: 2; }
svg .point { stroke: #fff; stroke-width: 1.5; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; }
th { background: #f6f8fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff8e1; }
span.flag { color: #b26a00; font-weight: bold; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px;
  border-top: 1px solid var(--line); }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _table(header: list[str], rows: list[tuple[list[str], str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    lines = []
    for cells, cls in rows:
        attribute = f' class="{cls}"' if cls else ""
        tds = "".join(
            f'<td class="n">{c}</td>' if n in numeric else f"<td>{c}</td>"
            for n, c in enumerate(cells)
        )
        lines.append(f"<tr{attribute}>{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _names(d: DomainResult, positions: list[int], limit: int = 8) -> str:
    names = "、".join(d.units[i].name for i in positions[:limit])
    return names + ("等" if len(positions) > limit else "")


def _sample_banner(evaluation: Evaluation) -> list[str]:
    """A banner under the title when the data are the bundled synthetic sample."""
    from kaohe_rules.bundled import sample_notice

    notice = sample_notice(evaluation.data)
    if notice is None:
        return []
    # Styled inline: a report of the user's own data keeps the very same bytes.
    style = "padding:8px 12px;border:2px solid #c62828;background:#fdecea;color:#b71c1c"
    return [f'<p class="sample" role="alert" style="{style}"><strong>{esc(notice)}</strong></p>']


def build_report(evaluation: Evaluation, unit: str | None = None) -> str:
    """The whole page as a string; raises KaoheError if ``unit`` is not in the roster."""
    ruleset = evaluation.resolved.ruleset
    order = tier_order(evaluation)
    colors = tier_colors(order)
    found = groups(evaluation)
    stats = {d.domain.name: indicator_stats(d) for d in evaluation.domains}
    by_name = {d.domain.name: d for d in evaluation.domains}

    if unit is None:
        first = next((u for u in ruleset.units for d in evaluation.domains if u in d.units), None)
        chosen = find_unit(evaluation, first.id) if first is not None else None
    else:
        chosen = find_unit(evaluation, unit)

    count = sum(len(d.units) for d in evaluation.domains)
    title = f"{ruleset.name} · 考核报告"
    if str(ruleset.year) not in ruleset.name:
        title = f"{ruleset.name} · {ruleset.year} 年度考核报告"
    if evaluation.period == "H1":
        title = title.replace("考核报告", "半年考核报告")
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="kaohe report"><title>{esc(title)}</title>',
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{esc(title)}</h1>",
        f'<p class="meta">{count} 个考核对象 · {len(evaluation.domains)} 个领域 · '
        f"{len(found)} 个类别 · 指纹 {esc(evaluation.fingerprint)}</p>",
        *_sample_banner(evaluation),
        "</header>",
        '<nav><ol><li><a href="#tiers">等次分布</a></li><li><a href="#distribution">总分分布</a>'
        '</li><li><a href="#papers">考卷贡献</a></li><li><a href="#trend">历年名次与等次</a></li>'
        '<li><a href="#problems">问题汇总</a></li><li><a href="#indicators">指标一览</a></li>'
        "</ol></nav>",
    ]

    # 1. tiers
    out.append('<section id="tiers"><h2>一、各类别等次人数</h2><figure>')
    out.append(tier_chart(found, order, colors))
    out.append(
        "<figcaption>每个领域、类别一条，按人数比例分段，段内数字是人数。</figcaption></figure>"
    )
    rows = []
    for g in found:
        d = g.domain
        totals = d.total[g.members]
        counts = [str(sum(1 for i in g.members if tier_of(d, i) == t)) for t in order]
        rows.append(
            (
                [
                    esc(d.domain.name),
                    esc(g.name),
                    str(len(g.members)),
                    *counts,
                    num(np.nanmean(totals)),
                    num(np.nanmax(totals)),
                    num(np.nanmin(totals)),
                ],
                "",
            )
        )
    numeric = set(range(2, 6 + len(order)))
    header = ["领域", "类别", "单位数", *order, "平均总分", "最高", "最低"]
    out.append(_table(header, rows, numeric) + "</section>")

    # 2. distribution
    named = [t for t in order if t != UNPLACED]
    out.append('<section id="distribution"><h2>二、总分分布与等次分界</h2><figure>')
    out.append(distribution_chart(found, order, colors))
    if len(named) >= 2:
        caption = (
            f"每个点是一个单位，颜色表示等次。虚线：{esc(named[0])}的最低总分与"
            f"{esc(named[-1])}的最高总分（右侧注明数值）。两线交错，说明等次不只由总分决定"
            "（如一票否决）。"
        )
    else:
        caption = "每个点是一个单位，颜色表示等次。"
    out.append(f"<figcaption>{caption}</figcaption></figure></section>")

    # 3. papers
    out.append('<section id="papers"><h2>三、各考卷平均得分</h2><figure>')
    out.append(paper_chart(evaluation))
    out.append(
        "<figcaption>蓝条是领域内各单位该考卷得分的平均（即对总分的平均贡献），"
        "灰底是考卷权重；右侧为 平均 / 权重（得分率）。</figcaption></figure></section>"
    )

    # 4. trend
    out.append('<section id="trend"><h2>四、历年名次与等次</h2>')
    if chosen is not None:
        d, index = chosen
        u = d.units[index]
        svg, points = trend_chart(evaluation, d, index, colors)
        out.append(
            f'<p class="note">{esc(u.name)}（{esc(u.id)}）· {esc(d.domain.name)} · 类别 '
            f"{esc(d.category[index])}。往年来自数据中的历史文件；用 --unit 选择其他单位。</p>"
        )
        out.append(
            f"<figure>{svg}<figcaption>上：类别内名次（越高越好）；下：等次。</figcaption></figure>"
        )
        trend_rows = []
        for when, tier, total, rank, size in points:
            shown = "—" if math.isnan(rank) else num(rank)
            if not math.isnan(size):
                shown += f" / {num(size)}"
            trend_rows.append(
                ([str(when), num(total, 4), shown, esc(UNPLACED if tier is None else tier)], "")
            )
        out.append(_table(["年度", "总分", "名次", "等次"], trend_rows, {1, 2}))
    else:
        out.append('<p class="note">名单中没有单位。</p>')
    out.append("</section>")

    # 5. problems
    out.append('<section id="problems"><h2>五、问题汇总：得分率偏低的指标</h2><figure>')
    out.append(problem_chart(evaluation, stats))
    out.append(
        "<figcaption>每个领域中得分率低于该领域 问题清单 规定（默认 60%）的（单位，指标）个数；"
        "右侧为 个数 / 计分的（单位，指标）总数。缺少数据按剔除折算的不计入。"
        "完整的问题清单（含类别内末位）用 kaohe feedback 写出。</figcaption></figure>"
    )
    rows = []
    for name, found_stats in stats.items():
        for s in sorted(found_stats, key=lambda s: -len(s.low)):
            if s.low:
                rows.append(
                    (
                        [
                            esc(name),
                            esc(s.id),
                            str(len(s.low)),
                            str(s.counted),
                            esc(_names(by_name[name], s.low)),
                        ],
                        "",
                    )
                )
    if rows:
        header = ["领域", "指标", "得分率偏低", "计分单位", "单位"]
        out.append(_table(header, rows, {2, 3}))
    out.append("</section>")

    # 6. indicators
    out.append('<section id="indicators"><h2>六、指标一览</h2>')
    out.append(
        '<p class="note">得分率是各单位 得分 / 满分 的平均；满分占比是得满分的单位比例。'
        '<span class="flag">⚑ 得分全部相同</span>：所有计分单位得分一样，这个指标没有区分度。</p>'
    )
    rows = []
    for name, found_stats in stats.items():
        for s in found_stats:
            full = (
                num(s.full_low)
                if s.full_low == s.full_high
                else (f"{num(s.full_low)}–{num(s.full_high)}")
            )
            flag = '<span class="flag">⚑ 得分全部相同</span>' if s.same else ""
            rows.append(
                (
                    [
                        esc(name),
                        esc(s.paper),
                        esc(s.id),
                        str(s.counted),
                        num(s.mean),
                        full,
                        pct(s.share),
                        pct(s.at_full),
                        str(len(s.low)),
                        flag,
                    ],
                    "flagged" if s.same else "",
                )
            )
    if rows:
        header = ["领域", "考卷", "指标", "计分单位", "平均得分", "满分", "得分率", "满分占比"]
        out.append(_table([*header, "得分率偏低", "提示"], rows, {3, 4, 5, 6, 7, 8}))
    else:
        out.append('<p class="note">规则集中没有按指标计分的考卷。</p>')
    out.append("</section>")

    warnings = len(evaluation.warnings)
    out.append(
        f"<footer><p>由 kaohe report 生成 · {esc(ruleset.name)} {ruleset.year} 年度 · 指纹 "
        f"{esc(evaluation.fingerprint)} · 计算时有 {warnings} 条警告（用 kaohe evaluate "
        "--warnings 查看）。同样的规则和数据生成的报告逐字节相同。</p></footer>"
    )
    out.append("</body></html>\n")
    return "\n".join(out)
