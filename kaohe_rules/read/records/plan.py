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
again on every run. Decision 116.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from pathlib import Path

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.read.records.layout import Layout
from kaohe_rules.read.records.source import Source
from kaohe_rules.records import data_record
from kaohe_rules.resources import data_path

KEEP = 256  # cached queries kept; the oldest go first
_MOST_BYTES = 4 << 20  # a larger cache file is not ours
# The code a query depends on: a change to any of these compiles again.
_CODE = (
    "read/records/compile.py",
    "read/records/engine.py",
    "read/records/levels.py",
    "read/records/plan.py",
    "read/records/query.py",
    "read/records/source.py",
    "dsl/ast.py",
    "dsl/check.py",
    "dsl/functions.py",
    "dsl/parser.py",
    "dsl/sql.py",
    "dsl/types.py",
)


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


def plan(
    declarations: list[m.Aggregation], source: Source, dialect: str, problems: list[Diagnostic]
) -> Plan | None:
    """The query for ``declarations`` over ``source``: from the cache, else compiled (and
    kept); None with the problems added to ``problems`` when they do not compile."""
    key = _key(declarations, source, dialect)
    folder = _folder()
    found = _load(folder, key, declarations) if folder else None
    if found is not None:
        return found
    compiled = _compile(declarations, source, dialect, problems)
    if compiled is not None and folder:
        _store(folder, key, compiled)
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
    material = [_code_digest(), dialect, source.kind, columns, declared]
    text = json.dumps(material, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_DIGEST: list[str] = []


def _code_digest() -> str:
    if not _DIGEST:
        package = Path(__file__).resolve().parents[2]
        sha = hashlib.sha256()
        for path in [*(package / name for name in _CODE), data_path("grammar", "kaohe.lark")]:
            sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        spec = importlib.util.find_spec("sqlglot")  # finds it without importing it
        origin = Path(spec.origin).parent if spec and spec.origin else None
        version = origin / "_version.py" if origin else None
        sha.update(version.read_bytes() if version and version.is_file() else b"?")
        _DIGEST.append(sha.hexdigest())
    return _DIGEST[0]


def _folder() -> Path | None:
    """The user's cache folder (as the parser's, decision 8), None where it cannot be."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "kaohe-rules"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def _file(folder: Path, key: str) -> Path:
    return folder / f"records-{key[:32]}.json"


def _load(folder: Path, key: str, declarations: list[m.Aggregation]) -> Plan | None:
    try:
        with open(_file(folder, key), "rb") as stream:
            data = json.loads(stream.read(_MOST_BYTES + 1)[:_MOST_BYTES])
        return _checked(data, key, declarations)
    except (OSError, ValueError, TypeError, KeyError):
        return None  # absent, broken or not ours: compiled again


def _checked(data: dict, key: str, declarations: list[m.Aggregation]) -> Plan | None:
    """The plan ``data`` holds if every field has its shape, else None."""
    layout = data["layout"]
    groups = data["groups"]
    shapes = (
        data["key"] == key,
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
    return Plan(data["sql"], built, items)


def _rows(rows: object, kinds: tuple[type, ...]) -> bool:
    return isinstance(rows, list) and all(
        isinstance(row, list)
        and len(row) == len(kinds)
        and all(type(v) is k for v, k in zip(row, kinds, strict=True))
        for row in rows
    )


def _store(folder: Path, key: str, found: Plan) -> None:
    """Keep ``found`` (atomically: a reader sees the old file or the new one)."""
    layout = found.layout
    data = {
        "key": key,
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
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".records-", suffix=".tmp")
    except OSError:
        return  # a cache that cannot be written costs the next run a compile, no more
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False)
        os.replace(temporary, _file(folder, key))
        _prune(folder)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    kept = sorted(folder.glob("records-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP:]:
        old.unlink(missing_ok=True)
