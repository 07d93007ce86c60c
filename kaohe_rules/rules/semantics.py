"""Checks beyond the schema: the rule set is consistent with itself and with its roster.

Marks add up to weights, weights to the domain total (per unit, with 一单位一策
applied); every unit falls in exactly one category; variants name real units
and indicators; the tier list places every unit; labels name real tiers;
names do not collide; declared data items are used.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, Severity
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.hints import suggest
from kaohe_rules.rules import families
from kaohe_rules.rules.resolve import PARAMETERS, RESERVED, Resolved
from kaohe_rules.source import Span, compatibility_difference, name_key


def check(resolved: Resolved, errors: Collector) -> None:
    """Run every semantic check; problems go to ``errors``."""
    ruleset = resolved.ruleset
    _roster(resolved, errors)
    named = _named_units(ruleset)
    for domain in ruleset.domains:
        _names(ruleset, domain, errors)
        _categories(ruleset, domain, resolved, errors)
        _sums(domain, errors)
        _variants(ruleset, domain, named, errors)
        _tiers(domain, resolved, errors)
    given: set[str] = set()  # labels special assessments give, across all of them
    for special in ruleset.specials:
        _special(ruleset, special, resolved, errors, given)
    families.check(ruleset, resolved.programs, errors)
    if not errors.has_errors:
        # An expression that failed to compile would make its names look unused.
        _unused_data(ruleset, resolved, errors)


def _roster(resolved: Resolved, errors: Collector) -> None:
    # Whole columns first; a Unit (for its span) only where there is a problem.
    ruleset = resolved.ruleset
    units = ruleset.units
    ids = m.roster_column(units, "编号")
    names = m.roster_column(units, "名称")
    in_domain = m.roster_column(units, "领域")
    domains = {d.name for d in ruleset.domains}
    if not set(in_domain) <= domains:  # one pass in C; the units only when one is wrong
        for index, domain in enumerate(in_domain):
            if domain not in domains:
                unit, listing = units[index], "、".join(sorted(domains))
                message = f"单位 {unit.name} 的领域 '{unit.domain}' 不在规则集中"
                errors.error("KH221", message, unit.span, listing)
    if len(set(ids)) < len(ids):
        for unit_id, count in Counter(ids).items():
            if count > 1:
                repeats = [i for i, other in enumerate(ids) if other == unit_id]
                message = f"单位编号 {unit_id} 重复出现 {count} 次"
                errors.error("KH220", message, units[repeats[1]].span)
    # Names as a reader sees them (NFKC: 甲（一） is 甲(一)), so look-alikes are one name.
    keys, distinct = resolved.unit_name_keys
    if distinct:
        return  # no name twice, in any domain
    pairs = list(zip(in_domain, keys, strict=True))
    for (domain, _form), count in Counter(pairs).items():
        if count > 1:
            first, second = [i for i, pair in enumerate(pairs) if pair == (domain, _form)][:2]
            shown = (
                names[first]
                if names[first] == names[second]
                else f"{names[first]}（与 {names[second]} "
                f"{compatibility_difference(names[first], names[second])}）"
            )
            errors.error("KH220", f"领域 {domain} 中单位名称 {shown} 重复", units[second].span)


def _names(ruleset: m.RuleSet, domain: m.Domain, errors: Collector) -> None:
    """Indicator, paper and data item names must differ from each other and from reserved ones."""
    seen: dict[str, Span | None] = {}
    named = [(d.name, d.span) for d in ruleset.data_items]
    named += [(d.name, d.span) for d in domain.data_items]
    named += [(p.id, p.span) for p in domain.papers]
    named += [(i.id, i.span) for i in domain.indicators()]
    forms: dict[str, str] = {}  # NFKC form → the name as first written
    for name, span in named:
        form = name_key(name)
        if name in RESERVED or form in RESERVED:
            errors.error("KH220", f"'{name}' 是保留名称，不能用作指标、考卷或数据项名", span)
        elif form in forms and forms[form] != name:
            how = compatibility_difference(name, forms[form])
            message = f"名称 '{name}' 与 '{forms[form]}' {how}，视为重复定义"
            errors.error("KH220", message, span)
        elif form in forms:
            errors.error("KH220", f"名称 '{name}' 重复定义", span)
        seen[name] = span
        forms.setdefault(form, name)
    existing = set(seen) | set(forms)
    added_to: dict[str, str] = {}
    for variant in domain.variants:
        for added in variant.add:
            if added.id in RESERVED or name_key(added.id) in existing:
                message = f"新增指标 '{added.id}' 与已有名称重复或是保留名称"
                errors.error("KH220", message, added.span)
            elif added_to.setdefault(added.id, added.paper) != added.paper:
                message = (
                    f"新增指标 '{added.id}' 在别的单位加在考卷 {added_to[added.id]}，"
                    f"这里加在考卷 {added.paper}；同一指标只能属于一张考卷"
                )
                errors.error("KH220", message, added.span)
    for label in domain.labels:
        if label.name in RESERVED or name_key(label.name) in existing or label.name in added_to:
            message = f"标签名 '{label.name}' 与考卷、指标、数据项或保留名称重复"
            errors.error("KH220", message, label.span)


def _special(
    ruleset: m.RuleSet, special: m.Special, resolved: Resolved, errors: Collector, given: set[str]
) -> None:
    """A special assessment is checked as a domain over its members; its name and the labels
    it gives must not clash with the domains', and it should select someone."""
    domain = special.domain
    if ruleset.domain(special.name) is not None:
        message = f"专项考核 '{special.name}' 与领域同名"
        errors.error("KH220", message, special.span)
    if resolved.programs.get(special.members) is not None:
        units = resolved.rosters.of(special.domain).units
        if not units:
            message = f"专项考核 {special.name} 的对象没有选中任何单位"
            where = special.members.span
            errors.add(Diagnostic("KH233", message, where, severity=Severity.WARNING))
        _categories(ruleset, domain, resolved, errors)
    _names(ruleset, domain, errors)
    _sums(domain, errors)
    _tiers(domain, resolved, errors)
    taken = {label.name for d in (*ruleset.domains, domain) for label in d.labels}
    taken |= {n for d in ruleset.domains for n in (*(p.id for p in d.papers), *d.all_ids())}
    taken |= {item.name for d in ruleset.scored() for item in d.data_items}
    taken |= {item.name for item in ruleset.data_items} | given
    for item in special.contributions:
        program = resolved.programs.get(item.expr)
        if item.kind == "标签" and (item.name in RESERVED or item.name in taken):
            message = f"专项考核给出的标签 '{item.name}' 与领域、专项考核的标签或其他名称重复"
            errors.error("KH220", message, item.span)
        if item.kind == "标签":
            taken.add(item.name)
            given.add(item.name)
        if program is not None:
            _tier_names(f"专项考核 {special.name} 计入{item.kind}", program, domain, errors)


