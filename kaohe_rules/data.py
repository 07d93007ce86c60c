"""A year's data files, read and checked against the rule set before any scoring.

A data folder holds CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) or XLSX files:

- long form: columns 编号 (or 单位), 指标, 值 — one value per row;
- wide form: 编号 (or 单位) and one column per indicator or data item;
- history: columns 编号 (or 单位), 年度, 等次 (and 总分, 名次) — earlier years' results.

Units may be named by id or by name. Every value is checked against the rule
set: unknown units and names, duplicates, non-numbers, ranges, choices — each an
error naming file, row and column. Nothing is guessed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from kaohe_rules import families
from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, Severity
from kaohe_rules.dsl.hints import suggest
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type
from kaohe_rules.source import Span, os_reason
from kaohe_rules.unknown_data import UnknownNames

UNIT_COLUMNS = ("编号", "单位编号", "单位", "名称", "单位名称")
DESCRIPTIVE = {"名称", "单位名称", "领域", "类别", "备注", "说明", "数据来源"}
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
TRUE_TEXTS = {"true", "True", "TRUE", "是", "1"}  # how data and roster files write yes/no
FALSE_TEXTS = {"false", "False", "FALSE", "否", "0"}


@dataclass
class DataSet:
    """The year's values as columns, earlier results, and their files.

    Numbers and truth values are float64 columns (NaN: no value), text is an
    object column (None: no value); ``row[unit_id]`` is a unit's position in them.
    The columns hold each domain's units together (``order``), so that a domain's
    values are a slice of each column, copied in one go, not gathered unit by unit.
    """

    row: dict[str, int]
    # The roster position of the unit at each column position; None: roster order.
    order: np.ndarray | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    present: np.ndarray | None = None  # units that have at least one value
    history: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    where: dict[tuple[str, str], Span] = field(default_factory=dict)  # (unit id, name) → cell
    fast_files: list = field(default_factory=list)  # columnar.FastFile: read by columns
    ignored: dict[str, int] = field(default_factory=dict)  # 未知数据: 忽略 — name → values
    # Each of ``files`` with its resolved path and SHA-256 as read (recorded_digest).
    digests: dict[Path, tuple[Path, str]] = field(default_factory=dict, repr=False)
    # The number columns as rows of one array (consolidate), and each one's row.
    matrix: np.ndarray | None = field(default=None, repr=False)
    matrix_row: dict[str, int] = field(default_factory=dict, repr=False)
    _positions: dict = field(default_factory=dict, repr=False)  # id(rows) -> (rows, found)
    _column_of: np.ndarray | None = field(default=None, repr=False)  # inverse of order

    def locate(self, unit: m.Unit, name: str) -> Span | None:
        """Where the value of ``name`` for ``unit`` was given (a file read by columns keeps
        no positions: it is searched again, which only a warning ever needs)."""
        found = self.where.get((unit.id, name))
        if found is None:
            from kaohe_rules.columnar import locate

            for fast in self.fast_files:
                found = locate(fast, unit.id, unit.name, name)
                if found is not None:
                    break
        return found

    @classmethod
    def empty(cls, ruleset: m.RuleSet) -> DataSet:
        """No values yet for the roster's units, laid out domain by domain."""
        import pandas as pd  # loaded by then for reading; not at import, for startup

        ids = m.roster_column(ruleset.units, "编号")
        codes = {d.name: i for i, d in enumerate(ruleset.domains)}
        domains = pd.Series(m.roster_column(ruleset.units, "领域"), dtype=object)
        key = domains.map(codes).fillna(len(codes)).to_numpy(dtype=np.int64)
        order: np.ndarray | None = np.argsort(key, kind="stable")  # roster order within
        if len(key) == 0 or np.all(key[:-1] <= key[1:]):
            order = None  # a roster listed domain by domain, as most are: nothing to move
        placed = ids if order is None else np.asarray(ids, dtype=object)[order]
        row = dict(zip(placed, range(len(ids)), strict=True))
        return cls(row, order=order, present=np.zeros(len(row), dtype=bool))

    def consolidate(self, ruleset: m.RuleSet) -> None:
        """Move the number columns into rows of one names x units array, each domain's
        indicators in adjacent rows in file order: the values of indicators scored
        together (batch.py) for a domain's units are then a view of it, not a copy.
        Column by column, so memory never holds the values twice."""
        indicators = (i.id for d in ruleset.scored() for i in d.all_indicators())
        names = [
            name
            for name in dict.fromkeys([*indicators, *self.columns])
            if name in self.columns and self.columns[name].dtype == np.float64
        ]
        if not names:
            return
        matrix = np.empty((len(names), len(self.row)))
        for j, name in enumerate(names):
            matrix[j] = self.columns[name]
            self.columns[name] = matrix[j]  # the separate column is freed here
        self.matrix, self.matrix_row = matrix, {name: j for j, name in enumerate(names)}

    def positions(self, rows: np.ndarray) -> np.ndarray | slice:
        """Where the roster units at ``rows`` are in the columns: a slice when they lie
        together (a domain's units do), else their positions. Worked out once per rows."""
        cached = self._positions.get(id(rows))
        if cached is not None and cached[0] is rows:
            return cached[1]
        at = rows if self.order is None else self._inverse()[rows]
        found: np.ndarray | slice = at
        if len(at) and at[-1] - at[0] == len(at) - 1 and np.all(np.diff(at) == 1):
            found = slice(int(at[0]), int(at[-1]) + 1)
        self._positions[id(rows)] = (rows, found)
        return found

    def roster_rows(self, at: np.ndarray) -> np.ndarray:
        """The roster positions of the units at column positions ``at``."""
        return at if self.order is None else self.order[at]

    def _inverse(self) -> np.ndarray:
        if self._column_of is None:
            self._column_of = np.empty(len(self.order), dtype=np.int64)
            self._column_of[self.order] = np.arange(len(self.order))
        return self._column_of

    def column(self, name: str, kind: Type, rows: np.ndarray) -> np.ndarray:
        """The values of ``name`` for the units at ``rows`` (missing where none were given)."""
        found = self.columns.get(name)
        if found is not None:
            at = self.positions(rows)
            if isinstance(at, slice):  # a read-only view: the data set's own values
                view = found[at]
                view.flags.writeable = False
                return view
            return found[at]
        if kind == TEXT:
            return np.full(len(rows), None, dtype=object)
        return np.full(len(rows), np.nan)

    def set(self, name: str, kind: Type, unit_id: str, value: object) -> None:
        """Record one value."""
        column = self.columns.get(name)
        if column is None:
            size = len(self.row)
            column = np.full(size, None, dtype=object) if kind == TEXT else np.full(size, np.nan)
            self.columns[name] = column
        index = self.row[unit_id]
        column[index] = float(value) if kind != TEXT else value
        self.present[index] = True


