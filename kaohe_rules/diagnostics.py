"""One shape for every problem any stage finds, its stable codes, and its renderings."""

from __future__ import annotations

import json
from dataclasses import field
from enum import StrEnum

from kaohe_rules.records import data_record
from kaohe_rules.source import SourceLines, Span, bounded, caret_excerpt, shown_controls

# Stable codes: never renumber or reuse one; docs/errors.md lists each.
CODES: dict[str, str] = {
    # KH1xx: the expression language
    "KH101": "syntax-error",
    "KH102": "unexpected-end",
    "KH103": "unclosed-bracket",
    "KH104": "invalid-character",
    "KH105": "unterminated-string",
    "KH106": "chained-comparison",
    "KH107": "assignment-not-comparison",
    "KH110": "unknown-name",
    "KH111": "unknown-function",
    "KH112": "unknown-attribute",
    "KH120": "wrong-arity",
    "KH121": "unknown-keyword",
    "KH122": "duplicate-argument",
    "KH130": "operand-type",
    "KH131": "condition-type",
    "KH132": "comparison-type",
    "KH133": "branch-type",
    "KH134": "argument-type",
    "KH135": "compare-with-missing",
    "KH136": "list-type",
    "KH140": "expression-too-long",
    "KH141": "expression-too-deep",
    "KH142": "number-out-of-range",
    "KH143": "string-too-long",
    "KH150": "invalid-argument",
    "KH160": "division-by-zero",
    "KH161": "numeric-overflow",
    "KH162": "invalid-value",
    "KH170": "bad-input-value",
    # KH2xx: rule files
    "KH201": "yaml-syntax",
    "KH202": "duplicate-key",
    "KH203": "tab-indentation",
    "KH204": "bad-encoding",
    "KH205": "file-too-large",
    "KH206": "nesting-too-deep",
    "KH207": "alias-expansion",
    "KH208": "file-unreadable",
    "KH209": "extends-cycle",
    "KH210": "path-outside-rules",
    "KH211": "unknown-key",
    "KH212": "wrong-type",
    "KH213": "missing-key",
    "KH214": "invalid-value",
    "KH220": "duplicate-id",
    "KH221": "unknown-domain",
    "KH222": "no-category",
    "KH223": "several-categories",
    "KH224": "indicator-marks-sum",
    "KH225": "paper-weights-sum",
    "KH226": "unknown-unit",
    "KH227": "unknown-indicator",
    "KH228": "tier-without-default",
    "KH229": "unknown-tier",
    "KH230": "direction-mismatch",
    "KH231": "missing-parameter",
    "KH232": "attribute-value",
    "KH233": "unused-definition",
    "KH234": "unreachable-rule",
    "KH235": "no-half-year-target",
    "KH236": "value-not-a-choice",
    "KH237": "unused-parameter",
    "KH238": "uncapped-deduction",
    "KH239": "bonus-cap-over-weight",
    "KH240": "duplicate-unit-name",
    "KH241": "small-category",
    "KH242": "quota-rounds-to-zero",
    "KH243": "empty-family",
    "KH244": "family-member-type",
    "KH245": "family-overlap",
    "KH246": "empty-domain",
    "KH247": "integer-too-long",
    "KH248": "invisible-character",
    "KH249": "fullwidth-in-id",
    "KH250": "space-around-name",
    "KH251": "quota-is-a-share",
    # KH3xx: data files and evaluation
    "KH301": "unknown-unit",
    "KH302": "unknown-column",
    "KH303": "duplicate-value",
    "KH304": "not-a-number",
    "KH305": "out-of-range",
    "KH306": "missing-data",
    "KH307": "invalid-choice",
    "KH308": "data-file-unreadable",
    "KH309": "ambiguous-unit",
    "KH310": "bad-history",
    "KH311": "condition-missing",
    "KH312": "quota-not-integer",
    "KH313": "output-unwritable",
    "KH314": "value-not-used",
    "KH315": "percent-scale-mismatch",
    "KH316": "implausible-value",
    "KH317": "suspected-unit-error",
    "KH318": "data-item-without-values",
    "KH319": "indicator-not-discriminating",
    "KH320": "indicator-missing-in-category",
    "KH321": "label-constant",
    "KH322": "data-file-too-large",
    "KH323": "too-many-columns",
    "KH324": "sheet-too-many-rows",
    "KH325": "sheet-too-many-columns",
    "KH326": "sheet-too-many-cells",
    "KH327": "xlsx-member-too-large",
    "KH328": "xlsx-compression-ratio",
    "KH329": "too-many-rows",
    "KH330": "parquet-too-many-cells",
    # KH4xx: the results archive
    "KH401": "archive-unreadable",
    "KH402": "not-an-archive",
    "KH403": "archive-too-new",
    "KH404": "unit-not-archived",
    "KH405": "correction-needs-reason",
    "KH406": "archive-write-failed",
    # KH5xx: choosing the inputs on the command line
    "KH501": "data-not-chosen",
    "KH502": "no-sample-data",
    "KH503": "bad-limit-setting",
    # KH504–KH519: how the command line was used (cli/usage.py says them)
    "KH504": "unknown-command",
    "KH505": "unknown-option",
    "KH506": "missing-argument",
    "KH507": "missing-option-value",
    "KH508": "extra-argument",
    "KH509": "missing-command",
    "KH510": "not-a-choice",
    "KH511": "not-a-number",
    "KH512": "out-of-range",
    "KH513": "path-not-found",
    "KH514": "wrong-path-kind",
    "KH515": "output-wrong-suffix",
    "KH516": "flag-with-value",
    "KH517": "bad-assignment",
    "KH518": "conflicting-options",
    "KH519": "bad-usage",
    # KH526–KH527: data files as Excel users leave them (issue 21; documented with KH3xx)
    "KH526": "sheet-not-data",
    "KH527": "unnamed-column-value",
    # kaohe template and kaohe collect: fill-in workbooks of the lead units
    "KH532": "not-a-template",
    "KH533": "template-of-other-rules",
    "KH534": "template-altered",
    "KH535": "formula-in-template",
    "KH536": "bad-template-value",
    "KH537": "value-given-twice",
    "KH538": "not-a-collection",
    "KH539": "template-would-overwrite",
    # KH585–KH599: kaohe serve, the browser workbench (docs/serve.md)
    "KH585": "path-outside-root",
    "KH586": "file-changed-on-disk",
    "KH587": "access-token",
    "KH588": "csrf-token",
    "KH589": "request-too-large",
    "KH590": "not-editable",
    "KH591": "workbench-file-not-found",
    "KH592": "bad-access-token-option",
    "KH593": "no-rule-set-in-root",
    "KH594": "workbench-no-data",
    "KH595": "bad-workbench-request",
    "KH596": "workbench-rules-have-errors",
    "KH597": "unknown-host-header",
    "KH598": "serve-not-installed",
    "KH599": "cannot-listen",
    # KH550–KH579: aggregations over record files (记录汇总, issue 22; docs/records.md)
    "KH550": "aggregation-target",
    "KH551": "unknown-measure",
    "KH552": "percentile-out-of-range",
    "KH553": "aggregation-keys",
    "KH554": "records-path",
    "KH555": "filter-never-true",
    "KH556": "one-unit-column-per-file",
    "KH560": "records-not-found",
    "KH561": "records-unknown-column",
    "KH562": "records-unreadable",
    "KH563": "not-over-records",
    "KH564": "records-not-a-number",
    "KH565": "records-unknown-unit",
    "KH566": "records-empty",
    "KH567": "unit-without-records",
    "KH568": "records-and-data",
    "KH569": "records-no-group",
    "KH570": "records-negative-weight",
    "KH571": "records-memory",
    # KH572–KH579: the Spark engine (--engine spark)
    "KH572": "spark-not-installed",
    "KH573": "spark-no-java",
    "KH574": "spark-not-started",
    "KH575": "spark-failed",
    "KH576": "quantile-not-on-spark",
    # KH577–KH579: records under a --records-root (read through Spark's file systems)
    "KH577": "records-root-unusable",
    "KH578": "records-remote-unreadable",
    "KH579": "records-root-option",
    "KH580": "check-failed-in-editor",
    "KH581": "editor-request-failed",
    "KH582": "lsp-root-not-a-folder",
    "KH583": "lsp-not-installed",
}


