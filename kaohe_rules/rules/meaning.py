"""Checks of what a rule set means, beyond whether it holds together (KH236–KH242).

A rule set can pass every consistency check and still not do what its authors
meant: a label compares a data item with a value the item never takes, a
parameter stays behind after the scoring method changed, a deduction has no
ceiling, a bonus outweighs a whole paper, two units share a name, a category is
too small to rank, a tier quota rounds to nothing. These give results that look
right and are wrong; here they are named before any data are read.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, Severity
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.hints import suggest
from kaohe_rules.dsl.population import Population
from kaohe_rules.rules.resolve import FUNCTIONS, Resolved
from kaohe_rules.source import Span

# Fewer units than this in a category that is ranked or has tier quotas: first and last
# are next to each other, and a share of the category is 0 or 1 unit (docs/decisions.md).
MIN_CATEGORY = 3

# What each named scoring method reads of the parameters an indicator may carry
# (build.py expands the methods; "start" is 下限值 or 上限值 by direction).
_READS = {
    "linear": ("目标值", "start"),
    "efficacy": ("目标值", "start"),
    "steps": ("档位", "得分率", "半年档位"),
    "rank": ("排名步长", "最低分", "排名范围"),
    "benchmark": ("标杆",),
}
# The parameters looked at. 满分 is always read; 半年目标值 also decides whether the
# indicator takes part in the half-year evaluation, so it is never unused.
_WATCHED = (
    "目标值",
    "下限值",
    "上限值",
    "档位",
    "得分率",
    "排名步长",
    "最低分",
    "排名范围",
    "标杆",
    "半年下限值",
    "半年上限值",
    "半年档位",
)
_FORMULA_NAMES = ("目标值", "下限值", "上限值", "排名步长", "最低分", "半年下限值", "半年上限值")


def check(resolved: Resolved, errors: Collector) -> None:
    """Run every meaning check; problems go to ``errors``."""
    _choices(resolved, errors)
    if errors.has_errors:
        return  # warnings on rules that do not yet hold together would be noise
    ruleset = resolved.ruleset
    for domain in ruleset.scored():
        _unread_parameters(domain, resolved, errors)
        _caps(domain, resolved, errors)
        _category_sizes(domain, resolved, errors)
        _share_quotas(domain, resolved, errors)
    _unit_names(resolved, errors)


def _warn(errors: Collector, code: str, message: str, span: Span | None, hint: str) -> None:
    errors.add(Diagnostic(code, message, span, hint, severity=Severity.WARNING))


# KH236: a comparison with a value outside the declared choices


def _choices(resolved: Resolved, errors: Collector) -> None:
    seen: set[Span] = set()
    choices = _declared_choices(resolved.ruleset)
    if choices:
        _compare(resolved.programs.values(), choices, "数据项", seen, errors)
    # 类别 takes category names. A 通用 label is shared by every domain, so a name counts
    # as known when any domain has such a category.
    domains = resolved.ruleset.scored()
    names = {"类别": tuple(dict.fromkeys(c.name for d in domains for c in d.categories))}
    exprs = dict.fromkeys(e for d in domains for e in _after_ranking(d))
    programs = [resolved.programs[e] for e in exprs if e in resolved.programs]
    _compare(programs, names, "", seen, errors)


def _after_ranking(domain: m.Domain) -> list[m.Expr]:
    """The domain's formulas that may name 类别: tier rules and labels."""
    rules = domain.tiers.rules if domain.tiers else ()
    found = [e for r in rules for e in (r.condition, r.unless, r.top, r.bottom) if e]
    return found + [label.expr for label in domain.labels]


def _compare(programs, choices: dict, what: str, seen: set[Span], errors: Collector) -> None:
    for program in programs:
        for literal, item, (negated, in_list) in _compared_literals(program, choices):
            allowed = choices[item]
            if literal.value in allowed or literal.span in seen:
                continue
            seen.add(literal.span)
            listing = "、".join(allowed)
            if in_list:  # the other entries of the list may still match
                outcome = "列表中的这一项永远不会匹配"
            else:
                outcome = "这个比较对每个单位" + ("都成立" if negated else "都不成立")
            message = f"'{literal.value}' 不是{what} {item} 的取值（{listing}），{outcome}"
            hint = suggest(literal.value, allowed) or f"可选：{listing}"
            if not hint.startswith("可选"):
                hint += f" 可选：{listing}"
            errors.error("KH236", message, literal.span, hint)


