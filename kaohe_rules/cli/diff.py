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
def diff(old: str, new: str, data: str | None, fmt: str, top: int) -> None:
    """比较两个规则集：指标、权重、目标、方法、等次、标签、一单位一策的变化（不是文本 diff）。

    \b
    例：kaohe diff rules/2023 rules/2024
        kaohe diff rules/2023 rules/2024 --data samples/2024 --format markdown
    """
    from kaohe_rules.outputs.diff import changed_units, diff_rules
    from kaohe_rules.pipeline import load_rules

    context = click.get_current_context()
    try:
        before = load_rules(rules_folder(old))
        after = load_rules(rules_folder(new))
        changes = diff_rules(before.resolved.ruleset, after.resolved.ruleset)
        moves, notice = _impact(before, after, data) if data else (None, None)
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        context.exit(1)
    changed = list(changed_units(moves)) if moves is not None else None
    if fmt == "json":
        body = {"变化": [c.to_dict() for c in changes]}
        if moves is not None:
            body["示例数据"] = notice is not None
            if notice:
                body["数据说明"] = notice
            body["影响"] = [_move_dict(m) for m in changed]
            body["名次变化最大"] = [_move_dict(m) for m in _largest(moves, top)]
        click.echo(json.dumps(body, ensure_ascii=False, indent=1))
    elif fmt == "markdown":
        click.echo(_markdown(old, new, changes, changed, moves, top))
        if notice:
            click.echo(f"\n> **{notice}**")
    else:
        click.echo(_text(changes, changed, moves, top))
        if notice:
            click.echo(notice)


def _impact(before, after, data: str):
    """Both years' results on one data set, each rule set ignoring the other's names, and
    the units whose results differ (totals and labels as evaluate writes them)."""
    from pathlib import Path

    from kaohe_rules.outputs.diff import impact
    from kaohe_rules.pipeline import run_loaded
    from kaohe_rules.read.bundled import sample_notice

    folder = Path(data)
    if not folder.is_dir():
        raise BadValue("KH513", "--data", f"找不到文件夹 {data}")
    engine = engine_choice()
    results = [
        run_loaded(loaded, folder, lenient=True, engine=engine)
        for loaded in (_as_of(before, after), after)
    ]
    digits = (before.resolved.ruleset.precision, after.resolved.ruleset.precision)
    moves = [_as_shown(move, *digits) for move in impact(*results)]
    return moves, sample_notice(results[-1].data)


def _as_of(before, after):
    """The old rules applied to the new rules' year: the data is that year's, so its
    history (历史.csv, history(1)) counts back from it, not from the old rules' year."""
    from dataclasses import replace

    from kaohe_rules.pipeline import Loaded
    from kaohe_rules.rules.resolve import Resolved

    old, year = before.resolved, after.resolved.ruleset.year
    if old.ruleset.year == year:
        return before
    ruleset = replace(old.ruleset, year=year)
    return Loaded(Resolved(ruleset, old.programs), before.warnings)


def _as_shown(move, old_digits: int, new_digits: int):
    """A move with totals and numeric labels as evaluate writes them (each year's 精度,
    whole numbers as ints), so no label "changes" by binary noise alone."""
    from dataclasses import replace

    from kaohe_rules.outputs.report import number_as_shown

    def labels(found: dict, digits: int) -> dict:
        return {k: number_as_shown(v, digits) for k, v in found.items()}

    return replace(
        move,
        old_total=number_as_shown(move.old_total, old_digits),
        new_total=number_as_shown(move.new_total, new_digits),
        old_labels=labels(move.old_labels, old_digits),
        new_labels=labels(move.new_labels, new_digits),
    )


def _largest(moves, top: int):
    """Per domain and category, the units whose rank moved most."""
    groups: dict[tuple[str, str], list] = {}
    for move in moves:
        groups.setdefault((move.domain, move.category), []).append(move)
    out = []
    for key in sorted(groups, key=lambda k: (k[0], str(k[1]))):
        ranked = sorted(groups[key], key=lambda m: (-abs(m.new_rank - m.old_rank), m.unit.id))
        out += [m for m in ranked[:top] if m.new_rank != m.old_rank]
    return out


def _move_dict(move) -> dict:
    return {
        "编号": move.unit.id,
        "名称": move.unit.name,
        "领域": move.domain,
        "类别": move.category,
        "原名次": move.old_rank,
        "新名次": move.new_rank,
        "原等次": move.old_tier,
        "新等次": move.new_tier,
        "原总分": move.old_total,
        "新总分": move.new_total,
        "标签变化": {name: [old, new] for name, old, new in _label_changes(move)},
    }


def _label_changes(move) -> list[tuple[str, object, object]]:
    """(label, old value, new value) for each label whose value differs, a label only one
    of the rule sets has included (None on the side without it): a label the new rules
    drop is a change too."""
    names = [*move.new_labels, *(k for k in move.old_labels if k not in move.new_labels)]
    found = [(k, move.old_labels.get(k), move.new_labels.get(k)) for k in names]
    return [(k, old, new) for k, old, new in found if old != new]


def _label_text(value: object) -> str:
    return "（无此标签）" if value is None else str(value)


def _cite(span) -> str:
    return f"{span.file}:{span.line}" if span else ""


def _text(changes, changed, moves, top: int) -> str:
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
        lines.append("")
        lines.append(f"等次或标签变化的单位 {len(changed)} 个：")
        for m in changed:
            labels = "，".join(
                f"{k} {_label_text(old)}→{_label_text(new)}" for k, old, new in _label_changes(m)
            )
            tier = f"{m.old_tier} → {m.new_tier}" if m.old_tier != m.new_tier else m.new_tier
            lines.append(
                f"  {m.unit.name}（{m.domain} · {m.category}）：{tier}"
                + (f"；{labels}" if labels else "")
            )
        lines.append("")
        lines.append("名次变化最大的单位（每个类别前几名）：")
        for m in _largest(moves, top):
            place = f"第 {m.old_rank} 名 → 第 {m.new_rank} 名"
            lines.append(f"  {m.unit.name}（{m.domain} · {m.category}）：{place}")
    return "\n".join(lines)


def _markdown(old: str, new: str, changes, changed, moves, top: int) -> str:
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
        for m in _largest(moves, top):
            lines.append(
                f"| {m.unit.name} | {m.domain} | {m.category} | {m.old_rank} | {m.new_rank} |"
            )
    return "\n".join(lines)
