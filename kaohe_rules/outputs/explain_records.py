"""`kaohe explain` for values aggregated from records (记录汇总): for one unit, each
aggregation its domain reads, with its inputs: the file, the unit column, the filter, the
measure, the unit's records in the file, those the filter kept (per group), the result.
"""

from __future__ import annotations

from collections.abc import Callable

from kaohe_rules import model as m
from kaohe_rules.source import Span

Show = Callable[[object], str]


def records_entries(
    evaluation, unit: m.Unit, show: Show, cite: Callable[[Span | None], str]
) -> list[dict]:
    """What each aggregation took for ``unit`` (none when the rules declare none);
    ``show`` and ``cite`` are explain.py's ways of printing a value and a place (it
    imports this module)."""
    results = getattr(evaluation.data, "records", None) or {}
    ruleset = evaluation.resolved.ruleset
    found = []
    for name, result in results.items():
        if not _reads(ruleset, unit.domain, name):
            continue
        found.append(_entry(result, unit, show, cite))
    return found


def _reads(ruleset: m.RuleSet, domain: str, name: str) -> bool:
    """Whether the units of ``domain`` have a value of ``name``."""
    if any(item.name == name for item in ruleset.data_items):
        return True
    for scored in ruleset.scored():
        if scored.name == domain:
            names = {i.id for i in scored.all_indicators()} | {i.name for i in scored.data_items}
            return name in names
    return False


def _entry(result, unit: m.Unit, show: Show, cite) -> dict:
    aggregation: m.Aggregation = result.aggregation
    inputs = result.units.get(unit.id)
    measure = next((zh for zh, en in m.MEASURES.items() if en == aggregation.measure), "")
    if aggregation.column:
        measure += f" {aggregation.column}"
    if aggregation.condition is not None:
        measure += f"（条件 {aggregation.condition.text}）"
    if aggregation.percentile is not None:
        measure += f"（分位 {aggregation.percentile * 100:g}%）"
    entry = {
        "名称": aggregation.name,
        "文件": aggregation.file,
        "单位列": f"{aggregation.unit_column}（按{aggregation.unit_by}）",
        "筛选": aggregation.filter.text if aggregation.filter is not None else "无",
        "度量": measure,
        "记录数": 0 if inputs is None else inputs.records,
        "结果": "缺失" if inputs is None or inputs.value is None else show(inputs.value),
        "出处": cite(aggregation.span),
    }
    if getattr(result, "root", None):  # found under a --records-root, not in the data folder
        entry["记录根"] = result.root
    if aggregation.group_column:
        entry["分组"] = aggregation.group_column
        entry["合成"] = aggregation.combine.text
    parts = () if inputs is None else inputs.parts
    entry["各组"] = [
        {"组": group or "全部", "筛选后": kept, "值": "缺失" if value is None else show(value)}
        for group, kept, value in parts
    ]
    if inputs is None:
        entry["说明"] = "记录中没有本单位的记录，值缺失，按缺失数据政策处理"
    return entry


def records_lines(entries: list[dict]) -> list[str]:
    """The aggregations as text lines, under a heading; none when there are none."""
    if not entries:
        return []
    lines = ["", "【记录汇总】"]
    for entry in entries:
        lines.append(f"  · {entry['名称']}：{entry['结果']}    〔{entry['出处']}〕")
        where = f"（记录根 {entry['记录根']}）" if "记录根" in entry else ""
        lines.append(
            f"      记录 {entry['文件']}{where}，单位列 {entry['单位列']}，"
            f"本单位 {entry['记录数']} 条"
        )
        lines.append(f"      筛选 {entry['筛选']}；度量 {entry['度量']}")
        for part in entry["各组"]:
            label = "筛选后" if part["组"] == "全部" else f"组 {part['组']}：筛选后"
            lines.append(f"      {label} {part['筛选后']} 条，值 {part['值']}")
        if "合成" in entry:
            lines.append(f"      按 {entry['分组']} 分组，合成 {entry['合成']} = {entry['结果']}")
        if "说明" in entry:
            lines.append(f"      {entry['说明']}")
    return lines
