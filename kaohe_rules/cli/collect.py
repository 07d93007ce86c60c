"""``kaohe collect``: the lead units' returned fill-in workbooks into a data file."""

from __future__ import annotations

from pathlib import Path

import click

from kaohe_rules.cli.template import load_planned, output_folder
from kaohe_rules.cli.usage import BadValue, Command
from kaohe_rules.diagnostics import render_text


def workbook_paths(values: tuple[str, ...]) -> list[Path]:
    """The workbooks named: files as given, and each folder's .xlsx files in name order
    (Excel's ~$ lock files left out)."""
    paths: list[Path] = []
    for value in values:
        path = Path(value)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.xlsx") if not p.name.startswith("~$"))
            if not found:  # most likely the wrong folder: say so rather than collect nothing
                raise BadValue("KH513", "填报表", f"文件夹 {value} 中没有 .xlsx 文件")
            paths += found
        elif path.exists():
            paths.append(path)
        else:
            raise BadValue("KH513", "填报表", f"找不到填报表 {value}")
    return list(dict.fromkeys(paths))


@click.command("collect", cls=Command)
@click.argument("rules", metavar="规则集")
@click.argument("workbooks", nargs=-1, required=True, metavar="填报表...")
@click.option("-o", "--output", required=True, metavar="文件夹", help="写入数据文件的数据文件夹")
def collect(rules: str, workbooks: tuple[str, ...], output: str) -> None:
    """汇总交回的填报表：逐格核对后写成数据文件，列出缺报的值和与上次汇总相比的变化。

    \b
    填报表可以是文件或文件夹（取其中的 .xlsx），次序不限，缺几份也可以；
    有任何错误（不是这套规则的填报表、锁定的单元格被改、越界值、公式、
    同一个值两份都填）时不写出任何文件。数据写到 文件夹/填报指标值.csv，
    每个值注明来自哪个工作簿的哪个单元格；再次汇总到同一个文件夹时，
    报告每个有变化的值，没有再交的值保留。
    例：kaohe collect rules/2024 交回/ -o 填报数据
    """
    plan = load_planned(rules)
    paths = workbook_paths(workbooks)
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise BadValue("KH514", "-o/--output", f"{output} 不是文件夹，这里要数据文件夹")
    if not folder.parent.resolve().is_dir():  # said before the workbooks are read
        message = f"输出文件夹的上级 {folder.parent} 不存在"
        raise BadValue("KH513", "-o/--output", message, "先建好上级文件夹")
    from kaohe_rules.outputs.fill import collect as reading
    from kaohe_rules.outputs.fill import store
    from kaohe_rules.outputs.fill.layout import books, rules_fingerprint

    layout = books(plan)
    fingerprint = rules_fingerprint(plan.resolved.ruleset)
    run = reading.collect(layout, fingerprint, paths)
    old = store.earlier(folder, fingerprint) if folder.is_dir() else []
    if not isinstance(old, list):
        run.errors.add(old)
    if run.errors.has_errors:
        click.echo(render_text(run.errors.items), err=True)
        click.echo("有错误，没有写出任何文件；改正后重新汇总。", err=True)
        click.get_current_context().exit(1)
    merged = store.merge(old, run, reading.layout_order(layout))
    folder = output_folder(output)
    from kaohe_rules.cli.output import write_output

    path = folder / store.DATA_FILE
    write_output(path, store.render(merged.values, fingerprint))
    for line in _report(layout, run, merged):
        click.echo(line)
    click.echo(f"已写出 {path}（{len(merged.values)} 个值，规则集指纹 {fingerprint}）")


def _report(layout, run, merged) -> list[str]:
    from kaohe_rules.outputs.fill.collect import missing_lines
    from kaohe_rules.outputs.fill.store import number_text

    lines = [
        f"读入 {len(run.returned)} 份填报表（应交 {len(layout)} 份），收到 {len(run.values)} 个值"
    ]
    missing = missing_lines(layout, run, {v.key for v in merged.values})
    if missing:
        lines.append(f"缺报（{len(missing)} 个牵头单位）：")
        lines += [f"  {line}" for line in missing]
    if merged.changes:
        lines.append(f"与上次汇总相比有变化的值（{len(merged.changes)} 个）：")
        for c in merged.changes:
            old, new = number_text(c.old.value), number_text(c.new.value)
            lines.append(
                f"  {c.new.unit_name} {c.new.indicator}：{old} → {new}"
                f"（{c.new.source}；上次 {c.old.source}）"
            )
    if merged.emptied:
        # an empty cell more often means "not typed again" than "withdrawn" (decision 83)
        lines.append(f"本次留空、保留上次汇总的值（{len(merged.emptied)} 个）：")
        for v in merged.emptied:
            lines.append(f"  {v.unit_name} {v.indicator}：{number_text(v.value)}（{v.source}）")
    if merged.kept:
        lines.append(f"保留上次汇总中本次没有再交的 {len(merged.kept)} 个值")
    return lines
