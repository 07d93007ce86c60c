"""Reads a rule set folder and the years it inherits into one set of merged documents.

A rule set is a folder with 规则集.yaml, which names the roster file, one
file per domain and one per special assessment (专项考核). ``继承: ../2023``
makes the folder a revision of another: its files are merge patches (see
merge.py) on that year's documents.

Containment: the files a 规则集.yaml names (名单, the roster table 名单 names, 领域,
专项考核) lie inside that 规则集.yaml's folder, symlinks followed; ``继承`` names another
rule set folder under the rules root (the folder holding the year folders). A path is
refused before anything is read, so no message ever shows a file outside.
"""

from __future__ import annotations

import errno
import os
from dataclasses import field
from pathlib import Path

from kaohe_rules.diagnostics import Collector, Diagnostic, KaoheError
from kaohe_rules.records import data_record
from kaohe_rules.rules.loader import YMap, load_file
from kaohe_rules.rules.merge import merge_patch, strip_key
from kaohe_rules.source import Span, bounded, display_path, not_regular

RULESET_FILE = "规则集.yaml"


@data_record(frozen=False)
class Assembled:
    """The merged documents of one year, with the files they came from."""

    folder: Path
    ruleset: YMap
    roster: YMap | None = None
    roster_table: Path | None = None  # 名单's 单位 given as a CSV/XLSX file
    domains: dict[str, YMap] = field(default_factory=dict)
    specials: dict[str, YMap] = field(default_factory=dict)  # 专项考核 name → document
    files: list[Path] = field(default_factory=list)
    chain: list[Path] = field(default_factory=list)


def assemble(folder: Path, root: Path | None = None) -> Assembled:
    """The year's merged documents; raise KaoheError listing every file problem."""
    folder = folder.resolve()
    root = (root or folder.parent).resolve()
    errors = Collector()
    levels = _chain(folder, root, errors)
    errors.raise_if_errors()
    result = Assembled(folder, YMap(), chain=[level for level, _doc in levels])
    merged: YMap | None = None
    for level, document in levels:
        result.files.append(level / RULESET_FILE)
        merged = document if merged is None else merge_patch(merged, document)
        _read_level(level, document, result, errors)
    errors.raise_if_errors()
    result.ruleset = strip_key(merged, "继承") if "继承" in merged else merged
    return result


def _chain(folder: Path, root: Path, errors: Collector) -> list[tuple[Path, YMap]]:
    """The folders from the oldest ancestor to ``folder``, each with its 规则集.yaml."""
    levels: list[tuple[Path, YMap]] = []
    seen: dict[Path, Span | None] = {}
    current, via = folder, None
    while current is not None:
        if current in seen:
            errors.error(
                "KH209",
                f"继承形成循环：{display_path(current)} 已在继承链中",
                via,
                "检查 继承 的路径",
            )
            break
        seen[current] = via
        if via is not None and not _ruleset_file_inside(current, root, via, errors):
            break
        document = _load(current / RULESET_FILE, via, errors)
        if not isinstance(document, YMap):
            break
        levels.append((current, document))
        parent = document.get("继承")
        if not isinstance(parent, str):
            break
        via = document.values_at["继承"]
        current = _ruleset_folder(current, parent, root, via, errors)
    return list(reversed(levels))


def _ruleset_folder(
    level: Path, written: str, root: Path, where: Span | None, errors: Collector
) -> Path | None:
    """The folder ``继承`` names, when it lies under the rules root (not the root itself)."""
    path = level / written
    refused = _refusal(path)
    if refused is not None:
        errors.error("KH208", f"无法读取文件夹 {_shown(written)}：{refused}", where)
        return None
    resolved = path.resolve()
    if resolved != level and (resolved == root or not resolved.is_relative_to(root)):
        errors.error(
            "KH210",
            f"继承的文件夹 {_shown(written)} 不在规则目录 {display_path(root)} 之下",
            where,
            "继承 只能指向同一规则目录下另一个年度的规则集文件夹，如 继承: ../2023",
        )
        return None
    return resolved


def _ruleset_file_inside(level: Path, root: Path, where: Span, errors: Collector) -> bool:
    """Whether an inherited year's 规则集.yaml, symlinks followed, lies under the rules
    root; KH210 (nothing read) when it leads outside."""
    path = level / RULESET_FILE
    if _refusal(path) is not None or not path.exists():
        return True  # _load names what is wrong with it
    if path.resolve().is_relative_to(root):
        return True
    errors.error(
        "KH210",
        f"继承的 {display_path(level)}/{RULESET_FILE} 链接到规则目录 {display_path(root)} 之外",
        where,
        "继承的规则集文件须在规则目录之内，不能是指向其外的符号链接",
    )
    return False


