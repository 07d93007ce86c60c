"""JSON Schema checks of rule files, with each problem placed at its key or value in the file.

This is the only module that imports jsonschema, and only for a document that fails:
schema_fast.py decides first, in a fraction of the time, whether there is anything
to say. The schemas live in the top-level schemas/ folder (shipped in the wheel), so
editors and this module read the same files.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.rules.loader import YList, YMap, quoting_hint
from kaohe_rules.rules.schema_fast import is_valid, schema_files
from kaohe_rules.source import Span

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

KINDS = ("ruleset", "domain", "roster", "special")
_TYPE_NAMES = {
    "object": "映射（键: 值）",
    "array": "列表",
    "string": "文本",
    "number": "数值",
    "integer": "整数",
    "boolean": "true 或 false",
    "null": "空值",
}


@cache
def _validators() -> dict[str, Draft202012Validator]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = [(uri, Resource.from_contents(c)) for uri, c in schema_files().items()]
    registry = Registry().with_resources(resources)
    by_name = {uri.rsplit("/", 1)[-1]: registry[uri].contents for uri, _ in resources}
    return {
        kind: Draft202012Validator(by_name[f"{kind}.schema.json"], registry=registry)
        for kind in KINDS
    }


def check_document(document: object, kind: str) -> list[Diagnostic]:
    """Every schema problem of one loaded document, in file order."""
    if is_valid(document, kind):
        return []
    validator = _validators()[kind]
    found: dict[tuple, Diagnostic] = {}
    for error in validator.iter_errors(document):
        for diagnostic in _translate(error, document):
            key = (diagnostic.span, diagnostic.code, diagnostic.message)
            found.setdefault(key, diagnostic)
    return sorted(found.values(), key=Diagnostic.sort_key)


def _locate(document: object, path: Iterable[object]) -> tuple[Span | None, object]:
    """The span of the value at ``path``, and that value."""
    span = getattr(document, "span", None)
    node = document
    for step in path:
        if isinstance(node, YMap) and step in node:
            span, node = node.values_at.get(step, span), node[step]
        elif isinstance(node, YList) and isinstance(step, int) and step < len(node):
            span, node = node.items_at[step], node[step]
        else:
            break
    return span, node


def _key_span(mapping: object, key: str) -> Span | None:
    if isinstance(mapping, YMap):
        return mapping.keys_at.get(key, mapping.span)
    return None


def _translate(error: ValidationError, document: object) -> list[Diagnostic]:
    span, _value = _locate(document, error.absolute_path)
    validator = error.validator
    context = tuple(str(p) for p in error.absolute_path)
    if validator == "additionalProperties":
        return _unknown_keys(error, context)
    if validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return [_missing_key(error.instance, key, span, context) for key in missing]
    if "propertyNames" in error.relative_schema_path:
        return [_bad_name(error, document, context)]
    if validator in ("type", "oneOf") and error.instance is None and error.absolute_path:
        return [_empty_value(error, document, span, context)]
    if validator == "type":
        return [_wrong_type(error, span, context)]
    if validator == "oneOf":
        inner = _chosen_branch(error)
        if inner:
            return [d for sub in inner for d in _translate(sub, document)]
        return [Diagnostic("KH212", _one_of_message(error), span, None, context)]
    if validator == "enum":
        return [_not_allowed(error, span, context)]
    return [Diagnostic("KH214", _value_message(error), span, None, context)]


def _wrong_type(error: ValidationError, span: Span | None, context) -> Diagnostic:
    """KH212: a value of another type than the schema wants; for a text where a mapping
    goes, the hint names a missing quote or a colon YAML did not read as one."""
    wanted = error.validator_value
    names = [wanted] if isinstance(wanted, str) else wanted
    label = "或".join(_TYPE_NAMES.get(n, n) for n in names)
    found = error.instance
    hint = quoting_hint([found]) if isinstance(found, str) and "object" in names else None
    return Diagnostic("KH212", f"应为{label}，这里是 {_show(found)}", span, hint, context)


def _not_allowed(error: ValidationError, span: Span | None, context) -> Diagnostic:
    """KH214: a value outside the schema's list, with the list and the closest entry."""
    allowed = "、".join(str(v) for v in error.validator_value)
    hint = _close(str(error.instance), [str(v) for v in error.validator_value])
    message = f"不能是 {_show(error.instance)}；可选：{allowed}"
    return Diagnostic("KH214", message, span, hint, context)


