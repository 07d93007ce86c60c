"""The diagnostics of ``kaohe validate`` for a rule set, as if the editor's buffers were
saved: the same pipeline function, the file reads overlaid with the buffers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.editing.files import real_path, rule_set_of
from kaohe_rules.pipeline import Checked, check_rules
from kaohe_rules.rules.buffers import buffers
from kaohe_rules.rules.inheritors import inheritors


def checked(rules: Path, overrides: Mapping[Path, str]) -> Checked:
    """The rule stages on ``rules`` with ``overrides`` (absolute path → text) read instead
    of those files on disk. ``继承`` is bounded as ``kaohe validate`` bounds it."""
    with buffers(overrides):
        return check_rules(rules.resolve())


def diagnose(root: Path, rules: Path, overrides: Mapping[Path, str]) -> list[Diagnostic]:
    """What ``kaohe validate rules`` reports (errors of the first failing stage, or the
    warnings), with each span's ``file`` the absolute path of the file it is in, so a
    problem found in another file (an inherited year's, the roster) stays there.

    ``root`` is the rules root: a problem in a file that cannot be found under it keeps
    its display name."""
    found = checked(rules, overrides).diagnostics
    return [_absolute(d) for d in found]


def affected_rule_sets(root: Path, path: Path, overrides: Mapping[Path, str]) -> list[Path]:
    """The rule set folders an edit of ``path`` may change: its own, then those that
    inherit it (``kaohe validate --inheritors``); empty for a file outside any rule set."""
    own = rule_set_of(path, root)
    if own is None:
        return []
    with buffers(overrides):  # an unsaved 继承 counts
        found = inheritors([own])
    return [own, *(f for f in found if f.is_relative_to(root.resolve()))]


def _absolute(diagnostic: Diagnostic) -> Diagnostic:
    span = diagnostic.span
    if span is None:
        return diagnostic
    path = real_path(span.file)
    if path is None:
        return diagnostic
    moved = type(span)(str(path), span.line, span.column, span.end_line, span.end_column)
    return Diagnostic(
        diagnostic.code,
        diagnostic.message,
        moved,
        diagnostic.hint,
        diagnostic.context,
        diagnostic.severity,
    )