@dataclass(frozen=True)
class _Cell:
    text: str
    span: Span


def expected_names(ruleset: m.RuleSet) -> dict[str, Type]:
    """Every name a data file may give a value for: indicators and data items."""
    names: dict[str, Type] = {}
    for domain in ruleset.scored():
        for item in domain.data_items:
            names[item.name] = item.type
        for indicator in domain.all_indicators():
            names[indicator.id] = NUMBER
    for item in ruleset.data_items:
        names[item.name] = item.type
    return names


def allowed_range(low: float | None, high: float | None, shown=lambda v: f"{v:g}") -> str:
    """A range as messages say it: 不能小于 0, 不能大于 100%, or 0 ~ 100 (``shown`` writes
    each bound); for data items (KH305) and indicators (KH316, plausibility.py)."""
    if high is None:
        return f"不能小于 {shown(low)}"
    if low is None:
        return f"不能大于 {shown(high)}"
    return f"{shown(low)} ~ {shown(high)}"


def read_data(
    folder: Path, ruleset: m.RuleSet, encoding: str | None = None, lenient: bool = False
) -> DataSet:
    """Read and check every data file of ``folder``; raise KaoheError listing the problems.

    ``lenient`` ignores names the rule set does not know (for comparing two years'
    rules on one data set, where each year knows its own indicators).
    """
    errors = Collector()
    reader = _Reader(ruleset, errors)
    reader.lenient = lenient
    files = sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".csv", ".xlsx", ".parquet")
        and not p.name.startswith("~$")  # Excel's lock files
    )
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in _UNSUPPORTED and not path.name.startswith("~$"):
            message = f"不支持 {path.suffix} 文件，其中的数据不会被读入"
            hint = "在 Excel 中另存为 .xlsx 或 CSV（UTF-8）"
            errors.error("KH308", message, Span(str(path), 1, 1, 1, 1), hint)
    if not files:
        span = Span(str(folder), 1, 1, 1, 1)
        errors.error("KH308", f"{folder} 中没有 CSV、XLSX 或 Parquet 数据文件", span)
        errors.raise_if_errors()
    from kaohe_rules import columnar

    digests: dict[Path, tuple[Path, str]] = {}
    for path in files:
        try:
            digests[path] = recorded_digest(path)  # hashed as it is read: the fingerprint
        except OSError as error:
            span = Span(str(path), 1, 1, 1, 1)
            errors.error("KH308", f"无法读取数据文件：{os_reason(error)}", span)
            continue
        if columnar.try_read(path, reader, encoding):
            continue  # a large clean long-format file, read by columns
        for sheet, frame in _frames(path, encoding, errors):
            reader.read(path, sheet, frame)
    errors.raise_if_errors()
    data = reader.data
    data.warnings += reader.unknown.warnings()
    data.ignored = reader.unknown.ignored()
    data.history, data.files, data.where = reader.history, files, reader.seen
    data.digests = digests
    data.consolidate(ruleset)
    absent = np.sort(data.roster_rows(np.flatnonzero(~data.present)))
    if len(absent):
        listed = "、".join(ruleset.units[i].name for i in absent[:10])
        names = listed + ("等" if len(absent) > 10 else "")
        message = f"{len(absent)} 个单位在数据中没有任何值：{names}"
        span = Span(str(folder), 1, 1, 1, 1)
        data.warnings.append(Diagnostic("KH306", message, span, severity=Severity.WARNING))
    return data


