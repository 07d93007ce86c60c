"""What the workbench shows of a rules root, each made by the pipeline and the outputs the
commands use: the rule sets (years), a year's manual (``kaohe doc``), what it changes from
the year it inherits (``kaohe diff``), its results on the data (``kaohe evaluate``) and one
unit's explanation (``kaohe explain``). Nothing here checks or scores by itself."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.workbench.serve.files import Refused, contained, rule_files

RULESET_FILE = "规则集.yaml"

# A citation as explanations and diffs print it: rules/2024/市县.yaml:42
_CITATION = re.compile(r"([^\s〔〕:：]+\.ya?ml):(\d+)")


@dataclass
class Workspace:
    """A rules root, the data folder (optional), and what was loaded from them, kept until
    a rule file changes on disk."""

    root: Path
    data: Path | None = None
    read_only: bool = False  # the bundled rules: shown, never written
    _cache: dict = field(default_factory=dict)
    _read_outside: set = field(default_factory=set)  # rule files loaded from above the root
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    @property
    def load_root(self) -> Path:
        """The folder 继承 may reach into when loading: the root, or, when the root is one
        rule set folder (rules/2024), its parent, as kaohe validate rules/2024 loads it.
        Files outside the root are read for that, never listed, opened or written."""
        return self.root.parent if (self.root / RULESET_FILE).is_file() else self.root

    # --- the rule sets of the root -------------------------------------------------------

    def rulesets(self) -> list[Path]:
        """The rule set folders: the root itself when it is one, else its subfolders that
        are (a rules root holds one folder a year)."""
        if (self.root / RULESET_FILE).is_file():
            return [self.root]
        return sorted(
            p
            for p in self.root.iterdir()
            if (p / RULESET_FILE).is_file() and p.resolve().is_relative_to(self.root)
        )

    def ruleset(self, name: str) -> Path:
        """A rule set folder by its name relative to the root (``2024``; ``.`` for the root)."""
        for folder in self.rulesets():
            if self.name_of(folder) == name:
                return folder
        raise Refused("KH593", f"规则目录中没有规则集 {name!r}", 404)

    def name_of(self, folder: Path) -> str:
        """A rule set's name on the page: its folder relative to the root (the folder's own
        name when the root is that rule set)."""
        return folder.relative_to(self.root).as_posix() if folder != self.root else folder.name

    def tree(self) -> list[dict]:
        """Each rule set with its files, for the side panel."""
        return [
            {
                "名称": self.name_of(folder),
                "文件": [
                    {"路径": path, "名称": self.in_ruleset(path, folder)}
                    for path in rule_files(self.root, folder)
                ],
            }
            for folder in self.rulesets()
        ]

    def in_ruleset(self, path: str, folder: Path) -> str:
        """A file's name within its rule set folder (the side panel shows that)."""
        return (self.root / path).relative_to(folder).as_posix()

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    # --- loading, cached by the files' state on disk ---------------------------------------

    def _state(self) -> tuple:
        """What loading and scoring depend on: the name, size and change time of every file
        under the root and the data folder, and of the files loaded from outside the root
        (the inherited year of a rule set folder opened as the root)."""
        paths = set(self._read_outside)
        for folder in (self.root, self.data):
            if folder is not None:
                paths.update(p for p in folder.rglob("*") if not p.is_dir())
        state = []
        for path in sorted(paths):
            try:
                status = path.stat()
            except OSError:
                continue
            state.append((str(path), status.st_size, status.st_mtime_ns))
        return tuple(state)

    def cached(self, key: tuple, make):
        """``make()``, kept until a rule file changes on disk."""
        state = self._state()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == state:
                return hit[1]
        value = make()
        # Taken again: loading may have named files outside the root to watch from now on.
        state = self._state()
        with self._lock:
            self._cache[key] = (state, value)
        return value

    def loaded(self, folder: Path):
        """The rule set as ``kaohe validate`` loads it (KaoheError when it has errors)."""
        from kaohe_rules.pipeline import load_rules

        def load():
            loaded = load_rules(folder, self.load_root)
            outside = [p for p in loaded.resolved.ruleset.files if not p.is_relative_to(self.root)]
            self._read_outside.update(outside)
            return loaded

        return self.cached(("loaded", folder), load)

    def evaluation(self, folder: Path):
        """The rule set on the data, as ``kaohe evaluate --rules … --data …`` runs it."""
        from kaohe_rules.pipeline import run_loaded

        if self.data is None:
            raise Refused("KH594", "没有给出数据文件夹（kaohe serve --data 文件夹）", 404)
        loaded = self.loaded(folder)
        return self.cached(("evaluation", folder), lambda: run_loaded(loaded, self.data))

    # --- the pages ---------------------------------------------------------------------------

    def manual_html(self, folder: Path) -> str:
        """The year's 考核指标及评分细则, the page ``kaohe doc -o …html`` writes."""
        from kaohe_rules.outputs.manual import build_manual
        from kaohe_rules.outputs.manual_html import render_html

        return render_html(build_manual(self.loaded(folder).resolved.ruleset))

    def inheritance(self, folder: Path) -> dict:
        """What the year changes from the year it inherits (``kaohe diff PARENT YEAR``)."""
        from kaohe_rules.outputs.diff import diff_rules

        ruleset = self.loaded(folder).resolved.ruleset
        parent = self.parent_of(folder)
        if parent is None:
            return {"上一级": None, "变化": []}
        before = self.loaded(parent).resolved.ruleset
        changes = [self.linked_change(c.to_dict()) for c in diff_rules(before, ruleset)]
        return {"上一级": self.name_of(parent), "变化": changes}

    def parent_of(self, folder: Path) -> Path | None:
        """The folder a rule set's 继承 names, as the pipeline's assemble stage followed it."""
        from kaohe_rules.pipeline import check_rules

        def chain() -> list[Path]:
            assembled = check_rules(folder, self.load_root).assembled
            return assembled.chain if assembled is not None else []

        found = self.cached(("chain", folder), chain)
        return found[-2] if len(found) > 1 else None

    def results(self, folder: Path) -> dict:
        """The 结果 table of ``kaohe evaluate``: one row per unit."""
        from kaohe_rules.outputs.report import result_rows
        from kaohe_rules.read.bundled import sample_notice

        evaluation = self.evaluation(folder)
        header, rows = result_rows(evaluation)
        return {
            "表头": header,
            "行": rows,
            "指纹": evaluation.fingerprint,
            "数据说明": sample_notice(evaluation.data),
        }

    def explanation(self, folder: Path, unit: str) -> dict:
        """``kaohe explain UNIT``: its text, and each cited file as a path in the root."""
        from kaohe_rules.outputs.explain import explain, render_text

        text = render_text(explain(self.evaluation(folder), unit))
        return {"文本": text, "链接": self.links(text)}

    # --- citations -------------------------------------------------------------------------

    def links(self, text: str) -> dict[str, str]:
        """Each file a text cites, mapped to its path under the root when it lies there."""
        found = {}
        for match in _CITATION.finditer(text):
            cited = match.group(1)
            if cited not in found:
                target = self.cited_path(cited)
                if target is not None:
                    found[cited] = target
        return found

    def cited_path(self, cited: str) -> str | None:
        """The root-relative path of a file as a citation or a diagnostic names it (the
        editing services undo display_path), None when it lies outside the root."""
        from kaohe_rules.editing.files import real_path

        path = real_path(cited, self.root)  # rules/…: the served copy, not the bundled
        if path is None:
            return None
        try:
            path = path.resolve()
        except (OSError, RuntimeError):
            return None
        return self.relative(path) if path.is_file() and path.is_relative_to(self.root) else None

    def linked_change(self, change: dict) -> dict:
        for key in ("原出处", "新出处"):
            cited = change.get(key)
            if cited:
                file, _, line = cited.rpartition(":")
                path = self.cited_path(file)
                change[key + "链接"] = {"文件": path, "行": int(line)} if path else None
        return change

    def file_path(self, relative: str) -> Path:
        return contained(self.root, relative)


def problems(error: KaoheError, workspace: Workspace) -> list[dict]:
    """A KaoheError's diagnostics as the pages show them, each place linked into the root."""
    return [diagnostic_dict(d, workspace) for d in error.diagnostics]


def diagnostic_dict(diagnostic: Diagnostic, workspace: Workspace) -> dict:
    span = diagnostic.span
    place = None
    if span is not None and span.file:
        path = workspace.cited_path(span.file)
        place = {"文件": path, "显示": span.file, "行": span.line, "列": span.column}
    return {
        "代码": diagnostic.code,
        "名称": diagnostic.name,
        "级别": str(diagnostic.severity),
        "消息": diagnostic.message,
        "提示": diagnostic.hint,
        "位置": place,
    }
