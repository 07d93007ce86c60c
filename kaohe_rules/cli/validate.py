"""``kaohe validate``: check rule sets, for people and for CI."""

from __future__ import annotations

from pathlib import Path

import click

from kaohe_rules.cli.usage import BadValue, Choice, Command
from kaohe_rules.diagnostics import (
    Diagnostic,
    KaoheError,
    Severity,
    render_github,
    render_json,
    render_text,
)
from kaohe_rules.source import bounded, not_regular


def rules_folder(path: str) -> Path:
    """A rule set folder from a folder or any file in it (规则集.yaml, a domain file, a
    test case); a usage error otherwise. Pre-commit hooks pass changed files this way."""
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
        while not (folder / "规则集.yaml").is_file() and folder.parent != folder:
            folder = folder.parent
    if not folder.is_dir():
        kind = not_regular(folder)  # /dev/null, a pipe, a loop: there, but the wrong kind
        if kind is not None:
            message = f"{bounded(path)} {kind}，这里要规则集文件夹"
            raise BadValue("KH514", "规则集", message)
        raise BadValue("KH513", "规则集", f"找不到规则集文件夹 {path}")
    return folder


def rules_folders(paths: tuple[str, ...]) -> list[Path]:
    """The distinct rule set folders that ``paths`` name, in order."""
    return list(dict.fromkeys(rules_folder(p).resolve() for p in paths))


INHERITORS_HELP = (
    "也检查继承（直接或间接）这些规则集的规则集，在所在的 Git 仓库中查找（pre-commit 钩子用）"
)


def with_inheritors(folders: list[Path], wanted: bool, say: bool = True) -> list[Path]:
    """``folders``, then (when ``wanted``) the rule sets that inherit from them; ``say``
    names those on standard error, since the user changed none of their files."""
    if not wanted:
        return folders
    from kaohe_rules.rules.inheritors import inheritors
    from kaohe_rules.source import display_path

    found = inheritors(folders)
    if found and say:
        names = "、".join(display_path(f) for f in found)
        click.echo(f"一并检查继承它们的规则集：{names}", err=True)
    return folders + found


@click.command("validate", cls=Command)
@click.argument("rules", nargs=-1, required=True, metavar="规则集...")
@click.option(
    "--format",
    "fmt",
    type=Choice(["text", "json", "github"]),
    default="text",
    help="text：给人看；json：给程序；github：GitHub Actions 注释行",
)
@click.option("--inheritors", is_flag=True, help=INHERITORS_HELP)
def validate(rules: tuple[str, ...], fmt: str, inheritors: bool) -> None:
    """检查规则集：格式、名称、类型、权重、名单、等次……一次列出全部问题。

    \b
    例：kaohe validate rules/2024
        kaohe validate --inheritors rules/2023/市县.yaml
    退出码：0 没有错误；1 有错误；2 用法或文件夹错误。
    """
    folders = rules_folders(rules)  # a missing folder is refused before the rules load
    folders = with_inheritors(folders, inheritors, say=fmt == "text")
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.source import display_path

    found: list[Diagnostic] = []
    summaries = []
    for folder in folders:
        path = display_path(folder)
        try:
            loaded = load_rules(folder)
        except KaoheError as error:
            found += error.diagnostics
            continue
        found += loaded.warnings
        summaries.append(_summary(path, loaded))
    # A problem in a file that several of the folders share (inherited) is one problem.
    found = list({(d.code, d.span, d.message): d for d in found}.values())
    failed = any(d.severity is Severity.ERROR for d in found)
    if fmt == "json":
        click.echo(render_json(found))
    elif fmt == "github":
        if found:
            click.echo(render_github(found))
    else:
        if found:
            click.echo(render_text(found, limit=200))
        for line in summaries:
            click.echo(line)
        if failed:
            errors = sum(d.severity is Severity.ERROR for d in found)
            click.echo(f"发现 {errors} 个错误。")
    click.get_current_context().exit(1 if failed else 0)


def _summary(path: str, loaded) -> str:
    ruleset = loaded.resolved.ruleset
    indicators = sum(len(d.indicators()) for d in ruleset.domains)
    own = sum(len(s.domain.indicators()) for s in ruleset.specials)
    specials = f"{len(ruleset.specials)} 项专项考核（{own} 个指标），" if ruleset.specials else ""
    return (
        f"{path}：{ruleset.year} 年度规则集有效——{len(ruleset.domains)} 个领域，{specials}"
        f"{len(ruleset.units)} 个考核对象，{indicators} 个指标，"
        f"{len(loaded.resolved.programs)} 个公式"
    )
