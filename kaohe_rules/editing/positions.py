"""Positions between the project's convention and the Language Server Protocol's.

The project (``source.Span``, and every ``line``/``column`` of this package): 1-based
line, 1-based column counted in characters (code points), end column exclusive.
LSP: 0-based line, 0-based character counted in UTF-16 code units (a character outside
the Basic Multilingual Plane, an emoji or a rare CJK ideograph, takes two).
"""

from __future__ import annotations

from collections.abc import Sequence


def lines_of(text: str) -> list[str]:
    """The lines of a document as both sides count them (only "\\n", "\\r\\n", "\\r" end one)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def to_lsp(lines: Sequence[str], line: int, column: int) -> tuple[int, int]:
    """(line, column) 1-based in characters → LSP (line, character) 0-based in UTF-16."""
    row = max(line - 1, 0)
    text = lines[row] if row < len(lines) else ""
    before = text[: max(column - 1, 0)]
    return row, len(before) + sum(1 for char in before if ord(char) > 0xFFFF)


def from_lsp(lines: Sequence[str], line: int, character: int) -> tuple[int, int]:
    """LSP (line, character) 0-based in UTF-16 → (line, column) 1-based in characters.
    A position inside a surrogate pair, or past the end, goes to the next character or
    the line's end."""
    text = lines[line] if 0 <= line < len(lines) else ""
    units = 0
    for index, char in enumerate(text):
        if units >= character:
            return line + 1, index + 1
        units += 2 if ord(char) > 0xFFFF else 1
    return line + 1, len(text) + 1
