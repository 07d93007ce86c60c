"""记录汇总 run: each record source read once by one compiled query, its rows (one per
unit key) matched to the roster's units, and the values joined to the year's DataSet.

Nothing is dropped unseen: records for units the roster does not know (KH565), a file
without records (KH566), roster units without records (KH567, their value is missing and
the missing-data policy applies), non-numbers in a number column (KH564) and negative
weights (KH570) are each reported with counts and examples.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, KaoheError, Severity
from kaohe_rules.dsl.check import Scope, check
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.parser import parse
from kaohe_rules.dsl.population import Population
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.read.files import recorded_digest
from kaohe_rules.read.records.choice import DUCKDB, EngineChoice
from kaohe_rules.read.records.kept import KeptDuckDB
from kaohe_rules.read.records.plan import plan
from kaohe_rules.read.records.source import (
    EngineProblem,
    RemoteFile,
    Source,
    SourceProblem,
    csv_header,
    language_type,
    locate,
)
from kaohe_rules.records import data_record
from kaohe_rules.source import Span, os_reason

EXAMPLES = 5  # how many unit keys or values a message names


@data_record
class UnitInputs:
    """What an aggregation took for one unit: its records in the file, those its filter
    kept (per group), the value."""

    records: int
    parts: tuple[tuple[str, int, float | None], ...]  # (group or "", kept, measure)
    value: float | None


@data_record
class Result:
    """One aggregation's outcome: its declaration, files, and each unit's inputs."""

    aggregation: m.Aggregation
    files: tuple[Path | str, ...]  # URIs under a --records-root
    units: dict[str, UnitInputs] = field(default_factory=dict)  # roster id → inputs
    root: str | None = None  # the --records-root the files were found under


@data_record(frozen=False)
class Aggregated:
    """Every aggregation's values (name → unit id → value) and what was found on the way."""

    results: dict[str, Result] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    remote: list[RemoteFile] = field(default_factory=list)  # under a --records-root


def aggregate(ruleset: m.RuleSet, folder: Path, choice: EngineChoice = DUCKDB) -> Aggregated:
    """Run the rule set's aggregations over the records in ``folder`` on the engine
    ``choice`` names; KaoheError with every error found (all sources are tried, so the
    user sees all of them at once)."""
    errors = Collector()
    out = Aggregated()
    by_file: dict[str, list[m.Aggregation]] = {}
    for aggregation in ruleset.aggregations:
        by_file.setdefault(aggregation.file, []).append(aggregation)
    if choice.name == "spark":
        _refuse_quantiles(ruleset.aggregations)
    local = choice.records_root is None
    engine = _engine(choice, _folders(folder, by_file) if local else [])
    try:
        for declared, declarations in by_file.items():
            _one_source(engine, ruleset, folder, declared, declarations, errors, out)
    finally:
        engine.close()
    errors.raise_if_errors()
    out.warnings += [d for d in errors.items if d.severity is Severity.WARNING]
    return out


def _engine(choice: EngineChoice, folders: list[Path]):
    """The engine ``choice`` names; one that cannot start is an error, never DuckDB instead."""
    if choice.name == "duckdb":
        return KeptDuckDB(lambda: _duckdb(folders))
    from kaohe_rules.read.records.spark import Spark

    try:
        return Spark(choice.master, choice.records_root)
    except EngineProblem as problem:
        # Not a problem of the rules or the records: no place to point at.
        raise KaoheError([Diagnostic(problem.code, problem.message, None, problem.hint)]) from None


def _duckdb(folders: list[Path]):
    from kaohe_rules.read.records.engine import DuckDB  # imports duckdb: only when it runs

    return DuckDB(folders)


def _refuse_quantiles(aggregations) -> None:
    """KH576: a quantile on Spark would differ from DuckDB's in its last binary digit
    (read/records/spark.py says why): refused, not given as another number."""
    names = {model: chinese for chinese, model in m.MEASURES.items()}
    hint = "去掉 --engine spark，用 DuckDB 计算；其他度量在两个引擎上结果相同"
    found = [
        Diagnostic(
            "KH576",
            f"{a.name} 的度量 {names[a.measure]} 不能在 Spark 上计算：线性插值的结果可能与 "
            "DuckDB 的末位不同",
            a.span_of("度量"),
            hint,
        )
        for a in aggregations
        if a.measure in ("median", "percentile")
    ]
    if found:
        raise KaoheError(found)


