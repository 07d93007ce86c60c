"""``kaohe doc``: the year's 考核指标及评分细则, written from the rule files as DOCX or HTML."""

from __future__ import annotations

import click

from kaohe_rules.cli.output import FILE, output_path, write_output
from kaohe_rules.cli.usage import Command
from kaohe_rules.cli.validate import rules_folder
from kaohe_rules.diagnostics import KaoheError, render_text

DEFAULT_OUTPUT = "考核指标.docx"


@click.command("doc", cls=Command)
@click.argument("rules", metavar="规则集")
@click.option(
    "-o",
    "--output",
    type=FILE,
    default=DEFAULT_OUTPUT,
    help=f"写出的文件：.docx（Word）或 .html（默认 {DEFAULT_OUTPUT}）",
)
def doc(rules: str, output: str) -> None:
    """生成考核指标及评分细则：领域、类别、考卷权重、每个指标的目标与计分方法、加减分、否决、等次、标签和一单位一策。

    \b
    计分方法写成中文说明并附公式；自定义公式原样列出。相同的规则总是写出
    相同的文件（不含日期），两个年度的细则可以逐个指标比较：
      kaohe doc rules/2024 -o 考核指标.docx
      kaohe doc rules/2024 -o 考核指标.html
    """
    folder = rules_folder(rules)
    path = output_path(output, (".html", ".htm", ".docx"), shown=".docx 或 .html")
    from kaohe_rules.outputs.manual import build_manual
    from kaohe_rules.pipeline import load_rules

    try:
        ruleset = load_rules(folder).resolved.ruleset
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        click.get_current_context().exit(1)
    manual = build_manual(ruleset)
    if path.suffix.lower() == ".docx":
        from kaohe_rules.outputs.manual_docx import render_docx

        content = render_docx(manual)
    else:
        from kaohe_rules.outputs.manual_html import render_html

        content = render_html(manual).encode("utf-8")
    write_output(path, content, list(ruleset.files))
    click.echo(f"已写出 {path}（{_counts(ruleset)}）")


def _counts(ruleset) -> str:
    """What the document covers, counted as kaohe validate counts indicators."""
    own = sum(len(d.indicators()) for d in ruleset.scored())
    added = sum(len(d.added_indicators()) for d in ruleset.scored())
    specials = f"、{len(ruleset.specials)} 项专项考核" if ruleset.specials else ""
    extra = f"，另有一单位一策增设的 {added} 个" if added else ""
    return f"{len(ruleset.domains)} 个领域{specials}，{own} 个指标{extra}"
