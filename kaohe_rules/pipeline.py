"""The named list of stages from rule files to a checked rule set, and from there onwards.

Order matters: a stage runs only when the stages before it found no error, so
each stage can trust its input (the builder trusts the schema, the resolver
trusts the model) and a user sees the first layer of problems, all at once.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kaohe_rules import meaning, schema, semantics
from kaohe_rules.assemble import Assembled, assemble
from kaohe_rules.build import build, domain_documents
from kaohe_rules.diagnostics import Collector, Diagnostic, KaoheError, Severity
from kaohe_rules.resolve import Resolved, resolve


@dataclass
class Loaded:
    """A checked rule set and the warnings found on the way."""

    resolved: Resolved
    warnings: list[Diagnostic] = field(default_factory=list)


def _schema_stage(assembled: Assembled, errors: Collector) -> None:
    documents = [(assembled.ruleset, "ruleset")]
    if assembled.roster is not None:
        documents.append((assembled.roster, "roster"))
    documents += [(doc, "domain") for doc in domain_documents(assembled).values()]
    documents += [(doc, "special") for doc in assembled.specials.values()]
    seen = set()
    for document, kind in documents:
        for diagnostic in schema.check_document(document, kind):
            # 通用 settings are checked in the rule set and again in each domain
            # that inherits them: report each place once, as the rule set sees it.
            key = (diagnostic.span, diagnostic.code)
            if key not in seen:
                seen.add(key)
                errors.add(diagnostic)
    for key, table in (("领域", assembled.domains), ("专项考核", assembled.specials)):
        for name, document in table.items():
            declared = document.get(key)
            if isinstance(declared, str) and declared != name:
                message = f"文件声明的{key}是 '{declared}'，而 规则集.yaml 把它列为 '{name}'"
                errors.error("KH221", message, document.values_at[key])
    if assembled.roster is None:
        errors.error("KH213", "规则集没有 名单（考核对象名单文件）", assembled.ruleset.span)


def load_rules(folder: Path, root: Path | None = None) -> Loaded:
    """Files → merged documents → schema → model → compiled expressions → semantic checks.

    Raises KaoheError with every problem of the first stage that found errors.
    """
    with _no_gc_pauses():
        return _load_rules(folder, root)


@contextmanager
def _no_gc_pauses():
    """Loading builds many small objects and few cycles: the cycle collector's passes
    over them only cost time (they grow with the heap and made loading superlinear)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_rules(folder: Path, root: Path | None) -> Loaded:
    errors = Collector()
    assembled = assemble(folder, root)
    _schema_stage(assembled, errors)
    errors.raise_if_errors()
    ruleset = build(assembled, errors)
    errors.raise_if_errors()
    resolved = resolve(ruleset, errors)
    semantics.check(resolved, errors)
    # What the rules mean (a comparison no unit can satisfy, a parameter nothing reads …):
    # after the consistency checks, whose errors would make these findings noise.
    meaning.check(resolved, errors)
    errors.raise_if_errors()
    warnings = [d for d in errors.items if d.severity is Severity.WARNING]
    return Loaded(resolved, warnings)


__all__ = ["KaoheError", "Loaded", "load_rules"]