def _empty_value(error: ValidationError, document: object, span, context) -> Diagnostic:
    """A key written with no value: the tail of a formula YAML cut at a comma, or a value
    left out (a ``~`` deletes only what an earlier year or 通用 has, merge.py)."""
    *parent, key = error.absolute_path
    container = _locate(document, parent)[1]
    split = _split_formula(container, key) if isinstance(key, str) else None
    if split is not None:
        return Diagnostic("KH212", split[0], _key_span(container, key), split[1], context)
    hint = (
        f"'{key}' 后面没有写值：写上它的值；空值（~）只用来删除上一年度或 通用 中已有的项，"
        f"而那里没有 '{key}' 可删"
    )
    return Diagnostic("KH212", f"'{key}' 没有值", span, hint, context)


def _missing_key(instance: object, key: str, span: Span | None, context) -> Diagnostic:
    deleted = instance.deleted.get(key) if isinstance(instance, YMap) else None
    if deleted is not None:
        message = f"缺少 '{key}'：它在这里被写成空值（~），继承时等于删除"
        return Diagnostic("KH213", message, deleted, f"给 {key} 写上值", context)
    where = instance.span if isinstance(instance, YMap) else span
    return Diagnostic("KH213", f"缺少 '{key}'", where, None, context)


def _unknown_keys(error: ValidationError, context: tuple[str, ...]) -> list[Diagnostic]:
    allowed = list(error.schema.get("properties", {}))
    out = []
    for key in error.instance:
        if key in allowed:
            continue
        listing = "、".join(allowed)
        message, hint = f"未知的键 '{key}'；此处可用：{listing}", _close(key, allowed)
        split = _split_formula(error.instance, key)
        if split is not None:
            message, hint = split
        else:
            hint = quoting_hint([key]) or hint
        out.append(Diagnostic("KH211", message, _key_span(error.instance, key), hint, context))
    return out


_OPENING, _CLOSING = "([（", ")]）"


def _depth(text: str) -> int:
    return sum(text.count(c) for c in _OPENING) - sum(text.count(c) for c in _CLOSING)


def _split_formula(mapping: object, key: str) -> tuple[str, str] | None:
    """Message and hint when ``key`` is the tail of a formula that YAML cut at a comma.

    In a flow mapping ({计分: max(a, b)}) a comma separates entries, so an unquoted
    formula with a comma becomes the entry 计分: "max(a" and the empty key "b)". The
    signs: the key has no value and the entries before it leave a bracket open.
    """
    if not isinstance(mapping, YMap) or mapping.get(key) is not None:
        return None
    keys = _as_written(mapping, key)
    start = keys.index(key)
    while start > 0 and mapping[keys[start - 1]] is None:
        start -= 1
    end = keys.index(key) + 1
    while end < len(keys) and mapping[keys[end]] is None and _depth(keys[end - 1]) >= 0:
        end += 1
    head = mapping[keys[start - 1]] if start > 0 else None
    if not isinstance(head, str) or _depth(head) <= 0:
        return None
    owner, text = keys[start - 1], ", ".join([head, *keys[start:end]])
    message = f"'{key}' 不是键，而是公式 '{head}' 在逗号处被截断的后半段"
    hint = (
        "花括号 {…} 里的逗号是分隔符：请给公式加引号，"
        f'如 {{{owner}: "{text}"}}；或改用分行（块）写法'
    )
    return message, hint


