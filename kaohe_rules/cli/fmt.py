"""``kaohe fmt``: put rule files in the canonical layout, or check that they are."""

from __future__ import annotations

from pathlib import Path

import click

from kaohe_rules.cli.usage import Command
from kaohe_rules.cli.validate import rules_folders
from kaohe_rules.diagnostics import render_text
from kaohe_rules.source import os_reason


@click.command("fmt", cls=Command)
@click.argument("rules", nargs=-1, required=True, metavar="规则集...")
@click.option("--check", is_flag=True, help="只检查，不改文件；有文件需要整理时退出码为 1")
def fmt(rules: tuple[str, ...], check: bool) -> None:
    """整理规则文件的格式：键的顺序、缩进、列表写法统一，注释和公式原样保留。

    \b
    例：kaohe fmt rules/2024
        kaohe fmt --check rules/2023 rules/2024
    """
    from ruamel.yaml.error import YAMLError

    from kaohe_rules.cli.output import write_output
    from kaohe_rules.outputs.fmt import format_text, rule_files, schema_for
    from kaohe_rules.rules.assemble import folder_file_problem
    from kaohe_rules.source import display_path

    pending: list[Path] = []
    for folder in rules_folders(rules):
        files = rule_files(folder)
        # Before any read or write: a pipe blocks, /dev/zero never ends, and a link
        # outside the rule set would be rewritten there.
        refused = [d for d in (folder_file_problem(f, folder) for f in files) if d]
        if refused:
            click.echo(render_text(refused), err=True)
            click.echo("文件没有改动；先修正上面的问题。", err=True)
            click.get_current_context().exit(1)
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                reason = os_reason(error) if isinstance(error, OSError) else "不是 UTF-8 编码"
                click.echo(f"{path}：无法读取（{reason}），先用 kaohe validate 检查", err=True)
                click.get_current_context().exit(1)
            try:
                formatted = format_text(text, schema_for(path))
            except YAMLError:
                click.echo(render_text(_syntax_errors(path)), err=True)
                click.echo("文件没有改动；先修正上面的问题。", err=True)
                click.get_current_context().exit(1)
            if formatted != text:
                pending.append(path)
                if not check:
                    write_output(path, formatted.encode("utf-8"))
    verb = "需要整理" if check else "已整理"
    for path in pending:
        click.echo(f"{verb}：{display_path(path)}")
    if not pending:
        click.echo("格式都已规范。")
    click.get_current_context().exit(1 if check and pending else 0)


def _syntax_errors(path: Path) -> list:
    """Why a rule file does not parse, as kaohe validate says it (code, line, column)."""
    from kaohe_rules.diagnostics import Diagnostic, KaoheError
    from kaohe_rules.rules.loader import load_file
    from kaohe_rules.source import Span, display_path

    try:
        load_file(path, display_path(path))
    except KaoheError as error:
        return error.diagnostics
    # ruamel refused what our loader reads (a construct only one of them accepts)
    span = Span(display_path(path), 1, 1, 1, 2)
    return [Diagnostic("KH201", "YAML 格式错误：无法按原样整理这个文件", span)]
