"""What completion and hover need to know about a position: the document's lines, where
the position lies in it (keys.Place), the rule set checked with the buffers, and the
formula there with the scope the resolver checked it against."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from kaohe_rules import model as m
from kaohe_rules.dsl.check import Scope
from kaohe_rules.editing.diagnose import checked
from kaohe_rules.editing.files import real_path, rule_set_of
from kaohe_rules.editing.keys import Place, kind_of, place
from kaohe_rules.editing.positions import lines_of
from kaohe_rules.pipeline import Checked
from kaohe_rules.records import data_record
from kaohe_rules.rules.buffers import buffers
from kaohe_rules.source import Span

_NAME = re.compile(r"[\w.]+")  # \w: letters of any script (Chinese names), digits, _


@data_record(frozen=False)
class Context:
    """A position of a rule file, with what was made of its rule set."""

    root: Path
    path: Path
    lines: list[str]
    line: int
    column: int
    place: Place
    kind: str | None  # the file's schema kind (ruleset, domain, roster, special, tests)
    checked: Checked


def context(
    root: Path, rules: Path, overrides: Mapping[Path, str], path: Path, line: int, column: int
) -> Context:
    """The context of (``line``, ``column``), 1-based characters, in ``path``.

    When the buffer of ``path`` stops the rule stages before formulas are compiled (a key
    being typed fails the schema), the rule set is checked as saved instead: its formulas
    and their scopes are the best guess of what the user is writing."""
    path = path.resolve()
    overrides = {p.resolve(): t for p, t in overrides.items()}
    text = overrides.get(path)
    if text is None:
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    lines = lines_of(text)
    found = checked(rules, overrides)
    if found.resolved is None and path in overrides:
        saved = {p: t for p, t in overrides.items() if p != path}
        fallback = checked(rules, saved)
        if fallback.resolved is not None:
            found = fallback
    with buffers(overrides):
        kind = kind_of(path, lines, rule_set_of(path, root))
    where = place(lines, line, column)
    return Context(root.resolve(), path, lines, line, column, where, kind, found)


def formula_at(cx: Context) -> tuple[m.Expr, Scope] | None:
    """The formula written at the position (or, when none is, the one nearest it in the
    file) and the scope the resolver checked it against."""
    resolved = cx.checked.resolved
    if resolved is None:
        return None
    best: tuple[tuple[int, int], m.Expr, Scope] | None = None
    for expr, scope in resolved.scopes.items():
        if not _in_file(expr.span, cx):
            continue
        distance = _distance(expr.span, cx.line, cx.column)
        if best is None or distance < best[0]:
            best = (distance, expr, scope)
    return None if best is None else (best[1], best[2])


def domain_at(cx: Context) -> m.Domain | None:
    """The domain (or special assessment's rules) the file of the position belongs to."""
    resolved = cx.checked.resolved
    if resolved is None:
        return None
    scored = resolved.ruleset.scored()
    for domain in scored:
        spans = (domain.span, *(i.span for i in domain.all_indicators()))
        if any(_in_file(span, cx) for span in spans):
            return domain
    return scored[0] if scored else None


def word_at(lines: list[str], line: int, column: int) -> tuple[int, int, str] | None:
    """The name under (``line``, ``column``): its start and end columns and its text."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    for found in _NAME.finditer(text):
        if found.start() + 1 <= column <= found.end() + 1:
            return found.start() + 1, found.end() + 1, found.group()
    return None


def inside(cx: Context, span: Span) -> bool:
    """Whether the position lies within ``span`` (its end included: typing goes there)."""
    return (span.line, span.column) <= (cx.line, cx.column) <= (span.end_line, span.end_column)


def _in_file(span: Span | None, cx: Context) -> bool:
    if span is None:
        return False
    return real_path(span.file, cx.root) == cx.path


def _distance(span: Span, line: int, column: int) -> tuple[int, int]:
    """0 inside the span, else how many lines (then columns) away."""
    after_start = (line, column) >= (span.line, span.column)
    before_end = (line, column) <= (span.end_line, span.end_column)
    if after_start and before_end:
        return (0, 0)
    if not after_start:
        return (span.line - line, span.column)
    return (line - span.end_line, column - span.end_column + 1)
