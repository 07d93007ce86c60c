"""Schema-valid documents to the RuleSet model: numbers read, defaults applied, methods expanded.

Each named scoring method becomes an ordinary expression here (linear →
``满分 * linear(值, 下限值, 目标值)``), so the checker, the evaluator and the
explanations see one kind of formula, and an explanation can show it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector
from kaohe_rules.dsl.printer import number_text
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type
from kaohe_rules.read.files import recorded_digest
from kaohe_rules.rules import aggregations
from kaohe_rules.rules.assemble import Assembled
from kaohe_rules.rules.loader import YList, YMap
from kaohe_rules.rules.merge import merge_patch
from kaohe_rules.source import Origin, Span

TYPES = {"数值": NUMBER, "真假": BOOL, "文本": TEXT}
METHODS = {chinese: name for name, chinese in m.METHOD_NAMES.items() if name != "formula"}
DEFAULT_PRECISION = 4
ONE_CATEGORY = "全部"  # the category of a special assessment that declares none


def number(value: object) -> float | None:
    """A rule-file number: 3, 2.5 or "12.5%"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().rstrip("%％")
    return float(Decimal(text) / 100)


def _percent(value: object) -> bool:
    """Whether a rule-file number was written as a percentage ("6.5%")."""
    return isinstance(value, str) and value.strip().endswith(("%", "％"))


# The numbers of an indicator (and of a 调整) that the percent-scale check compares.
RULE_VALUES = ("目标值", "下限值", "上限值", "半年目标值", "半年下限值", "半年上限值")


def rule_values(spec: YMap) -> tuple[m.RuleValue, ...]:
    """An indicator's targets, floors, ceilings and steps, the half year's too, as written."""
    found = [
        m.RuleValue(key, number(spec[key]), _percent(spec[key]), spec.values_at.get(key))
        for key in RULE_VALUES
        if key in spec and number(spec[key]) is not None
    ]
    for key in ("档位", "半年档位"):
        steps = spec.get(key)
        if isinstance(steps, YList):
            for value, span in zip(steps, steps.items_at, strict=False):
                found.append(m.RuleValue(key, number(value), _percent(value), span))
    return tuple(found)


def domain_documents(assembled: Assembled) -> dict[str, YMap]:
    """Each domain's document with the rule set's 通用 settings underneath it."""
    common = assembled.ruleset.get("通用")
    if not isinstance(common, YMap):
        return dict(assembled.domains)
    return {name: merge_patch(common, doc) for name, doc in assembled.domains.items()}


def build(assembled: Assembled, errors: Collector) -> m.RuleSet:
    """The RuleSet model of schema-valid documents; roster problems go to ``errors``."""
    doc = assembled.ruleset
    attributes = _attributes(assembled.roster)
    data_items = _data_items(doc.get("数据项"))
    domains = tuple(
        _domain(name, document, errors) for name, document in domain_documents(assembled).items()
    )
    if assembled.roster_table is not None:
        from kaohe_rules.read.roster import read_units

        units = read_units(assembled.roster_table, attributes, errors)
    else:
        units = _units(assembled.roster, attributes, errors)
    specials = tuple(
        _special(name, document, errors) for name, document in assembled.specials.items()
    )
    return m.RuleSet(
        year=int(doc["年度"]),
        name=str(doc.get("名称", f"{doc['年度']} 年度综合考核")),
        folder=assembled.folder,
        precision=int(doc.get("精度", DEFAULT_PRECISION)),
        attributes=tuple(attributes.items()),
        units=units,
        data_items=data_items,
        domains=domains,
        files=tuple(assembled.files),
        specials=specials,
        unknown_data=str(doc.get("未知数据", "报错")),
        aggregations=aggregations.build(doc),
        digests=_digests(assembled.files),
    )