def _as_written(mapping: YMap, key: str) -> list[str]:
    """The keys of ``mapping`` written in the same file as ``key``, in the order they stand
    there: a mapping merged onto an earlier year's or 通用's keeps the earlier keys first."""
    where = mapping.keys_at.get(key)
    if where is None:
        return list(mapping)
    same = [
        k for k in mapping if (s := mapping.keys_at.get(k)) is not None and s.file == where.file
    ]
    return sorted(same, key=lambda k: (mapping.keys_at[k].line, mapping.keys_at[k].column))


def _bad_name(error: ValidationError, document: object, context: tuple[str, ...]) -> Diagnostic:
    _span, container = _locate(document, error.absolute_path)
    name = error.instance
    span = _key_span(container, name) if isinstance(name, str) else None
    split = _split_formula(container, name) if isinstance(name, str) else None
    if split is not None:
        return Diagnostic("KH214", split[0], span, split[1], context)
    if "满分" in str(error.schema.get("pattern", "")):
        hint = (
            "参数可以是：满分、目标值、下限值、上限值、半年目标值、半年下限值、半年上限值、"
            "排名步长、最低分；考卷的 权重"
        )
        return Diagnostic("KH214", f"'{name}' 应写成 指标.参数 或 考卷.权重", span, hint, context)
    return Diagnostic(
        "KH214",
        f"名称 '{name}' 不能在表达式中引用",
        span,
        "名称用中文、字母、数字和下划线，不以数字开头，不含空格和标点",
        context,
    )


_CONTAINERS = {"object": (YMap, dict), "array": (YList, list)}  # JSON Schema type → Python


def _chosen_branch(error: ValidationError) -> list[ValidationError]:
    """When the value is a list or a mapping and only one branch of a oneOf takes one (the
    units of a roster, beside a file name), the problems are inside that branch: report
    those, not that no branch matched. Scalars keep the oneOf's own message ("应为数值或
    百分数"), which says more than one branch's pattern."""
    if not isinstance(error.instance, YMap | YList | dict | list):
        return []
    branches = error.validator_value
    fitting = [
        index
        for index, branch in enumerate(branches)
        if isinstance(branch, dict)
        and isinstance(branch.get("type"), str)
        and isinstance(error.instance, _CONTAINERS.get(branch["type"], ()))
    ]
    if len(fitting) != 1:
        return []
    return [e for e in error.context if e.relative_schema_path[0] == fitting[0]]


def _one_of_message(error: ValidationError) -> str:
    refs = json.dumps(error.validator_value, ensure_ascii=False)
    if '"maximum": 1' in refs:
        return f"应为 0 到 1 之间的数值或百分数（如 60%），这里是 {_show(error.instance)}"
    if "数值" in refs or "pattern" in refs:
        return f"应为数值或百分数（如 10%），这里是 {_show(error.instance)}"
    return f"{_show(error.instance)} 的写法不对"


def _value_message(error: ValidationError) -> str:
    kind, value = error.validator, error.validator_value
    if kind in ("minimum", "exclusiveMinimum"):
        return f"{_show(error.instance)} 太小，不能小于 {value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"{_show(error.instance)} 太大，不能大于 {value}"
    if kind in ("minProperties", "minItems"):
        return "不能为空"
    if kind == "minLength":
        return "不能为空文本"
    if kind == "maxLength":
        return f"太长，最多 {value} 个字符"
    if kind == "pattern":
        return f"{_show(error.instance)} 的写法不对"
    if kind == "not":
        return "“前列”与“末位”不能写在同一条等次规则里"
    return f"{_show(error.instance)} 不符合要求（{kind}）"


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "一个映射"
    if isinstance(value, list):
        return "一个列表"
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else str(value)


def _close(word: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f"是否应为 '{close[0]}'？" if close else None