def _folders(folder: Path, by_file: dict[str, list]) -> list[Path]:
    """The folders the declared record files are in, as they resolve (a record folder may
    be a link to another disk)."""
    found = {folder.resolve()}
    for declared in by_file:
        path = folder / declared
        try:
            resolved = path.resolve()
            found.add(resolved if path.is_dir() else resolved.parent)
            if path.is_dir():
                found.update(p.resolve().parent for p in path.iterdir())
        except OSError:
            continue  # reported when the source is located
    return sorted(found)


def _one_source(engine, ruleset, folder, declared, declarations, errors, out) -> None:
    first = declarations[0]
    try:
        source = _source(engine, folder, declared)
    except SourceProblem as problem:
        span = first.span_of("文件") if problem.code == "KH560" else _at(problem.file)
        errors.error(problem.code, problem.message, span, problem.hint)
        return
    except EngineProblem as problem:
        errors.error(problem.code, problem.message, _at(problem.file, problem.line), problem.hint)
        return
    except OSError as error:
        errors.error("KH562", f"无法读取记录文件：{os_reason(error)}", _at(str(folder / declared)))
        return
    problems: list[Diagnostic] = []
    planned = plan(declarations, source, engine.dialect, problems)
    if planned is None:
        errors.items += problems
        return
    try:
        planned, rows = _run(engine, source, planned, declarations)
    except EngineProblem as problem:
        if not _changed(engine, source, errors):  # a file gone midway says why it failed
            span = _at(problem.file, problem.line)
            errors.error(problem.code, problem.message, span, problem.hint)
        return
    if _changed(engine, source, errors):
        return
    compiled, layout = planned.items, planned.layout
    if source.remote:
        out.remote += source.remote
    else:
        out.files += source.files
    found = len(errors.items)
    _check_records(source, rows, layout, compiled, errors, engine)
    if any(d.severity is Severity.ERROR for d in errors.items[found:]):
        return  # no values from records that are wrong: what the units lack would be noise
    keys = _match(ruleset, first, source, rows, errors)
    root = engine.root.uri if source.remote else None  # as given on the command line
    for index, item in enumerate(compiled):
        result = _result(item, index, rows, layout, keys, source, root)
        out.results[item.aggregation.name] = result
        _warn_without(ruleset, result, source, errors, empty=not rows)


def _run(engine, source: Source, planned, declarations) -> tuple:
    """The plan and its rows. A query from the cache that the engine refuses is compiled
    again, and run once more only when it was not that query (a cache never stands
    between the user and a result; a bad record row is not read twice to be told)."""
    try:
        engine.provide(source)
        return planned, engine.run(planned.sql, source)
    except EngineProblem:
        if not planned.cached:
            raise
        again = plan(declarations, source, engine.dialect, [], fresh=True)
        if again is None or again.sql == planned.sql:
            raise
    engine.provide(source)
    return again, engine.run(again.sql, source)


def _changed(engine, source: Source, errors: Collector) -> bool:
    """Whether the records under a --records-root changed while they were read (KH578,
    said): their listing is the fingerprint, so it must be of what the query read."""
    if not source.remote:
        return False  # local files are hashed as read (join): their digest is what was read
    try:
        engine.root.unchanged(source)
    except SourceProblem as problem:
        errors.error(problem.code, problem.message, _at(problem.file), problem.hint)
        return True
    return False


def _source(engine, folder: Path, declared: str) -> Source:
    """The files a 文件 names, their format and columns: in the data folder, or under
    the engine's --records-root (remote.Root: the same rules through Spark's file systems)."""
    root, remote = engine.root, ()
    if root is None:
        path, files, kind = locate(folder, declared)
        header = csv_header
    else:
        path, remote, kind = root.locate(declared)
        files, header = tuple(f.uri for f in remote), root.csv_header
    if kind == "csv":
        headers = {header(f) for f in files}
        if len(headers) > 1:
            message = f"记录文件夹 {declared} 中各文件的表头不同，不能作为一张表读"
            raise SourceProblem("KH562", message, str(path))
        columns = tuple((name, language_type("VARCHAR")) for name in headers.pop())
    else:
        stored = engine.parquet_columns(files)
        columns = tuple((name, language_type(kind_)) for name, kind_ in stored)
    return Source(declared, path, files, kind, columns, remote)


