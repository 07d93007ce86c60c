"""What a name at a position stands for: an indicator, a data item, a paper, a unit
attribute, a function of the language, or a key of the rule file's schema."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kaohe_rules.editing.context import Context, context, domain_at, formula_at, inside, word_at
from kaohe_rules.editing.keys import describe, place, schema_at
from kaohe_rules.editing.names import Named, function_named, names_of, stage_name
from kaohe_rules.records import data_record
from kaohe_rules.source import Span


@data_record
class Hover:
    """The explanation of the name at ``line``, ``column`` to ``end_column`` (1-based
    characters, end exclusive): Markdown ``text``, and where the name is defined."""

    text: str
    line: int
    column: int
    end_column: int
    definition: Span | None = None


def hover(
    root: Path,
    rules: Path,
    overrides: Mapping[Path, str],
    path: Path,
    line: int,
    column: int,
) -> Hover | None:
    """The explanation of the name at (``line``, ``column``), 1-based characters, of
    ``path``; None where there is no name or nothing known of it."""
    cx = context(root, rules, overrides, path, line, column)
    word = word_at(cx.lines, line, column)
    if word is None:
        return None
    start, end, name = word
    named = _named(cx, name, start)
    if named is None:
        return None
    lines = [f"**{named.name}**（{named.kind}）{named.detail}", *named.lines]
    if named.definition is not None:
        where = named.definition
        shown = Path(where.file)
        shown = shown.relative_to(root.resolve()) if shown.is_relative_to(root.resolve()) else shown
        lines.append(f"定义于 {shown}:{where.line}")
    return Hover("\n\n".join(lines), line, start, end, named.definition)


def _named(cx: Context, name: str, start: int) -> Named | None:
    domain = domain_at(cx)
    resolved = cx.checked.resolved
    known = names_of(resolved.ruleset, cx.checked.assembled, domain, cx.root) if domain else {}
    for candidate in (name, name.rsplit(".", 1)[0]):
        if candidate in known:
            return known[candidate]
    function = function_named(name)
    if function is not None:
        return function
    formula = formula_at(cx)
    if formula is not None and inside(cx, formula[0].span):
        symbol = formula[1].symbols.get(name)
        if symbol is not None:
            return stage_name(name, symbol.type.label)
    return _schema_key(cx, name, start)


def _schema_key(cx: Context, name: str, start: int) -> Named | None:
    """The key ``name`` written at the start of its line, by its schema description."""
    text = cx.lines[cx.line - 1]
    if cx.kind is None or text[start - 1 :].split(":", 1)[0].strip() != name:
        return None
    if text[: start - 1].strip(" -"):
        return None
    found = schema_at(cx.kind, (*place(cx.lines, cx.line, start).path, name))
    if found is None:
        return None
    description = describe(*found)
    return Named(name, "键", "", (description,) if description else ())
