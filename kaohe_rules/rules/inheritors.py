"""Finds the rule sets that inherit (继承), directly or through others, from given ones.

A pre-commit hook receives the files a commit changed; a change to 2023/市县.yaml also
changes every year that inherits 2023, and those must be checked too (decision 77).

``继承`` may only name a folder under the inheriting folder's parent (rules/assemble.py),
so a rule set that inherits X is a child folder of one of X's ancestors: those children
are all there is to read, up to the top of the repository holding X.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.rules.assemble import RULESET_FILE
from kaohe_rules.rules.loader import YMap, load_file

UNREADABLE = Path("<unreadable>")  # what a 规则集.yaml that cannot be read inherits


def inheritors(folders: Iterable[Path]) -> list[Path]:
    """The rule set folders (resolved, sorted) that inherit from any of ``folders``, not
    ``folders`` themselves.

    A candidate whose 规则集.yaml cannot be read is counted in: whether it inherits is
    unknown, and checking it shows what is wrong with it rather than passing in silence.
    """
    given = [folder.resolve() for folder in folders]
    parents: dict[Path, Path | None] = {}  # candidate -> the folder it inherits
    found: set[Path] = set()
    pending = list(given)
    while pending:
        changed = pending.pop()
        for candidate in _candidates(changed, parents):
            if candidate in found or candidate in given:
                continue
            if parents[candidate] in (changed, UNREADABLE):
                found.add(candidate)
                pending.append(candidate)
    return sorted(found)


def repository_top(folder: Path) -> Path:
    """Where the search for inheritors stops: the top of the Git repository holding
    ``folder``; outside one, the working folder when it holds ``folder``, else the
    folder's parent (its sibling years)."""
    for above in folder.parents:
        if (above / ".git").exists():
            return above
    cwd = Path.cwd().resolve()
    return cwd if folder.is_relative_to(cwd) and folder != cwd else folder.parent


def _candidates(changed: Path, parents: dict[Path, Path | None]) -> list[Path]:
    """Rule set folders that may inherit ``changed``, each with its parent recorded."""
    top = repository_top(changed)
    out = []
    for above in changed.parents:
        for child in _rule_sets_in(above):
            if child not in parents:
                parents[child] = _inherited(child)
            out.append(child)
        if above == top or not above.is_relative_to(top):
            break
    return out


def _rule_sets_in(folder: Path) -> list[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError:  # unreadable: nothing found there, as git would not list it either
        return []
    # Hidden folders (.git, .venv, .pre-commit caches) hold no rule sets of the repository.
    found = (_rule_set(c) for c in children if not c.name.startswith("."))
    return [c for c in found if c is not None]


def _rule_set(folder: Path) -> Path | None:
    """``folder`` resolved when it holds a 规则集.yaml; None when not, or unreadable (a
    folder without permission, a symlink loop)."""
    try:
        return folder.resolve() if (folder / RULESET_FILE).is_file() else None
    except (OSError, RuntimeError):
        return None


def _inherited(folder: Path) -> Path | None:
    """The folder ``folder``'s 规则集.yaml inherits (None: it inherits nothing)."""
    try:
        document = load_file(folder / RULESET_FILE)
    except (KaoheError, OSError):
        return UNREADABLE
    written = document.get("继承") if isinstance(document, YMap) else None
    if not isinstance(written, str):
        return None
    try:
        return (folder / written).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop, or a NUL in the path
        return UNREADABLE
