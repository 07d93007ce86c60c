"""Where brackets open and close in an expression's text (strings aside): what the parser
checks before Lark sees the text (nesting too deep) and what it names when Lark stops
(a bracket left open). No Lark here: the first is checked on every parse, kept or not."""

from __future__ import annotations

OPENERS = {"(": ")", "（": "）", "[": "]"}


def brackets(text: str):
    """Yield (line, column, open brackets) after each bracket, ignoring strings."""
    stack: list[tuple[int, int, str]] = []
    line, column, quote, escaped = 1, 0, None, False
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif escaped:
            escaped = False
        elif quote == '"' and char == "\\":
            escaped = True
        elif quote:
            quote = None if char == quote else quote
        elif char in '"“':
            quote = '"' if char == '"' else "”"
        elif char in OPENERS:
            stack.append((line, column, char))
            yield line, column, stack
        elif char in ")）]" and stack:
            stack.pop()
            yield line, column, stack


def unclosed_bracket(text: str) -> tuple[int, int, str] | None:
    """The innermost bracket left open at the end of ``text``."""
    last: list[tuple[int, int, str]] = []
    for _line, _column, stack in brackets(text):
        last = stack
    return last[-1] if last else None


def too_deep(text: str, most: int) -> tuple[int, int] | None:
    """Where brackets first nest deeper than ``most``, or None."""
    for line, column, stack in brackets(text):
        if len(stack) > most:
            return line, column
    return None


def end_position(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1
