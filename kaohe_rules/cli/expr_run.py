"""What ``kaohe expr`` does once its options are parsed: compile, evaluate, format."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl import Population, Scope, compile_expression, parse
from kaohe_rules.dsl.check import constant_value
from kaohe_rules.dsl.numeric import as_decimal
from kaohe_rules.dsl.printer import dump as dump_tree
from kaohe_rules.dsl.printer import to_source
from kaohe_rules.dsl.types import BOOL, MISSING, NUMBER, TEXT, Type, parse_type
from kaohe_rules.source import display_width


def format_value(value: object) -> str:
    """A result as the language writes it; numbers shown at 12 significant digits."""
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


def _literal(text: str, declared: str | None) -> tuple[Type, object]:
    """A --set value: a literal of the language (3.2, 10%, true, "x"), else plain text."""
    try:
        node = parse(text)
    except KaoheError:
        node = None
    value = constant_value(node) if node is not None else None
    if node is not None and type(node).__name__ == "Missing":
        return (parse_type(declared) if declared else NUMBER), None
    if isinstance(value, bool):
        kind, value = BOOL, value
    elif isinstance(value, float):
        kind = NUMBER
    else:
        kind, value = TEXT, (value if isinstance(value, str) else text)
    if declared and parse_type(declared) != kind:
        raise click.BadParameter(f"'{text}' 不是{parse_type(declared).label}", param_hint="--set")
    return kind, value


def for_one(expression: str, assignments: list[tuple[str, str | None, str]]) -> Outcome:
    """Evaluate for one unit whose values come from --set."""
    from kaohe_rules.dsl.scalar import evaluate_one

    types, values = {}, {}
    for name, declared, text in assignments:
        types[name], values[name] = _literal(text, _check_type(declared))
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
    """Evaluate over every row of a CSV file, vectorized."""
    from kaohe_rules.dsl.evaluate import evaluate
    from kaohe_rules.dsl.population import from_column, read_csv

    try:
        population, types = read_csv(path, id_column, group_column)
    except FileNotFoundError:
        raise click.BadParameter(f"找不到文件 {path}", param_hint="--data") from None
    except KeyError as missing:
        raise click.BadParameter(f"{path} 中没有列 {missing}", param_hint="--id/--group") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise click.BadParameter(f"无法读取 {path}：{error}", param_hint="--data") from None
    for name, declared, text in assignments:
        types[name], value = _literal(text, _check_type(declared))
        population.columns[name] = Population.from_rows(
            [{name: value}] * population.size, {name: types[name]}
        ).columns[name]
    compiled = compile_expression(expression, Scope(types))
    column, warnings = evaluate(compiled, population)
    shown = _shown(compiled.type)
    rows = [
        (population.unit_label(i), from_column(column[i], shown)) for i in range(population.size)
    ]
    return Outcome(expression, shown, rows, False, warnings)


def _check_type(declared: str | None) -> str | None:
    if declared is not None and declared not in ("number", "bool", "text", "数值", "真假", "文本"):
        raise click.BadParameter(
            f"未知类型 '{declared}'，可用：number、bool、text", param_hint="--set"
        )
    return declared


def _shown(kind: Type) -> Type:
    return NUMBER if kind == MISSING else kind
