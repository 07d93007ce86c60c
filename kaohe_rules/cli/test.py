"""``kaohe test``: run a rule set's own test cases, with coverage."""

from __future__ import annotations

import click

from kaohe_rules.cli.usage import NUMBER, Command
from kaohe_rules.cli.validate import INHERITORS_HELP, rules_folders, with_inheritors
from kaohe_rules.diagnostics import KaoheError, render_text
from kaohe_rules.source import display_path


@click.command("test", cls=Command)
@click.argument("rules", nargs=-1, required=True, metavar="规则集...")
@click.option("--coverage", "show_coverage", is_flag=True, help="列出没有被任何用例覆盖的规则条款")
@click.option(
    "--threshold",
    type=NUMBER,
    metavar="百分数",
    help="覆盖率低于这个百分数时失败，如 --threshold 90",
)
@click.option("--inheritors", is_flag=True, help=INHERITORS_HELP)
def test(
    rules: tuple[str, ...], show_coverage: bool, threshold: float | None, inheritors: bool
) -> None:
    """运行规则集自带的测试用例（规则集/tests/*.yaml），可统计覆盖率。

    \b
    例：kaohe test rules/2024 --coverage --threshold 90
    退出码：0 全部通过（且覆盖率达标）；1 有失败、用例文件有误或覆盖率不足；
    2 用法错误。
    """
    context = click.get_current_context()
    folders = with_inheritors(rules_folders(rules), inheritors)
    failed = sum(_run_folder(folder, show_coverage, threshold) for folder in folders)
    context.exit(1 if failed else 0)


def _run_folder(folder, show_coverage: bool, threshold: float | None) -> bool:
    """Run one rule set's cases; whether anything failed."""
    from kaohe_rules.outputs.coverage import Coverage
    from kaohe_rules.outputs.testing import case_files, run_file
    from kaohe_rules.pipeline import load_rules

    try:
        resolved = load_rules(folder).resolved
    except KaoheError as error:
        click.echo(render_text(error.diagnostics))
        return True
    files = case_files(folder)
    if not files:
        click.echo(f"没有找到测试用例：{display_path(folder)}/tests/*.yaml")
        return True
    coverage = Coverage(resolved)
    passed = failed = 0
    for path in files:
        try:
            results = run_file(path, resolved, coverage.branches)
        except KaoheError as error:
            click.echo(render_text(error.diagnostics))
            failed += 1
            continue
        for result in results:
            if result.evaluation is not None:
                coverage.record(result.evaluation)
            if result.passed:
                passed += 1
                click.echo(f"✓ {result.span.file}:{result.span.line} {result.name}")
            else:
                failed += 1
                click.echo(f"✗ {result.span.file}:{result.span.line} {result.name}")
                _explain_failure(result)
    share, missed = coverage.report()
    click.echo(f"{passed + failed} 个用例：{passed} 个通过，{failed} 个失败")
    total = len(coverage.items)
    click.echo(f"覆盖率 {share * 100:.1f}%（{total - len(missed)}/{total} 项）")
    if show_coverage and missed:
        click.echo("未覆盖：")
        for item in missed:
            where = f"{item.span.file}:{item.span.line}" if item.span else ""
            click.echo(f"  · {item.kind}：{item.description}    〔{where}〕")
    if threshold is not None and share * 100 < threshold:
        click.echo(f"覆盖率低于要求的 {threshold:g}%")
        return True
    return failed > 0


def _explain_failure(result) -> None:
    if result.error:
        click.echo(render_text(result.error))
    for failure in result.failures:
        where = f"{failure.span.file}:{failure.span.line}"
        click.echo(
            f"    {failure.unit} {failure.what}：期望 {_show(failure.expected)}，"
            f"实际 {_show(failure.actual)}    〔{where}〕"
        )


def _show(value: object) -> str:
    from kaohe_rules.outputs.explain import show

    if isinstance(value, str):
        return value
    return show(value)
