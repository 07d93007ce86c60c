"""The parts of the report page, top to bottom, each as the list of lines it adds:
head and navigation, six numbered sections (a chart with its caption, and a table
where one helps), and the footer."""

from __future__ import annotations

import math

import numpy as np

from kaohe_rules.outputs.html_report.charts import (
    Point,
    distribution_chart,
    paper_chart,
    problem_chart,
    tier_chart,
    trend_chart,
)
from kaohe_rules.outputs.html_report.figures import UNPLACED, Group, IndicatorStats, tier_of
from kaohe_rules.outputs.html_report.style import CSS
from kaohe_rules.outputs.html_report.values import esc, num, pct
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.score.result import DomainResult

_NAV = (
    '<nav><ol><li><a href="#tiers">等次分布</a></li><li><a href="#distribution">总分分布</a>'
    '</li><li><a href="#papers">考卷贡献</a></li><li><a href="#trend">历年名次与等次</a></li>'
    '<li><a href="#problems">问题汇总</a></li><li><a href="#indicators">指标一览</a></li>'
    "</ol></nav>"
)
_SAME = '<span class="flag">⚑ 得分全部相同</span>'


def table(header: list[str], rows: list[tuple[list[str], str]], numeric: set[int]) -> str:
    """A table of already escaped cells; columns in ``numeric`` align right. Each row comes
    with its class ("" for none)."""
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
    from kaohe_rules.read.bundled import sample_notice

    notice = sample_notice(evaluation.data)
    if notice is None:
        return []
    # Styled inline: a report of the user's own data keeps the very same bytes.
    style = "padding:8px 12px;border:2px solid #c62828;background:#fdecea;color:#b71c1c"
    return [f'<p class="sample" role="alert" style="{style}"><strong>{esc(notice)}</strong></p>']


def page_head(evaluation: Evaluation, title: str, found: list[Group]) -> list[str]:
    """The document head with the style sheet, the title with what the year holds, and
    the table of contents."""
    count = sum(len(d.units) for d in evaluation.domains)
    return [
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
        _NAV,
    ]


def tiers(found: list[Group], order: list[str], colors: dict[str, str]) -> list[str]:
    """一、each category's tier counts: the stacked bars, then the counts and totals."""
    rows = []
    for g in found:
        d = g.domain
        totals = d.total[g.members]
        counts = [str(sum(1 for i in g.members if tier_of(d, i) == t)) for t in order]
        cells = [esc(d.domain.name), esc(g.name), str(len(g.members)), *counts]
        cells += [num(np.nanmean(totals)), num(np.nanmax(totals)), num(np.nanmin(totals))]
        rows.append((cells, ""))
    numeric = set(range(2, 6 + len(order)))
    header = ["领域", "类别", "单位数", *order, "平均总分", "最高", "最低"]
    return [
        '<section id="tiers"><h2>一、各类别等次人数</h2><figure>',
        tier_chart(found, order, colors),
        "<figcaption>每个领域、类别一条，按人数比例分段，段内数字是人数。</figcaption></figure>",
        table(header, rows, numeric) + "</section>",
    ]


def distribution(found: list[Group], order: list[str], colors: dict[str, str]) -> list[str]:
    """二、the totals of every category on one axis, with the cut lines between tiers."""
    named = [t for t in order if t != UNPLACED]
    if len(named) >= 2:
        caption = (
            f"每个点是一个单位，颜色表示等次。虚线：{esc(named[0])}的最低总分与"
            f"{esc(named[-1])}的最高总分（右侧注明数值）。两线交错，说明等次不只由总分决定"
            "（如一票否决）。"
        )
    else:
        caption = "每个点是一个单位，颜色表示等次。"
    return [
        '<section id="distribution"><h2>二、总分分布与等次分界</h2><figure>',
        distribution_chart(found, order, colors),
        f"<figcaption>{caption}</figcaption></figure></section>",
    ]


def papers(evaluation: Evaluation) -> list[str]:
    """三、each paper's mean score against its weight."""
    return [
        '<section id="papers"><h2>三、各考卷平均得分</h2><figure>',
        paper_chart(evaluation),
        "<figcaption>蓝条是领域内各单位该考卷得分的平均（即对总分的平均贡献），"
        "灰底是考卷权重；右侧为 平均 / 权重（得分率）。</figcaption></figure></section>",
    ]