class Severity(StrEnum):
    """How bad a problem is: errors stop the pipeline, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@data_record(slots=True)
class Diagnostic:
    """A problem found in rules or data, with a stable code and a place."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    context: tuple[str, ...] = ()
    severity: Severity = Severity.ERROR

    @property
    def name(self) -> str:
        """The code's stable English name, e.g. ``unknown-name``."""
        return CODES[self.code]

    def sort_key(self) -> tuple:
        """Problems are listed in source order, then by code."""
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)

    def to_dict(self) -> dict:
        """A JSON-ready mapping, the shape ``--format json`` prints."""
        where = self.span
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": bounded(self.message, MESSAGE),
            "file": where.file if where else None,
            "line": where.line if where else None,
            "column": where.column if where else None,
            "end_line": where.end_line if where else None,
            "end_column": where.end_column if where else None,
            "hint": None if self.hint is None else bounded(self.hint, MESSAGE),
            "context": list(self.context),
        }


class KaoheError(Exception):
    """The one exception type that leaves the engine: it carries diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__("\n".join(f"{d.code} {d.message}" for d in self.diagnostics))


@data_record(frozen=False)
class Collector:
    """Collects a stage's diagnostics so that all of them are reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        """Record one problem."""
        self.items.append(diagnostic)

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        """Record an error."""
        self.add(Diagnostic(code, message, span, hint))

    @property
    def has_errors(self) -> bool:
        """Whether any recorded problem is an error (warnings do not stop a stage)."""
        return any(d.severity is Severity.ERROR for d in self.items)

    def raise_if_errors(self) -> None:
        """End the stage with a KaoheError when it found errors."""
        if self.has_errors:
            raise KaoheError(self.items)