def _declared_choices(ruleset: m.RuleSet) -> dict[str, tuple[str, ...]]:
    """Data item → its allowed values; an item declared in several domains counts with the
    union of its choices, and not at all where one declaration leaves it open."""
    found: dict[str, tuple[str, ...]] = {}
    open_items: set[str] = set()
    items = [*ruleset.data_items, *(i for d in ruleset.scored() for i in d.data_items)]
    for item in items:
        if not item.choices:
            open_items.add(item.name)
        else:
            known = found.get(item.name, ())
            found[item.name] = known + tuple(c for c in item.choices if c not in known)
    return {name: values for name, values in found.items() if name not in open_items}


def _compared_literals(program, choices: dict[str, tuple[str, ...]]):
    """(text literal, data item, (negated, one of a longer list)) for each ``item == "x"``,
    ``item != "x"``, ``item in [...]`` and ``item not in [...]``."""
    for node in ast.walk(program.node):
        if isinstance(node, ast.Compare) and node.op in ("==", "!="):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                item = program.symbols.get(id(side))
                if item in choices and isinstance(other, ast.String):
                    yield other, item, (node.op == "!=", False)
        elif isinstance(node, ast.Member):
            item = program.symbols.get(id(node.value))
            if item in choices:
                for entry in node.items.items:
                    if isinstance(entry, ast.String):
                        yield entry, item, (node.negated, len(node.items.items) > 1)


# KH237: parameters the scoring method does not read


def _unread_parameters(domain: m.Domain, resolved: Resolved, errors: Collector) -> None:
    indicators = {i.id: i for i in domain.all_indicators()}
    for indicator in indicators.values():
        reads = _reads(indicator, resolved)
        unread = [(k, s) for k, s in indicator.written if k in _WATCHED and k not in reads]
        if not unread:
            continue
        names = "、".join(k for k, _ in unread)
        method = _method_name(indicator)
        message = f"指标 {indicator.id} 的计分方法（{method}）不读 {names}：写了也不影响得分"
        _warn(errors, "KH237", message, unread[0][1], _unread_hint(unread))
    for variant in domain.variants:
        for target, parameter, _value, span in variant.changes:
            indicator = indicators.get(target)
            if indicator is None or parameter not in _WATCHED:
                continue
            if parameter not in _reads(indicator, resolved):
                message = (
                    f"一单位一策 {variant.unit} 调整了指标 {target} 的 {parameter}，"
                    f"但它的计分方法（{_method_name(indicator)}）不读 {parameter}"
                )
                hint = "删除这项调整，或调整计分方法实际使用的参数"
                _warn(errors, "KH237", message, span, hint)


def _reads(indicator: m.Indicator, resolved: Resolved) -> set[str]:
    """The parameters the indicator's score is computed from."""
    if indicator.method == "formula":
        program = resolved.programs.get(indicator.formula)
        names = program.names if program is not None else frozenset(_FORMULA_NAMES)
        return {name for name in _FORMULA_NAMES if name in names}
    reads = set(_READS.get(indicator.method, _WATCHED))
    if "start" in reads:
        reads.discard("start")
        start = "下限值" if indicator.direction == "越高越好" else "上限值"
        reads |= {start, "半年" + start}  # the half year reads its own start, if written
    return reads


def _method_name(indicator: m.Indicator) -> str:
    if indicator.method == "formula":
        return "自定义公式"
    return m.METHOD_NAMES[indicator.method]


def _unread_hint(unread: list[tuple[str, Span]]) -> str:
    hint = (
        "删除这些参数（从上一年度继承来的，在本年度文件中写成 ~）；"
        "若是改了计分方法，请确认新方法需要的参数都已写好"
    )
    if any(k == "目标值" for k, _ in unread):
        hint += "（目标值 只在问题清单中用来显示差距）"
    return hint


# KH238, KH239: deductions without a ceiling, bonuses heavier than a paper