def _categories(
    ruleset: m.RuleSet, domain: m.Domain, resolved: Resolved, errors: Collector
) -> None:
    hits = resolved.category_hits(domain)
    if hits is None:
        return  # a condition that did not compile, or a domain without units
    units = resolved.rosters.of(domain).units
    for category, hit in zip(domain.categories, hits, strict=True):
        if not hit.any():
            message = f"类别 {category.name} 没有任何单位"
            span = category.condition.span
            errors.add(Diagnostic("KH233", message, span, severity=Severity.WARNING))
    counts = np.sum(hits, axis=0) if hits else np.zeros(len(units), dtype=np.int64)
    # Only the units in no category or in several are looked at one by one.
    for index in np.flatnonzero(counts != 1):
        unit = units[index]
        matched = [c.name for c, hit in zip(domain.categories, hits, strict=True) if hit[index]]
        if not matched:
            errors.error("KH222", f"单位 {unit.name} 不属于 {domain.name} 的任何类别", unit.span)
        elif len(matched) > 1:
            message = f"单位 {unit.name} 同时属于多个类别：" + "、".join(matched)
            errors.error("KH223", message, unit.span)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _sums(domain: m.Domain, errors: Collector, context: tuple[str, ...] = ()) -> None:
    total = sum(p.weight for p in domain.papers)
    if not _close(total, domain.total):
        message = f"{domain.name} 各考卷权重之和为 {total:g}，应为总分 {domain.total:g}"
        errors.add(Diagnostic("KH225", message, domain.papers[0].span, None, context))
    for paper in domain.papers:
        _paper_sum(paper, paper.indicators, paper.weight, errors, context)


