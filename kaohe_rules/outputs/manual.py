"""The year's 考核指标及评分细则 as plain blocks (headings, paragraphs, tables), built
from the loaded rule set; manual_docx.py and manual_html.py only lay them out.

The order is the rule files' order and nothing depends on the clock or the path the
rules were loaded from, so the same rules give the same document and two years'
documents compare block by block: one indicator is one heading and one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaohe_rules import model as m
from kaohe_rules.dsl.printer import number_text
from kaohe_rules.outputs.manual_methods import describe, points, share, shown


@dataclass(frozen=True)
class Heading:
    """A heading; level 1 is a domain (or special assessment)."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``keyed``: a two-column table of 项目 and 内容."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    keyed: bool = False


Block = Heading | Paragraph | Table


@dataclass(frozen=True)
class Manual:
    """The whole document: its title and its blocks in reading order."""

    title: str
    subtitle: str
    blocks: tuple[Block, ...]


def build_manual(ruleset: m.RuleSet) -> Manual:
    """The 考核指标及评分细则 of ``ruleset``."""
    blocks: list[Block] = [
        Paragraph(
            f"本细则由 {ruleset.year} 年度规则集生成，共 {len(ruleset.domains)} 个领域"
            + (f"、{len(ruleset.specials)} 项专项考核" if ruleset.specials else "")
            + "。计分方法的文字说明与公式一一对应；公式中的“值”是该单位该指标的数值。"
        )
    ]
    for domain in ruleset.domains:
        blocks += [Heading(1, f"{domain.name}领域"), *_domain(domain)]
    for special in ruleset.specials:
        blocks += [Heading(1, f"专项考核：{special.name}"), *_special(special)]
    return Manual(ruleset.name, "考核指标及评分细则", tuple(blocks))


def _domain(domain: m.Domain) -> list[Block]:
    blocks: list[Block] = [
        Paragraph(f"总分 {points(domain.total)}；缺失数据的默认处理：{domain.missing}。"),
        Heading(2, "类别（赛道）"),
        Paragraph(_category_note(domain)),
        Table(("类别", "条件"), tuple((c.name, _code(c.condition)) for c in domain.categories)),
        Heading(2, "考卷与权重"),
        Table(("考卷", "名称", "权重", "计分"), tuple(_paper_row(p) for p in domain.papers)),
    ]
    for paper in domain.papers:
        if paper.indicators:
            blocks += _paper(paper)
    blocks += _adjustments(domain.adjustments)
    blocks += _ranking_and_tiers(domain)
    if domain.labels:
        blocks += [
            Heading(2, "标签"),
            Table(("标签", "公式"), tuple((x.name, _code(x.expr)) for x in domain.labels)),
        ]
    if domain.variants:
        blocks += _variants(domain)
    return blocks


def _category_note(domain: m.Domain) -> str:
    # The rules may rank across the whole domain (排名 范围: 领域): say what they say.
    scope = domain.ranking.scope if domain.ranking is not None else "类别"
    if scope == "类别":
        return "每个单位属于一个类别，名次和等次名额在类别内计算。"
    return f"每个单位属于一个类别；名次和等次名额在整个{scope}内计算。"


def _paper_row(paper: m.Paper) -> tuple[str, ...]:
    if paper.formula is not None:
        how = f"按公式：{_code(paper.formula)}"
    else:
        total = sum(i.full for i in paper.indicators)
        how = f"{len(paper.indicators)} 个指标，满分合计 {points(total)}"
        if paper.rescale:
            how += "，按权重折算"
    return (paper.id, paper.name, number_text(paper.weight), how)


def _paper(paper: m.Paper) -> list[Block]:
    overview = tuple(
        (i.name, i.unit_of_measure or "—", points(i.full), _method_name(i), i.lead or "—")
        for i in paper.indicators
    )
    blocks: list[Block] = [
        Heading(2, f"{paper.name}指标"),
        Table(("指标", "单位", "满分", "计分方法", "牵头单位"), overview),
    ]
    for indicator in paper.indicators:
        blocks += indicator_blocks(indicator)
    return blocks


