"""Positions in source text: spans, expression origins inside files, and caret excerpts.

This module imports nothing from the package but resources (where the bundled rule sets
are), so every other module may use it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from kaohe_rules.records import data_record

EXPR_SOURCE = "<表达式>"


@data_record(slots=True)
class Span:
    """A region of a source: 1-based line and column, end column exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of ``other``."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


@data_record(slots=True)
class Origin:
    """Where an expression's text starts inside a file.

    ``continuation_column`` is the file column at which the expression's second
    and later lines start (the indentation of a YAML block scalar); when it is
    None those lines keep their own columns.
    """

    file: str = EXPR_SOURCE
    line: int = 1
    column: int = 1
    continuation_column: int | None = None
    # For text that YAML folded or unescaped: the file position of each character,
    # line by line of the expression text.
    positions: tuple[tuple[tuple[int, int], ...], ...] | None = None

    def map(self, line: int, column: int) -> tuple[int, int]:
        """Map a position inside the expression text to a position in the file."""
        if self.positions is not None and 0 < line <= len(self.positions):
            row = self.positions[line - 1]
            if 0 < column <= len(row):
                return row[column - 1]
            if row:
                last_line, last_column = row[-1]
                return last_line, last_column + column - len(row)
        if line == 1:
            return self.line, self.column + column - 1
        if self.continuation_column is None:
            return self.line + line - 1, column
        return self.line + line - 1, self.continuation_column + column - 1

    def span(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        """A file span for a region given in expression coordinates."""
        start = self.map(line, column)
        end = self.map(end_line, end_column)
        return Span(self.file, start[0], start[1], end[0], end[1])


def display_width(text: str) -> int:
    """Terminal columns taken by ``text``: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


EXCERPT = 200  # characters of an input line a message shows at most


def bounded(text: str, limit: int = EXCERPT) -> str:
    """``text`` as a message may quote it: at most ``limit`` characters, and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（共 {len(text)} 个字符）"


# C0 and C1 control characters but tab and line feed: a data cell holding ESC ] 0 ; … BEL
# would retitle the terminal (or ESC [ 2 J clear it) when a message quotes it raw.
# Bidi overrides and isolates too: U+202E would print the rest of the line reversed.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown_controls(text: str) -> str:
    """``text`` with each control character written as its escape (ESC as ``\\x1b``, NUL
    as ``\\x00``, U+202E as ``\\u202e``), as a message or a quoted line prints it."""
    if text.isprintable() or not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(_escape, text)


def _escape(found: re.Match) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


# Names (unit ids and names, indicators, data items …) as text. An invisible or control
# character (Unicode Cf: U+200B, U+200D, U+FEFF, bidi controls, soft hyphen; Cc) makes
# two names that look the same differ; a compatibility form (full-width Ｊ０１, ① …) is the
# same name to a reader, so names are compared by their NFKC form (docs/decisions.md).


_HIDDEN = ("Cf", "Cc")  # Unicode categories: format (invisible) and control characters

HIDDEN_HINT = "删除它（常见于从网页、微信或 Word 复制的文字）；它会让看起来相同的两个名称不同"


def hidden_character(text: str) -> int | None:
    """The index of the first invisible or control character in a name, or None."""
    if text.isprintable():  # the common case, in C: no Cc, Cf (nor Zs but the space)
        return None
    for index, char in enumerate(text):
        if unicodedata.category(char) in _HIDDEN:
            return index
    return None


def without_hidden(text: str) -> str:
    """``text`` without its invisible and control characters: what a reader sees of it."""
    if hidden_character(text) is None:
        return text
    return "".join(c for c in text if unicodedata.category(c) not in _HIDDEN)


def name_key(text: str) -> str:
    """What two names are compared by: their NFKC form (full-width Ｊ０１ is J01)."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def all_name_keys(joined: str) -> bool:
    """Whether names joined by "\n" are each their own name_key: "\n" is a stable code
    point, so the joined text is NFKC-normal exactly when every name is (one C pass over a
    million names instead of a call each)."""
    return unicodedata.is_normalized("NFKC", joined)


def name_keys(names: Sequence[str]) -> Sequence[str]:
    """name_key of each name (the names themselves when none changes)."""
    if all_name_keys("\n".join(names)):
        return names
    return [name_key(name) for name in names]


def plain_name(text: str) -> str:
    """A name without its invisible characters, in NFKC form: what a reader sees."""
    return name_key(without_hidden(text))


def compatibility_character(text: str) -> int | None:
    """The index of the first character NFKC changes (full-width Ｊ, １, （), or None."""
    if unicodedata.is_normalized("NFKC", text):
        return None
    for index, char in enumerate(text):
        if unicodedata.normalize("NFKC", char) != char:
            return index
    return None


def edge_space(text: str) -> int | None:
    """The index of a space of any kind (" ", U+3000, U+00A0, a tab …) at the start or end
    of a name, or None: data cells are read trimmed, so such a name matches none of them."""
    if text and text[0].isspace():
        return 0
    if text and text[-1].isspace():
        return len(text) - 1
    return None


EDGE_HINT = "（数据文件的单元格读入时去掉首尾空格，带空格的名称对不上任何数据）"


def id_meant(text: str) -> str:
    """The unit id a reader sees in ``text``: NFKC, without invisible characters or spaces
    (an id is a code: full-width ３３０１００ and 330100 plus U+00A0 both mean 330100)."""
    return "".join(plain_name(text).split())


def id_hint(text: str, index: int) -> str:
    """The hint for a unit id whose character ``index`` NFKC changes: the id meant, and for
    a space (U+00A0, U+3000 …) that it goes, not that it becomes " "."""
    meant = bounded(id_meant(text), 60)
    if text[index].isspace():
        return f"编号中不能有空格：删去 {character_name(text[index])}，写成 '{meant}'"
    return f"编号请用半角字母和数字：写成 '{meant}'"


def shown_character(char: str) -> str:
    """A character as a message quotes it: '３'; a space or unseen one by its code point."""
    return character_name(char) if char.isspace() or not char.isprintable() else f"'{char}'"


def character_name(char: str) -> str:
    """U+200B and, where Unicode names it, its name: how a message shows an unseen char."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f"（{name}）" if name else "")


def compatibility_difference(first: str, second: str) -> str:
    """How two names with one NFKC form differ, for a message: "只差兼容写法" and the first
    pair of characters that differ (全角 Ｊ and J, Kangxi ⾦ and 金, e plus U+0301 and é)."""
    pairs = enumerate(zip(first, second, strict=False))
    index = next((i for i, (a, b) in pairs if a != b), None)
    if index is None:
        return "只差兼容写法"
    return (
        f"只差兼容写法：'{first[index]}' {character_name(first[index])} 与 "
        f"'{second[index]}' {character_name(second[index])}"
    )


def caret_excerpt(line_text: str, line: int, column: int, end_column: int) -> list[str]:
    """The numbered source line and a caret line under ``column..end_column``.

    Columns are character positions; the carets are placed by display width so
    that they stand under Chinese text in a terminal.
    """
    text = line_text.rstrip("\r\n").replace("\t", " ")
    start = max(column - 1, 0)
    stop = max(min(end_column - 1, len(text)), start + 1)
    if len(text) > EXCERPT:
        # A line of megabytes is shown as the part around the place, not echoed whole.
        first = max(0, min(start - EXCERPT // 3, len(text) - EXCERPT))
        last = first + EXCERPT
        before, after = ("…" if first else ""), ("…" if last < len(text) else "")
        stop = min(stop, last)
        text = before + text[first:last] + after
        start, stop = start - first + len(before), stop - first + len(before)
    gutter = f"{line:>5} | "
    pad = " " * display_width(shown_controls(text[:start]))
    carets = "^" * max(display_width(shown_controls(text[start:stop])), 1)
    return [gutter + shown_controls(text), " " * (len(gutter) - 2) + "| " + pad + carets]


LINE_BYTES = 1 << 20  # bytes of one file line a message may quote: the caret window is less


class SourceLines:
    """Lines of source texts, from memory where registered, else read from disk.

    A file is read line by line up to the line a message quotes, never whole: a message
    about a 3 GB data file holds one bounded line of it, not the file (review 2, finding 3).
    """

    def __init__(self, texts: dict[str, str] | None = None) -> None:
        self._texts: dict[str, list[str]] = {}
        self._quoted: dict[tuple[str, int], str | None] = {}
        # Where the last read of each file stopped (next line number, byte offset), so
        # messages in line order read the file once.
        self._resume: dict[str, tuple[int, int]] = {}
        for name, text in (texts or {}).items():
            self.add(name, text)

    def add(self, name: str, text: str) -> None:
        """Register an in-memory source (an expression typed on the command line)."""
        self._texts[name] = _lines(text)

    def line(self, name: str, number: int) -> str | None:
        """Line ``number`` (1-based) of source ``name``, or None when unknown."""
        lines = self._texts.get(name)
        if lines is not None:
            return lines[number - 1] if 1 <= number <= len(lines) else None
        if (name, number) not in self._quoted:
            self._quoted[name, number] = self._read(name, number)
        return self._quoted[name, number]

    def _read(self, name: str, number: int) -> str | None:
        if number < 1:
            return None
        try:
            # A message about a pipe or a device quotes nothing of it: reading would block.
            # A Parquet file's "line" is a row number: its bytes are no line to show.
            if not_regular(Path(name)) is not None or name.lower().endswith(".parquet"):
                return None
            with open(name, "rb") as file:
                raw = self._seek_line(name, file, number)
        except (OSError, ValueError):
            return None
        if raw is None:
            return None
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            if len(raw) < LINE_BYTES:
                return None
            text = raw.decode("utf-8", errors="ignore")  # cut inside a character
        return text.rstrip("\r")

    def _seek_line(self, name: str, file, number: int) -> bytes | None:
        """The first LINE_BYTES bytes of line ``number``; longer lines before it are skipped
        in bounded reads."""
        current, offset = self._resume.get(name, (1, 0))
        if current > number:
            current, offset = 1, 0
        file.seek(offset)
        ended = True  # at the start, or after a line's "\n": another line follows
        while True:
            head = file.readline(LINE_BYTES)
            if not head:
                # Text ending in "\n" has one more (empty) line, as str.split("\n") says.
                return b"" if ended and current == number else None
            ended = head.endswith(b"\n")
            if current == number:
                if ended:
                    self._resume[name] = (current + 1, file.tell())
                return head[:-1] if ended else head  # the rest of a long line unread
            tail_ended = ended
            while not tail_ended:  # a line longer than the cap: skip the rest, bounded
                rest = file.readline(LINE_BYTES)
                if not rest:
                    break
                tail_ended = rest.endswith(b"\n")
            ended = tail_ended
            current += 1


def _lines(text: str) -> list[str]:
    # Only "\n" ends a line, as for the parsers; str.splitlines would also split
    # at U+2028 and friends and shift every line number after them.
    return [line.rstrip("\r") for line in text.split("\n")]


_OS_REASONS = {
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOTDIR: "路径中有一段不是文件夹",
}


def os_reason(error: OSError) -> str:
    """Why a file could not be read or written, in Chinese where the reason is a common one."""
    return _OS_REASONS.get(error.errno or 0) or error.strerror or str(error)


def not_regular(path: Path) -> str | None:
    """Why ``path`` must not be opened as an input file, or None when it may (a regular
    file after its symlinks, or nothing there: the caller says a file is missing). A
    named pipe would block the read, a device never end it, a symlink loop never resolve."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks
    except OSError as error:
        return "符号链接形成循环" if error.errno == errno.ELOOP else None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None  # a folder where a file is wanted is the caller's own message
    if stat.S_ISFIFO(mode):
        kind = "命名管道（FIFO）"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "设备文件"
    elif stat.S_ISSOCK(mode):
        kind = "套接字"
    else:
        kind = "特殊文件"
    return f"不是普通文件，而是{kind}"


def cell_text(value: object) -> str:
    """A value as a terminal table shows it: — for none, decimals without exponent or
    trailing zeros (123.4567, never 1.2e+06), no negative zero."""
    if value is None:
        return "—"
    if isinstance(value, float):
        text = format(value, "f").rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return str(value)


def align(table: list[list[str]]) -> list[str]:
    """Rows of text cells padded to their column's display width, two spaces apart."""
    widths = [max(display_width(row[c]) for row in table) for c in range(len(table[0]))]
    return ["  ".join(_padded(row, widths)).rstrip() for row in table]


def _padded(row: list[str], widths: list[int]) -> list[str]:
    return [v + " " * (w - display_width(v)) for v, w in zip(row, widths, strict=True)]


def display_path(path: Path) -> str:
    """How diagnostics name a file: the bundled rule sets and samples as
    ``rules/2024/市县.yaml`` wherever kaohe is installed, else relative to the working
    folder when inside it, else as given."""
    from kaohe_rules.resources import data_path  # the one module below this one

    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: named as given
        return str(path)
    # The bundled folders before the working folder: run from above an installation
    # (a venv's folder, the home holding ~/.local) a citation would otherwise name
    # lib/python3.11/site-packages/kaohe_rules/_data/rules/….
    for name in BUNDLED_FOLDERS:
        folder = data_path(name).resolve()
        if resolved.is_relative_to(folder):
            return str(Path(name, resolved.relative_to(folder)))
    # The checkout's top: its tests run from elsewhere name tests/rules_bad/… the same way.
    for base in (Path.cwd().resolve(), data_path("rules").resolve().parent):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(path)


BUNDLED_FOLDERS = ("rules", "samples")  # shipped folders a message may cite
