"""``kaohe show``: the fully resolved rule set (inheritance and 通用 applied) as YAML."""

from __future__ import annotations

import click
import yaml

from kaohe_rules.cli.usage import Command
from kaohe_rules.cli.validate import rules_folder
from kaohe_rules.diagnostics import KaoheError, render_text


def plain(value: object) -> object:
    """Located YAML values back to plain dicts and lists, for printing."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@click.command("show", cls=Command)
@click.argument("rules", metavar="规则集")
@click.option("--roster", is_flag=True, help="同时列出名单中的每个单位")
def show(rules: str, roster: bool) -> None:
    """打印合并继承与通用设置之后的完整规则集（YAML）。

    \b
    例：kaohe show rules/2024
    """
    folder = rules_folder(rules)
    from kaohe_rules.rules.assemble import assemble
    from kaohe_rules.rules.build import domain_documents

    try:
        assembled = assemble(folder)
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        click.get_current_context().exit(1)
    document = {key: plain(value) for key, value in assembled.ruleset.items() if key != "通用"}
    document["领域"] = {name: plain(doc) for name, doc in domain_documents(assembled).items()}
    if assembled.roster is not None:
        units = assembled.roster.get("单位") or []
        if assembled.roster_table is not None:  # 单位: 名单.csv — count the file's units
            units = _table_units(assembled)
        document["名单"] = {
            "属性": plain(assembled.roster.get("属性", {})),
            "单位数": len(units),
        }
        if roster:
            document["名单"]["单位"] = plain(units)
    click.echo(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100), nl=False)


def _table_units(assembled) -> list[dict]:
    """A roster file's units as 名单.yaml would list them (编号, 名称, 领域, attributes)."""
    from kaohe_rules.diagnostics import Collector
    from kaohe_rules.read.roster import read_units
    from kaohe_rules.rules.build import _attributes

    errors = Collector()
    units = read_units(assembled.roster_table, _attributes(assembled.roster), errors)
    if errors.has_errors:
        click.echo(render_text(errors.items), err=True)
        click.get_current_context().exit(1)
    return [{"编号": u.id, "名称": u.name, "领域": u.domain, **dict(u.attributes)} for u in units]
