"""The editor's questions, answered by ``kaohe_rules.editing`` over the rules root with the
unsaved buffer: diagnostics (those of ``kaohe validate``), completion, hover, and the
impact of the edit (that of ``kaohe diff --data``). This module only translates between
the browser's JSON and those functions; it checks nothing itself."""

from __future__ import annotations

from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.workbench.serve.files import editable
from kaohe_rules.workbench.serve.workspace import Workspace, diagnostic_dict

LARGEST_MOVES = 5  # per category, as kaohe diff --top's default


def _overrides(workspace: Workspace, path: str, text: str) -> dict[Path, str]:
    return {editable(workspace.root, path): text}


def diagnose(workspace: Workspace, path: str, text: str) -> list[dict]:
    """What ``kaohe validate`` says of the rule sets the buffer belongs to or is inherited
    by, as if it were saved; each problem with its range (1-based lines, columns in
    characters) and its file relative to the root."""
    from kaohe_rules.editing import affected_rule_sets
    from kaohe_rules.editing import diagnose as editing_diagnose

    overrides = _overrides(workspace, path, text)
    file = next(iter(overrides))
    seen, found = set(), []
    for folder in affected_rule_sets(workspace.load_root, file, overrides) or []:
        for diagnostic in editing_diagnose(workspace.load_root, folder, overrides):
            key = (diagnostic.code, diagnostic.span, diagnostic.message)
            if key not in seen:
                seen.add(key)
                found.append(_with_range(diagnostic, workspace))
    return found


def _with_range(diagnostic: Diagnostic, workspace: Workspace) -> dict:
    entry = diagnostic_dict(diagnostic, workspace)
    span = diagnostic.span
    if span is not None and entry["位置"] is not None:
        entry["位置"].update(止行=span.end_line, 止列=span.end_column)
    return entry


def complete(workspace: Workspace, path: str, text: str, offset: int) -> dict:
    """Completions at ``offset`` (characters into ``text``): schema keys, names in formulas."""
    from kaohe_rules.editing import complete as editing_complete

    file, overrides, rules = _asked(workspace, path, text)
    if rules is None:
        return {"候选": []}
    line, column = _line_column(text, offset)
    items = editing_complete(workspace.load_root, rules, overrides, file, line, column)
    return {"候选": [_proposal(item) for item in items]}


def _proposal(item) -> dict:
    return {"标签": item.label, "类别": item.kind, "说明": item.detail, "文档": item.documentation}


def hover(workspace: Workspace, path: str, text: str, offset: int) -> str | None:
    """What the name at ``offset`` is: its definition, as the language server shows it."""
    from kaohe_rules.editing import hover as editing_hover

    file, overrides, rules = _asked(workspace, path, text)
    if rules is None:
        return None
    line, column = _line_column(text, offset)
    found = editing_hover(workspace.load_root, rules, overrides, file, line, column)
    return None if found is None else found.text


def _asked(workspace: Workspace, path: str, text: str):
    """The buffer's file, the overrides, and the rule set it belongs to (None: none)."""
    from kaohe_rules.editing.files import rule_set_of

    overrides = _overrides(workspace, path, text)
    file = next(iter(overrides))
    return file, overrides, rule_set_of(file, workspace.load_root)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a character offset."""
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def impact(workspace: Workspace, folder: Path, path: str, text: str) -> dict:
    """The unsaved edit against the saved files of rule set ``folder``: ``kaohe diff`` of
    the two and, with data, the units whose tier or labels change and the largest rank
    moves. The saved side (loaded and run) is kept until a file changes on disk."""
    from kaohe_rules.editing.impact import compare, load_edited, move_dict, old_evaluation

    before = workspace.loaded(folder)
    try:
        after = load_edited(folder, workspace.load_root, _overrides(workspace, path, text))
    except KaoheError as error:
        problems = [_with_range(d, workspace) for d in error.diagnostics]
        return {"有错误": True, "问题": problems}
    old_result = None
    if workspace.data is not None:
        year = after.resolved.ruleset.year
        old_result = workspace.cached(
            ("impact-old", folder, year),
            lambda: old_evaluation(before, after, workspace.data),
        )
    found = compare(before, after, workspace.data, old_result=old_result)
    body = {
        "有错误": False,
        "变化": [workspace.linked_change(c.to_dict()) for c in found.changes],
        "有数据": found.moves is not None,
    }
    if found.moves is not None:
        body["影响"] = [move_dict(m) for m in found.changed()]
        body["名次变化最大"] = [move_dict(m) for m in found.largest(LARGEST_MOVES)]
        body["数据说明"] = found.notice
    return body
