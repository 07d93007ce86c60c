"""What each name a formula may read stands for: an indicator, a data item, a unit
attribute, a paper, a function of the language, or a name the stage gives (满分, 总分 …),
with where it is defined and its Chinese description, read from the checked rule set
and its documents (the 说明 the model does not keep)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kaohe_rules import model as m
from kaohe_rules.dsl.functions import REQUIRED, Function
from kaohe_rules.editing.files import real_path
from kaohe_rules.records import data_record
from kaohe_rules.rules.assemble import Assembled
from kaohe_rules.rules.build import domain_documents
from kaohe_rules.rules.loader import YMap
from kaohe_rules.rules.resolve import FUNCTIONS
from kaohe_rules.rules.rosters import unit_symbols
from kaohe_rules.source import Span


@data_record
class Named:
    """One name: its kind (指标, 数据项, 单位属性, 考卷, 函数, 名称), a one-line detail (its
    Chinese name, type or signature), its description as Markdown lines, and the span
    (absolute file) where it is defined, when it is written somewhere."""

    name: str
    kind: str
    detail: str
    lines: tuple[str, ...] = ()
    definition: Span | None = None


# What the names a stage gives its formulas mean (rules/resolve.py decides which formula
# sees which; docs/rules.md describes them).
STAGE_NAMES = {
    "值": "这个指标（或每项加减分）本单位的值",
    "满分": "指标的满分（一单位一策可改）",
    "目标值": "指标的目标值",
    "下限值": "指标的下限值",
    "上限值": "指标的上限值",
    "排名步长": "排名赋分每差一名扣的分",
    "最低分": "排名赋分的最低分",
    "半年目标值": "半年评估用的目标值",
    "半年下限值": "半年评估用的下限值",
    "半年上限值": "半年评估用的上限值",
    "标杆": "标杆值公式算出的本单位标杆",
    "权重": "考卷的权重",
    "总分": "考卷得分与加减分合计",
    "加分": "加分合计（已按上限截断）",
    "扣分": "扣分合计（已按上限截断）",
    "否决": "是否被一票否决",
    "名次": "类别（或排名范围）内的名次",
    "人数": "类别（或排名范围）内的单位数",
    "类别": "单位所在的类别（赛道）",
    "等次": "单位的等次",
}


def stage_name(name: str, type_label: str) -> Named:
    """A name the stage gives (满分, 权重, 总分 …), or another name of the scope."""
    note = STAGE_NAMES.get(name)
    return Named(name, "名称", type_label, (note,) if note else ())


def signature(function: Function) -> str:
    """``linear(x: 数值, low: 数值, high: 数值) → 数值``: how a call is written."""
    params = []
    for param in function.params:
        text = f"{param.name}: {param.type.label}"
        if param.default is not REQUIRED:
            text += f" = {_default(param.default)}"
        params.append(text)
    if function.variadic:
        params.append("…")
    result = function.result.label if function.result is not None else "与参数相同"
    return f"{function.name}({', '.join(params)}) → {result}"


def function_named(name: str) -> Named | None:
    """The function ``name`` of the language, or None."""
    function = FUNCTIONS.get(name)
    if function is None:
        return None
    return Named(name, "函数", signature(function), (function.summary,) if function.summary else ())


def names_of(
    ruleset: m.RuleSet, assembled: Assembled | None, domain: m.Domain, root: Path | None = None
) -> dict[str, Named]:
    """Every name defined in ``domain`` (and the rule set's data items, unit attributes)."""
    documents = domain_documents(assembled) if assembled is not None else {}
    document = documents.get(domain.name) or (
        assembled.specials.get(domain.name) if assembled else None
    )
    out: dict[str, Named] = {}
    for name, kind in unit_symbols(ruleset).items():
        out[name] = Named(name, "单位属性", kind.label, ("名单中考核对象的属性",))
    for item in (*ruleset.data_items, *domain.data_items):
        notes = _notes(assembled.ruleset if assembled else None, document, item.name)
        lines = (f"类型：{item.type.label}", *notes)
        if item.choices:
            lines += (f"取值：{'、'.join(item.choices)}",)
        out[item.name] = Named(
            item.name, "数据项", item.type.label, lines, _absolute(item.span, root)
        )
    for paper in domain.papers:
        lines = (f"**{paper.name}**", f"权重：{_number(paper.weight)}")
        out[paper.id] = Named(paper.id, "考卷", paper.name, lines, _absolute(paper.span, root))
    for indicator in domain.all_indicators():
        named = _indicator(indicator, _indicator_doc(document, indicator), root)
        out[indicator.id] = named
        out[f"{indicator.id}.得分"] = Named(
            f"{indicator.id}.得分",
            "指标",
            f"{indicator.name} 的得分",
            named.lines,
            named.definition,
        )
    return out


def _indicator(indicator: m.Indicator, document: YMap | None, root: Path | None) -> Named:
    lines = [f"**{indicator.name}**（考卷 {indicator.paper}）"]
    if indicator.unit_of_measure:
        lines.append(f"单位：{indicator.unit_of_measure}")
    note = document.get("说明") if document is not None else None
    if isinstance(note, str):
        lines.append(f"说明：{note}")
    method = m.METHOD_NAMES.get(indicator.method, indicator.method)
    lines.append(f"计分方法：{method}，满分 {_number(indicator.full)}，{indicator.direction}")
    shown = _percent if indicator.unit_of_measure == "%" else _number
    targets = [
        f"{label} {shown(value)}"
        for label, value in (
            ("目标值", indicator.target),
            ("下限值", indicator.floor),
            ("上限值", indicator.ceiling),
        )
        if value is not None
    ]
    if indicator.thresholds:
        targets.append(f"档位 {'、'.join(shown(v) for v in indicator.thresholds)}")
    if targets:
        lines.append("；".join(targets))
    if indicator.lead:
        lines.append(f"牵头单位：{indicator.lead}")
    return Named(
        indicator.id, "指标", indicator.name, tuple(lines), _absolute(indicator.span, root)
    )


def _indicator_doc(document: YMap | None, indicator: m.Indicator) -> YMap | None:
    papers = document.get("考卷") if isinstance(document, YMap) else None
    paper = papers.get(indicator.paper) if isinstance(papers, YMap) else None
    items = paper.get("指标") if isinstance(paper, YMap) else None
    found = items.get(indicator.id) if isinstance(items, YMap) else None
    return found if isinstance(found, YMap) else None


def _notes(ruleset_doc: YMap | None, domain_doc: YMap | None, name: str) -> tuple[str, ...]:
    """The 说明 written for data item ``name``, in the domain's file or the rule set's."""
    return _notes_of((domain_doc, ruleset_doc), name)


def _notes_of(documents: Iterable[YMap | None], name: str) -> tuple[str, ...]:
    for document in documents:
        table = document.get("数据项") if isinstance(document, YMap) else None
        entry = table.get(name) if isinstance(table, YMap) else None
        note = entry.get("说明") if isinstance(entry, YMap) else None
        if isinstance(note, str):
            return (f"说明：{note}",)
    return ()


def _default(value: object) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return _number(value)
    return f'"{value}"' if isinstance(value, str) else str(value)


def _number(value: float) -> str:
    return f"{value:g}"


def _percent(value: float) -> str:
    return f"{round(value * 100, 10):g}%"  # 0.055 → 5.5%, as the rule file writes it


def _absolute(span: Span | None, root: Path | None) -> Span | None:
    if span is None:
        return None
    path = real_path(span.file, root)
    if path is None:
        return span
    return Span(str(path), span.line, span.column, span.end_line, span.end_column)