_DIGESTS: dict[tuple[Path, int, int], str] = {}


def recorded_digest(path: Path) -> tuple[Path, str]:
    """A file's resolved path and SHA-256, recorded when it is read: the fingerprint of
    an evaluation is then of what was read, even if the file changes afterwards."""
    return path.resolve(), digest(path)


def digest(path: Path) -> str:
    """The SHA-256 of a file, kept while the file is unchanged: readers hash what they read,
    so evaluating (and evaluating again) does not read the inputs a second time."""
    path = path.resolve()
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    found = _DIGESTS.get(key)
    if found is None:
        sha = hashlib.sha256()
        with open(path, "rb") as stream:
            while chunk := stream.read(1 << 24):
                sha.update(chunk)
        found = _DIGESTS[key] = sha.hexdigest()
    return found


def release_arrow_memory() -> None:
    """pyarrow's allocator keeps what it freed for its own next request; after a large
    read, what comes next is numpy's columns and the evaluation, so give it back now.
    Nothing to do when pyarrow was never imported."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()


def leading_comments(path: Path, limit: int | None = 1000) -> tuple[int, bytes | None]:
    """How many leading "# …" (or blank) lines a CSV file has, and the first other line
    (the header, without a BOM); None for it when there is none within ``limit`` lines
    (None: no limit)."""
    skip = 0
    with open(path, "rb") as stream:
        for raw in stream:
            text = raw.lstrip(b"\xef\xbb\xbf") if skip == 0 else raw
            if text.strip() and not text.startswith(b"#"):
                return skip, text
            skip += 1
            if limit is not None and skip > limit:
                break
    return skip, None


# Spreadsheet formats a data folder may hold by mistake: refused, not skipped, so their
# values are never silently left out.
_UNSUPPORTED = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers", ".tsv")


@dataclass
class _Table:
    """One sheet of cells, with the file line (or sheet row) of each row and, for CSV,
    the raw lines, so that a problem is shown at its character column."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    header_line: int = 1
    raw: list[str] | None = None