def _caps(domain: m.Domain, resolved: Resolved, errors: Collector) -> None:
    adjust = domain.adjustments
    caps_at = dict(adjust.caps_at)
    if adjust.deduction_cap is None:
        for item in adjust.deductions:
            program = resolved.programs.get(item.formula)
            if item.cap is not None or program is None or _bounded(program.node):
                continue
            message = (
                f"扣分项 {item.id} 没有 上限，{domain.name} 也没有 扣分上限："
                "它的公式可以扣掉任意多的分"
            )
            hint = "给这一项写上 上限（如 上限: 3），或在 加减分 下写 扣分上限"
            _warn(errors, "KH238", message, item.span, hint)
    if not domain.papers:
        return
    lightest = min(domain.papers, key=lambda p: p.weight)
    hint = "核对上限的数量级（如 3 误写成 30）；加分只应在考卷得分之外起微调作用"
    if adjust.bonus_cap is not None:
        if adjust.bonus_cap > lightest.weight:
            message = _heavy("加分上限", adjust.bonus_cap, domain, lightest)
            _warn(errors, "KH239", message, caps_at.get("加分上限", domain.span), hint)
        return  # the overall cap bounds every item
    for item in adjust.bonuses:
        if item.cap is not None and item.cap > lightest.weight:
            message = _heavy(f"加分项 {item.id} 的上限", item.cap, domain, lightest)
            _warn(errors, "KH239", message, item.cap_span or item.span, hint)


def _heavy(what: str, cap: float, domain: m.Domain, paper: m.Paper) -> str:
    return (
        f"{what} {cap:g} 大于 {domain.name} 最轻的考卷 {paper.name} 的权重 {paper.weight:g}："
        "加分可能比一整张考卷还重"
    )


def _bounded(node: ast.Node) -> bool:
    """Whether a formula's value has a ceiling that does not depend on the data."""
    match node:
        case ast.Number() | ast.Bool() | ast.Missing():
            return True
        case ast.Cond(then=then, orelse=orelse):
            return _bounded(then) and _bounded(orelse)
        case ast.Unary(operand=operand):
            return _bounded(operand)
        case ast.Binary(op=op, left=left, right=right) if op != "/":
            return _bounded(left) and _bounded(right)
        case ast.Call(func="min", args=args):
            return any(_bounded(a) for a in args)
        case ast.Call(func="max", args=args):
            return all(_bounded(a) for a in args)
        case ast.Call(func="clamp", args=args) if len(args) == 3:
            return _bounded(args[2])
    return False


# KH240: one name for units of different domains


def _unit_names(resolved: Resolved, errors: Collector) -> None:
    units = resolved.ruleset.units
    # Compared as a reader sees them: 瑞安市 and 瑞安市 with a full-width letter are one name.
    names, distinct = resolved.unit_name_keys
    if distinct:
        return  # every name once (a national roster's million names): none is shared
    domains = m.roster_column(units, "领域")
    pairs = set(zip(names, domains, strict=True))
    shared = {name for name, count in Counter(name for name, _ in pairs).items() if count > 1}
    if not shared:
        return
    ids = m.roster_column(units, "编号")
    first: dict[str, tuple[int, str]] = {}
    for index, (name, domain) in enumerate(zip(names, domains, strict=True)):
        if name not in shared:
            continue
        if name not in first:
            first[name] = (index, domain)
        elif first[name][1] != domain:
            earlier, other = first[name]
            message = (
                f"单位名称 {name} 在领域 {other}（编号 {ids[earlier]}）"
                f"和 {domain}（编号 {ids[index]}）中都有"
            )
            hint = "按名称对应单位的数据会对不上：数据中请用 编号，或把名称写得能区分"
            _warn(errors, "KH240", message, units[index].span, hint)
            shared.discard(name)  # once per name


# KH241, KH242, KH246, KH251: categories too small to rank, quotas that round to nothing
# or are written as a share, a domain with no unit at all (a category with none is KH233,
# semantics.py)


def _category_sizes(domain: m.Domain, resolved: Resolved, errors: Collector) -> None:
    if _empty(domain, resolved, errors):
        return
    counts = _counts(domain, resolved)
    if counts is None:
        return
    by_category = domain.ranking is None or domain.ranking.scope == "类别"
    rules = domain.tiers.rules if domain.tiers else ()
    quotas = [(r, e, k) for r in rules for e, k in ((r.top, "前列"), (r.bottom, "末位")) if e]
    small = set()
    if by_category and (quotas or _compares_within(domain, resolved)):
        small = {name for name, count in counts.items() if 0 < count < MIN_CATEGORY}
        for category in domain.categories:
            if category.name in small:
                message = (
                    f"类别 {category.name} 只有 {counts[category.name]} 个单位，"
                    "类别内的排名和名额几乎没有意义"
                )
                hint = "与相近的类别合并，或在 排名 中写 范围: 领域"
                _warn(errors, "KH241", message, category.condition.span, hint)
    if by_category:
        # A category already reported as too small is not reported again for its quotas.
        groups = {f"类别 {n}": count for n, count in counts.items() if n not in small}
    else:
        groups = {f"领域 {domain.name}": sum(counts.values())}
    for rule, expr, kind in quotas:
        _zero_quota(rule, expr, kind, groups, resolved, errors)