def _trend_table(points: list[Point]) -> str:
    rows = []
    for when, tier, total, rank, size in points:
        shown = "—" if math.isnan(rank) else num(rank)
        if not math.isnan(size):
            shown += f" / {num(size)}"
        rows.append(
            ([str(when), num(total, 4), shown, esc(UNPLACED if tier is None else tier)], "")
        )
    return table(["年度", "总分", "名次", "等次"], rows, {1, 2})


def trend(
    evaluation: Evaluation, chosen: tuple[DomainResult, int] | None, colors: dict[str, str]
) -> list[str]:
    """四、one unit's rank and tier in earlier years and this one (``chosen``: its domain
    result and position; None when the roster is empty)."""
    out = ['<section id="trend"><h2>四、历年名次与等次</h2>']
    if chosen is None:
        return [*out, '<p class="note">名单中没有单位。</p>', "</section>"]
    d, index = chosen
    u = d.units[index]
    svg, points = trend_chart(evaluation, d, index, colors)
    return [
        *out,
        f'<p class="note">{esc(u.name)}（{esc(u.id)}）· {esc(d.domain.name)} · 类别 '
        f"{esc(d.category[index])}。往年来自数据中的历史文件；用 --unit 选择其他单位。</p>",
        f"<figure>{svg}<figcaption>上：类别内名次（越高越好）；下：等次。</figcaption></figure>",
        _trend_table(points),
        "</section>",
    ]


def problems(evaluation: Evaluation, stats: dict[str, list[IndicatorStats]]) -> list[str]:
    """五、per domain, how many (unit, indicator) pairs score low, and which indicators."""
    by_name = {d.domain.name: d for d in evaluation.domains}
    rows = []
    for name, found_stats in stats.items():
        for s in sorted(found_stats, key=lambda s: -len(s.low)):
            if s.low:
                units = esc(_names(by_name[name], s.low))
                rows.append(([esc(name), esc(s.id), str(len(s.low)), str(s.counted), units], ""))
    out = [
        '<section id="problems"><h2>五、问题汇总：得分率偏低的指标</h2><figure>',
        problem_chart(evaluation, stats),
        "<figcaption>每个领域中得分率低于该领域 问题清单 规定（默认 60%）的（单位，指标）个数；"
        "右侧为 个数 / 计分的（单位，指标）总数。缺少数据按剔除折算的不计入。"
        "完整的问题清单（含类别内末位）用 kaohe feedback 写出。</figcaption></figure>",
    ]
    if rows:
        out.append(table(["领域", "指标", "得分率偏低", "计分单位", "单位"], rows, {2, 3}))
    return [*out, "</section>"]


def _indicator_row(domain: str, s: IndicatorStats) -> tuple[list[str], str]:
    same_full = s.full_low == s.full_high
    full = num(s.full_low) if same_full else f"{num(s.full_low)}–{num(s.full_high)}"
    cells = [esc(domain), esc(s.paper), esc(s.id), str(s.counted), num(s.mean), full]
    cells += [pct(s.share), pct(s.at_full), str(len(s.low)), _SAME if s.same else ""]
    return cells, "flagged" if s.same else ""


def indicators(stats: dict[str, list[IndicatorStats]]) -> list[str]:
    """六、every indicator's mean, full marks, share of full marks, and whether it
    separates the units at all."""
    out = [
        '<section id="indicators"><h2>六、指标一览</h2>',
        '<p class="note">得分率是各单位 得分 / 满分 的平均；满分占比是得满分的单位比例。'
        f"{_SAME}：所有计分单位得分一样，这个指标没有区分度。</p>",
    ]
    rows = [_indicator_row(name, s) for name, found in stats.items() for s in found]
    if rows:
        header = ["领域", "考卷", "指标", "计分单位", "平均得分", "满分", "得分率", "满分占比"]
        out.append(table([*header, "得分率偏低", "提示"], rows, {3, 4, 5, 6, 7, 8}))
    else:
        out.append('<p class="note">规则集中没有按指标计分的考卷。</p>')
    return [*out, "</section>"]


def footer(evaluation: Evaluation) -> list[str]:
    """How the page was made: the rule set, the fingerprint, the number of warnings."""
    ruleset = evaluation.resolved.ruleset
    warnings = len(evaluation.warnings)
    return [
        f"<footer><p>由 kaohe report 生成 · {esc(ruleset.name)} {ruleset.year} 年度 · 指纹 "
        f"{esc(evaluation.fingerprint)} · 计算时有 {warnings} 条警告（用 kaohe evaluate "
        "--warnings 查看）。同样的规则和数据生成的报告逐字节相同。</p></footer>",
        "</body></html>\n",
    ]
