"""记录汇总: the aggregations over record files that a rule set declares, built into the
model and checked before any data (KH550–KH556).

What can be known from the rules alone is checked here: the name is a number the rules
read, the measure exists and has what it needs, the percentile lies in 0..100%, the file
is a place inside the data folder, the formulas parse, a filter is not false whatever the
records hold. What needs the records' header (unknown columns, column types) is checked
when they are read (read/records/).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePosixPath, PureWindowsPath

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, KaoheError
from kaohe_rules.dsl import ast
from kaohe_rules.dsl.check import NOT_CONSTANT, Scope, constant_value
from kaohe_rules.dsl.check import check as check_expression
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.hints import suggest
from kaohe_rules.dsl.parser import parse
from kaohe_rules.dsl.population import Population, from_column
from kaohe_rules.dsl.types import BOOL, NUMBER
from kaohe_rules.rules.loader import YMap
from kaohe_rules.source import Origin

ENGLISH = {name: name for name in m.MEASURES.values()}
# What each measure needs besides the unit column.
NEEDS = {
    "sum": ("列",),
    "mean": ("列",),
    "count_distinct": ("列",),
    "min": ("列",),
    "max": ("列",),
    "median": ("列",),
    "percentile": ("列", "分位"),
    "weighted_mean": ("列", "权重"),
    "share": ("条件",),
}
_KEYS = ("文件", "单位列", "单位按", "筛选", "度量", "列", "条件", "权重", "分位", "分组", "合成")


def build(doc: YMap) -> tuple[m.Aggregation, ...]:
    """The 记录汇总 of a schema-valid rule set document, as written (checked by ``check``)."""
    table = doc.get("记录汇总")
    if not isinstance(table, YMap):
        return ()
    return tuple(_one(name, spec, table.keys_at[name]) for name, spec in table.items())


def _one(name: str, spec: YMap, span) -> m.Aggregation:
    measure = str(spec["度量"])
    spans = tuple((key, spec.values_at[key]) for key in _KEYS if key in spec)
    return m.Aggregation(
        name=name,
        file=str(spec["文件"]),
        unit_column=str(spec["单位列"]),
        unit_by=str(spec.get("单位按", "编号")),
        measure=m.MEASURES.get(measure, ENGLISH.get(measure, measure)),
        column=_text(spec.get("列")),
        filter=_expr(spec, "筛选"),
        condition=_expr(spec, "条件"),
        weights=_text(spec.get("权重")),
        percentile=_number(spec.get("分位")),
        group_column=_text(spec.get("分组")),
        combine=_expr(spec, "合成"),
        spans=spans,
        span=span,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _number(value: object) -> float | None:
    """90% → 0.9; a plain number as written (build.number's reading, which imports this
    module)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return float(Decimal(str(value).strip().rstrip("%％")) / 100)


def _expr(spec: YMap, key: str) -> m.Expr | None:
    """The formula at ``spec[key]`` with its place in the file (true/false as written)."""
    if key not in spec:
        return None
    value = spec[key]
    text = value if isinstance(value, str) else str(value).lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
    span = spec.values_at[key]
    origin = spec.origins.get(key) or Origin(span.file, span.line, span.column)
    return m.Expr(text, origin, span)


def check(ruleset: m.RuleSet, errors: Collector) -> None:
    """Every rule-only check of the rule set's aggregations; problems go to ``errors``."""
    names = _numbers_read(ruleset)
    units: dict[str, tuple[m.Aggregation, str]] = {}
    for aggregation in ruleset.aggregations:
        _check_name(aggregation, names, errors)
        if aggregation.measure not in ENGLISH:
            _unknown_measure(aggregation, errors)
        else:
            _check_needs(aggregation, errors)
        _check_file(aggregation, errors)
        _check_formulas(aggregation, errors)
        # One file, one query (read/records/query.py): grouped by one unit column.
        key = (aggregation.unit_column, aggregation.unit_by)
        first = units.setdefault(aggregation.file, (aggregation, key))
        if first[1] != key:
            message = (
                f"{aggregation.name} 与 {first[0].name} 汇总同一个文件 {aggregation.file}，"
                f"单位列却不同（{key[0]}，按{key[1]}；{first[1][0]}，按{first[1][1]}）"
            )
            hint = "一个记录文件用一个单位列；不同的单位列请放在不同的文件中"
            errors.error("KH556", message, aggregation.span_of("单位列"), hint)


