"""Loads the table-driven expression cases of tests/language/cases/*.yaml.

Each case has ``expr`` and either ``expect`` (a value; a list of values when
``rows`` are given) or ``error`` (code, and line/column/end_column where they
matter). Values for one unit come from ``given``; several units from ``rows``
(with ``group`` naming the category column). ``types`` declares a type where
a value alone does not tell it (a missing value), and ``warnings`` lists the
warning codes the evaluation must give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type, parse_type

CASES = Path(__file__).parent / "cases"


@dataclass
class Case:
    """One expression case as written in a case file."""

    file: str
    name: str
    expr: str
    rows: list[dict] = field(default_factory=list)
    types: dict[str, Type] = field(default_factory=dict)
    group: str | None = None
    expect: object = None
    expect_many: bool = False
    error: dict | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def _infer(value: object) -> Type | None:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    return None


def _types(rows: list[dict], declared: dict[str, str]) -> dict[str, Type]:
    types = {name: parse_type(kind) for name, kind in declared.items()}
    for row in rows:
        for name, value in row.items():
            if name not in types and _infer(value) is not None:
                types[name] = _infer(value)
    for row in rows:
        for name in row:
            types.setdefault(name, NUMBER)
    return types


def load_cases() -> list[Case]:
    """Every case of every case file, in file order."""
    cases = []
    for path in sorted(CASES.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            rows = entry.get("rows") or ([entry["given"]] if entry.get("given") else [])
            cases.append(
                Case(
                    file=path.name,
                    name=str(entry["name"]),
                    expr=str(entry["expr"]),
                    rows=rows,
                    types=_types(rows, entry.get("types", {})),
                    group=entry.get("group"),
                    expect=entry.get("expect"),
                    expect_many="rows" in entry,
                    error=entry.get("error"),
                    warnings=list(entry.get("warnings", [])),
                )
            )
    return cases
