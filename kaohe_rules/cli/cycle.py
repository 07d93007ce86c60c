"""``kaohe feedback`` (问题清单) and ``kaohe attribute`` (实绩到人)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from kaohe_rules.cli.evaluate import _common, evaluate_options
from kaohe_rules.cli.output import (
    FILE,
    TABLES,
    inputs_of,
    output_path,
    with_sample_column,
    write_output,
)
from kaohe_rules.cli.usage import Command
from kaohe_rules.read.bundled import sample_notice
from kaohe_rules.source import align

FEEDBACK_HEADER = [
    "领域", "类别", "编号", "名称", "指标", "指标名称", "值", "目标值", "差距", "得分", "满分",
    "类别内名次", "牵头单位", "责任人", "问题",
]  # fmt: skip
# The problem list's sheets: 类别内名次 "9/11" of the CSV as two numbers.
FEEDBACK_SHEET_HEADER = [*FEEDBACK_HEADER[:11], "类别内名次", "类别内人数", *FEEDBACK_HEADER[12:]]
COUNT_HEADER = ["编号", "名称", "领域", "问题数"]
ATTRIBUTE_HEADER = ["编号", "名称", "领域", "责任人", "指标数", "指标", "得分", "满分", "完成率"]


def _round(value: float | None) -> int | float | None:
    """A number as the tables show it: four decimals, whole numbers as integers."""
    from kaohe_rules.dsl.numeric import round_scalar
    from kaohe_rules.outputs.report import plain

    if value is None or value != value:
        return None
    return plain(round_scalar(value, 4))


def feedback_rows(evaluation) -> list[list]:
    """The problem list as table rows (问题清单)."""
    return [row for _problem, row in _feedback(evaluation)]


def _feedback(evaluation) -> list[tuple]:
    """Each problem with its row of the problem list."""
    from kaohe_rules.outputs.cycle import problems

    found = []
    for domain in evaluation.domains:
        rule = domain.domain.problems
        single = type(evaluation)(evaluation.resolved, evaluation.data, [domain])
        for p in problems(single, rule):
            i = p.indicator
            row = [
                p.domain, p.category, p.unit.id, p.unit.name, i.id, i.name, _round(p.value),
                _round(p.target), _round(p.gap), _round(p.score), _round(p.full),
                f"{p.place}/{p.count}", i.lead, i.owner, "；".join(p.reasons),
            ]  # fmt: skip
            found.append((p, row))
    return found


def attribute_rows(evaluation) -> list[list]:
    """实绩到人 as table rows: one per unit and responsible role."""
    from kaohe_rules.outputs.cycle import attribute

    return [
        [
            a.unit.id, a.unit.name, a.domain, a.role, len(a.indicators),
            "、".join(i.id for i, _s, _f in a.indicators), _round(a.scored), _round(a.full),
            _round(a.ratio),
        ]
        for a in attribute(evaluation)
    ]  # fmt: skip


def _text(header: list[str], rows: list[list]) -> str:
    cells = [["—" if v is None else str(v) for v in row] for row in rows]
    return "\n".join(align([header, *cells]))


def _write(
    path: Path,
    header: list[str],
    rows: list[list],
    book: tuple[dict, list[list]],
    inputs: list[Path],
    notice: str | None = None,
) -> None:
    """rows (under header) as .json or .csv; .xlsx: ``book``, its sheets (excel.Sheet by
    name) and its 说明 rows; with ``notice`` (sample data) every row says so in a last
    column."""
    import csv
    import io

    header, rows = with_sample_column(header, rows, notice)
    suffix = path.suffix.lower()
    if suffix == ".json":
        body = [dict(zip(header, row, strict=True)) for row in rows]
        content = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    elif suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        content = buffer.getvalue().encode("utf-8-sig")
    else:
        content = _xlsx(*book, notice)
    write_output(path, content, inputs)


def _xlsx(sheets: dict, about: list[list], notice: str | None, tiers=None) -> bytes:
    from dataclasses import replace

    from kaohe_rules.outputs.excel import workbook

    marked = {}
    for name, sheet in sheets.items():
        header, rows = with_sample_column(sheet.header, sheet.rows, notice)
        marked[name] = replace(sheet, header=header, rows=rows)
    return workbook(marked, about, tiers, "说明" if notice else None)


def _sheet_titles(names: list[str], taken: tuple[str, ...]) -> list[str]:
    """Names as Excel sheet titles: at most 31 characters, none of []:*?/\\, each title
    once (two long domain names that share their first 31 characters, or a domain
    named like a sheet of the file, keep separate sheets)."""
    titles: list[str] = []
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "_"
        title, n = base, 1
        while title in titles or title in taken:
            n += 1
            title = f"{base[: 31 - len(str(n)) - 2]}（{n}）"
        titles.append(title)
    return titles


def _feedback_book(evaluation, found: list[tuple]) -> tuple[dict, list[list]]:
    """The problem list's workbook: a sheet per domain (名次 and 人数 as numbers, 值, 目标值
    and 差距 as percents for indicators in %), 各单位问题数, and 说明."""
    from kaohe_rules.outputs.excel import Sheet
    from kaohe_rules.outputs.report import about_rows

    domains: dict[str, tuple[list, list]] = {}
    for p, row in found:
        rows, percent = domains.setdefault(row[0], ([], []))
        rows.append([*row[:11], p.place, p.count, *row[12:]])
        percent.append(p.indicator.unit_of_measure == "%")
    counts: dict[tuple, int] = {}
    for _p, row in found:
        counts[(row[2], row[3], row[0])] = counts.get((row[2], row[3], row[0]), 0) + 1
    titles = _sheet_titles(list(domains), ("各单位问题数", "说明"))
    sheets = {
        title: Sheet(FEEDBACK_SHEET_HEADER, rows, dict.fromkeys(("值", "目标值", "差距"), flags))
        for title, (rows, flags) in zip(titles, domains.values(), strict=True)
    }
    sheets["各单位问题数"] = Sheet(COUNT_HEADER, [[*key, n] for key, n in counts.items()])
    described = dict.fromkeys(titles, "该领域的问题：单位、指标、值、目标值、差距、得分、名次")
    described["各单位问题数"] = "每个单位的问题个数"
    content = "问题清单：得分偏低的单位和指标，附差距、牵头单位和责任人"
    return sheets, about_rows([evaluation], content, described)


@click.command("feedback", cls=Command)
@_common
@click.option(
    "-o",
    "--output",
    type=FILE,
    help="写出 .xlsx（每个领域一张表）、.csv 或 .json",
)
def feedback(year, rules, data, sample, encoding, period, output) -> None:
    """问题清单：每个得分偏低（规则集的 问题清单 规定）的单位和指标，附差距、牵头单位和责任人。

    \b
    例：kaohe feedback --period H1 -o 问题清单.xlsx
    """
    path = output_path(output, *TABLES) if output else None
    evaluation = evaluate_options(year, rules, data, encoding, period, sample)
    notice = sample_notice(evaluation.data)
    found = _feedback(evaluation)
    rows = [row for _p, row in found]
    if output:
        book = _feedback_book(evaluation, found)
        _write(path, FEEDBACK_HEADER, rows, book, inputs_of(evaluation), notice)
        counts = {(row[2], row[3], row[0]) for row in rows}
        click.echo(f"已写出 {output}（{len(rows)} 个问题，{len(counts)} 个单位）")
    else:
        click.echo(_text(FEEDBACK_HEADER, rows))
        click.echo(f"共 {len(rows)} 个问题")
    if notice:
        click.echo(notice)


@click.command("attribute", cls=Command)
@_common
@click.option("-o", "--output", type=FILE, help="写出 .xlsx、.csv 或 .json")
def attribute(year, rules, data, sample, encoding, period, output) -> None:
    """实绩到人：每个单位的每位责任人负责哪些指标、得了多少分、完成率多少。

    \b
    例：kaohe attribute -o 实绩到人.xlsx
    """
    path = output_path(output, *TABLES) if output else None
    evaluation = evaluate_options(year, rules, data, encoding, period, sample)
    notice = sample_notice(evaluation.data)
    rows = attribute_rows(evaluation)
    if output:
        from kaohe_rules.outputs.excel import Sheet
        from kaohe_rules.outputs.report import about_rows

        sheets = {"实绩到人": Sheet(ATTRIBUTE_HEADER, rows, {"完成率": True})}
        content = "实绩到人：每个单位的每位责任人负责的指标、得分和完成率"
        about = about_rows([evaluation], content, {"实绩到人": "完成率显示为百分数"})
        _write(path, ATTRIBUTE_HEADER, rows, (sheets, about), inputs_of(evaluation), notice)
        click.echo(f"已写出 {output}（{len(rows)} 行）")
    else:
        click.echo(_text(ATTRIBUTE_HEADER, rows))
    if notice:
        click.echo(notice)
