"""``kaohe schema``: the rule files' JSON Schemas, written where a rules repository keeps them.

A rules repository of its own has no schemas/ folder: its files' ``# yaml-language-server:
$schema=…`` comments point at the copy this command writes, of the installed kaohe's
schemas, so the editor checks what this kaohe accepts (docs/ci.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from kaohe_rules import __version__
from kaohe_rules.cli.usage import BadValue, Command
from kaohe_rules.resources import data_path

# Which rule files each schema is for, as the listing after writing says it.
USED_BY = {
    "ruleset.schema.json": "规则集.yaml",
    "roster.schema.json": "名单.yaml",
    "domain.schema.json": "每个领域文件，如 市县.yaml",
    "special.schema.json": "每个专项考核文件，如 专项/营商环境.yaml",
    "tests.schema.json": "tests/ 中的测试用例",
    "common.schema.json": "（其余各个 schema 引用它，须放在同一文件夹）",
}


@click.command("schema", cls=Command)
@click.option("-o", "--output", metavar="文件夹", help="写到这个文件夹（没有就新建）；必须给出")
@click.option(
    "--check",
    is_flag=True,
    help="只检查文件夹中的 schema 是否与本版 kaohe 的相同，不写文件；不同时退出码为 1",
)
def schema(output: str | None, check: bool) -> None:
    """写出规则文件的 JSON Schema，供单独的规则仓库在 $schema 注释中引用。

    \b
    例：kaohe schema -o schemas
        kaohe schema -o schemas --check
    规则文件第一行写 # yaml-language-server: $schema=../schemas/domain.schema.json
    （相对于该规则文件的路径），编辑器就按这份 schema 补全和检查。
    """
    if output is None:  # required, said so in the help in Chinese (click's "[required]" is not)
        context = click.get_current_context()
        param = next(p for p in context.command.params if p.name == "output")
        raise click.MissingParameter(ctx=context, param=param)
    folder = _folder(output, create=not check)
    shipped = sorted(data_path("schemas").glob("*.schema.json"))
    differing = [p.name for p in shipped if not _same(p, folder / p.name)]
    if check:
        _report_check(folder, differing)
        return
    from kaohe_rules.cli.output import write_output

    for path in shipped:
        if path.name in differing:
            write_output(folder / path.name, path.read_bytes())
    from kaohe_rules.source import align

    click.echo(f"kaohe {__version__} 的 {len(shipped)} 个 JSON Schema 在 {output}：")
    rows = [
        [p.name, "已写出" if p.name in differing else "未变", USED_BY.get(p.name, "")]
        for p in shipped
    ]
    for line in align(rows):
        click.echo(f"  {line}")


def _folder(output: str, create: bool) -> Path:
    """The -o folder, made when it is missing and its parent exists."""
    folder = Path(output)
    if not output.strip():
        raise BadValue("KH507", "-o/--output", "文件夹名是空的", "如 -o schemas")
    if folder.exists() and not folder.is_dir():
        raise BadValue("KH514", "-o/--output", f"{output} 不是文件夹", "如 -o schemas")
    if folder.is_dir():
        return folder
    if not create:
        hint = f"先用 kaohe schema -o {output} 写出"
        raise BadValue("KH513", "-o/--output", f"找不到文件夹 {output}", hint)
    if not folder.parent.resolve().is_dir():
        message = f"上一级文件夹 {folder.parent} 不存在"
        raise BadValue("KH513", "-o/--output", message, "先建好上一级文件夹")
    try:
        folder.mkdir()
    except OSError as error:
        from kaohe_rules.cli.output import OutputError
        from kaohe_rules.source import os_reason

        raise OutputError(folder, f"无法新建文件夹：{os_reason(error)}") from None
    return folder


def _same(shipped: Path, written: Path) -> bool:
    try:
        return written.is_file() and written.read_bytes() == shipped.read_bytes()
    except OSError:  # unreadable: not the same as what kaohe ships
        return False


def _report_check(folder: Path, differing: list[str]) -> None:
    context = click.get_current_context()
    if not differing:
        click.echo(f"{folder} 中的 JSON Schema 与 kaohe {__version__} 的相同。")
        context.exit(0)
    for name in differing:
        state = "不同" if (folder / name).exists() else "缺少"
        click.echo(f"{folder / name}：{state}")
    click.echo(f"用 kaohe schema -o {folder} 写出 kaohe {__version__} 的版本。")
    context.exit(1)