def _numbers_read(ruleset: m.RuleSet) -> dict[str, bool]:
    """Every name an aggregation may give values for → whether it is a number."""
    found: dict[str, bool] = {}
    for domain in ruleset.scored():
        for indicator in domain.all_indicators():
            found[indicator.id] = True
        for item in domain.data_items:
            found[item.name] = item.type == NUMBER
    for item in ruleset.data_items:
        found[item.name] = item.type == NUMBER
    return found


def _check_name(aggregation: m.Aggregation, names: dict[str, bool], errors: Collector) -> None:
    is_number = names.get(aggregation.name)
    if is_number is None:
        message = f"记录汇总 {aggregation.name} 不是规则集的指标或数据项"
        hint = (
            suggest(aggregation.name, names) or "先在 数据项 中声明它（类型: 数值），或写指标的 id"
        )
        errors.error("KH550", message, aggregation.span, hint)
    elif not is_number:
        message = f"记录汇总 {aggregation.name} 得出数值，而数据项 {aggregation.name} 不是数值"
        errors.error("KH550", message, aggregation.span, "把这个数据项的 类型 写成 数值")


def _unknown_measure(aggregation: m.Aggregation, errors: Collector) -> None:
    allowed = "、".join(m.MEASURES)
    hint = suggest(aggregation.measure, [*m.MEASURES, *ENGLISH]) or f"可用的度量：{allowed}"
    message = f"未知的度量 '{aggregation.measure}'；可用的有：{allowed}"
    errors.error("KH551", message, aggregation.span_of("度量"), hint)


def _check_needs(aggregation: m.Aggregation, errors: Collector) -> None:
    written = dict(aggregation.spans)
    measure = _chinese(aggregation.measure)
    for key in NEEDS.get(aggregation.measure, ()):
        if key not in written:
            message = f"度量 {measure} 须写 {key}"
            errors.error("KH553", message, aggregation.span_of("度量"), _NEED_HINTS[key])
    needed = NEEDS.get(aggregation.measure, ())
    for key in ("列", "条件", "权重", "分位"):
        if key in written and key not in needed:
            message = f"度量 {measure} 不用 {key}，写了也不起作用"
            errors.error("KH553", message, written[key], "删去它，或换用用到它的度量")
    if ("分组" in written) != ("合成" in written):
        has, lacks = ("分组", "合成") if "分组" in written else ("合成", "分组")
        message = f"写了 {has} 却没有 {lacks}：分组汇总要由 合成 的公式合成一个值"
        hint = "如 分组: 评价方向 与 合成: 上评下 * 0.4 + 下评上 * 0.6"
        errors.error("KH553", message, written[has], hint)
    if aggregation.percentile is not None and not 0 <= aggregation.percentile <= 1:
        message = f"分位 {_percent_text(aggregation.percentile)} 不在 0 到 100% 之间"
        hint = "写成百分数，如 分位: 90%" if 1 < aggregation.percentile <= 100 else None
        errors.error("KH552", message, written.get("分位"), hint)


_NEED_HINTS = {
    "列": "写出度量哪一列，如 列: 评分",
    "分位": "写出哪个分位，如 分位: 90%",
    "权重": "写出权重列，如 权重: 样本权重",
    "条件": '写出算作满足的记录，如 条件: 评价 == "满意"',
}


def _chinese(measure: str) -> str:
    return next((zh for zh, en in m.MEASURES.items() if en == measure), measure)


def _percent_text(value: float) -> str:
    return f"{value * 100:g}%"


def _check_file(aggregation: m.Aggregation, errors: Collector) -> None:
    """The records are data: the file is a place inside the data folder, below its top
    level (whose every file is read as per-unit data, read/data.py)."""
    text = aggregation.file
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    span = aggregation.span_of("文件")
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        why = "是绝对路径"
    elif ".." in posix.parts or ".." in windows.parts:
        why = "用 .. 指到了数据文件夹之外"
    elif len(PurePosixPath(*windows.parts).parts) < 2:
        why = "在数据文件夹的顶层，那里的每个文件都作为单位的数据读入"
    else:
        return
    message = f"记录文件 {text} {why}"
    hint = "写相对于数据文件夹（--data）的路径，放在子文件夹中，如 记录/满意度.csv"
    errors.error("KH554", message, span, hint)


