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
    from kaohe_rules.outputs.cycle import problems

    rows = []
    for domain in evaluation.domains:
        rule = domain.domain.problems
        single = type(evaluation)(evaluation.resolved, evaluation.data, [domain])
        for p in problems(single, rule):
            i = p.indicator
            rows.append(
                [
                    p.domain, p.category, p.unit.id, p.unit.name, i.id, i.name, _round(p.value),
                    _round(p.target), _round(p.gap), _round(p.score), _round(p.full),
                    f"{p.place}/{p.count}", i.lead, i.owner, "；".join(p.reasons),
                ]
            )  # fmt: skip
    return rows


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
    sheets: dict[str, list[list]],
    inputs: list[Path],
    notice: str | None = None,
) -> None:
    """rows (under header) as .json or .csv; .xlsx has the sheets, each with its header row;
    with ``notice`` (sample data) every row says so in a last column."""
    import csv
    import io

    from kaohe_rules.outputs.report import workbook

    header, rows = with_sample_column(header, rows, notice)
    sheets = {name: _marked(table, notice) for name, table in sheets.items()}
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
        content = workbook({_sheet_title(name): rows for name, rows in sheets.items()})
    write_output(path, content, inputs)


def _marked(table: list[list], notice: str | None) -> list[list]:
    header, rows = with_sample_column(table[0], table[1:], notice)
    return [header, *rows]


def _sheet_title(name: str) -> str:
    """A domain name as an Excel sheet title: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "_"


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
    rows = feedback_rows(evaluation)
    if output:
        sheets: dict[str, list[list]] = {}
        for row in rows:
            sheets.setdefault(row[0], [FEEDBACK_HEADER]).append(row)
        counts: dict[tuple, int] = {}
        for row in rows:
            counts[(row[2], row[3], row[0])] = counts.get((row[2], row[3], row[0]), 0) + 1
        sheets["各单位问题数"] = [COUNT_HEADER, *([*key, n] for key, n in counts.items())]
        _write(path, FEEDBACK_HEADER, rows, sheets, inputs_of(evaluation), notice)
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
        sheets = {"实绩到人": [ATTRIBUTE_HEADER, *rows]}
        _write(path, ATTRIBUTE_HEADER, rows, sheets, inputs_of(evaluation), notice)
        click.echo(f"已写出 {output}（{len(rows)} 行）")
    else:
        click.echo(_text(ATTRIBUTE_HEADER, rows))
    if notice:
        click.echo(notice)