def _method_name(indicator: m.Indicator) -> str:
    return m.METHOD_NAMES.get(indicator.method, indicator.method)


def indicator_blocks(indicator: m.Indicator, applies: str = "") -> list[Block]:
    """One indicator: its heading and a 项目/内容 table, one fact per row."""
    method = describe(indicator)
    rows: list[tuple[str, str]] = [("编号", indicator.id)]
    if applies:
        rows.append(("适用单位", applies))
    rows += [
        ("单位", indicator.unit_of_measure or "—"),
        ("满分", points(indicator.full)),
        ("方向", indicator.direction),
    ]
    for label, value in (
        ("目标值", indicator.target),
        ("下限值", indicator.floor),
        ("上限值", indicator.ceiling),
        ("半年目标值", indicator.half_year_target),
        ("半年下限值", indicator.half_year_floor),
        ("半年上限值", indicator.half_year_ceiling),
    ):
        if value is not None:
            rows.append((label, shown(indicator, label, value)))
    if indicator.thresholds:
        steps = "、".join(shown(indicator, "档位", v) for v in indicator.thresholds)
        rows += [("档位", steps), ("得分率", "、".join(share(v) for v in indicator.shares))]
    if indicator.half_year_thresholds:
        half = "、".join(shown(indicator, "半年档位", v) for v in indicator.half_year_thresholds)
        rows.append(("半年档位", half))
    if indicator.method == "rank":
        rows += [("排名步长", points(indicator.rank_step or 0.0))]
        rows += [("最低分", points(indicator.rank_minimum or 0.0))]
    if indicator.minimum is not None or indicator.maximum is not None:
        low, high = (_bound(indicator, v) for v in (indicator.minimum, indicator.maximum))
        rows.append(("数值范围", f"{low} 至 {high}"))
    rows.append(("计分方法", _method_name(indicator)))
    if method.sentence:
        rows.append(("计分规则", method.sentence))
        rows.append(("公式", _code(indicator.formula)))
    else:
        rows.append(("计分规则", f"按公式计分：{_code(indicator.formula)}"))
    if indicator.half_year_formula is not None:
        rows.append(("半年公式", _code(indicator.half_year_formula)))
    rows += [
        ("缺失数据", indicator.missing),
        ("牵头单位", indicator.lead or "—"),
        ("责任人", indicator.owner or "—"),
    ]
    return [Heading(3, indicator.name), Table(("项目", "内容"), tuple(rows), keyed=True)]


def _bound(indicator: m.Indicator, value: float | None) -> str:
    """最小值 or 最大值; the model keeps no percent mark for them, so, as kaohe diff does,
    an indicator measured in % shows them as percentages."""
    if value is None:
        return "不限"
    if indicator.unit_of_measure == "%":
        return number_text(value, percent=True)
    return shown(indicator, "", value)


def _code(expr: m.Expr | None) -> str:
    return "" if expr is None else " ".join(expr.text.split())


def _adjustments(adjust: m.Adjustments) -> list[Block]:
    rows = []
    for kind, items in (("加分", adjust.bonuses), ("扣分", adjust.deductions)):
        for item in items:
            how = _code(item.formula)
            if item.family is not None:
                how = f"前缀为 {item.family.prefix} 的每个数据项：{how}，合计"
            cap = points(item.cap) if item.cap is not None else "不限"
            rows.append((kind, item.name, how, cap))
    blocks: list[Block] = []
    if rows:
        blocks += [
            Heading(2, "加分与扣分"),
            Table(("类型", "项目", "计分", "上限"), tuple(rows)),
        ]
        caps = [
            f"{label}合计不超过 {points(cap)}"
            for label, cap in (("加分", adjust.bonus_cap), ("扣分", adjust.deduction_cap))
            if cap is not None
        ]
        if caps:
            blocks.append(Paragraph("；".join(caps) + "。"))
    if adjust.vetoes:
        blocks += [
            Heading(2, "一票否决"),
            Paragraph("满足下列任一条件的单位被否决。"),
            Table(("事项", "条件"), tuple((name, _code(e)) for name, e in adjust.vetoes)),
        ]
    return blocks


