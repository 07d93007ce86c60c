"""The diagnostics of ``kaohe validate`` for a rule set, as if the editor's buffers were
saved: the same pipeline function, the file reads overlaid with the buffers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.editing.files import real_path, rule_set_of
from kaohe_rules.pipeline import Checked, check_rules
from kaohe_rules.rules.buffers import buffers
from kaohe_rules.rules.inheritors import inheritors

# The last few checks, by rule set and buffers, each with the state on disk of the files
# and folders it read: a completion or hover right after a keystroke's check (the same
# buffers) costs no second check, and a file saved or changed by another program since
# makes the entry stale. Written under a lock: a server may ask from several threads.
_RECENT: OrderedDict[tuple, tuple[tuple, Checked]] = OrderedDict()
_RECENT_SIZE = 8
_LOCK = threading.Lock()


def checked(rules: Path, overrides: Mapping[Path, str]) -> Checked:
    """The rule stages on ``rules`` with ``overrides`` (absolute path → text) read instead
    of those files on disk. ``继承`` is bounded as ``kaohe validate`` bounds it."""
    rules = rules.resolve()
    key = (rules, frozenset((path.resolve(), text) for path, text in overrides.items()))
    with _LOCK:
        recent = _RECENT.get(key)
    if recent is not None and recent[0] == _disk_state(recent[1]):
        return recent[1]
    with buffers(overrides):
        found = check_rules(rules)
    if found.assembled is not None:  # otherwise what it read is not known: not kept
        with _LOCK:
            _RECENT[key] = (_disk_state(found), found)
            _RECENT.move_to_end(key)
            while len(_RECENT) > _RECENT_SIZE:
                _RECENT.popitem(last=False)
    return found


def _disk_state(found: Checked) -> tuple:
    """When and how big each file the check read, and each folder of its chain, is now (a
    folder's time changes when a file in it is added, removed or renamed)."""
    paths = [*found.assembled.files, *found.assembled.chain]
    out = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            out.append((path, None))
            continue
        out.append((path, stat.st_mtime_ns, stat.st_size, stat.st_ino))
    return tuple(out)


def diagnose(root: Path, rules: Path, overrides: Mapping[Path, str]) -> list[Diagnostic]:
    """What ``kaohe validate rules`` reports (errors of the first failing stage, or the
    warnings), with each span's ``file`` the absolute path of the file it is in, so a
    problem found in another file (an inherited year's, the roster) stays there.

    ``root`` is the rules root: a display name that could be two files (a bundled rule
    set's and one of the same name in the working folder) means the one under it."""
    found = checked(rules, overrides).diagnostics
    return [_absolute(d, root) for d in found]


def affected_rule_sets(root: Path, path: Path, overrides: Mapping[Path, str]) -> list[Path]:
    """The rule set folders an edit of ``path`` may change: its own, then those that
    inherit it (``kaohe validate --inheritors``); empty for a file outside any rule set."""
    own = rule_set_of(path, root)
    if own is None:
        return []
    with buffers(overrides):  # an unsaved 继承 counts
        found = inheritors([own])
    return [own, *(f for f in found if f.is_relative_to(root.resolve()))]


def _absolute(diagnostic: Diagnostic, root: Path) -> Diagnostic:
    span = diagnostic.span
    if span is None:
        return diagnostic
    path = real_path(span.file, root)
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