def _at(file: str, line: int | None = None) -> Span:
    return Span(file, line or 1, 1, line or 1, 1)


def _check_records(source, rows, layout, compiled, errors, engine) -> None:
    """Non-numbers, negative weights, groups 合成 names that no record has, no records."""
    file = str(source.files[0]) if len(source.files) == 1 else str(source.path)
    for name, count_at, example_at in layout.bad_numbers:
        count = sum(row[count_at] for row in rows)
        if count:
            examples = sorted({row[example_at] for row in rows if row[example_at] is not None})
            shown = "、".join(repr(v) for v in examples[:EXAMPLES])
            message = f"记录的列 {name} 应为数值，有 {count} 个值不是，如 {shown}"
            hint = "数值写成 12.5 这样的数（不带 %、千分位逗号或单位）；空着表示缺失"
            errors.error("KH564", message, _at(file), hint)
    for name, count_at in layout.negative_weights:
        count = sum(row[count_at] for row in rows)
        if count:
            message = f"权重列 {name} 有 {count} 个负数，加权平均没有意义"
            errors.error("KH570", message, _at(file), "权重须不小于 0")
    for group_column, group, count_at in layout.group_totals:
        if rows and not sum(row[count_at] for row in rows):
            message = f"合成 用到的组 {group} 在记录的 {group_column} 列中一条记录也没有"
            values = engine.group_values(group_column)
            hint = "该列的值有：" + "、".join(values[:10]) if values else None
            span = next(c.aggregation.span_of("合成") for c in compiled if group in c.groups)
            errors.error("KH569", message, span, hint)
    if not rows:
        message = f"记录文件 {source.declared} 没有一条记录，由它汇总的值对每个单位都缺失"
        errors.add(Diagnostic("KH566", message, _at(file), severity=Severity.WARNING))


def _match(ruleset, first: m.Aggregation, source: Source, rows, errors) -> dict[str, str]:
    """Unit key → roster id for the keys the roster knows; KH565 for the others."""
    ids = m.roster_column(ruleset.units, "编号")
    if first.unit_by == "名称":
        names = m.roster_column(ruleset.units, "名称")
        counts: dict[str, int] = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        # A name two units share (in different domains, KH240) names neither: its records
        # are reported with the unknown ones, never given to the first unit of that name.
        lookup = {n: i for n, i in zip(names, ids, strict=True) if counts[n] == 1}
    else:
        lookup = dict(zip(ids, ids, strict=True))
    keys = {}
    unknown: list[tuple[str | None, int]] = []
    for row in rows:
        found = lookup.get(row[0]) if row[0] is not None else None
        if found is None:
            unknown.append((row[0], row[1]))
        else:
            keys[row[0]] = found
    if unknown:
        _warn_unknown(first, source, unknown, errors)
    return keys


def _warn_unknown(first, source, unknown, errors) -> None:
    records = sum(count for _, count in unknown)
    named = sorted(str(key) for key, _ in unknown if key is not None)
    shown = "、".join(named[:EXAMPLES]) + ("等" if len(named) > EXAMPLES else "")
    blank = sum(n for key, n in unknown if key is None)
    what = (
        f"单位列 {first.unit_column} 的 {len(named)} 个值（{shown}）不是名单中单位的{first.unit_by}"
    )
    if not named:
        what = f"单位列 {first.unit_column} 是空的"
    elif blank:
        what += f"，另有 {blank} 条记录单位列是空的"
    message = f"{records} 条记录没有汇总到任何单位：{what}"
    hint = f"检查单位列写的是否为{first.unit_by}（单位按: 编号 或 名称）"
    if first.unit_by == "名称":
        hint += "；名单中两个单位同名时，按名称对不上任何一个，请用编号"
    file = str(source.files[0]) if len(source.files) == 1 else str(source.path)
    errors.add(Diagnostic("KH565", message, _at(file), hint, severity=Severity.WARNING))


