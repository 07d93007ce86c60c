"""The report's five charts as inline SVG: tiers per category, the spread of totals with
the tier cut lines, each paper's mean score, one unit's rank and tier over the years, and
how many (unit, indicator) pairs score low."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kaohe_rules.outputs.html_report.figures import (
    EPSILON,
    GREY,
    UNPLACED,
    Group,
    IndicatorStats,
    cut_lines,
    tier_of,
)
from kaohe_rules.outputs.html_report.svg import (
    LABEL_W,
    PLOT_W,
    WIDTH,
    attrs,
    chart,
    legend,
    text_at,
    tick_values,
)
from kaohe_rules.outputs.html_report.values import esc, num, pct
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.score.result import DomainResult

DOT_R = 4.5  # a unit's dot in the distribution chart


def tier_chart(found: list[Group], order: list[str], colors: dict[str, str]) -> str:
    """A 100% stacked bar per category, one segment per tier present, counts written in."""
    row_h, top = 28.0, 34.0
    body = legend(order, colors, 18)
    for r, group in enumerate(found):
        d, y = group.domain, top + r * row_h
        size = len(group.members)
        body.append(text_at(LABEL_W - 8, y + 15, group.label, "label", "end"))
        x = LABEL_W
        for tier in order:
            count = sum(1 for i in group.members if tier_of(d, i) == tier)
            if not count:
                continue
            width = PLOT_W * count / size
            tip = f"{group.label} · {tier}：{count} 个（{pct(count / size)}）"
            body.append(
                f'<rect class="seg" {attrs(x=x, y=y + 2, width=width, height=row_h - 8)} '
                f'fill="{colors[tier]}" {attrs(data_domain=d.domain.name)} '
                f"{attrs(data_category=group.name, data_tier=tier, data_count=count)}>"
                f"<title>{esc(tip)}</title></rect>"
            )
            if width >= 16:
                body.append(text_at(x + width / 2, y + 15, str(count), "inbar", "middle"))
            x += width
        body.append(text_at(LABEL_W + PLOT_W + 8, y + 15, f"共 {size} 个", "small"))
    return chart("tiers", top + len(found) * row_h + 6, body, "各类别等次人数")


# -- the distribution of totals --------------------------------------------------------


@dataclass(frozen=True)
class _Axis:
    """The shared total axis of the distribution chart: round ends and its ticks."""

    low: float
    high: float
    ticks: list[float]

    def x(self, value: float) -> float:
        return LABEL_W + (value - self.low) / (self.high - self.low) * PLOT_W


def _total_axis(found: list[Group]) -> _Axis:
    """An axis from a round value at or below the lowest total to one at or above the highest."""
    totals = [float(g.domain.total[i]) for g in found for i in g.members]
    totals = [t for t in totals if not math.isnan(t)] or [0.0, 100.0]
    ticks = tick_values(min(totals), max(totals))
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 10.0
    low = min(ticks[0], math.floor(min(totals) / step) * step)
    high = max(ticks[-1], math.ceil(max(totals) / step) * step)
    high = high if high > low else low + step
    ticks = [t for t in tick_values(low, high) if low - EPSILON <= t <= high + EPSILON]
    return _Axis(low, high, ticks)


def _stacked(group: Group, axis: _Axis) -> list[tuple[int, float, int]]:
    """(position, total, level) per unit with a total, best rank first: dots that would
    overlap are stacked alternately above and below the row's middle (level 1, -1, 2 …)."""
    d = group.domain
    buckets: dict[int, int] = {}
    placed = []
    members = sorted(group.members, key=lambda i: (float(d.rank[i]), int(i)))
    for i in members:
        value = float(d.total[i])
        if math.isnan(value):
            continue
        bucket = int(axis.x(value) // (DOT_R * 1.6))
        k = buckets.get(bucket, 0)
        buckets[bucket] = k + 1
        level = (k + 1) // 2 * (1 if k % 2 else -1)
        placed.append((i, value, level))
    return placed


def _dots(group: Group, placed: list, axis: _Axis, middle: float, colors: dict) -> list[str]:
    """One circle per unit, coloured by its tier; at most six levels each side."""
    d, body = group.domain, []
    for i, value, level in placed:
        level = max(-6, min(6, level))
        unit, tier = d.units[i], tier_of(d, i)
        tip = f"{unit.name}（{unit.id}）总分 {num(value, 4)} · 第 {int(d.rank[i])} 名 · {tier}"
        body.append(
            f'<circle class="dot" {attrs(cx=axis.x(value), cy=middle + level * DOT_R * 1.7)} '
            f'r="{num(DOT_R)}" fill="{colors[tier]}" {attrs(data_unit=unit.id)} '
            f"{attrs(data_group=group.label)}>"
            f"<title>{esc(tip)}</title></circle>"
        )
    return body


def _cuts(
    group: Group, order: list[str], colors: dict, axis: _Axis, y: float, row_h: float
) -> tuple[list[str], list[str]]:
    """The dashed cut lines of a row and their notes for the right margin (优秀≥92.5)."""
    body, notes = [], []
    for kind, tier, value in cut_lines(group, order):
        x = axis.x(value)
        sign = "≥" if kind == "top" else "≤"
        tip = f"{group.label}：{tier}{'最低' if kind == 'top' else '最高'}总分 {num(value, 4)}"
        body.append(
            f'<line class="cut cut-{kind}" {attrs(x1=x, y1=y + 3, x2=x, y2=y + row_h - 3)} '
            f'stroke="{colors[tier]}" {attrs(data_group=group.label, data_kind=kind)} '
            f"{attrs(data_total=num(value, 4))}>"
            f"<title>{esc(tip)}</title></line>"
        )
        notes.append(f"{tier.replace('等次', '')}{sign}{num(value)}")
    return body, notes


def _distribution_row(
    group: Group, order: list[str], colors: dict, axis: _Axis, y: float
) -> tuple[list[str], float]:
    """One category's strip of dots with its cut lines, and the strip's height."""
    placed = _stacked(group, axis)
    levels = max((abs(level) for _i, _v, level in placed), default=0)
    levels = min(levels, 6)
    row_h = max(34.0, (2 * levels + 1) * DOT_R * 1.7 + 14)
    middle = y + row_h / 2
    body = [
        text_at(LABEL_W - 8, middle + 5, group.label, "label", "end"),
        f'<line class="axis" {attrs(x1=LABEL_W, y1=middle, x2=LABEL_W + PLOT_W, y2=middle)}/>',
        *_dots(group, placed, axis, middle, colors),
    ]
    cuts, notes = _cuts(group, order, colors, axis, y, row_h)
    body += cuts
    body.append(text_at(LABEL_W + PLOT_W + 8, middle + 4, "  ".join(notes), "small"))
    return body, row_h


def distribution_chart(found: list[Group], order: list[str], colors: dict[str, str]) -> str:
    """Each category's totals as a strip of dots on one shared axis, with the cut lines."""
    axis = _total_axis(found)
    body = legend(order, colors, 18)
    y = 34.0
    for group in found:
        row, row_h = _distribution_row(group, order, colors, axis, y)
        body += row
        y += row_h
    bottom = y + 4
    body.append(
        f'<line class="axis" {attrs(x1=LABEL_W, y1=bottom, x2=LABEL_W + PLOT_W, y2=bottom)}/>'
    )
    for tick in axis.ticks:
        x = axis.x(tick)
        body.append(f'<line class="grid" {attrs(x1=x, y1=34, x2=x, y2=bottom + 4)}/>')
        body.append(text_at(x, bottom + 17, num(tick), "small", "middle"))
    body.append(text_at(LABEL_W + PLOT_W / 2, bottom + 34, "总分", "small", "middle"))
    return chart("distribution", bottom + 42, body, "各类别总分分布与等次分界")


# -- papers ----------------------------------------------------------------------------


def paper_chart(evaluation: Evaluation) -> str:
    """Per domain, each paper's mean score over its units against its weight."""
    rows: list[tuple[str, str, float, float]] = []
    for d in evaluation.domains:
        for paper, score in d.papers.items():
            weight = d.paper_weights.get(paper)
            mean = float(np.nanmean(score)) if (~np.isnan(score)).any() else math.nan
            full = float(np.nanmean(weight)) if weight is not None and len(weight) else math.nan
            rows.append((d.domain.name, paper, mean, full))
    scale = max([v for r in rows for v in r[2:] if not math.isnan(v)] + [EPSILON])
    row_h, top, body = 24.0, 10.0, []
    previous = None
    y = top
    for domain, paper, mean, full in rows:
        if domain != previous:
            if previous is not None:
                y += 6
            body.append(text_at(10, y + 15, domain, "head"))
            previous = domain
        body.append(text_at(LABEL_W - 8, y + 15, paper, "label", "end"))
        if not math.isnan(full):
            body.append(
                f'<rect class="weight" {attrs(x=LABEL_W, y=y + 3, width=PLOT_W * full / scale)} '
                f'height="{num(row_h - 8)}"/>'
            )
        width = 0.0 if math.isnan(mean) else PLOT_W * max(mean, 0.0) / scale
        share = mean / full if full and not math.isnan(full) else math.nan
        tip = f"{domain} · {paper}：平均 {num(mean)}，权重 {num(full)}（{pct(share)}）"
        body.append(
            f'<rect class="bar" {attrs(x=LABEL_W, y=y + 3, width=width, height=row_h - 8)} '
            f"{attrs(data_domain=domain, data_paper=paper, data_mean=num(mean, 4))}>"
            f"<title>{esc(tip)}</title></rect>"
        )
        text = f"{num(mean)} / {num(full)}（{pct(share)}）"
        body.append(text_at(LABEL_W + PLOT_W + 8, y + 15, text, "small"))
        y += row_h
    return chart("papers", y + 8, body, "各考卷平均得分（贡献）")


# -- one unit over the years -----------------------------------------------------------

Point = tuple[int, object, float, float, float]  # (year, tier, total, rank, size)


def trend_points(evaluation: Evaluation, d: DomainResult, index: int) -> list[Point]:
    """The unit's earlier years from the data's history files, oldest first, then this year;
    a year with neither tier, total nor rank is left out."""
    year = evaluation.resolved.ruleset.year
    points = []
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
    return points


@dataclass(frozen=True)
class _Frame:
    """Where the trend chart puts the n-th year (x) and a rank (y, 1 at the top)."""

    count: int  # years shown
    worst: float  # the lowest rank drawn
    left: float = 80.0
    right: float = WIDTH - 60.0
    top: float = 30.0
    bottom: float = 200.0

    def x(self, n: int) -> float:
        if self.count == 1:
            return (self.left + self.right) / 2
        return self.left + n * (self.right - self.left) / (self.count - 1)

    def y(self, rank: float) -> float:
        return self.top + (rank - 1) / (self.worst - 1) * (self.bottom - self.top)


def _rank_grid(frame: _Frame, ranks: list[float]) -> list[str]:
    """The base line and a labelled grid line at rank 1, each rank held and the worst."""
    left, right, bottom = frame.left, frame.right, frame.bottom
    body = [
        f'<line class="axis" {attrs(x1=left - 20, y1=bottom + 14, x2=right + 20)} '
        f'y2="{num(bottom + 14)}"/>'
    ]
    for rank in sorted({1.0, frame.worst, *ranks}):
        y = frame.y(rank)
        body.append(f'<line class="grid" {attrs(x1=left - 20, y1=y, x2=right + 20, y2=y)}/>')
        body.append(text_at(left - 26, y + 4, f"第 {num(rank)} 名", "small", "end"))
    return body


def _year_marks(frame: _Frame, n: int, point: Point, colors: dict[str, str]) -> list[str]:
    """One year: its rank as a point (if known), its tier as a chip (if any), the year."""
    when, tier, total, rank, size = point
    x, body = frame.x(n), []
    tier_name = UNPLACED if tier is None else str(tier)
    color = colors.get(tier_name, GREY)
    if not math.isnan(rank):
        out_of = "" if math.isnan(size) else f"/{num(size)}"
        tip = f"{when} 年：第 {num(rank)}{out_of} 名，总分 {num(total, 4)}，{tier_name}"
        body.append(
            f'<circle class="point" {attrs(cx=x, cy=frame.y(rank), r=6)} fill="{color}" '
            f"{attrs(data_year=when, data_rank=num(rank))}><title>{esc(tip)}</title></circle>"
        )
        body.append(text_at(x, frame.y(rank) - 10, f"{num(rank)}{out_of}", "small", "middle"))
    if tier is not None:
        body.append(
            f'<rect class="chip" {attrs(x=x - 34, y=frame.bottom + 26, width=68, height=20)} '
            f'rx="4" fill="{color}" {attrs(data_year=when, data_tier=tier_name)}/>'
        )
        body.append(text_at(x, frame.bottom + 40, tier_name, "chiptext", "middle"))
    body.append(text_at(x, frame.bottom + 64, f"{when} 年", "small", "middle"))
    return body


def trend_chart(
    evaluation: Evaluation, d: DomainResult, index: int, colors: dict[str, str]
) -> tuple[str, list[Point]]:
    """Rank (1 at the top) and tier of one unit in earlier years and this year."""
    points = trend_points(evaluation, d, index)
    ranks = [p[3] for p in points if not math.isnan(p[3])]
    frame = _Frame(len(points), max([*ranks, float(d.size[index]), 2.0]))
    body = _rank_grid(frame, ranks)
    known = [(frame.x(n), frame.y(p[3])) for n, p in enumerate(points) if not math.isnan(p[3])]
    if len(known) > 1:
        path = " ".join(f"{num(x)},{num(y)}" for x, y in known)
        body.append(f'<polyline class="line" points="{path}"/>')
    for n, point in enumerate(points):
        body += _year_marks(frame, n, point, colors)
    unit = d.units[index]
    return chart("trend", frame.bottom + 74, body, f"{unit.name}历年名次与等次"), points


# -- problems --------------------------------------------------------------------------


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
        body.append(text_at(LABEL_W - 8, y + 15, domain, "label", "end"))
        width = PLOT_W * low / scale
        tip = f"{domain}：{low} 个（单位，指标）得分率偏低，共 {pairs} 个"
        body.append(
            f'<rect class="bar problem" {attrs(x=LABEL_W, y=y + 3, width=width)} '
            f'height="{num(row_h - 8)}" '
            f"{attrs(data_domain=domain, data_count=low)}><title>{esc(tip)}</title></rect>"
        )
        share = f"（{pct(low / pairs)}）" if pairs else ""
        body.append(text_at(LABEL_W + PLOT_W + 8, y + 15, f"{low} / {pairs}{share}", "small"))
    return chart("problems", top + len(rows) * row_h + 6, body, "得分率偏低的（单位，指标）数")