def _paper_sum(paper, indicators, weight: float, errors: Collector, context=()) -> None:
    if paper.formula is None and not indicators:
        message = f"考卷 {paper.id} 既没有 计分 公式也没有 指标"
        errors.add(Diagnostic("KH231", message, paper.span, None, context))
        return
    if paper.formula is not None or paper.rescale or not indicators:
        return
    marks = sum(i.full for i in indicators)
    if not _close(marks, weight):
        message = f"考卷 {paper.id} 的指标满分之和为 {marks:g}，应等于权重 {weight:g}"
        hint = "调整指标满分，或在考卷中写 折算: true 按权重折算"
        errors.add(Diagnostic("KH224", message, paper.span, hint, context))


def _variants(ruleset: m.RuleSet, domain: m.Domain, named: np.ndarray, errors: Collector) -> None:
    if not domain.variants:
        return
    units = _variant_units(ruleset, domain, named)
    indicator_ids = {i.id for i in domain.indicators()}
    papers = {p.id: p for p in domain.papers}
    claimed: dict[str, str] = {}
    for variant in domain.variants:
        if variant.unit not in units:
            message = f"一单位一策中的单位 '{variant.unit}' 不在 {domain.name} 的名单中"
            hint = suggest(variant.unit, _domain_units(ruleset, domain))
            errors.error("KH226", message, variant.span, hint)
            continue
        unit_id = units[variant.unit]
        if unit_id in claimed:
            message = f"单位 {variant.unit} 已有一单位一策（写作 '{claimed[unit_id]}'）"
            errors.error("KH220", message, variant.span, "同一单位的差异化规则请合并写在一处")
        claimed[unit_id] = variant.unit
        context = ("一单位一策", variant.unit)
        for dropped in variant.drop:
            if dropped not in indicator_ids:
                message = f"要删除的指标 '{dropped}' 不存在"
                hint = suggest(dropped, indicator_ids)
                errors.add(Diagnostic("KH227", message, variant.span, hint, context))
        for added in variant.add:
            if added.paper not in papers:
                message = f"新增指标 {added.id} 所在的考卷 '{added.paper}' 不存在"
                errors.add(Diagnostic("KH227", message, added.span, None, context))
        _variant_changes(variant, indicator_ids, papers, errors, context)
        _variant_sums(domain, variant, papers, errors, context)
        _variant_directions(domain, variant, errors, context)


def _named_units(ruleset: m.RuleSet) -> np.ndarray:
    """The roster rows whose id or name some domain's variant names: found by two
    whole-column passes, as a roster of a million units is not walked unit by unit to
    check a few dozen variants."""
    named = {variant.unit for domain in ruleset.domains for variant in domain.variants}
    if not named:
        return np.zeros(0, dtype=np.int64)
    ids = m.roster_column(ruleset.units, "编号")
    names = m.roster_column(ruleset.units, "名称")
    hits = np.fromiter(map(named.__contains__, ids), bool, len(ids))
    hits |= np.fromiter(map(named.__contains__, names), bool, len(names))
    return np.flatnonzero(hits)