def _share_quotas(domain: m.Domain, resolved: Resolved, errors: Collector) -> None:
    """KH251: a quota written as a percentage (前列: 10%). A quota is a number of units, so
    10% would be a tenth of one unit, no unit at all, where the staff plainly meant a tenth
    of the units: an error, never a number silently rounded down."""
    for rule in domain.tiers.rules if domain.tiers else ():
        for expr, kind in ((rule.top, "前列"), (rule.bottom, "末位")):
            if not (expr and _is_share(resolved.programs.get(expr))):
                continue
            share = expr.text.strip()
            message = f"{rule.tier} 的{kind}名额写成了比例 {share}：名额是单位个数，不是比例"
            hint = f"按人数的比例写：{kind}: floor(人数 * {share})（人数：所在类别或领域的单位数）"
            errors.error("KH251", message, expr.span, hint)


def _is_share(program) -> bool:
    """A quota written as one percentage, such as 10%."""
    return program is not None and isinstance(program.node, ast.Number) and program.node.percent


def _empty(domain: m.Domain, resolved: Resolved, errors: Collector) -> bool:
    """KH246 for a domain no unit of the roster belongs to (a special assessment's 对象
    may well select nobody in a year: not reported)."""
    if resolved.rosters.of(domain).units or resolved.ruleset.special(domain.name):
        return False
    message = f"领域 {domain.name} 在名单中没有单位：它的规则不会用于任何单位"
    _warn(errors, "KH246", message, domain.span, "检查名单中各单位的 领域 是否写对")
    return True


def _counts(domain: m.Domain, resolved: Resolved) -> dict[str, int] | None:
    """Each category's number of units in the roster, or None when unknown."""
    hits = resolved.category_hits(domain)
    if hits is None:
        return None
    return {
        category.name: int(np.count_nonzero(hit))
        for category, hit in zip(domain.categories, hits, strict=True)
    }


def _compares_within(domain: m.Domain, resolved: Resolved) -> bool:
    """Whether an indicator is scored against its category (rank, group_max …)."""
    for indicator in domain.all_indicators():
        for expr in (indicator.formula, indicator.benchmark):
            program = resolved.programs.get(expr) if expr is not None else None
            if program is None:
                continue
            for node in ast.walk(program.node):
                if isinstance(node, ast.Call) and node.func != "history":
                    function = FUNCTIONS.get(node.func)
                    grouped = function is not None and function.cohort
                    if grouped and not any(k.name == "by" for k in node.keywords):
                        return True
    return False


def _zero_quota(
    rule: m.TierRule,
    expr: m.Expr,
    kind: str,
    groups: dict[str, int],
    resolved: Resolved,
    errors: Collector,
) -> None:
    """A quota that reads only 人数, worked out for each category as ranking.py does."""
    program = resolved.programs.get(expr)
    if program is None or not program.names <= {"人数"}:
        return
    if _is_share(program):
        return  # a share, not a count: KH251 says so
    named = [(name, count) for name, count in groups.items() if count > 0]
    if not named:
        return
    sizes = np.array([count for _, count in named], dtype=np.float64)
    values, problems = evaluate(program, Population({"人数": sizes}, size=len(sizes)))
    if problems:
        return
    zero = [
        f"{name}（{count} 个单位，算得 {value:g}）"
        for (name, count), value in zip(named, values.tolist(), strict=True)
        if not math.isnan(value) and math.floor(value + 1e-9) < 1
    ]
    if zero:
        message = (
            f"{rule.tier} 的{kind}名额在 " + "、".join(zero) + f" 不足 1 个："
            f"那里没有单位会因此评为{rule.tier}"
        )
        hint = "若须至少一个名额，可写成 max(1, …)；或与相近的类别合并"
        _warn(errors, "KH242", message, expr.span, hint)