def _check_formulas(aggregation: m.Aggregation, errors: Collector) -> None:
    for key, expr in (("筛选", aggregation.filter), ("条件", aggregation.condition)):
        if expr is None:
            continue
        node = _parsed(expr, errors)
        if node is not None and key == "筛选" and never_true(node):
            message = f"筛选条件 {expr.text} 对任何记录都不成立，汇总不到一条记录"
            hint = "检查比较的方向和数值，或删去 筛选"
            errors.error("KH555", message, expr.span, hint)
    if aggregation.combine is not None:
        node = _parsed(aggregation.combine, errors)
        if node is not None:
            groups = combine_groups(node)
            scope = Scope(dict.fromkeys(groups, NUMBER))
            try:
                check_expression(node, scope, expect=NUMBER, source=aggregation.combine.text)
            except KaoheError as error:
                errors.items += error.diagnostics


def _parsed(expr: m.Expr, errors: Collector) -> ast.Node | None:
    try:
        return parse(expr.text, expr.origin)
    except KaoheError as error:
        errors.items += error.diagnostics
        return None


def combine_groups(node: ast.Node) -> list[str]:
    """The group names a 合成 formula reads, in order of first use."""
    found = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    found.sort(key=lambda n: (n.span.line, n.span.column))  # as written, not as walked
    return list(dict.fromkeys(n.name for n in found))


def never_true(node: ast.Node) -> bool:
    """Whether a filter holds for no record whatever its columns hold: a constant that is
    not true, or ``and``-joined comparisons of one column with constants that exclude one
    another (``评分 > 5 and 评分 < 3``, ``类型 == "甲" and 类型 == "乙"``)."""
    if not any(isinstance(n, ast.Name) for n in ast.walk(node)):
        return _constant(node) is not True
    facts: dict[str, list[tuple[str, object]]] = {}
    for part in _conjuncts(node):
        fact = _fact(part)
        if fact is not None:
            facts.setdefault(fact[0], []).append(fact[1:])
    return any(_excluding(found) for found in facts.values())


def _constant(node: ast.Node) -> object:
    """The value of a filter that reads no column (None: not a truth value)."""
    try:
        compiled = check_expression(node, Scope({}), expect=BOOL)
    except KaoheError:
        return True  # a type error: reported once the records' columns are known
    column, _ = evaluate(compiled, Population({}, size=1))
    return from_column(column[0], BOOL)


def _conjuncts(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.Logic) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _fact(node: ast.Node) -> tuple[str, str, object] | None:
    """(column, op, constant) of a comparison of a column with a literal, else None."""
    if isinstance(node, ast.Member) and isinstance(node.value, ast.Name):
        values = [_literal(item) for item in node.items.items]
        if node.negated or any(v is None for v in values):
            return None
        return node.value.name, "in", frozenset(values)
    if not isinstance(node, ast.Compare):
        return None
    left, right, op = node.left, node.right, node.op
    if isinstance(right, ast.Name) and not isinstance(left, ast.Name):
        left, right, op = right, left, _FLIP[op]
    value = _literal(right)
    if not isinstance(left, ast.Name) or value is None:
        return None
    return left.name, op, value


def _literal(node: ast.Node) -> object:
    """The literal's value, else None (no literal of the language has the value None)."""
    value = constant_value(node)
    return None if value is NOT_CONSTANT else value


def _excluding(facts: list[tuple[str, object]]) -> bool:
    """Whether comparisons of one column with constants can all hold for no value."""
    allowed: set | None = None  # the values == and in leave, None: any
    low, high = (float("-inf"), False), (float("inf"), False)  # bound, strict
    excluded = set()
    for op, value in facts:
        if op in ("==", "in"):
            values = {value} if op == "==" else set(value)
            allowed = values if allowed is None else allowed & values
        elif op == "!=":
            excluded.add(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if op in (">", ">=") and (value, op == ">") > low:
                low = (value, op == ">")
            if op in ("<", "<=") and (value, op != "<") < (high[0], not high[1]):
                high = (value, op == "<")
    if allowed is not None:
        allowed = {v for v in allowed if v not in excluded and _within(v, low, high)}
        return not allowed
    if low[0] > high[0]:
        return True
    return low[0] == high[0] and (low[1] or high[1])


def _within(value: object, low: tuple, high: tuple) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return low[0] == float("-inf") and high[0] == float("inf")
    above = value > low[0] or (value == low[0] and not low[1])
    below = value < high[0] or (value == high[0] and not high[1])
    return above and below