def _variant_units(ruleset: m.RuleSet, domain: m.Domain, named: np.ndarray) -> dict[str, str]:
    """The domain's units among the ``named`` rows, by id and by name, each to its id."""
    ids = m.roster_column(ruleset.units, "编号")
    names = m.roster_column(ruleset.units, "名称")
    own = m.roster_column(ruleset.units, "领域")
    units: dict[str, str] = {}
    for index in named.tolist():
        if own[index] == domain.name:
            units[ids[index]] = ids[index]
            units[names[index]] = ids[index]
    return units


def _domain_units(ruleset: m.RuleSet, domain: m.Domain) -> list[str]:
    """Every id and name of the domain's units (for a hint, when a variant names none)."""
    ids = m.roster_column(ruleset.units, "编号")
    names = m.roster_column(ruleset.units, "名称")
    own = m.roster_column(ruleset.units, "领域")
    found = [i for i, where in enumerate(own) if where == domain.name]
    return [key for i in found for key in (ids[i], names[i])]


def _variant_changes(
    variant: m.Variant, indicator_ids: set[str], papers: dict, errors: Collector, context
) -> None:
    """KH227 for each change a variant makes to something that is not there, or to a
    parameter its target lacks: 权重 is a paper's, the rest an indicator's."""
    for target, parameter, _value, span in variant.changes:
        if target in variant.drop:
            message = f"指标 '{target}' 已在 删除指标 中，不能再调整它的 {parameter}"
            errors.add(Diagnostic("KH227", message, span, None, context))
            continue
        indicators = indicator_ids | {a.id for a in variant.add}
        known = target in indicators
        if parameter == "权重":
            known = target in papers
            if target in indicators:
                allowed = "、".join(PARAMETERS)
                message = f"'{target}' 是指标，权重 只能调整考卷；指标可调整 {allowed}"
                errors.add(Diagnostic("KH227", message, span, None, context))
                continue
        elif target in papers and target not in indicators:
            message = f"'{target}' 是考卷，考卷只能调整 权重"
            errors.add(Diagnostic("KH227", message, span, None, context))
            continue
        if not known:
            message = f"调整的对象 '{target}' 不存在"
            hint = suggest(target, indicator_ids | set(papers))
            errors.add(Diagnostic("KH227", message, span, hint, context))


def _variant_sums(domain, variant: m.Variant, papers: dict, errors: Collector, context) -> None:
    full = {(t, p): v for t, p, v, _s in variant.changes}
    for paper in domain.papers:
        weight = full.get((paper.id, "权重"), paper.weight)
        kept = [i for i in paper.indicators if i.id not in variant.drop]
        kept += [a for a in variant.add if a.paper == paper.id]
        marks = [full.get((i.id, "满分"), i.full) for i in kept]
        if paper.formula is None and not kept:
            message = f"{variant.unit} 删除了考卷 {paper.id} 的全部指标，这张考卷无法计分"
            errors.add(Diagnostic("KH224", message, variant.span, None, context))
        elif paper.formula is None and not paper.rescale and not _close(sum(marks), weight):
            message = (
                f"{variant.unit} 的考卷 {paper.id} 指标满分之和为 {sum(marks):g}，"
                f"应等于权重 {weight:g}"
            )
            errors.add(Diagnostic("KH224", message, variant.span, None, context))
    weights = [full.get((p.id, "权重"), p.weight) for p in domain.papers]
    if not _close(sum(weights), domain.total):
        message = f"{variant.unit} 的各考卷权重之和为 {sum(weights):g}，应为 {domain.total:g}"
        errors.add(Diagnostic("KH225", message, variant.span, None, context))


def _variant_directions(domain: m.Domain, variant: m.Variant, errors: Collector, context) -> None:
    """A variant's own target must still lie beyond its start, in the indicator's direction:
    the year's set, and the half year's (半年目标值 against 半年下限值 or 半年上限值)."""
    changed = {(t, p): (v, span) for t, p, v, span in variant.changes}
    for indicator in (*domain.indicators(), *variant.add):
        if indicator.method not in ("linear", "efficacy"):
            continue
        higher = indicator.direction == "越高越好"
        for prefix in ("", "半年"):
            _variant_direction(indicator, prefix, higher, changed, variant, errors, context)


