"""The report page put together: what every part shares (tier order and colours, the
categories, each indicator's figures), the title, the unit whose years are drawn."""

from __future__ import annotations

from kaohe_rules.outputs.explain import find_unit
from kaohe_rules.outputs.html_report import sections
from kaohe_rules.outputs.html_report.figures import groups, indicator_stats, tier_colors, tier_order
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.score.result import DomainResult


def build_report(evaluation: Evaluation, unit: str | None = None) -> str:
    """The whole page as a string; raises KaoheError if ``unit`` is not in the roster."""
    order = tier_order(evaluation)
    colors = tier_colors(order)
    found = groups(evaluation)
    stats = {d.domain.name: indicator_stats(d) for d in evaluation.domains}
    chosen = _chosen(evaluation, unit)
    out = [
        *sections.page_head(evaluation, _title(evaluation), found),
        *sections.tiers(found, order, colors),
        *sections.distribution(found, order, colors),
        *sections.papers(evaluation),
        *sections.trend(evaluation, chosen, colors),
        *sections.problems(evaluation, stats),
        *sections.indicators(stats),
        *sections.footer(evaluation),
    ]
    return "\n".join(out)


def _chosen(evaluation: Evaluation, unit: str | None) -> tuple[DomainResult, int] | None:
    """The unit given by id or name, else the roster's first evaluated unit (None if none)."""
    if unit is not None:
        return find_unit(evaluation, unit)
    ruleset = evaluation.resolved.ruleset
    first = next((u for u in ruleset.units for d in evaluation.domains if u in d.units), None)
    return find_unit(evaluation, first.id) if first is not None else None


def _title(evaluation: Evaluation) -> str:
    """``<rule set> · 考核报告``, with the year where the rule set's name lacks it, and
    半年 for the half-year evaluation."""
    ruleset = evaluation.resolved.ruleset
    title = f"{ruleset.name} · 考核报告"
    if str(ruleset.year) not in ruleset.name:
        title = f"{ruleset.name} · {ruleset.year} 年度考核报告"
    if evaluation.period == "H1":
        title = title.replace("考核报告", "半年考核报告")
    return title
