"""What ``kaohe expr`` does once its options are parsed: compile, evaluate, format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import click

from kaohe_rules.cli.usage import BadValue
from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl import Population, Scope, ast, compile_expression, parse
from kaohe_rules.dsl.check import constant_value
from kaohe_rules.dsl.hints import CHINESE_KEYWORDS as KEYWORDS
from kaohe_rules.dsl.numeric import as_decimal
from kaohe_rules.dsl.printer import dump as dump_tree
from kaohe_rules.dsl.printer import to_source
from kaohe_rules.dsl.types import BOOL, MISSING, NUMBER, TEXT, Type
from kaohe_rules.read.cells import FULL_WIDTH_DIGITS
from kaohe_rules.source import bounded, display_width


def format_value(value: object) -> str:
    """A result as the language writes it; numbers shown at 15 significant digits."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = format(as_decimal(value).normalize(), "f")
        return "0" if text == "-0" else text
    return str(value)


@dataclass
class Outcome:
    """The result of ``kaohe expr``: one value, or one value per row of a table."""

    expression: str
    type: Type
    rows: list[tuple[str, object]]
    single: bool
    warnings: list[Diagnostic] = field(default_factory=list)

    def to_text(self) -> str:
        if self.single:
            return format_value(self.rows[0][1])
        width = max([display_width("单位")] + [display_width(u) for u, _ in self.rows])
        lines = [_pad("单位", width) + "  结果"]
        lines += [_pad(unit, width) + "  " + format_value(value) for unit, value in self.rows]
        return "\n".join(lines)

    def to_json(self) -> dict:
        body: dict = {"expression": self.expression, "type": self.type.kind}
        if self.single:
            body["value"] = self.rows[0][1]
        else:
            body["results"] = [{"unit": u, "value": v} for u, v in self.rows]
        body["warnings"] = [w.to_dict() for w in self.warnings]
        return body


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def dump(expression: str) -> None:
    """Print the syntax tree and the canonical text of ``expression``."""
    node = parse(expression)
    click.echo(dump_tree(node))
    click.echo(to_source(node))


_NAME = re.compile(r"^[^\W\d]\w*(\.[^\W\d]\w*)*$")
_RESERVED = {"if", "then", "else", "and", "or", "not", "in", "true", "false", "missing", *KEYWORDS}
_TYPES = {"number": NUMBER, "数值": NUMBER, "bool": BOOL, "真假": BOOL, "text": TEXT, "文本": TEXT}


def _declared(name: str, declared: str | None) -> Type | None:
    if not _NAME.match(name) or name.split(".")[0] in _RESERVED:
        message = f"'{bounded(name)}' 不能作为表达式中的名称"
        hint = "名称以文字或字母开头，不是关键字，如 --set 研发投入强度=3.2"
        raise BadValue("KH517", "--set", message, hint)
    if declared is None:
        return None
    if declared not in _TYPES:
        message = f"未知类型 '{bounded(declared)}'"
        raise BadValue("KH517", "--set", message, "可用：number、bool、text（数值、真假、文本）")
    return _TYPES[declared]


def _literal(name: str, declared: str | None, text: str) -> tuple[Type, object]:
    """A --set value: a literal of the language (3.2, 10%, true, missing), else text.

    ``name:text=330127`` keeps the text as written; a number out of range is an
    error rather than silently becoming text.
    """
    kind = _declared(name, declared)
    if kind == TEXT:
        return TEXT, text
    written, text = text, _number_text(name, text)
    try:
        node = parse(text)
    except KaoheError as error:
        if error.diagnostics[0].code == "KH142":
            message = f"{name} 的值 {bounded(text)} 超出数值范围"
            raise BadValue("KH517", "--set", message, "数值的范围约为 ±1.8e308") from None
        node = None
    if isinstance(node, ast.Missing):
        return kind or NUMBER, None
    value = constant_value(node) if node is not None else text
    found = BOOL if isinstance(value, bool) else NUMBER if isinstance(value, float) else TEXT
    if found == TEXT:
        value = written
    if kind is not None and kind != found:
        message = f"{name} 的值 '{bounded(written)}' 不是{kind.label}"
        raise BadValue("KH517", "--set", message, "值要与 :类型 一致；不写 :类型 时按写法判断")
    return found, value


_NOT_NUMBERS = {"nan", "inf", "infinity"}


def _number_text(name: str, text: str) -> str:
    """A --set value with full-width digits read as ASCII (１０ is 10, as other options and
    data read it); KH517 for what looks like a number but is none the language has (nan,
    inf, other scripts' digits ٣): it must not quietly become text."""
    translated = text.translate(FULL_WIDTH_DIGITS)
    if translated.strip().lstrip("+-").lower() in _NOT_NUMBERS:
        message = f"{name} 的值 '{bounded(text)}' 不是可用的数值"
        raise BadValue("KH517", "--set", message, "数值须是有限的数，如 --set a=3.2")
    other = next((c for c in translated if c.isdecimal() and not c.isascii()), None)
    if other is not None:
        message = f"{name} 的值 '{bounded(text)}' 中的 '{other}' 不是半角数字"
        hint = "数值用半角数字（全角 ０-９ 也可），如 --set a=3；是文本时写 --set a:text=…"
        raise BadValue("KH517", "--set", message, hint)
    return translated


def _assigned(assignments: list[tuple[str, str | None, str]]) -> tuple[dict, dict]:
    types, values = {}, {}
    for name, declared, text in assignments:
        types[name], values[name] = _literal(name, declared, text)
    return types, values


def for_one(expression: str, assignments: list[tuple[str, str | None, str]]) -> Outcome:
    """Evaluate for one unit whose values come from --set."""
    from kaohe_rules.dsl.scalar import evaluate_one

    types, values = _assigned(assignments)
    compiled = compile_expression(expression, Scope(types))
    population = Population.from_rows([values], types)
    value, warnings = evaluate_one(compiled, population, 0)
    return Outcome(expression, _shown(compiled.type), [("", value)], True, warnings)


def over_table(
    expression: str,
    path: str,
    id_column: str | None,
    group_column: str | None,
    assignments: list[tuple[str, str | None, str]],
) -> Outcome:
    """Evaluate over every row of a CSV file, vectorized; --set values apply to every row."""
    from kaohe_rules.dsl.evaluate import evaluate
    from kaohe_rules.dsl.population import from_column, to_column
    from kaohe_rules.read.table import TableError, read_table

    try:
        table, types = read_table(path, id_column, group_column)
    except TableError as error:
        raise BadValue("KH519", "--data", str(error)) from None
    extra_types, values = _assigned(assignments)
    columns = dict(table.columns)
    for name, kind in extra_types.items():
        columns[name] = to_column([values[name]] * table.size, kind)
    types.update(extra_types)
    population = table.with_columns(columns)
    compiled = compile_expression(expression, Scope(types))
    column, warnings = evaluate(compiled, population)
    shown = _shown(compiled.type)
    rows = [
        (population.unit_label(i), from_column(column[i], shown)) for i in range(population.size)
    ]
    return Outcome(expression, shown, rows, False, warnings)


def _shown(kind: Type) -> Type:
    return NUMBER if kind == MISSING else kind