def _digests(files: list[Path]) -> tuple[tuple[Path, tuple[Path, str]], ...]:
    """The rule files' digests, taken as the rule set is built, right after its files were
    parsed (a file that cannot be read again now is hashed when the fingerprint is made)."""
    found = []
    for path in files:
        try:
            found.append((path, recorded_digest(path)))
        except OSError:
            continue
    return tuple(found)


def _attributes(roster: YMap | None) -> dict[str, Type]:
    declared = roster.get("属性", {}) if isinstance(roster, YMap) else {}
    return {name: TYPES[kind] for name, kind in declared.items()}


def _units(roster: YMap | None, attributes: dict[str, Type], errors: Collector) -> tuple:
    if not isinstance(roster, YMap) or not isinstance(roster.get("单位"), list):
        return ()
    units = []
    entries: YList = roster["单位"]
    for entry, span in zip(entries, entries.items_at, strict=True):
        values = []
        for key, value in entry.items():
            if key in ("编号", "名称", "领域"):
                continue
            values.append((key, _attribute(entry, key, value, attributes, errors)))
        units.append(
            m.Unit(str(entry["编号"]), str(entry["名称"]), str(entry["领域"]), tuple(values), span)
        )
    return tuple(units)


def _attribute(
    entry: YMap, key: str, value: object, attributes: dict[str, Type], errors: Collector
) -> object:
    where = entry.values_at[key]
    kind = attributes.get(key)
    if kind is None:
        errors.error(
            "KH232",
            f"名单的属性 '{key}' 没有在 属性 中声明类型",
            entry.keys_at[key],
            "在名单文件的 属性: 下写明，如 " + f"{key}: 文本",
        )
        return None
    if kind == BOOL:
        if value is True or value == "是":
            return True
        if value is False or value == "否":
            return False
    elif kind == NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    elif kind == TEXT and isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    errors.error("KH232", f"属性 '{key}' 应为{kind.label}，这里是 {value!r}", where)
    return None


def _data_items(table: object) -> tuple[m.DataItem, ...]:
    if not isinstance(table, YMap):
        return ()
    items = []
    for name, spec in table.items():
        items.append(
            m.DataItem(
                name=name,
                type=TYPES[spec["类型"]],
                minimum=number(spec.get("最小值")),
                maximum=number(spec.get("最大值")),
                choices=tuple(spec.get("取值", ())),
                span=table.keys_at[name],
            )
        )
    return tuple(items)


def _expr(owner: YMap, key: str) -> m.Expr | None:
    """The expression written at ``owner[key]``, with its place in the file."""
    if key not in owner:
        return None
    value = owner[key]
    text = value if isinstance(value, str) else _literal(value)
    span = owner.values_at[key]
    origin = owner.origins.get(key) or Origin(span.file, span.line, span.column)
    return m.Expr(text, origin, span)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return number_text(float(value))


def _generated(text: str, span: Span) -> m.Expr:
    return m.Expr(text, Origin(span.file, span.line, span.column), span)


def _domain(name: str, doc: YMap, errors: Collector) -> m.Domain:
    missing = doc.get("缺失数据", "记零分")
    papers = tuple(
        _paper(pid, spec, doc["考卷"].keys_at[pid], missing, errors)
        for pid, spec in doc["考卷"].items()
    )
    if "类别" in doc:
        categories = tuple(m.Category(cat, _expr(doc["类别"], cat)) for cat in doc["类别"])
    else:  # a special assessment may leave it out: its units then compete as one group
        categories = (m.Category(ONE_CATEGORY, _generated("true", doc.span)),)
    return m.Domain(
        name=name,
        categories=categories,
        papers=papers,
        total=number(doc.get("总分", 100)),
        missing=missing,
        data_items=_data_items(doc.get("数据项")),
        adjustments=_adjustments(doc.get("加减分"), errors),
        ranking=_ranking(doc.get("排名")),
        tiers=_tiers(doc.get("等次")),
        labels=_labels(doc.get("标签")),
        variants=_variants(doc.get("一单位一策"), missing, errors),
        problems=_problems(doc.get("问题清单")),
        span=doc.span,
        out_of_range=doc.get("超出范围", "报错"),
    )