def _ranking_and_tiers(domain: m.Domain) -> list[Block]:
    blocks: list[Block] = []
    if domain.ranking is not None:
        keys = (domain.ranking.key, *domain.ranking.tiebreak)
        order = [f"{_code(k.expr)}（{'从高到低' if k.descending else '从低到高'}）" for k in keys]
        text = f"在{domain.ranking.scope}内按 {order[0]} 排名"
        if len(order) > 1:
            text += "；相同时依次比较 " + "、".join(order[1:])
        blocks += [Heading(2, "排名"), Paragraph(text + "。")]
    if domain.tiers is not None:
        rows = tuple(
            (str(n), rule.tier, _tier_rule(rule)) for n, rule in enumerate(domain.tiers.rules, 1)
        )
        blocks += [
            Heading(2, "等次"),
            Paragraph("按顺序逐条判定，单位由第一条适用的规则定等次。"),
            Table(("顺序", "等次", "规则"), rows),
        ]
        if domain.tiers.veto_takes_bottom:
            blocks.append(Paragraph("被否决的单位占用末位名额。"))
    return blocks


def _tier_rule(rule: m.TierRule) -> str:
    if rule.is_default:
        return "其余单位"
    parts = []
    if rule.condition is not None:
        parts.append(f"满足 {_code(rule.condition)}")
    if rule.top is not None:
        parts.append(f"排名前 {_code(rule.top)} 名")
    if rule.bottom is not None:
        parts.append(f"排名末 {_code(rule.bottom)} 名")
    if rule.unless is not None:
        parts.append(f"但 {_code(rule.unless)} 的单位除外")
    return "；".join(parts)


def _variants(domain: m.Domain) -> list[Block]:
    names = {i.id: i.name for i in domain.all_indicators()}
    rows = tuple(
        (
            v.unit,
            "、".join(names.get(i, i) for i in v.drop) or "—",
            "、".join(a.name for a in v.add) or "—",
            "；".join(_change(domain, v, c) for c in v.changes) or "—",
        )
        for v in domain.variants
    )
    blocks: list[Block] = [
        Heading(2, "一单位一策"),
        Table(("单位", "不考核的指标", "增设的指标", "调整"), rows),
    ]
    for variant in domain.variants:
        for added in variant.add:
            blocks += indicator_blocks(added, applies=variant.unit)
    return blocks


def _change(domain: m.Domain, variant: m.Variant, change: tuple) -> str:
    """One 调整 of a unit: an indicator's (or a paper's) parameter and its new value, as
    the indicator shows its own parameters."""
    target, parameter, value, _span = change
    indicator = next((i for i in domain.all_indicators() if i.id == target), None)
    percent = any(v.name == f"{target}.{parameter}" and v.percent for v in variant.rule_values)
    if percent:
        text = number_text(value, percent=True)
    elif parameter in ("满分", "最低分", "排名步长"):
        text = points(value)
    elif indicator is not None and parameter != "权重":
        text = shown(indicator, "", value)
    else:
        text = number_text(value)
    return f"{indicator.name if indicator else target} 的{parameter}为 {text}"


def _cap(contribution: m.Contribution) -> str:
    if contribution.kind not in ("加分", "扣分"):
        return "—"  # a veto or a label has no points to cap
    return "不限" if contribution.cap is None else points(contribution.cap)


def _special(special: m.Special) -> list[Block]:
    rows = tuple((c.kind, c.name, _code(c.expr), _cap(c)) for c in special.contributions)
    blocks: list[Block] = [
        Paragraph(f"参加单位：{_code(special.members)}。"),
        *_domain(special.domain),
    ]
    if rows:
        blocks += [
            Heading(2, "计入综合考核"),
            Table(("类型", "名称", "公式", "上限"), rows),
        ]
    return blocks