def _variant_direction(indicator, prefix, higher, changed, variant, errors, context) -> None:
    start_name = prefix + ("下限值" if higher else "上限值")
    params = indicator.parameters()
    target_name = prefix + "目标值"
    target, target_span = changed.get((indicator.id, target_name), (params[target_name], None))
    start, start_span = changed.get((indicator.id, start_name), (params[start_name], None))
    if (target_span is None and start_span is None) or None in (target, start):
        return
    if (target <= start) if higher else (target >= start):
        relation = "大于" if higher else "小于"
        message = (
            f"{variant.unit} 的 {indicator.id} {indicator.direction}，"
            f"{target_name} {target:g} 应{relation}{start_name} {start:g}"
        )
        errors.add(Diagnostic("KH230", message, target_span or start_span, None, context))


def _tiers(domain: m.Domain, resolved: Resolved, errors: Collector) -> None:
    if domain.tiers is None:
        return
    rules = domain.tiers.rules
    defaults = [i for i, rule in enumerate(rules) if rule.is_default]
    if not defaults:
        message = f"{domain.name} 的等次规则没有兜底的一条，可能有单位得不到等次"
        hint = "在最后加一条只写 等次 的规则，如 - 等次: 第二等次"
        errors.error("KH228", message, rules[-1].span, hint)
    elif defaults[0] < len(rules) - 1:
        later = rules[defaults[0] + 1]
        message = f"兜底规则之后的等次规则（{later.tier}）永远不会生效"
        errors.error("KH234", message, later.span, "兜底的一条（只写 等次）须放在最后")
    for label in domain.labels:
        program = resolved.programs.get(label.expr)
        if program is not None:
            _tier_names(f"标签 {label.name}", program, domain, errors)


def _tier_names(what: str, program, domain: m.Domain, errors: Collector) -> None:
    """The tier names a formula compares 等次 with must be tiers the domain defines."""
    tiers = {rule.tier for rule in domain.tiers.rules} if domain.tiers else set()
    for name, span in _tier_literals(program.node):
        if name not in tiers:
            message = f"{what} 比较的等次 '{name}' 没有定义"
            errors.error("KH229", message, span, suggest(name, tiers))


def _tier_literals(node: ast.Node):
    """``等次 == "第一等次"``: the tier names a formula compares 等次 with."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Compare) and current.op in ("==", "!="):
            sides = (current.left, current.right)
            if any(_is_tier(s) for s in sides):
                for side in sides:
                    if isinstance(side, ast.String):
                        yield side.value, side.span
        if isinstance(current, ast.Member) and _is_tier(current.value):
            for item in current.items.items:
                if isinstance(item, ast.String):
                    yield item.value, item.span
        stack.extend(ast.children(current))


def _is_tier(node: ast.Node) -> bool:
    """``等次`` or ``history(n).等次``: a value that holds a tier name."""
    if isinstance(node, ast.Name):
        return node.name == "等次"
    return (
        isinstance(node, ast.Attribute)
        and node.name == "等次"
        and isinstance(node.obj, ast.Call)
        and node.obj.func == "history"
    )


def _unused_data(ruleset: m.RuleSet, resolved: Resolved, errors: Collector) -> None:
    used = (
        set().union(*(p.names for p in resolved.programs.values())) if resolved.programs else set()
    )
    items = list(ruleset.data_items) + [d for dom in ruleset.scored() for d in dom.data_items]
    prefixes = m.family_prefixes(ruleset)  # a family's members are read by its 每项
    for item in items:
        if item.name not in used and not item.name.startswith(prefixes):
            message = f"数据项 {item.name} 没有在任何公式中使用"
            errors.add(Diagnostic("KH233", message, item.span, severity=Severity.WARNING))
