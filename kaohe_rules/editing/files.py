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


def real_path(file: str) -> Path | None:
    """The file a span's ``file`` names (``source.display_path`` undone): tried in the
    order display_path chose, the bundled folders, the working folder, the checkout."""
    written = Path(file)
    if written.is_absolute():
        return written
    candidates = []
    if written.parts and written.parts[0] in BUNDLED_FOLDERS:
        candidates.append(data_path(written.parts[0]).joinpath(*written.parts[1:]))
    candidates += [Path.cwd() / written, data_path("rules").parent / written]
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    return None
