"""``kaohe expr``: try one expression on values given on the command line or in a CSV file."""

from __future__ import annotations

import json

import click

from kaohe_rules.cli.usage import INPUT_FILE, BadValue, Choice, Command
from kaohe_rules.diagnostics import Diagnostic, KaoheError, render_json, render_text
from kaohe_rules.source import EXPR_SOURCE, SourceLines, bounded


def _parse_assignment(text: str) -> tuple[str, str | None, str]:
    """``name=value`` or ``name:type=value`` → (name, type or None, value text)."""
    if "=" not in text:
        raise BadValue("KH517", "--set", f"'{bounded(text)}' 应写成 名称=值", SET_EXAMPLE)
    target, value = text.split("=", 1)
    name, _, type_name = target.partition(":")
    if not name.strip():
        raise BadValue("KH517", "--set", f"'{bounded(text)}' 缺少名称", SET_EXAMPLE)
    return name.strip(), (type_name.strip() or None), value.strip()


SET_EXAMPLE = "如 --set 研发投入强度=3.2"


# Unknown options pass as arguments, so `kaohe expr -2 * 3` needs no `--`.
@click.command("expr", cls=Command, context_settings={"ignore_unknown_options": True})
@click.argument("expression", metavar="表达式")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="名称=值",
    help="给名称赋值，可多次使用：--set 研发投入强度=3.2 --set unit.山区县=true",
)
@click.option("--data", "data_file", type=INPUT_FILE, help="在 CSV 表的每一行上求值")
@click.option("--id", "id_column", metavar="列名", help="CSV 中的单位列（默认第一列）")
@click.option(
    "--group", "group_column", metavar="列名", help="CSV 中的类别列，排名等组内函数按它分组"
)
@click.option("--dump-ast", is_flag=True, help="打印语法树，而不求值")
@click.option("--format", "fmt", type=Choice(["text", "json"]), default="text")
def expr(
    expression: str,
    assignments: tuple[str, ...],
    data_file: str | None,
    id_column: str | None,
    group_column: str | None,
    dump_ast: bool,
    fmt: str,
) -> None:
    """求一个表达式的值，或显示它的错误。

    \b
    例：kaohe expr 'linear(研发投入强度, 2, 3.5) * 10' --set 研发投入强度=3.2
    """
    from kaohe_rules.cli import expr_run

    sources = SourceLines({EXPR_SOURCE: expression})
    try:
        if dump_ast:
            expr_run.dump(expression)
            return
        parsed = [_parse_assignment(a) for a in assignments]
        if data_file:
            outcome = expr_run.over_table(expression, data_file, id_column, group_column, parsed)
        else:
            outcome = expr_run.for_one(expression, parsed)
    except KaoheError as error:
        _report(error.diagnostics, sources, fmt)
        click.get_current_context().exit(1)
    if fmt == "json":
        click.echo(json.dumps(outcome.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(outcome.to_text())
        if outcome.warnings:
            click.echo(render_text(outcome.warnings, sources), err=True)


def _report(diagnostics: list[Diagnostic], sources: SourceLines, fmt: str) -> None:
    if fmt == "json":
        click.echo(render_json(diagnostics))
    else:
        click.echo(render_text(diagnostics, sources), err=True)