def folder_file_problem(path: Path, folder: Path) -> Diagnostic | None:
    """Why a file found in rule set ``folder`` (a test case file in tests/, a file kaohe
    fmt rewrites) must not be read: a pipe, device or symlink loop (KH208), or a symlink
    — of the file or of a folder on the way — leading outside the folder (KH210)."""
    shown = f"{display_path(folder)}/{path.relative_to(folder).as_posix()}"
    span = Span(shown, 1, 1, 1, 1)
    refused = _refusal(path)
    if refused is not None:
        return Diagnostic("KH208", f"无法读取文件 {bounded(shown)}：{refused}", span)
    if not path.is_file():
        reason = "这是一个文件夹" if path.is_dir() else "找不到文件（符号链接指向的文件不存在）"
        return Diagnostic("KH208", f"无法读取文件 {bounded(shown)}：{reason}", span)
    if not path.resolve().is_relative_to(folder.resolve()):
        # Placed at the folder holding the link: a message never quotes the outside file.
        holder = f"{display_path(folder)}/{path.parent.relative_to(folder).as_posix()}"
        return Diagnostic(
            "KH210",
            f"文件 {bounded(shown)} 链接到规则集文件夹 {display_path(folder)} 之外",
            Span(holder, 1, 1, 1, 1),
            "规则集的文件（包括 tests/ 中的用例）须在规则集文件夹内，不能是指向其外的符号链接",
        )
    return None


def _read_level(level: Path, document: YMap, out: Assembled, errors: Collector) -> None:
    roster = document.get("名单")
    if isinstance(roster, str):
        path = _inside(level, roster, document.values_at["名单"], errors)
        loaded = _load(path, document.values_at["名单"], errors) if path else None
        if isinstance(loaded, YMap):
            out.roster = loaded
            out.files.append(path)
            out.roster_table = None
            table = loaded.get("单位")
            if isinstance(table, str):  # the units listed in a CSV/XLSX file beside it
                where = loaded.values_at["单位"]
                found = _inside(level, table, where, errors, path.parent)
                if found is not None and not found.is_file():
                    errors.error("KH208", f"找不到文件 {display_path(found)}", where)
                elif found is not None:
                    out.roster_table = found
                    out.files.append(found)
    for key, documents in (("领域", out.domains), ("专项考核", out.specials)):
        _read_files(level, document.get(key), documents, out.files, errors)


def _read_files(
    level: Path,
    table: object,
    documents: dict[str, YMap],
    files: list[Path],
    errors: Collector,
) -> None:
    """The files a name → file table lists (领域, 专项考核), each merged onto the document
    of that name an earlier year gave; ``~`` instead of a file drops the name."""
    if not isinstance(table, YMap):
        return
    for name, file in table.items():
        if file is None:
            documents.pop(name, None)
            continue
        if not isinstance(file, str):
            continue
        where = table.values_at[name]
        path = _inside(level, file, where, errors)
        loaded = _load(path, where, errors) if path else None
        if isinstance(loaded, YMap):
            documents[name] = merge_patch(documents.get(name), loaded)
            files.append(path)


def _inside(
    level: Path, written: str, where: Span | None, errors: Collector, base: Path | None = None
) -> Path | None:
    """The file ``written`` (relative to ``base``, by default the level's folder) when it
    lies inside ``level``, the folder of the 规则集.yaml that names it; None, with KH208 or
    KH210, otherwise. Checked before the file is opened."""
    path = (base or level) / written
    refused = _refusal(path)
    if refused is not None:  # before resolving (a loop never resolves) and reading
        errors.error("KH208", f"无法读取文件 {_shown(written)}：{refused}", where)
        return None
    resolved = path.resolve()
    if not resolved.is_relative_to(level):
        errors.error(
            "KH210",
            f"路径 {_shown(written)} 在规则集文件夹 {display_path(level)} 之外",
            where,
            "规则集引用的文件（名单、领域、专项考核）须在 规则集.yaml 所在的文件夹内；"
            "用上一年度的文件请写 继承",
        )
        return None
    return resolved


def _shown(written: str) -> str:
    """A path as written in a rule file, as a message may quote it."""
    return bounded(written.replace("\x00", "\\0"))


def _refusal(path: Path) -> str | None:
    """Why a path a rule file names cannot be opened at all, asked before anything else:
    a NUL (an escape in quotes) or an over-long name makes every file call raise."""
    if "\x00" in str(path):
        return "路径中有 NUL 字符"
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            return "路径太长"
    return not_regular(path)


def _load(path: Path | None, where: Span | None, errors: Collector) -> object:
    if path is None:
        return None
    refused = not_regular(path)
    if refused is not None:  # a pipe, a device or a loop is there, not missing
        shown = bounded(display_path(path))
        errors.error(
            "KH208",
            f"无法读取文件 {shown}：{refused}",
            where or Span(display_path(path), 1, 1, 1, 1),
        )
        return None
    if not path.is_file():
        errors.add(
            Diagnostic(
                "KH208",
                f"找不到文件 {bounded(display_path(path))}",
                where or Span(display_path(path), 1, 1, 1, 1),
                f"规则集文件夹中应有 {RULESET_FILE}" if path.name == RULESET_FILE else None,
            )
        )
        return None
    try:
        document = load_file(path, display_path(path))
    except KaoheError as error:
        for diagnostic in error.diagnostics:
            errors.add(diagnostic)
        return None
    if not isinstance(document, YMap):
        # A list or a bare value where a mapping of keys belongs: say so at the file.
        span = getattr(document, "span", None) or Span(display_path(path), 1, 1, 1, 2)
        message = f"{path.name} 应是一个映射（键: 值），这里是{_kind(document)}"
        errors.error("KH212", message, span)
        return None
    return document


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "列表"
    return "文本" if isinstance(value, str) else f"单个值 {value!r}"