def _frames(path: Path, encoding: str | None, errors: Collector):
    """(sheet name, table) pairs: one for a CSV, one per visible sheet of a workbook."""
    span = Span(str(path), 1, 1, 1, 1)
    try:
        if path.suffix.lower() == ".xlsx":
            return _guarded_workbook(path)
        if path.suffix.lower() == ".parquet":
            return [(None, _parquet(path))]
        return [(None, _csv(path, encoding))]
    except (OSError, ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as error:
        errors.error("KH308", f"无法读取数据文件：{error}", span)
        return []
    except _SheetProblem as problem:
        errors.add(problem.diagnostic)
        return []


def _csv(path: Path, encoding: str | None) -> _Table:
    data = path.read_bytes()
    for candidate in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            text = data.decode(candidate)
            break
        except LookupError:
            raise ValueError(f"没有叫 {candidate} 的编码") from None
        except UnicodeDecodeError:
            continue
    else:
        if encoding:
            raise ValueError(f"文件不是 {encoding} 编码")
        raise ValueError("编码不是 UTF-8 或 GB18030，可用 --encoding 指定")
    raw = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline=""))
    header, rows, lines, header_line = None, [], [], 1
    line, ended = 1, 0
    for record in reader:
        # A quoted cell may hold line breaks: a record starts on the line after the last one.
        line, ended = ended + 1, reader.line_num
        if header is None:
            if not record or record[0].startswith("#"):
                continue  # leading "# …" lines are comments (sample files say they are synthetic)
            header, header_line = [c.strip() for c in record], line
        elif any(cell.strip() for cell in record):
            rows.append(record)
            lines.append(line)
    if header is None:
        raise ValueError("文件是空的，第一行应是列名")
    return _Table(header, rows, lines, header_line, raw)


def _parquet(path: Path) -> _Table:
    """A Parquet file as rows of text (the columnar reader declined it: the rows are
    checked one by one). Its "lines" are the row numbers counting the header as 1."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"不是可读的 Parquet 文件（{error}）") from None
    header = [str(name).strip() for name in table.column_names]
    columns = [table.column(name).to_pylist() for name in table.column_names]
    rows = [["" if v is None else _cell_text(v) for v in row] for row in zip(*columns, strict=True)]
    return _Table(header, rows, list(range(2, len(rows) + 2)), header_line=1)


class _SheetProblem(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


def _guarded_workbook(path: Path) -> list[tuple[str, _Table]]:
    """A damaged .xlsx makes openpyxl raise almost anything (zlib.error, KeyError…): each is
    the file's fault, said as KH308, never an internal error."""
    try:
        return _workbook(path)
    except (_SheetProblem, OSError):
        raise
    except Exception as error:
        span = Span(str(path), 1, 1, 1, 1)
        message = f"无法读取工作簿：文件已损坏或不是 Excel 工作簿（{type(error).__name__}）"
        hint = "在 Excel 中打开并另存为 .xlsx"
        raise _SheetProblem(Diagnostic("KH308", message, span, hint)) from None


