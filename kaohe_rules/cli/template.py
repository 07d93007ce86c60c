"""``kaohe template``: one fill-in workbook per scoring lead unit (评分牵头单位)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kaohe_rules.cli.usage import BadValue, Command, InputError
from kaohe_rules.cli.validate import rules_folder
from kaohe_rules.diagnostics import KaoheError, render_text

if TYPE_CHECKING:  # the plan's modules load with the rules, not with the command line
    from kaohe_rules.score.plan import Plan


def output_folder(value: str, option: str = "-o/--output") -> Path:
    """A folder to write into: made when missing, its parent must exist (KH513); a file
    there is refused (KH514)."""
    folder = Path(value)
    if folder.exists() and not folder.is_dir():
        raise BadValue("KH514", option, f"{value} 不是文件夹，这里要一个文件夹", "如 -o 填报模板")
    if not folder.parent.resolve().is_dir():
        message = f"输出文件夹的上级 {folder.parent} 不存在"
        raise BadValue("KH513", option, message, "先建好上级文件夹")
    folder.mkdir(exist_ok=True)
    return folder


def load_planned(rules: str) -> Plan:
    """The rule set loaded and planned; rule errors printed, exit 1."""
    folder = rules_folder(rules)
    from kaohe_rules.pipeline import load_rules, plan_rules

    try:
        loaded = load_rules(folder)
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        click.get_current_context().exit(1)
    return plan_rules(loaded)


@click.command("template", cls=Command)
@click.argument("rules", metavar="规则集")
@click.option("-o", "--output", required=True, metavar="文件夹", help="写出填报表的文件夹")
def template(rules: str, output: str) -> None:
    """生成填报表：每个评分牵头单位一个 Excel 工作簿，列出它负责的指标和要填报的单位。

    \b
    黄色单元格是要填的值（已设数据验证），编号、名称、表头锁定；
    交回的工作簿用 kaohe collect 汇总成数据文件。
    例：kaohe template rules/2024 -o 填报模板
    """
    plan = load_planned(rules)
    folder = output_folder(output)
    from kaohe_rules.cli.output import write_output
    from kaohe_rules.outputs.fill.layout import books, rules_fingerprint
    from kaohe_rules.outputs.fill.template import render

    ruleset = plan.resolved.ruleset
    fingerprint = rules_fingerprint(ruleset)
    written = [(b, render(b, ruleset.year, ruleset.name, fingerprint)) for b in books(plan)]
    for book, content in written:  # before any write: a filled workbook is never replaced
        path = folder / book.file_name
        if path.exists() and (not path.is_file() or path.read_bytes() != content):
            message = (
                f"{path} 已存在且与要写出的填报表不同（可能是已填好的工作簿），没有写出任何文件"
            )
            raise InputError("KH539", message, "换一个空文件夹，或先移走这个文件")
    for book, content in written:
        write_output(folder / book.file_name, content)
        click.echo(f"{book.file_name}：{len(book.pages)} 个工作表，{book.asked()} 个值待填")
    click.echo(f"已写出 {len(written)} 个填报表到 {folder}（规则集指纹 {fingerprint}）")