def _result(item, index, rows, layout, keys, source, root: str | None) -> Result:
    parts = [p for p in layout.parts if p[0] == index]
    result = Result(item.aggregation, source.files, root=root)
    units = [(keys[row[0]], row) for row in rows if row[0] in keys]
    values = _values(item, parts, [row for _, row in units])
    for (unit_id, row), value in zip(units, values, strict=True):
        taken = tuple((group, row[c], _float(row[v])) for _, group, c, v in parts)
        result.units[unit_id] = UnitInputs(row[layout.total], taken, value)
    return result


def _values(item, parts, rows) -> list[float | None]:
    """Each unit's value: its measure, or 合成 over its groups' measures."""
    if not item.groups:
        at = parts[0][3]
        return [_float(row[at]) for row in rows]
    columns = {
        group: np.array([_nan(_float(row[v])) for row in rows], dtype=np.float64)
        for _, group, _, v in parts
    }
    combine = item.aggregation.combine
    compiled = check(parse(combine.text, combine.origin), Scope(dict.fromkeys(columns, NUMBER)))
    found, _ = evaluate(compiled, Population(columns, size=len(rows)))
    return [None if np.isnan(v) else float(v) for v in np.broadcast_to(found, len(rows))]


def _float(value: object) -> float | None:
    return None if value is None else float(value)


def _nan(value: float | None) -> float:
    return np.nan if value is None else value


def _warn_without(ruleset, result: Result, source: Source, errors, empty: bool) -> None:
    """KH567: the units the value is for that have no value from the records."""
    if empty:
        return  # KH566 said it of every unit
    wanted = _units_for(ruleset, result.aggregation.name)
    without = [
        name for uid, name in wanted if uid not in result.units or result.units[uid].value is None
    ]
    if not without:
        return
    absent = sum(1 for uid, _ in wanted if uid not in result.units)
    shown = "、".join(without[:EXAMPLES]) + ("等" if len(without) > EXAMPLES else "")
    message = (
        f"{result.aggregation.name}：{len(without)} 个单位由记录汇总不出值（{shown}），"
        f"其中 {absent} 个在记录中没有一条记录；它们的值缺失，按缺失数据政策处理"
    )
    span = result.aggregation.span
    errors.add(Diagnostic("KH567", message, span, severity=Severity.WARNING))


def _units_for(ruleset: m.RuleSet, name: str) -> list[tuple[str, str]]:
    """(id, name) of the units a value of ``name`` is for: the domains whose indicators or
    data items have it; every unit for a data item of the rule set."""
    domains = {
        d.name
        for d in ruleset.scored()
        if name in {i.id for i in d.all_indicators()} | {i.name for i in d.data_items}
    }
    everyone = any(item.name == name for item in ruleset.data_items)
    ids = m.roster_column(ruleset.units, "编号")
    names = m.roster_column(ruleset.units, "名称")
    of = m.roster_column(ruleset.units, "领域")
    return [
        (uid, unit_name)
        for uid, unit_name, domain in zip(ids, names, of, strict=True)
        if everyone or domain in domains
    ]


def join(data: DataSet, aggregated: Aggregated, ruleset: m.RuleSet) -> None:
    """Put the aggregated values into the DataSet as data values (a value the data files
    also give for the same name is KH568: two sources for one number)."""
    errors = Collector()
    for name, result in aggregated.results.items():
        given = data.columns.get(name)
        if given is not None and np.any(~np.isnan(given.astype(np.float64))):
            message = f"{name} 由记录汇总得出，数据文件中也给了 {name} 的值"
            hint = "删去数据文件中的这一列（或这些行），或删去 记录汇总 中的它"
            errors.error("KH568", message, result.aggregation.span, hint)
            continue
        for unit_id, inputs in result.units.items():
            if inputs.value is not None and unit_id in data.row:
                data.set(name, NUMBER, unit_id, inputs.value)
    errors.raise_if_errors()
    data.records = aggregated.results
    data.warnings += aggregated.warnings
    data.files += aggregated.files
    data.remote_files += aggregated.remote
    for path in aggregated.files:
        data.digests[path] = recorded_digest(path)
    data.consolidate(ruleset)
