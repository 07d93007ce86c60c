"""The rule files the workbench may read and write: every path is contained in the rules
root (symlinks resolved first), every read carries a version, and a save is atomic and
refused when the file changed on disk since the version the editor holds."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

EDITABLE_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 2 * 1024 * 1024  # a rule file is a few KB; the limit keeps a read bounded


class Refused(Exception):
    """A request the workbench will not carry out: a stable code, a Chinese message and
    the HTTP status it answers with."""

    def __init__(self, code: str, message: str, status: int, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.hint = code, message, status, hint


@dataclass(frozen=True)
class FileText:
    """A rule file's text and the version (a hash of its bytes) it was read at."""

    path: str  # relative to the root, with forward slashes
    text: str
    version: str


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def contained(root: Path, relative: str) -> Path:
    """The file ``relative`` names under ``root``, after every symlink is followed; KH585
    for an absolute path, a ``..`` step, or a link that leads out of the root."""
    if not relative or "\0" in relative or "\\" in relative:
        raise _outside(relative)
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts:
        raise _outside(relative)
    try:
        resolved = (root / pure).resolve()
    except (OSError, RuntimeError):  # a name too long for the system, a symlink loop
        raise _outside(relative) from None
    if not resolved.is_relative_to(root.resolve()):
        raise _outside(relative)
    return resolved


def _outside(relative: str) -> Refused:
    shown = relative if len(relative) <= 80 else relative[:80] + "…"
    return Refused("KH585", f"路径 {shown!r} 不在规则目录之内", 403, "只能打开规则目录中的文件")


def editable(root: Path, relative: str) -> Path:
    """A rule file (YAML, a regular file) inside the root; KH585/KH590 otherwise."""
    path = contained(root, relative)
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except (OSError, RuntimeError):
        raise _outside(relative) from None
    if path.suffix.lower() not in EDITABLE_SUFFIXES:
        raise Refused("KH590", f"{relative} 不是规则文件（.yaml）", 403)
    if path.exists() and not path.is_file():
        raise Refused("KH590", f"{relative} 不是普通文件", 403)
    return path


def read(root: Path, relative: str) -> FileText:
    """The text of a rule file and its version."""
    path = editable(root, relative)
    if not path.is_file():
        raise Refused("KH591", f"找不到文件 {relative}", 404)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise Refused(
            "KH589", f"{relative} 超过 {MAX_FILE_BYTES // 1024} KB，不在工作台中打开", 413
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("KH590", f"{relative} 不是 UTF-8 编码的文本", 415) from None
    # The path as the tree and the diagnostics name it (./2024/x.yaml and 2024//x.yaml are
    # 2024/x.yaml), so the page matches problems to the open file.
    return FileText(_canonical(root, path), text, version_of(data))


def _canonical(root: Path, path: Path) -> str:
    return path.relative_to(root.resolve()).as_posix()


def save(root: Path, relative: str, text: str, version: str) -> FileText:
    """Write ``text`` over the file atomically, when its bytes on disk are still those of
    ``version``; KH586 when someone changed it since. Returns the new version."""
    path = editable(root, relative)
    if not path.is_file():  # the workbench edits the rule files there are; it makes none
        raise Refused("KH591", f"找不到文件 {relative}：工作台只保存已有的规则文件", 404)
    current = path.read_bytes()
    if version_of(current) != version:
        raise Refused(
            "KH586",
            f"{relative} 在打开之后被其他程序改过，没有保存",
            409,
            "重新载入文件（你的修改会丢失，可先复制下来），再改一次",
        )
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no file can hold it as UTF-8
        raise Refused("KH595", "文本中有无法写成 UTF-8 的字符（孤立的代理项）", 400) from None
    _write_atomically(path, data)
    return FileText(_canonical(root, path), text, version_of(data))


def _write_atomically(path: Path, data: bytes) -> None:
    """A temporary file beside ``path``, synced, then renamed over it: a reader never
    sees half a file. The file keeps its permissions."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def rule_files(root: Path, folder: Path) -> list[str]:
    """The YAML files of one rule set folder (its 专项 and tests included), relative to
    the root; links that lead out of the root are left out."""
    top = root.resolve()
    found = []
    for path in sorted(folder.rglob("*.yaml")):
        try:
            inside = path.resolve().is_relative_to(top)
        except (OSError, RuntimeError):
            continue
        if inside and path.is_file():
            found.append(path.relative_to(root).as_posix())
    return found