def _special(name: str, doc: YMap, errors: Collector) -> m.Special:
    """A special assessment: its scoring rules as a domain, who takes part, what it feeds."""
    feeds: YMap = doc["计入综合考核"]
    contributions = []
    for kind in ("加分", "扣分"):
        if kind in feeds:
            spec = feeds[kind]
            where = feeds.keys_at[kind]
            contributions.append(
                m.Contribution(kind, name, _expr(spec, "计分"), number(spec.get("上限")), where)
            )
    if "一票否决" in feeds:
        veto, where = _expr(feeds, "一票否决"), feeds.keys_at["一票否决"]
        contributions.append(m.Contribution("一票否决", name, veto, None, where))
    for label in _labels(feeds.get("标签")):
        contributions.append(m.Contribution("标签", label.name, label.expr, None, label.span))
    return m.Special(
        name=name,
        members=_expr(doc, "对象"),
        domain=_domain(name, doc, errors),
        contributions=tuple(contributions),
        span=doc.keys_at.get("专项考核", doc.span),
    )


def _paper(pid: str, spec: YMap, span: Span, missing: str, errors: Collector) -> m.Paper:
    indicators = spec.get("指标") or YMap()
    return m.Paper(
        id=pid,
        name=str(spec.get("名称", pid)),
        weight=number(spec["权重"]),
        formula=_expr(spec, "计分"),
        indicators=tuple(
            indicator(iid, pid, ispec, indicators.keys_at[iid], missing, errors)
            for iid, ispec in indicators.items()
        ),
        rescale=bool(spec.get("折算", False)),
        span=span,
    )


def indicator(
    iid: str, paper: str, spec: YMap, span: Span, missing: str, errors: Collector
) -> m.Indicator:
    """One indicator; a named method is expanded into its formula."""
    method = METHODS.get(spec.get("计分方法"), spec.get("计分方法")) or "formula"
    direction = spec.get("方向", "越高越好")
    _check_method(iid, method, direction, spec, span, errors)
    _check_half_year(iid, method, direction, spec, errors)
    if "计分" in spec:
        formula = _expr(spec, "计分")
    else:
        where = spec.keys_at.get("计分方法", span)
        formula = _generated(_method_formula(method, direction, spec), where)
    return m.Indicator(
        id=iid,
        name=str(spec.get("名称", iid)),
        paper=paper,
        full=number(spec["满分"]),
        method=method if "计分" not in spec else "formula",
        formula=formula,
        direction=direction,
        unit_of_measure=str(spec.get("单位", "")).strip().replace("％", "%"),  # one spelling
        target=number(spec.get("目标值")),
        floor=number(spec.get("下限值")),
        ceiling=number(spec.get("上限值")),
        thresholds=tuple(number(v) for v in spec.get("档位", ())),
        shares=tuple(number(v) for v in spec.get("得分率", ())),
        rank_step=number(spec.get("排名步长")),
        rank_minimum=number(spec.get("最低分", 0 if method == "rank" else None)),
        half_year_target=number(spec.get("半年目标值")),
        half_year_floor=number(spec.get("半年下限值")),
        half_year_ceiling=number(spec.get("半年上限值")),
        half_year_thresholds=tuple(number(v) for v in spec.get("半年档位", ())),
        half_year_formula=_half_year_formula(method, spec),
        benchmark=_expr(spec, "标杆") if method == "benchmark" else None,
        lead=str(spec.get("牵头单位", "")),
        owner=str(spec.get("责任人", "")),
        missing=spec.get("缺失数据", missing),
        span=span,
        written=tuple(spec.keys_at.items()),
        minimum=number(spec.get("最小值")),
        maximum=number(spec.get("最大值")),
        out_of_range=spec.get("超出范围"),
        rule_values=rule_values(spec),
    )


