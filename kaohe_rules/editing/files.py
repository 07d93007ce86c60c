"""Which rule set a file belongs to, and the file a diagnostic's display name stands for."""

from __future__ import annotations

from pathlib import Path

from kaohe_rules.resources import data_path
from kaohe_rules.rules.assemble import RULESET_FILE
from kaohe_rules.source import BUNDLED_FOLDERS


def rule_set_of(path: Path, root: Path) -> Path | None:
    """The rule set folder (resolved) holding ``path``: the nearest folder at or above it,
    up to ``root``, with a 规则集.yaml; None for a file outside any rule set."""
    path, root = path.resolve(), root.resolve()
    folder = path if path.is_dir() else path.parent
    while folder.is_relative_to(root):
        if (folder / RULESET_FILE).is_file():
            return folder
        if folder == root:
            break
        folder = folder.parent
    return None


def real_path(file: str, root: Path | None = None) -> Path | None:
    """The file a span's ``file`` names (``source.display_path`` undone). A relative name
    may be a bundled rule set's (``rules/2024/…``), or relative to the working folder or
    the checkout; when several such files exist, the one under ``root`` (the rules root
    being edited) is meant, else the first in the order display_path tries them."""
    written = Path(file)
    if written.is_absolute():
        return written
    key = (file, root.resolve() if root is not None else None, Path.cwd())
    found = _FOUND.get(key)
    if found is None:
        found = _relative(*key)
        if found is not None and len(_FOUND) < 4096:
            _FOUND[key] = found
    return found


# A few files are named by every span of a rule set: each name found is looked for once.
# (Which of two files a name means could change only if one of them appeared or went
# away; a name not found is looked for again.)
_FOUND: dict[tuple[str, Path | None, Path], Path] = {}


def _relative(file: str, root: Path | None, cwd: Path) -> Path | None:
    written = Path(file)
    candidates = []
    if written.parts and written.parts[0] in BUNDLED_FOLDERS:
        candidates.append(data_path(written.parts[0]).joinpath(*written.parts[1:]))
    candidates += [cwd / written, data_path("rules").parent / written]
    found = [c.resolve() for c in candidates if c.exists()]
    if root is not None:
        inside = [c for c in found if c.is_relative_to(root)]
        found = inside or found
    return found[0] if found else None
