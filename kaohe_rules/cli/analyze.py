"""``kaohe analyze``: indicator spread, domain summaries and year-on-year trends."""

from __future__ import annotations

from pathlib import Path

import click

from kaohe_rules.cli.evaluate import (
    ENCODING_OPTION,
    ENGINE_OPTIONS,
    HISTORY_ARCHIVE_OPTION,
    INPUT_OPTIONS,
    RECORDS_ROOT,
    engine_choice,
    evaluate_options,
)
from kaohe_rules.cli.inputs import bundled_years
from kaohe_rules.cli.output import FILE, inputs_of, output_path, with_sample_column, write_output
from kaohe_rules.cli.usage import COUNT, YEAR, BadValue, Choice, Group, InputError

_SUFFIXES = {".txt": "text", ".json": "json", ".csv": "csv", ".xlsx": "xlsx"}


def _format_options(function):
    function = click.option("-o", "--output", type=FILE, help="写到文件（.txt/.json/.csv/.xlsx）")(
        function
    )
    return click.option(
        "--format",
        "fmt",
        type=Choice(["text", "json", "csv", "xlsx"]),
        help="输出格式（默认 text；给了 -o 时按扩展名）",
    )(function)


def _year_options(function):
    for option in reversed([*INPUT_OPTIONS, HISTORY_ARCHIVE_OPTION, *ENGINE_OPTIONS]):
        function = option(function)
    return function


def _emit(
    table, fmt: str | None, output: str | None, evaluations: list, text: str | None = None
) -> None:
    """Print or write ``table`` in the chosen format, the file written atomically; with
    sample data a note under the text, a last column 数据 in a file; a workbook says
    what it is, from which rules and data, on its 说明 sheet."""
    from dataclasses import replace

    from kaohe_rules.outputs.analysis import render

    notice = _notice(*evaluations)
    path = Path(output) if output else None
    if fmt is None:
        fmt = _SUFFIXES.get(path.suffix.lower(), "text") if path else "text"
    if notice and fmt == "text":
        table = replace(table, notes=[*table.notes, notice])
        text = None if text is None else f"{text}\n{notice}"
    elif notice:
        header, rows = with_sample_column(table.header, table.rows, notice)
        table = replace(table, header=header, rows=rows)
    if path is None:
        if fmt == "xlsx":
            hint = "加 -o 文件名.xlsx，或用 --format text、json、csv 打印"
            raise BadValue("KH518", "--format", "xlsx 须用 -o 写到文件", hint)
        click.echo(render(table, fmt, text).decode("utf-8-sig"), nl=False)
        return
    about = tiers = None
    if fmt == "xlsx":
        from kaohe_rules.outputs.report import about_rows, tier_levels_of

        about = about_rows(evaluations, _ABOUT[table.title], {table.title: _ABOUT[table.title]})
        tiers = tier_levels_of(*evaluations)
    inputs = [path for done in evaluations for path in inputs_of(done)]
    write_output(output_path(output), render(table, fmt, text, about, tiers), inputs)
    click.echo(f"已写出 {path}（{len(table.rows)} 行）")


_ABOUT = {  # what each analysis workbook is, for its 说明 sheet
    "指标分析": "指标分析：每个领域、类别、指标的得分分布，权重和占比显示为百分数",
    "领域分析": "领域分析：每个领域、类别的单位数、各等次人数、总分分布和各考卷的平均贡献",
    "年度趋势": "年度趋势：各单位（按编号对应）历年的总分、名次、等次和名次变化",
}


def _warn(evaluation, year: int | None = None) -> None:
    from kaohe_rules.diagnostics import Severity

    found = sum(w.severity is Severity.WARNING for w in evaluation.warnings)
    if found:
        where = f"{year} 年度" if year is not None else ""
        click.echo(
            f"{where}有 {found} 条警告（缺少数据等），用 kaohe evaluate --warnings 查看。", err=True
        )


@click.group("analyze", cls=Group)
def analyze() -> None:
    """分析计算结果：指标区分度、领域概况、历年名次变化。"""


@analyze.command("indicators")
@_year_options
@_format_options
def indicators(year, rules, data, sample, encoding, fmt, output) -> None:
    """每个领域、类别、指标的得分分布：平均、最低、最高、满分占比、零分占比。

    \b
    所有单位得分相同的指标标为“不区分”，可作为精简指标的依据：
      kaohe analyze indicators --year 2024
      kaohe analyze indicators -o 指标分析.xlsx
    """
    from kaohe_rules.outputs.analysis import indicator_table

    evaluation = evaluate_options(year, rules, data, encoding, sample=sample)
    table = indicator_table(evaluation)
    _emit(table, fmt, output, [evaluation])
    _warn(evaluation)