_NEEDS = {
    "linear": ("目标值", "start"),
    "efficacy": ("目标值", "start"),
    "steps": ("档位", "得分率"),
    "rank": ("排名步长",),
    "benchmark": (),
}


def _check_method(
    iid: str, method: str, direction: str, spec: YMap, span: Span, errors: Collector
) -> None:
    """The parameters a scoring method needs are there, and agree with the direction."""
    full = number(spec.get("满分"))
    if full is not None and full < 0:
        message = f"指标 {iid} 的满分不能是负数，这里是 {number_text(full)}"
        errors.error("KH214", message, spec.values_at["满分"])
    if "计分" in spec and "计分方法" in spec:
        where = spec.keys_at["计分"]
        errors.error("KH231", f"指标 {iid} 同时写了 计分方法 和 计分，只能写一个", where)
        return
    if "计分" in spec:
        return
    if "计分方法" not in spec:
        hint = "计分方法：线性、分档、排名赋分、标杆值、功效系数；或用 计分 写公式"
        errors.error("KH231", f"指标 {iid} 没有计分方法", span, hint)
        return
    higher = direction == "越高越好"
    start, wrong = ("下限值", "上限值") if higher else ("上限值", "下限值")
    for need in _NEEDS[method]:
        need = start if need == "start" else need
        if need not in spec:
            errors.error("KH231", f"指标 {iid} 的计分方法需要 {need}", spec.keys_at["计分方法"])
    if method in ("linear", "efficacy") and wrong in spec:
        message = f"指标 {iid} {direction}，起评值应写 {start} 而不是 {wrong}"
        errors.error("KH230", message, spec.keys_at[wrong])
    target, begin = number(spec.get("目标值")), number(spec.get(start))
    linear = method in ("linear", "efficacy") and None not in (target, begin)
    if linear and ((target <= begin) if higher else (target >= begin)):
        relation = "大于" if higher else "小于"
        message = (
            f"指标 {iid} {direction}，目标值 {number_text(target)} "
            f"应{relation}{start} {number_text(begin)}"
        )
        errors.error("KH230", message, spec.values_at["目标值"])
    if method == "steps" and len(spec.get("档位", ())) != len(spec.get("得分率", ())):
        message = f"指标 {iid} 的 档位 与 得分率 个数不同"
        errors.error("KH214", message, spec.values_at.get("得分率", span))


def _half_year_formula(method: str, spec: YMap) -> m.Expr | None:
    """A 分档 indicator's formula with its 半年档位: what the half year scores it by."""
    if method != "steps" or "半年档位" not in spec or "计分" in spec:
        return None
    half = {**spec, "档位": spec["半年档位"]}
    return _generated(_method_formula(method, "", half), spec.keys_at["半年档位"])


def _check_half_year(iid: str, method: str, direction: str, spec: YMap, errors: Collector) -> None:
    """半年下限值 and 半年上限值 belong to an indicator with a 半年目标值, on the side its
    direction starts from, and the half-year target lies beyond the half-year start."""
    if "半年档位" in spec and (method != "steps" or "计分" in spec):
        message = f"指标 {iid} 不按分档计分，半年档位 不起作用"
        errors.error("KH214", message, spec.keys_at["半年档位"], "半年档位 只用于 计分方法: 分档")
    elif "半年档位" in spec and len(spec["半年档位"]) != len(spec.get("得分率", ())):
        message = f"指标 {iid} 的 半年档位 与 得分率 个数不同"
        errors.error("KH214", message, spec.values_at["半年档位"])
    for key in ("半年下限值", "半年上限值", "半年档位"):
        if key in spec and "半年目标值" not in spec:
            message = (
                f"指标 {iid} 写了 {key}，但没有 半年目标值：半年评估不计这个指标，{key} 不起作用"
            )
            errors.error("KH231", message, spec.keys_at[key], "写上 半年目标值，或删去 " + key)
    if method not in ("linear", "efficacy") or "计分" in spec:
        return
    higher = direction == "越高越好"
    start, wrong = ("半年下限值", "半年上限值") if higher else ("半年上限值", "半年下限值")
    if wrong in spec:
        message = f"指标 {iid} {direction}，半年的起评值应写 {start} 而不是 {wrong}"
        errors.error("KH230", message, spec.keys_at[wrong], f"把 {wrong} 改为 {start}")
    target, begin = number(spec.get("半年目标值")), number(spec.get(start))
    if None not in (target, begin) and ((target <= begin) if higher else (target >= begin)):
        relation = "大于" if higher else "小于"
        message = (
            f"指标 {iid} {direction}，半年目标值 {number_text(target)} "
            f"应{relation}{start} {number_text(begin)}"
        )
        hint = f"半年的参数自成一套：检查 半年目标值 与 {start} 是否写反，或单位是否一致"
        errors.error("KH230", message, spec.values_at["半年目标值"], hint)