# What a message or hint prints at most: it may quote an input (a key, a value, a line),
# and a 3 MB key must not come back as 3 MB of output.
MESSAGE = 400


def render_text(
    diagnostics: list[Diagnostic], sources: SourceLines | None = None, limit: int = 50
) -> str:
    """Compiler-style text: location, code, message, caret excerpt, hint, context."""
    sources = sources or SourceLines()
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    blocks = [_render_one(d, sources) for d in ordered[:limit]]
    if len(ordered) > limit:
        blocks.append(f"…… 另有 {len(ordered) - limit} 个问题未列出")
    return "\n".join(blocks)


def _render_one(d: Diagnostic, sources: SourceLines) -> str:
    """One problem as text; control characters an input put into it are shown escaped."""
    where = f"{shown_controls(str(d.span))}: " if d.span else ""
    message = shown_controls(bounded(d.message, MESSAGE))
    lines = [f"{where}{d.severity.value} {d.code} {d.name}: {message}"]
    if d.span is not None:
        text = sources.line(d.span.file, d.span.line)
        if text is not None:
            end = d.span.end_column if d.span.end_line == d.span.line else len(text) + 1
            lines += caret_excerpt(text, d.span.line, d.span.column, end)
    if d.hint:
        lines.append(f"   提示: {shown_controls(bounded(d.hint, MESSAGE))}")
    if d.context:
        lines.append("   位置: " + shown_controls(" › ".join(d.context)))
    return "\n".join(lines)


def render_json(diagnostics: list[Diagnostic]) -> str:
    """The diagnostics as a JSON array, for CI and editors."""
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    return json.dumps([d.to_dict() for d in ordered], ensure_ascii=False, indent=2)


def render_github(diagnostics: list[Diagnostic]) -> str:
    """GitHub Actions workflow commands, one annotation line per problem."""
    out = []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        kind = "error" if d.severity is Severity.ERROR else "warning"
        props = f"title={d.code} {d.name}"
        if d.span:
            props = (
                f"file={d.span.file},line={d.span.line},col={d.span.column},"
                f"endColumn={d.span.end_column},{props}"
            )
        message = bounded(d.message, MESSAGE) + (
            f" 提示: {bounded(d.hint, MESSAGE)}" if d.hint else ""
        )
        out.append(f"::{kind} {props}::{_escape_github(shown_controls(message))}")
    return "\n".join(out)


def _escape_github(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