def _workbook(path: Path) -> list[tuple[str, _Table]]:
    """Visible sheets as tables; formulas without a saved value and merged cells refused."""
    from openpyxl import load_workbook

    values = load_workbook(path, data_only=True)
    formulas = load_workbook(path, data_only=False)
    out = []
    for sheet in values.worksheets:
        if sheet.sheet_state != "visible":
            continue
        file = f"{path}[{sheet.title}]"
        if sheet.merged_cells.ranges:
            first = min(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
            message = f"工作表有合并单元格（{first}），每个值须在自己的单元格里"
            row, col = first.min_row, first.min_col
            raise _SheetProblem(Diagnostic("KH308", message, Span(file, row, col, row, col + 1)))
        cells = []
        for row, with_formulas in zip(
            sheet.iter_rows(values_only=True),
            formulas[sheet.title].iter_rows(values_only=True),
            strict=True,
        ):
            for column, (value, written) in enumerate(zip(row, with_formulas, strict=True), 1):
                if value is None and isinstance(written, str) and written.startswith("="):
                    line = len(cells) + 1
                    message = f"公式 {written} 没有保存计算结果"
                    hint = "在 Excel 中打开并保存一次，或把公式换成数值"
                    span = Span(file, line, column, line, column + 1)
                    raise _SheetProblem(Diagnostic("KH308", message, span, hint))
            cells.append(["" if v is None else _cell_text(v) for v in row])
        skip = 0  # leading "# …" rows are comments, as in CSV files
        while skip < len(cells) and cells[skip] and str(cells[skip][0]).startswith("#"):
            skip += 1
        if skip < len(cells):
            header = [str(c).strip() for c in cells[skip]]
            body = enumerate(cells[skip + 1 :], skip + 2)
            numbered = [(n, row) for n, row in body if any(row)]
            rows = [row for _n, row in numbered]
            lines = [n for n, _r in numbered]
            out.append((sheet.title, _Table(header, rows, lines, header_line=skip + 1)))
    if not out:
        message = "工作簿中没有数据：可见的工作表都是空的，第一行应是列名"
        raise _SheetProblem(Diagnostic("KH308", message, Span(str(path), 1, 1, 1, 2)))
    return out


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field_columns(raw: str, count: int) -> list[tuple[int, int]]:
    """Character columns (1-based start, end) of each comma-separated field of a CSV line."""
    spans, start, quoted = [], 0, False
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            spans.append((start + 1, index + 1))
            start = index + 1
    spans.append((start + 1, len(raw.rstrip("\r")) + 1))
    return spans + [(len(raw) + 1, len(raw) + 2)] * max(count - len(spans), 0)


class _Reader:
    def __init__(self, ruleset: m.RuleSet, errors: Collector) -> None:
        self.ruleset, self.errors = ruleset, errors
        self.names = expected_names(ruleset)
        self.items = {d.name: d for d in ruleset.data_items}
        for domain in ruleset.scored():
            self.items.update({d.name: d for d in domain.data_items})
        self._by_id: dict[str, m.Unit] | None = None
        self._by_name: dict[str, list[m.Unit]] | None = None
        self.data = DataSet.empty(ruleset)
        self.seen: dict[tuple[str, str], Span] = {}
        self.history: dict[tuple[str, int], dict[str, object]] = {}
        self.lenient = False
        self.unknown = UnknownNames(ruleset.unknown_data, errors)
        self.prefixes = families.prefixes(ruleset)

    def kind(self, name: str) -> Type | None:
        """The type of a name data may give; a family's undeclared member (families.py)
        is a number, recorded the first time it is seen."""
        found = self.names.get(name)
        if found is not None or name in UNIT_COLUMNS or name in DESCRIPTIVE:
            return found
        if self.prefixes and name.startswith(self.prefixes):
            found = self.names[name] = NUMBER
        return found

    @property
    def by_id(self) -> dict[str, m.Unit]:
        """Units by id, built only when the row reader reads a file (the columnar reader
        looks ids up in DataSet.row and makes no object per unit)."""
        if self._by_id is None:
            self._by_id = {u.id: u for u in self.ruleset.units}
        return self._by_id

    @property
    def by_name(self) -> dict[str, list[m.Unit]]:
        """Units by name, built only when a file names units (most give ids)."""
        if self._by_name is None:
            self._by_name = {}
            for unit in self.ruleset.units:
                self._by_name.setdefault(unit.name, []).append(unit)
        return self._by_name

    def read(self, path: Path, sheet: str | None, table: _Table) -> None:
        file = f"{path}[{sheet}]" if sheet else str(path)
        self.table = table
        self.header_line = table.header_line
        columns = table.header
        for index, name in enumerate(columns):
            if name in columns[:index]:
                span = self._header_span(file, index)
                self.errors.error("KH303", f"列名 '{name}' 重复（第 {index + 1} 列）", span)
                return
        unit_column = next((c for c in UNIT_COLUMNS if c in columns), None)
        if {"指标", "值"} - set(columns):
            for name in columns:  # a wide file's columns may be a family's members
                self.kind(name)
        if unit_column is None:
            message = "找不到单位列（应有 编号 或 单位 列）"
            line = self.header_line
            self.errors.error("KH308", message, Span(file, line, 1, line, 2))
            return
        for number, row in zip(table.lines, table.rows, strict=True):
            if len(row) != len(columns):
                span = Span(file, number, 1, number, 2)
                message = f"这一行有 {len(row)} 个值，而列名有 {len(columns)} 个"
                self.errors.error(
                    "KH308", message, span, "检查多余的逗号，或含逗号的值是否加了引号"
                )
                return
        rows = table.rows
        if {"指标", "值"} <= set(columns):
            self._long(file, columns, rows, unit_column)
        elif {"年度", "等次"} <= set(columns):
            others = [c for c in columns if c in self.names]
            if others:
                # A data file that happens to have 年度 and 等次 must not lose its values.
                span = self._header_span(file, columns.index(others[0]))
                message = f"历史结果文件（有 年度、等次 列）中不能有指标或数据项列：{others[0]}"
                self.errors.error("KH310", message, span, "把往年结果和本年数据分成两个文件")
                return
            self._history(file, columns, rows, unit_column)
        else:
            self._wide(file, columns, rows, unit_column)

    def _cells(self, file: str, columns: list[str], rows, row_index: int) -> dict[str, _Cell]:
        line = self.table.lines[row_index]
        if self.table.raw is not None and line - 1 < len(self.table.raw):
            places = _field_columns(self.table.raw[line - 1], len(columns))
        else:
            places = [(col + 1, col + 2) for col in range(len(columns))]
        return {
            name: _Cell(str(value).strip(), Span(file, line, start, line, end))
            for (name, value), (start, end) in zip(
                zip(columns, rows[row_index], strict=True), places, strict=False
            )
        }

    def _header_span(self, file: str, col: int) -> Span:
        line = self.header_line
        if self.table.raw is not None and line - 1 < len(self.table.raw):
            start, end = _field_columns(self.table.raw[line - 1], col + 1)[col]
            return Span(file, line, start, line, end)
        return Span(file, line, col + 1, line, col + 2)

    def _unit(self, cell: _Cell) -> m.Unit | None:
        if cell.text in self.by_id:
            return self.by_id[cell.text]
        named = self.by_name.get(cell.text, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            ids = "、".join(f"{u.id}（{u.domain}）" for u in named)
            self.errors.error(
                "KH309", f"单位名称 '{cell.text}' 不唯一：{ids}", cell.span, "请用编号"
            )
            return None
        hint = suggest(cell.text, list(self.by_name))
        self.errors.error("KH301", f"名单中没有单位 '{cell.text}'", cell.span, hint)
        return None

    def _wide(self, file: str, columns: list[str], rows, unit_column: str) -> None:
        for col, name in enumerate(columns):
            if self.lenient:
                break
            if (
                name not in (unit_column, *UNIT_COLUMNS)
                and name not in DESCRIPTIVE
                and name not in self.names
            ):
                span = self._header_span(file, col)
                hint = suggest(name, list(self.names))
                given = sum(1 for row in rows if str(row[col]).strip())
                self.unknown.seen(name, span, hint, given)
        for index in range(len(rows)):
            cells = self._cells(file, columns, rows, index)
            unit = self._unit(cells[unit_column])
            if unit is None:
                continue
            for name, cell in cells.items():
                if name in self.names and cell.text != "":
                    self._store(unit, name, cell)

    def _long(self, file: str, columns: list[str], rows, unit_column: str) -> None:
        for index in range(len(rows)):
            cells = self._cells(file, columns, rows, index)
            unit = self._unit(cells[unit_column])
            name_cell = cells["指标"]
            self.kind(name_cell.text)
            if name_cell.text not in self.names and self.lenient:
                continue
            if name_cell.text not in self.names:
                # one suggestion a name: a million rows may name the same unknown one
                first = self.unknown.refused or name_cell.text not in self.unknown.found
                hint = suggest(name_cell.text, list(self.names)) if first else None
                given = int(cells["值"].text != "")
                self.unknown.seen(name_cell.text, name_cell.span, hint, given)
                continue
            if unit is not None and cells["值"].text != "":
                self._store(unit, name_cell.text, cells["值"])

    def _store(self, unit: m.Unit, name: str, cell: _Cell) -> None:
        key = (unit.id, name)
        if key in self.seen:
            first = self.seen[key]
            message = f"{unit.name} 的 {name} 重复给出（第一次在 {first.file} 第 {first.line} 行）"
            self.errors.error("KH303", message, cell.span)
            return
        if self.data.fast_files and self._given(unit, name):
            files = "、".join(str(f.path) for f in self.data.fast_files)
            message = f"{unit.name} 的 {name} 重复给出（{files} 中已有）"
            self.errors.error("KH303", message, cell.span)
            return
        self.seen[key] = cell.span
        value = self._convert(name, cell)
        if value is not None:
            self.data.set(name, self.names[name], unit.id, value)

    def _given(self, unit: m.Unit, name: str) -> bool:
        column = self.data.columns.get(name)
        if column is None:
            return False
        value = column[self.data.row[unit.id]]
        return value is not None and not (isinstance(value, float) and np.isnan(value))

    def _convert(self, name: str, cell: _Cell) -> object:
        kind = self.names[name]
        if kind == TEXT:
            item = self.items.get(name)
            if item is not None and item.choices and cell.text not in item.choices:
                allowed = "、".join(item.choices)
                message = f"{name} 不能是 '{cell.text}'；可选：{allowed}"
                self.errors.error("KH307", message, cell.span, suggest(cell.text, item.choices))
                return None
            return cell.text
        if kind == BOOL:
            if cell.text in TRUE_TEXTS | FALSE_TEXTS:
                return cell.text in TRUE_TEXTS
            self.errors.error("KH304", f"{name} 应为 是/否，这里是 '{cell.text}'", cell.span)
            return None
        number = parse_number(cell.text)
        if number is None:
            message = f"{name} 应为数值，这里是 '{cell.text}'"
            self.errors.error("KH304", message, cell.span, "数值可写作 12.5、12.5% 或 1,234")
            return None
        self._check_range(name, number, cell)
        return number

    def _check_range(self, name: str, number: float, cell: _Cell) -> None:
        item = self.items.get(name)
        if item is None:
            return
        low, high = item.minimum, item.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = allowed_range(low, high)
            if low is not None and high is not None:
                bounds = f"超出范围 {bounds}"
            self.errors.error("KH305", f"{name} 的值 {cell.text} {bounds}", cell.span)

    def _history(self, file: str, columns: list[str], rows, unit_column: str) -> None:
        for index in range(len(rows)):
            cells = self._cells(file, columns, rows, index)
            cell = cells[unit_column]
            if cell.text not in self.by_id and cell.text not in self.by_name:
                continue  # a unit assessed in earlier years only: its history is not needed
            unit = self._unit(cell)
            year = parse_number(cells["年度"].text)
            if unit is None:
                continue
            if year is not None and year >= self.ruleset.year:
                message = f"历史结果的年度 {int(year)} 不早于本年度 {self.ruleset.year}"
                self.errors.error("KH310", message, cells["年度"].span)
                continue
            if year is None or not float(year).is_integer():
                self.errors.error(
                    "KH310", f"年度应为整数，这里是 '{cells['年度'].text}'", cells["年度"].span
                )
                continue
            record: dict[str, object] = {}
            for name, kind in m.HISTORY_FIELDS.items():
                text = cells[name].text if name in cells else ""
                if text == "":
                    continue
                value = text if kind == TEXT else parse_number(text)
                if value is None:
                    self.errors.error(
                        "KH310", f"{name} 应为数值，这里是 '{text}'", cells[name].span
                    )
                    continue
                record[name] = value
            key = (unit.id, int(year))
            if key in self.history:
                message = f"{unit.name} {int(year)} 年的结果重复给出"
                self.errors.error("KH303", message, cells[unit_column].span)
            self.history[key] = record


def parse_number(text: str) -> float | None:
    """A data cell as a number: 12.5, -3, 1e3, 12.5% (0.125), 1,234; None if it is not one."""
    text = text.strip().replace("％", "%")
    percent = text.endswith("%")
    body = text[:-1].strip() if percent else text
    if _THOUSANDS.match(body):
        body = body.replace(",", "")
    if not _NUMBER.match(body):
        return None
    try:
        value = Decimal(body)
    except InvalidOperation:
        return None
    number = float(value / 100 if percent else value)
    return number if math.isfinite(number) and abs(number) < 1e300 else None