def _method_formula(method: str, direction: str, spec: dict) -> str:
    higher = direction == "越高越好"
    start = "下限值" if higher else "上限值"
    if method == "linear":
        return f"满分 * linear(值, {start}, 目标值)"
    if method == "efficacy":
        return f"满分 * (60% + 40% * linear(值, {start}, 目标值))"
    if method == "steps":
        steps = ", ".join(number_text(number(v)) for v in spec.get("档位", ()))
        shares = ", ".join(number_text(number(v)) for v in spec.get("得分率", ()))
        return f"满分 * steps(值, [{steps}], [{shares}])"
    if method == "rank":
        scope = ", by=1" if spec.get("排名范围") == "领域" else ""
        desc = "true" if higher else "false"
        return f"max(满分 - (rank(值, desc={desc}{scope}) - 1) * 排名步长, 最低分)"
    if method == "benchmark":
        best = "标杆" if "标杆" in spec else ("group_max(值)" if higher else "group_min(值)")
        # A ratio to the benchmark means something only for positive values: with a
        # benchmark at or below zero the score is missing and the policy applies.
        if higher:
            return f"if {best} > 0 then 满分 * clamp(值 / {best}, 0, 1) else missing"
        return (
            f"if {best} >= 0 and 值 >= 0 then 满分 * (if 值 <= {best} then 1 else {best} / 值) "
            "else missing"
        )
    return "missing"


def _items(table: object, errors: Collector) -> tuple[m.Adjustment, ...]:
    if not isinstance(table, YMap):
        return ()
    for key, spec in table.items():
        _check_item(key, spec, table.keys_at[key], errors)
    return tuple(
        m.Adjustment(
            id=key,
            name=str(spec.get("名称", key)),
            formula=_expr(spec, "每项" if "前缀" in spec else "计分"),
            cap=number(spec.get("上限")),
            span=table.keys_at[key],
            family=_family(spec),
            cap_span=spec.keys_at.get("上限"),
        )
        for key, spec in table.items()
    )


def _family(spec: YMap) -> m.Family | None:
    if "前缀" not in spec:
        return None
    return m.Family(str(spec["前缀"]), spec.values_at["前缀"])


def _check_item(key: str, spec: YMap, span: Span, errors: Collector) -> None:
    """An item is scored by 计分, or is a family written with 前缀 and 每项 (families.py)."""
    family = [k for k in ("前缀", "每项") if k in spec]
    if "计分" in spec and family:
        message = f"加减项 {key} 同时写了 计分 和 {'、'.join(family)}，只能写一种"
        hint = "逐项计分写 计分；一族加减项（按名称前缀汇总）写 前缀 和 每项"
        errors.error("KH214", message, spec.keys_at[family[0]], hint)
    elif "计分" not in spec and not family:
        hint = "写 计分: 公式；或按名称前缀汇总一族数据项：前缀: 表彰_ 和 每项: 值 * 0.5"
        errors.error("KH213", f"加减项 {key} 缺少 计分", span, hint)
    elif len(family) == 1:
        missing = "每项" if family == ["前缀"] else "前缀"
        message = f"一族加减项 {key} 写了 {family[0]}，缺少 {missing}"
        hint = "一族加减项写 前缀（成员名称的开头）和 每项（每个成员的分数，值 是它的值）"
        errors.error("KH213", message, spec.keys_at[family[0]], hint)


