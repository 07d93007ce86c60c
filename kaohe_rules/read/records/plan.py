"""A record source's query as the engine runs it (SQL text in its dialect) and what its
columns hold, compiled once and kept in the user's cache folder for the next run.

Compiling needs sqlglot (about 0.15 s to import and render, a tenth of a whole
`kaohe evaluate` over 15 million Parquet responses) though the query depends only on
the declarations, the source's columns and this code. The cache is keyed by exactly
those: every field of each declaration that reaches the SQL, the format and each
column's type, the dialect, and the bytes of the modules that compile and build the
query (and sqlglot's version). It holds JSON, checked field by field on load; anything
else (a broken, foreign or truncated file) is a miss, and the query is compiled again.
Only a query that compiled without a problem is kept: a rule or column error is found
again on every run. cache.py keeps the files. Decision 116.
"""

from __future__ import annotations

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.read.records import cache
from kaohe_rules.read.records.layout import Layout
from kaohe_rules.read.records.source import Source
from kaohe_rules.records import data_record

_MOST_BYTES = 4 << 20  # a larger cache file is not ours


@data_record
class Planned:
    """One declaration as the query serves it: the groups 合成 reads (() without 分组)."""

    aggregation: m.Aggregation
    groups: tuple[str, ...]


@data_record
class Plan:
    """The query of one source in an engine's dialect, and what its columns hold."""

    sql: str
    layout: Layout
    items: tuple[Planned, ...]
    cached: bool = False  # read from the cache, not compiled by this run


def plan(
    declarations: list[m.Aggregation],
    source: Source,
    dialect: str,
    problems: list[Diagnostic],
    fresh: bool = False,
) -> Plan | None:
    """The query for ``declarations`` over ``source``: from the cache (unless ``fresh``),
    else compiled (and kept); None with the problems added to ``problems`` when they do
    not compile."""
    entry = _key(declarations, source, dialect)
    found = None if fresh else _checked(cache.load("query", entry, _MOST_BYTES), declarations)
    if found is not None:
        return found
    compiled = _compile(declarations, source, dialect, problems)
    if compiled is not None:
        _store(entry, compiled)
    return compiled


def _compile(declarations, source: Source, dialect: str, problems: list) -> Plan | None:
    # sqlglot and the compiler are imported only here, on a miss
    from kaohe_rules.read.records import compile as compiling
    from kaohe_rules.read.records import query as querying

    compiled = [compiling.compile_one(a, source, problems) for a in declarations]
    if problems:
        return None
    built, layout = querying.build(source, compiled)
    items = tuple(Planned(c.aggregation, c.groups) for c in compiled)
    return Plan(built.sql(dialect=dialect), layout, items)


def _key(declarations: list[m.Aggregation], source: Source, dialect: str) -> str:
    declared = [
        [
            a.name,
            a.unit_column,
            a.unit_by,
            a.measure,
            a.column,
            None if a.filter is None else a.filter.text,
            None if a.condition is None else a.condition.text,
            a.weights,
            None if a.percentile is None else repr(a.percentile),
            a.group_column,
            None if a.combine is None else a.combine.text,
        ]
        for a in declarations
    ]
    columns = [[name, repr(kind)] for name, kind in source.columns]
    return cache.key([dialect, source.kind, columns, declared])


def _checked(data: dict | None, declarations: list[m.Aggregation]) -> Plan | None:
    """The plan ``data`` holds if every field has its shape, else None."""
    try:
        return _shaped(data, declarations) if data is not None else None
    except (KeyError, TypeError):
        return None  # not a plan: compiled again


def _shaped(data: dict, declarations: list[m.Aggregation]) -> Plan | None:
    layout = data["layout"]
    groups = data["groups"]
    shapes = (
        isinstance(data["sql"], str),
        isinstance(layout["total"], int),
        _rows(layout["parts"], (int, str, int, int)),
        _rows(layout["bad_numbers"], (str, int, int)),
        _rows(layout["negative_weights"], (str, int)),
        _rows(layout["group_totals"], (str, str, int)),
        isinstance(groups, list) and len(groups) == len(declarations),
        all(isinstance(g, list) and all(isinstance(n, str) for n in g) for g in groups),
    )
    if not all(shapes):
        return None
    built = Layout(
        layout["total"],
        tuple(tuple(p) for p in layout["parts"]),
        tuple(tuple(p) for p in layout["bad_numbers"]),
        tuple(tuple(p) for p in layout["negative_weights"]),
        tuple(tuple(p) for p in layout["group_totals"]),
    )
    items = tuple(Planned(a, tuple(g)) for a, g in zip(declarations, groups, strict=True))
    return Plan(data["sql"], built, items, cached=True)


def _rows(rows: object, kinds: tuple[type, ...]) -> bool:
    return isinstance(rows, list) and all(
        isinstance(row, list)
        and len(row) == len(kinds)
        and all(type(v) is k for v, k in zip(row, kinds, strict=True))
        for row in rows
    )


def _store(entry: str, found: Plan) -> None:
    layout = found.layout
    data = {
        "sql": found.sql,
        "layout": {
            "total": layout.total,
            "parts": layout.parts,
            "bad_numbers": layout.bad_numbers,
            "negative_weights": layout.negative_weights,
            "group_totals": layout.group_totals,
        },
        "groups": [list(item.groups) for item in found.items],
    }
    cache.store("query", entry, data, _MOST_BYTES)
