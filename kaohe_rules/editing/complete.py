"""Completions at a position of a rule file: the keys the JSON Schema allows there, the
values it lists, and inside a formula the names the resolver lets that formula read."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kaohe_rules.editing.context import Context, context, domain_at, formula_at, inside
from kaohe_rules.editing.keys import allowed_keys, value_kind
from kaohe_rules.editing.names import Named, function_named, names_of, stage_name
from kaohe_rules.records import data_record


@data_record
class Completion:
    """One proposal: ``label`` is the text to insert; ``kind`` says what it is (键, 取值,
    指标, 数据项, 单位属性, 考卷, 函数, 名称); ``detail`` one line, ``documentation`` Markdown."""

    label: str
    kind: str
    detail: str = ""
    documentation: str = ""


def complete(
    root: Path,
    rules: Path,
    overrides: Mapping[Path, str],
    path: Path,
    line: int,
    column: int,
) -> list[Completion]:
    """What may be written at (``line``, ``column``), 1-based characters, of ``path`` in
    rule set ``rules`` under ``root``, its buffers in ``overrides``."""
    cx = context(root, rules, overrides, path, line, column)
    if cx.place.at_key:
        return _keys(cx)
    formula, choices = value_kind(cx.kind, cx.place.path) if cx.kind else (False, ())
    if choices:
        return [Completion(value, "取值") for value in choices]
    if cx.place.path[:1] == ("记录汇总",):
        return []  # a record filter reads the records' columns, which only the data know
    found = formula_at(cx)
    if found is None or not (formula or inside(cx, found[0].span)):
        return []
    return _names(cx, found[1])


def _keys(cx: Context) -> list[Completion]:
    if cx.kind is None:
        return []
    written = set(cx.place.siblings)
    allowed = allowed_keys(cx.kind, cx.place.path)
    return [
        Completion(key, "键", "", description)
        for key, description in allowed.items()
        if key not in written
    ]


def _names(cx: Context, scope) -> list[Completion]:
    resolved = cx.checked.resolved
    domain = domain_at(cx)
    known = names_of(resolved.ruleset, cx.checked.assembled, domain, cx.root) if domain else {}
    out = []
    for name, symbol in scope.symbols.items():
        named = known.get(name) or stage_name(name, symbol.type.label)
        out.append(_proposal(named))
    for name in scope.functions:
        out.append(_proposal(function_named(name)))
    return out


def _proposal(named: Named) -> Completion:
    return Completion(named.name, named.kind, named.detail, "\n\n".join(named.lines))