@analyze.command("domains")
@_year_options
@_format_options
def domains(year, rules, data, sample, encoding, fmt, output) -> None:
    """每个领域、类别的单位数、各等次人数、总分分布和各考卷的平均贡献。

    \b
      kaohe analyze domains
      kaohe analyze domains --format json
    """
    from kaohe_rules.outputs.analysis import domain_table

    evaluation = evaluate_options(year, rules, data, encoding, sample=sample)
    table = domain_table(evaluation)
    _emit(table, fmt, output, [evaluation])
    _warn(evaluation)


def _notice(*evaluations) -> str | None:
    """The sample notice when any year's data are (partly) the bundled sample."""
    from kaohe_rules.read.bundled import sample_notice

    found = [n for n in (sample_notice(e.data) for e in evaluations) if n]
    return found[0] if found else None


def _years(given: tuple[str, ...], rules_root: str | None) -> list[int]:
    """The years asked for (``--years 2023 2024`` or ``--years 2023,2024``), else all."""
    words = [w for text in given for w in text.replace("，", ",").split(",") if w.strip()]
    try:
        years = sorted({YEAR.convert(w, None, None) for w in words})
    except BadValue:  # ٢٠٢٤ too: int() would take any script's digits
        message = f"年度应为整数：{' '.join(given)}"
        raise BadValue("KH511", "--years", message, "如 --years 2023 2024") from None
    if not years:
        if rules_root is None:
            years = bundled_years()
        else:
            root = Path(rules_root)
            if not root.is_dir():
                raise BadValue("KH513", "--rules-root", f"找不到文件夹 {root}")
            years = sorted(int(p.name) for p in root.iterdir() if p.name.isdigit())
    if len(years) < 2:
        message = f"至少要两个年度，得到 {'、'.join(map(str, years)) or '没有'}"
        raise BadValue("KH519", "--years", message, "如 --years 2023 2024")
    return years


@analyze.command("trend")
@click.option(
    "--years",
    "years_option",
    multiple=True,
    metavar="年度",
    help="要比较的年度，如 --years 2023 2024",
)
@click.argument("more_years", nargs=-1, metavar="[年度]...")
@click.option(
    "--rules-root", metavar="文件夹", help="每年一个子文件夹（以年度命名）的规则集根文件夹"
)
@click.option("--data-root", metavar="文件夹", help="每年一个子文件夹（以年度命名）的数据根文件夹")
@ENCODING_OPTION
@HISTORY_ARCHIVE_OPTION
@ENGINE_OPTIONS[0]
@ENGINE_OPTIONS[1]
@ENGINE_OPTIONS[2]
@click.option("--top", type=COUNT, default=5, metavar="个数", help="每组列出几名（默认 5）")
@_format_options
def trend(years_option, more_years, rules_root, data_root, encoding, top, fmt, output) -> None:
    """各单位（按编号对应）历年的总分、名次、等次，以及名次升降最多的单位。

    \b
    名次变化 = 首年名次 − 末年名次（正数为上升）；不带 --years 时比较全部年度：
      kaohe analyze trend --years 2023 2024
      kaohe analyze trend --years 2023 2024 --rules-root 规则 --data-root 数据
    """
    years = _years(years_option + more_years, rules_root)  # before the heavy imports
    from kaohe_rules.outputs.analysis import trend as trend_of
    from kaohe_rules.outputs.analysis import trend_text

    if rules_root and not data_root:
        raise InputError(
            "KH501",
            f"给了 --rules-root {rules_root}，但没有给数据：不会猜用哪份数据计算",
            "用 --data-root 数据根文件夹 指定数据（每年一个以年度命名的子文件夹）",
        )
    evaluations = []
    meta = click.get_current_context().meta
    records_root = meta.get(RECORDS_ROOT)
    engine_choice()  # a misused option refused as given, before a year is evaluated
    for year in years:
        rules = str(Path(rules_root) / str(year)) if rules_root else None
        data = str(Path(data_root) / str(year)) if data_root else None
        if records_root:  # like --data-root: one folder a year, named by the year
            meta[RECORDS_ROOT] = f"{records_root.rstrip('/')}/{year}"
        # With a rules root the folder is the year: --year only picks bundled rule sets.
        evaluation = evaluate_options(None if rules else year, rules, data, encoding)
        _warn(evaluation, year)
        evaluations.append((year, evaluation))
    result = trend_of(evaluations, top)
    _emit(result.table, fmt, output, [done for _year, done in evaluations], trend_text(result))
