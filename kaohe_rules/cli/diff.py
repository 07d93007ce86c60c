"""``kaohe diff``: what a revision changes in the rules, and, with data, whom it moves."""

from __future__ import annotations

import json

import click

from kaohe_rules.cli.evaluate import ENGINE_OPTIONS, engine_choice
from kaohe_rules.cli.usage import BadValue, Choice, Command, WholeNumber
from kaohe_rules.cli.validate import rules_folder
from kaohe_rules.diagnostics import KaoheError, render_text


@click.command("diff", cls=Command)
@click.argument("old", metavar="旧规则集")
@click.argument("new", metavar="新规则集")
@click.option(
    "--data",
    "data",
    metavar="文件夹",
    help="用同一份数据分别按新旧规则计算，列出等次或标签变化的单位",
)
@click.option("--format", "fmt", type=Choice(["text", "json", "markdown"]), default="text")
@click.option(
    "--top",
    type=WholeNumber(minimum=0),
    default=5,
    metavar="个数",
    help="每个类别列出名次变化最大的前几个单位（默认 5）",
)
@ENGINE_OPTIONS[0]
@ENGINE_OPTIONS[1]
@ENGINE_OPTIONS[2]
def diff(old: str, new: str, data: str | None, fmt: str, top: int) -> None:
    """比较两个规则集：指标、权重、目标、方法、等次、标签、一单位一策的变化（不是文本 diff）。

    \b
    例：kaohe diff rules/2023 rules/2024
        kaohe diff rules/2023 rules/2024 --data samples/2024 --format markdown
    """
    from kaohe_rules.editing.impact import compare, move_dict
    from kaohe_rules.pipeline import load_rules

    context = click.get_current_context()
    try:
        before = load_rules(rules_folder(old))
        after = load_rules(rules_folder(new))
        folder = _data_folder(data)
        # the engine is asked for only with data, as before: without, nothing is run
        options = {"engine": engine_choice()} if folder is not None else {}
        found = compare(before, after, folder, **options)
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        context.exit(1)
    changes, moves, notice = found.changes, found.moves, found.notice
    changed = found.changed() if moves is not None else None
    largest = found.largest(top)
    if fmt == "json":
        body = {"变化": [c.to_dict() for c in changes]}
        if moves is not None:
            body["示例数据"] = notice is not None
            if notice:
                body["数据说明"] = notice
            body["影响"] = [move_dict(m) for m in changed]
            body["名次变化最大"] = [move_dict(m) for m in largest]
        click.echo(json.dumps(body, ensure_ascii=False, indent=1))
    elif fmt == "markdown":
        click.echo(_markdown(old, new, changes, changed, moves, largest))
        if notice:
            click.echo(f"\n> **{notice}**")
    else:
        click.echo(_text(changes, changed, moves, largest))
        if notice:
            click.echo(notice)


def _data_folder(data: str | None):
    """The --data folder (KH513 when there is none), or None without the option."""
    from pathlib import Path

    if not data:
        return None
    folder = Path(data)
    if not folder.is_dir():
        raise BadValue("KH513", "--data", f"找不到文件夹 {data}")
    return folder


def _label_text(value: object) -> str:
    return "（无此标签）" if value is None else str(value)


def _cite(span) -> str:
    return f"{span.file}:{span.line}" if span else ""


def _text(changes, changed, moves, largest) -> str:
    lines = [f"规则变化 {len(changes)} 处："]
    for c in changes:
        arrow = (
            f"{c.old} → {c.new}"
            if c.kind == "修改" or c.kind == "改名"
            else (c.new if c.kind == "新增" else c.old)
        )
        where = " ← ".join(x for x in (_cite(c.new_span), _cite(c.old_span)) if x)
        lines.append(
            f"  [{c.domain}] {c.kind} {c.what}：{arrow}" + (f"    〔{where}〕" if where else "")
        )
    if moves is not None:
        from kaohe_rules.editing.impact import label_changes

        lines.append("")
        lines.append(f"等次或标签变化的单位 {len(changed)} 个：")
        for m in changed:
            labels = "，".join(
                f"{k} {_label_text(old)}→{_label_text(new)}" for k, old, new in label_changes(m)
            )
            tier = f"{m.old_tier} → {m.new_tier}" if m.old_tier != m.new_tier else m.new_tier
            lines.append(
                f"  {m.unit.name}（{m.domain} · {m.category}）：{tier}"
                + (f"；{labels}" if labels else "")
            )
        lines.append("")
        lines.append("名次变化最大的单位（每个类别前几名）：")
        for m in largest:
            place = f"第 {m.old_rank} 名 → 第 {m.new_rank} 名"
            lines.append(f"  {m.unit.name}（{m.domain} · {m.category}）：{place}")
    return "\n".join(lines)


def _markdown(old: str, new: str, changes, changed, moves, largest) -> str:
    lines = [f"## 规则修订：`{old}` → `{new}`", "", f"共 {len(changes)} 处变化。", ""]
    lines += ["| 领域 | 类型 | 对象 | 原 | 新 | 出处 |", "|---|---|---|---|---|---|"]
    for c in changes:
        cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        lines.append(
            f"| {c.domain} | {c.kind} | {cell(c.what)} | {cell(c.old)} | {cell(c.new)} | "
            f"{_cite(c.new_span) or _cite(c.old_span)} |"
        )
    if moves is not None:
        lines += ["", f"### 影响：等次或标签变化的单位（{len(changed)} 个）", ""]
        lines += [
            "| 单位 | 领域 | 类别 | 原等次 | 新等次 | 原名次 | 新名次 |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in changed:
            lines.append(
                f"| {m.unit.name} | {m.domain} | {m.category} | {m.old_tier} | {m.new_tier} | "
                f"{m.old_rank} | {m.new_rank} |"
            )
        lines += [
            "",
            "### 名次变化最大的单位",
            "",
            "| 单位 | 领域 | 类别 | 原名次 | 新名次 |",
            "|---|---|---|---|---|",
        ]
        for m in largest:
            lines.append(
                f"| {m.unit.name} | {m.domain} | {m.category} | {m.old_rank} | {m.new_rank} |"
            )
    return "\n".join(lines)
