"""``kaohe report``: the year's results as one self-contained HTML page with charts."""

from __future__ import annotations

import click

from kaohe_rules.cli.evaluate import _common, evaluate_options
from kaohe_rules.cli.output import FILE, inputs_of, output_path, write_output
from kaohe_rules.cli.usage import Command
from kaohe_rules.diagnostics import KaoheError, render_text

DEFAULT_OUTPUT = "考核报告.html"


@click.command("report", cls=Command)
@_common
@click.option(
    "-o",
    "--output",
    type=FILE,
    default=DEFAULT_OUTPUT,
    help=f"写出的 HTML 文件（默认 {DEFAULT_OUTPUT}）",
)
@click.option(
    "--unit", metavar="单位", help="历年名次与等次图所画的单位（编号或名称，默认名单中第一个）"
)
def report(output, unit, **common) -> None:
    """生成一个年度的考核报告：一个自包含的 HTML 文件（图表为内嵌 SVG，可离线打开、打印）。

    \b
    包括各类别等次人数、总分分布与等次分界、各考卷平均得分、指标一览、
    一个单位的历年名次与等次，以及得分率偏低（按规则集的 问题清单）的汇总：
      kaohe report
      kaohe report --rules 规则/2024 --data 数据/2024 -o 报告.html --unit 杭州市
    """
    path = output_path(output, (".html", ".htm"), shown=".html")
    evaluation = evaluate_options(**common)  # the same --year/--rules/--data… as evaluate
    from kaohe_rules.outputs.html_report import build_report
    from kaohe_rules.read.bundled import sample_notice

    try:
        page = build_report(evaluation, unit)
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        click.get_current_context().exit(1)
    write_output(path, page.encode("utf-8"), inputs_of(evaluation))
    count = sum(len(d.units) for d in evaluation.domains)
    click.echo(f"已写出 {path}（{count} 个考核对象，指纹 {evaluation.fingerprint}）")
    notice = sample_notice(evaluation.data)
    if notice:
        click.echo(notice)
