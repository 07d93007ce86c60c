"""A year's data folder read and checked against the rule set before any scoring.

A data folder holds CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX or Parquet files:

- long form: columns 编号 (or 单位), 指标, 值 — one value per row;
- wide form: 编号 (or 单位) and one column per indicator or data item;
- history: columns 编号 (or 单位), 年度, 等次 (and 总分, 名次) — earlier years' results.

Units may be named by id or by name. Every value is checked against the rule
set: unknown units and names, duplicates, non-numbers, ranges, choices — each an
error naming file, row and column. Nothing is guessed. Large clean long-format files
are read by columns (columnar.py), every other file row by row (rows.py).
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, Severity
from kaohe_rules.read import ahead, bounds, columnar
from kaohe_rules.read.cells import Sheet, SheetProblem
from kaohe_rules.read.csv import read_csv
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.read.files import data_files, hash_files_ahead, recorded_digest, unsupported_files
from kaohe_rules.read.parquet import read_parquet
from kaohe_rules.read.rows import RowReader
from kaohe_rules.read.xlsx import read_workbook
from kaohe_rules.source import Span, not_regular, os_reason


def read_data(
    folder: Path, ruleset: m.RuleSet, encoding: str | None = None, lenient: bool = False
) -> DataSet:
    """Read and check every data file of ``folder``; raise KaoheError listing the problems.

    ``lenient`` ignores names the rule set does not know (for comparing two years'
    rules on one data set, where each year knows its own indicators).
    """
    errors = Collector()
    reader = RowReader(ruleset, errors)
    reader.lenient = lenient
    files = data_files(folder)
    for path in unsupported_files(folder):
        message = f"不支持 {path.suffix} 文件，其中的数据不会被读入"
        hint = "在 Excel 中另存为 .xlsx 或 CSV（UTF-8）"
        errors.error("KH308", message, Span(str(path), 1, 1, 1, 1), hint)
    if not files:
        span = Span(str(folder), 1, 1, 1, 1)
        errors.error("KH308", f"{folder} 中没有 CSV、XLSX 或 Parquet 数据文件", span)
        errors.raise_if_errors()
    try:
        return _read(folder, ruleset, encoding, errors, reader, files)
    finally:
        ahead.drop_all()  # a parse started ahead for a file read otherwise


def _read(folder, ruleset, encoding, errors: Collector, reader: RowReader, files) -> DataSet:
    digests: dict[Path, tuple[Path, str]] = {}
    notes: list[Diagnostic] = []  # KH526: workbook sheets skipped as not data
    for path in files:
        refused = not_regular(path)
        if refused is not None:  # before any read: a pipe or a device would never end
            errors.error("KH308", f"无法读取数据文件：{refused}", Span(str(path), 1, 1, 1, 1))
            continue
        try:
            bounds.check_file_bytes(path)  # before the hash, which reads every byte
            digests[path] = recorded_digest(path)  # hashed as it is read: the fingerprint
        except SheetProblem as problem:
            errors.add(problem.diagnostic)
            continue
        except OSError as error:
            span = Span(str(path), 1, 1, 1, 1)
            errors.error("KH308", f"无法读取数据文件：{os_reason(error)}", span)
            continue
        if columnar.try_read(path, reader, encoding):
            continue  # a large clean long-format file, read by columns
        for sheet, table in _sheets(path, encoding, errors, notes, reader):
            reader.read(path, sheet, table)
    errors.raise_if_errors()
    data = reader.data
    data.warnings += notes + reader.unknown.warnings()
    data.ignored = reader.unknown.ignored()
    data.history, data.files, data.where = reader.history, files, reader.seen
    data.digests = digests
    data.consolidate(ruleset)
    _warn_absent(data, ruleset, folder)
    return data


def read_ahead(folder: Path, encoding: str | None = None) -> None:
    """Start on the data of ``folder`` while the caller loads the rules: the files' digests
    (files.hash_files_ahead) and the parse of a long-format file (columnar.read_ahead).
    read_data takes what is done, and stops what it does not take. Only files read_data
    will read: regular ones within the size limit (it says what is wrong with the rest)."""
    try:
        within = [p for p in data_files(folder) if _may_read(p)]
        hash_files_ahead(within)
        for path in within:
            columnar.read_ahead(path, encoding)
    except OSError:
        return  # read_data says what is wrong with the folder


def _may_read(path: Path) -> bool:
    if not_regular(path) is not None:
        return False
    try:
        bounds.check_file_bytes(path)
    except SheetProblem:
        return False
    return True


def _warn_absent(data: DataSet, ruleset: m.RuleSet, folder: Path) -> None:
    """KH306: the units without a single value, first ten named."""
    absent = np.sort(data.roster_rows(np.flatnonzero(~data.present)))
    if len(absent):
        listed = "、".join(ruleset.units[i].name for i in absent[:10])
        names = listed + ("等" if len(absent) > 10 else "")
        message = f"{len(absent)} 个单位在数据中没有任何值：{names}"
        span = Span(str(folder), 1, 1, 1, 1)
        data.warnings.append(Diagnostic("KH306", message, span, severity=Severity.WARNING))


def _known(reader: RowReader, text: str) -> str | None:
    """What a cell of a workbook sheet without a unit column is to the rule set: such a sheet
    is skipped as instructions only when no cell is a name or a unit that data would hold
    (a data sheet with a misnamed unit column must not be dropped)."""
    if text in ("指标", "值", "年度", "等次"):
        return "数据文件的列名"
    if text in reader.names or (reader.prefixes and text.startswith(reader.prefixes)):
        return "指标或数据项"
    if text in reader.by_id or text in reader.by_name:
        return "单位"
    return None


def _sheets(
    path: Path, encoding: str | None, errors: Collector, notes: list[Diagnostic], reader
) -> list[tuple[str | None, Sheet]]:
    """(sheet name, sheet) pairs: one for a CSV or Parquet file, one per visible data sheet
    of a workbook (the others noted in ``notes``); none, with KH308, when the file cannot
    be read."""
    span = Span(str(path), 1, 1, 1, 1)
    try:
        if path.suffix.lower() == ".xlsx":
            book = read_workbook(path, lambda text: _known(reader, text))
            notes += book.skipped
            return book.sheets
        if path.suffix.lower() == ".parquet":
            return [(None, read_parquet(path))]
        return [(None, read_csv(path, encoding))]
    except (OSError, ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as error:
        errors.error("KH308", f"无法读取数据文件：{error}", span)
        return []
    except SheetProblem as problem:
        errors.add(problem.diagnostic)
        return []
