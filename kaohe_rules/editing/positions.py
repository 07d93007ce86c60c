"""Positions between the project's convention and the Language Server Protocol's.

The project (``source.Span``, and every ``line``/``column`` of this package): 1-based
line, 1-based column counted in characters (code points), end column exclusive.
LSP: 0-based line, 0-based character counted in UTF-16 code units (a character outside
the Basic Multilingual Plane, an emoji or a rare CJK ideograph, takes two) unless the
client and server agreed on "utf-8" (bytes) or "utf-32" (characters) at initialization.
"""

from __future__ import annotations

from collections.abc import Sequence


def lines_of(text: str) -> list[str]:
    """The lines of a document as both sides count them (only "\\n", "\\r\\n", "\\r" end one)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


UTF16, UTF8, UTF32 = "utf-16", "utf-8", "utf-32"  # the LSP's PositionEncodingKind values


def _units(char: str, encoding: str) -> int:
    if encoding == UTF8:
        return len(char.encode("utf-8", errors="surrogatepass"))
    if encoding == UTF32:
        return 1
    return 2 if ord(char) > 0xFFFF else 1


def to_lsp(lines: Sequence[str], line: int, column: int, encoding: str = UTF16) -> tuple[int, int]:
    """(line, column) 1-based in characters → LSP (line, character) 0-based in code units."""
    row = max(line - 1, 0)
    text = lines[row] if row < len(lines) else ""
    before = text[: max(column - 1, 0)]
    if encoding == UTF32:
        return row, len(before)
    return row, sum(_units(char, encoding) for char in before)


def from_lsp(
    lines: Sequence[str], line: int, character: int, encoding: str = UTF16
) -> tuple[int, int]:
    """LSP (line, character) 0-based in code units → (line, column) 1-based in characters.
    A position inside a character's code units goes to the next character; one past the
    end of the line, to the line's end."""
    text = lines[line] if 0 <= line < len(lines) else ""
    units = 0
    for index, char in enumerate(text):
        if units >= character:
            return line + 1, index + 1
        units += _units(char, encoding)
    return line + 1, len(text) + 1