def _adjustments(doc: object, errors: Collector) -> m.Adjustments:
    if not isinstance(doc, YMap):
        return m.Adjustments()
    vetoes = doc.get("一票否决") or YMap()
    return m.Adjustments(
        bonuses=_items(doc.get("加分"), errors),
        bonus_cap=number(doc.get("加分上限")),
        deductions=_items(doc.get("扣分"), errors),
        deduction_cap=number(doc.get("扣分上限")),
        vetoes=tuple((name, _expr(vetoes, name)) for name in vetoes),
        caps_at=tuple((k, doc.keys_at[k]) for k in ("加分上限", "扣分上限") if k in doc),
    )


def _ranking(doc: object) -> m.Ranking | None:
    if not isinstance(doc, YMap):
        return None
    key = (
        m.SortKey(_expr(doc, "依据"), doc.get("顺序", "降序") == "降序") if "依据" in doc else None
    )
    tiebreak = tuple(
        m.SortKey(_expr(item, "依据"), item.get("顺序", "降序") == "降序")
        for item in doc.get("并列时", ())
    )
    if key is None:
        key = m.SortKey(_generated("总分", doc.span), True)
    return m.Ranking(key, tiebreak, doc.get("范围", "类别"))


def _tiers(doc: object) -> m.Tiers | None:
    if not isinstance(doc, YMap):
        return None
    rules = doc["规则"]
    return m.Tiers(
        rules=tuple(
            m.TierRule(
                tier=str(rule["等次"]),
                condition=_expr(rule, "条件"),
                top=_expr(rule, "前列"),
                bottom=_expr(rule, "末位"),
                unless=_expr(rule, "除非"),
                span=span,
            )
            for rule, span in zip(rules, rules.items_at, strict=True)
        ),
        veto_takes_bottom=bool(doc.get("否决占末位名额", True)),
    )


def _labels(doc: object) -> tuple[m.Label, ...]:
    if not isinstance(doc, YMap):
        return ()
    labels = []
    for name, spec in doc.items():
        expr = _expr(spec, "值") if isinstance(spec, YMap) else _expr(doc, name)
        labels.append(m.Label(name, expr, doc.keys_at[name]))
    return tuple(labels)


def _problems(doc: object) -> m.ProblemRule:
    if not isinstance(doc, YMap):
        return m.ProblemRule()
    share = number(doc.get("得分率低于", 0.6))
    return m.ProblemRule(share=share, last=int(doc.get("类别内末位", 0)))


def _variants(doc: object, missing: str, errors: Collector) -> tuple[m.Variant, ...]:
    if not isinstance(doc, YMap):
        return ()
    variants = []
    for unit, spec in doc.items():
        added = []
        for paper, table in (spec.get("新增指标") or {}).items():
            for iid, ispec in table.items():
                added.append(indicator(iid, paper, ispec, table.keys_at[iid], missing, errors))
        adjusted = spec.get("调整") or {}
        changes = tuple(
            (*path.split(".", 1), number(value), adjusted.keys_at[path])
            for path, value in adjusted.items()
        )
        written = tuple(
            m.RuleValue(path, number(value), _percent(value), adjusted.values_at.get(path))
            for path, value in adjusted.items()
        )
        variants.append(
            m.Variant(
                unit=str(unit),
                drop=tuple(spec.get("删除指标", ())),
                add=tuple(added),
                changes=changes,
                span=doc.keys_at[unit],
                rule_values=written,
            )
        )
    return tuple(variants)
