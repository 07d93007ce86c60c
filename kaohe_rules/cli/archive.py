"""``kaohe publish`` and ``kaohe history``: seal a year's results, read a unit's years."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from kaohe_rules.cli.evaluate import _common, evaluate_options
from kaohe_rules.cli.usage import INPUT_FILE, Choice, Command
from kaohe_rules.diagnostics import Diagnostic, KaoheError, Severity, render_text
from kaohe_rules.source import align, cell_text

DEFAULT_ARCHIVE = "考核归档.sqlite"
_ARCHIVE_HELP = f"归档文件（默认环境变量 KAOHE_ARCHIVE，否则当前文件夹的 {DEFAULT_ARCHIVE}）"


def archive_path(option: str | None) -> Path:
    """``--archive``, else $KAOHE_ARCHIVE, else 考核归档.sqlite in the current folder."""
    return Path(option or os.environ.get("KAOHE_ARCHIVE") or DEFAULT_ARCHIVE)


def _fail(error: KaoheError) -> None:
    click.echo(render_text(error.diagnostics), err=True)
    click.get_current_context().exit(1)


@click.command("publish", cls=Command)
@_common
@click.option("--archive", metavar="文件", help=_ARCHIVE_HELP)
@click.option("--reason", metavar="原因", help="更正已发布年度时写明原因（指纹不同时必须）")
def publish(year, rules, data, sample, encoding, period, archive, reason) -> None:
    """计算一个年度并把最终结果封存到归档：已发布的版本永不覆盖，更正另存为新版本。

    \b
      kaohe publish --year 2024
      kaohe publish --rules rules/2024 --data 数据/2024 --reason "更正某县数据"
    """
    from kaohe_rules.outputs import archive as store
    from kaohe_rules.read.bundled import sample_notice

    evaluation = evaluate_options(year, rules, data, encoding, period, sample)
    notice = sample_notice(evaluation.data)
    path = archive_path(archive)
    try:
        done = store.publish(path, evaluation, period, reason)
    except KaoheError as error:
        _fail(error)
        return
    what = f"{done.year} 年度（{done.period}）"
    if not done.written:
        click.echo(
            f"{what}已发布，指纹相同（版本 {done.version}，指纹 {done.fingerprint}），"
            "未写入新版本。"
        )
        if notice:
            click.echo(notice)
        return
    click.echo(
        f"已发布 {what}版本 {done.version}：{done.units} 个考核对象，"
        f"指纹 {done.fingerprint} → {path}"
    )
    if notice:
        click.echo(notice)
    if done.previous is not None:
        click.echo(f"更正版本 {done.version - 1}（指纹 {done.previous}），原因：{reason}")
    found = [w for w in evaluation.warnings if w.severity is Severity.WARNING]
    if found:
        click.echo(
            f"有 {len(found)} 条警告（缺少数据等），用 kaohe evaluate --warnings 查看。", err=True
        )


def unit_history(unit: str, archived: list[dict], files: list[dict]) -> tuple[str, str, list]:
    """The unit's id, name and years: the archive's latest versions, then file years
    the archive does not have. Raises KaoheError KH404 for an unknown unit."""
    everything = archived + files
    ids = {r["编号"] for r in everything if r["编号"] == unit}
    if not ids:
        ids = {r["编号"] for r in everything if r["名称"] == unit}
    if len(ids) > 1:
        message = f"名称 '{unit}' 对应多个单位：{'、'.join(sorted(ids))}，请用编号"
        raise KaoheError([Diagnostic("KH309", message)])
    if not ids:
        message = f"归档和历史文件中都没有单位 '{unit}'（按编号或名称查找）"
        raise KaoheError([Diagnostic("KH404", message)])
    (unit_id,) = ids
    rows = {}
    for r in files:
        if r["编号"] == unit_id:
            rows[r["年度"]] = dict(r, 领域=None, 类别=None, 版本=None, 更正=False)
    for r in archived:
        if r["编号"] == unit_id:
            source = "归档（更正）" if r["版本"] > 1 else "归档"
            rows[r["年度"]] = dict(r, 更正=r["版本"] > 1, 来源=source)
    names = [r["名称"] for r in archived + files if r["编号"] == unit_id and r["名称"]]
    name = names[0] if names else unit_id
    return unit_id, name, [rows[y] for y in sorted(rows)]


def history_text(unit_id: str, name: str, rows: list[dict]) -> str:
    """A terminal table of the unit's years."""
    keep = ["年度", "领域", "类别", "总分", "名次", "等次", "版本", "来源"]
    table = [keep]
    for r in rows:
        rank = None if r["名次"] is None else int(r["名次"])
        values = [r["年度"], r["领域"], r["类别"], r["总分"], rank, r["等次"], r["版本"]]
        table.append([cell_text(v) for v in values] + [r["来源"]])
    return "\n".join([f"{name}（{unit_id}）", *align(table)])


@click.command("history", cls=Command)
@click.argument("unit", metavar="单位")
@click.option("--archive", metavar="文件", help=_ARCHIVE_HELP)
@click.option(
    "--history-csv",
    "history_csv",
    multiple=True,
    type=INPUT_FILE,
    help="往年结果 CSV（列同数据的 历史.csv），补充归档之前的年度；可写多次",
)
@click.option("--format", "fmt", type=Choice(["text", "json"]), default="text")
def history(unit, archive, history_csv, fmt) -> None:
    """一个单位历年的等次和名次：归档中每年的最新版本，加上历史文件中归档之前的年度。

    \b
    单位 可以是编号或名称；同一年度两边都有时以归档为准：
      kaohe history 淳安县
      kaohe history 330127 --history-csv 历史.csv --format json
    """
    from kaohe_rules.outputs import archive as store
    from kaohe_rules.read.history import read_history_csv

    path = archive_path(archive)
    try:
        archived = store.latest_results(path)
        files = [r for f in history_csv for r in read_history_csv(Path(f))]
        unit_id, name, rows = unit_history(unit, archived, files)
    except KaoheError as error:
        if not path.exists() and not path.is_symlink():
            click.echo(f"（找不到归档 {path}）", err=True)
        _fail(error)
        return
    if fmt == "json":
        out = [
            {k: r.get(k) for k in ("年度", "领域", "类别", "总分", "名次", "等次", "标签")}
            | {"版本": r["版本"], "更正": r["更正"], "原因": r.get("原因"), "来源": r["来源"]}
            | {"发布时间": r.get("发布时间")}
            for r in rows
        ]
        entry = {"编号": unit_id, "名称": name, "历年": out}
        click.echo(json.dumps(entry, ensure_ascii=False, indent=1))
    else:
        click.echo(history_text(unit_id, name, rows))


COMMANDS = (publish, history)


def register(group: click.Group) -> None:
    """Add ``publish`` and ``history`` to the ``kaohe`` group."""
    for command in COMMANDS:
        group.add_command(command)
