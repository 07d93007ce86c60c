"""The row reader: every cell of a data sheet checked against the rule set, each problem
said at its file, line and column; the reference that the columnar reader (columnar.py)
must agree with.

A sheet is long (编号, 指标, 值: one value a row), wide (编号 and a column per name) or a
history of earlier years (编号, 年度, 等次: history.py). Units may be named by id or by
name; unknown units and names, duplicates, non-numbers, ranges and choices are errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector
from kaohe_rules.dsl.hints import look_alike, suggest
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type
from kaohe_rules.read import history
from kaohe_rules.read.cells import (
    DESCRIPTIVE,
    FALSE_TEXTS,
    TRUE_TEXTS,
    UNIT_COLUMNS,
    Placed,
    Sheet,
    allowed_range,
    parse_number,
    repeated_name,
)
from kaohe_rules.read.csv import field_columns
from kaohe_rules.read.dataset import DataSet, expected_names
from kaohe_rules.read.unknown_data import Suggestions, UnknownNames
from kaohe_rules.source import Span, plain_name


class RowReader:
    """Reads sheets one by one into ``data`` (a DataSet for the rule set's roster), with
    ``seen``, the cell each value came from, and ``history``; problems go to ``errors``."""

    def __init__(self, ruleset: m.RuleSet, errors: Collector) -> None:
        self.ruleset, self.errors = ruleset, errors
        self.names = expected_names(ruleset)
        self.items = {d.name: d for d in ruleset.data_items}
        for domain in ruleset.scored():
            self.items.update({d.name: d for d in domain.data_items})
        self._by_id: dict[str, m.Unit] | None = None
        self._by_name: dict[str, list[m.Unit]] | None = None
        self.data = DataSet.empty(ruleset)
        self.seen: dict[tuple[str, str], Placed] = {}  # DataSet.where: where each value came from
        self.history: dict[tuple[str, int], dict[str, object]] = {}
        self.lenient = False
        self.unknown = UnknownNames(ruleset.unknown_data, errors)
        self.prefixes = m.family_prefixes(ruleset)
        self._header_places: list[tuple[int, int]] | None = None
        self._unit_hint = Suggestions()  # a budget of its own: unknown units, not names
        self._columns: list[str] | None = None
        self._column_at: dict[str, int] = {}

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

    def read(self, path: Path, sheet: str | None, table: Sheet) -> None:
        """Check and store one sheet (``sheet``: its title in a workbook, else None)."""
        file = f"{path}[{sheet}]" if sheet else str(path)
        self.table = table
        self.header_line = table.header_line
        columns = table.header
        self._header_places = None
        index = repeated_name(columns)
        if index is not None:
            span = self._header_span(file, index)
            self.errors.error("KH303", f"列名 '{columns[index]}' 重复（第 {index + 1} 列）", span)
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
            history.read_rows(self, file, columns, rows, unit_column)
        else:
            self._wide(file, columns, rows, unit_column)

    def cells(self, file: str, columns: list[str], rows, row_index: int) -> RowCells:
        """The cells of one row of the sheet being read, by column name, each at its place
        (a cell is made when it is looked up, and its place when first asked for: only a
        problem or a warning needs one, and placing every cell was most of the reader's
        time)."""
        line = self.table.lines[row_index]
        raw = self.table.raw
        text = raw[line - 1] if raw is not None and line - 1 < len(raw) else None
        return RowCells(
            self._positions(columns), rows[row_index], _Row(file, line, text, len(columns))
        )

    def _positions(self, columns: list[str]) -> dict[str, int]:
        # once a sheet: the header's names are unique here (read() refuses a repeated one)
        if self._columns is not columns:
            self._columns, self._column_at = columns, {n: c for c, n in enumerate(columns)}
        return self._column_at

    def _header_span(self, file: str, col: int) -> Span:
        line = self.header_line
        if self.table.raw is not None and line - 1 < len(self.table.raw):
            if self._header_places is None:  # once a sheet: each scan is the whole line
                raw = self.table.raw[line - 1]
                self._header_places = field_columns(raw, len(self.table.header))
            start, end = self._header_places[col]
            return Span(file, line, start, line, end)
        return Span(file, line, col + 1, line, col + 2)

    def unit(self, cell: Placed) -> m.Unit | None:
        """The unit a cell names by id or by unique name; None, with KH301 or KH309, if none."""
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
        plain = plain_name(cell.text)  # J0１ or J01 + U+200B where the roster has J01
        if plain != cell.text and plain in self.by_id:
            hint = look_alike(cell.text, plain)
        else:  # a fuzzy match over the roster: for the first few, not for each of 10⁵
            hint = self._unit_hint(cell.text, self.by_name)
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
                hint = self.unknown.hint(name, self.names)
                given = sum(1 for row in rows if str(row[col]).strip())
                self.unknown.seen(name, span, hint, given)
        # the names stored, in the sheet's order (the names are all known by now: read()
        # has asked kind() of every column)
        stored = [name for name in columns if name in self.names]
        for index in range(len(rows)):
            cells = self.cells(file, columns, rows, index)
            unit = self.unit(cells[unit_column])
            if unit is None:
                continue
            for name in stored:
                cell = cells[name]
                if cell.text != "":
                    self._store(unit, name, cell)

    def _long(self, file: str, columns: list[str], rows, unit_column: str) -> None:
        for index in range(len(rows)):
            cells = self.cells(file, columns, rows, index)
            unit = self.unit(cells[unit_column])
            name_cell, value_cell = cells["指标"], cells["值"]
            self.kind(name_cell.text)
            if name_cell.text not in self.names and self.lenient:
                continue
            if name_cell.text not in self.names:
                # one suggestion a name: a million rows may name the same unknown one
                first = self.unknown.refused or name_cell.text not in self.unknown.found
                hint = self.unknown.hint(name_cell.text, self.names) if first else None
                given = int(value_cell.text != "")
                self.unknown.seen(name_cell.text, name_cell.span, hint, given)
                continue
            if unit is not None and value_cell.text != "":
                self._store(unit, name_cell.text, value_cell)

    def _store(self, unit: m.Unit, name: str, cell: Placed) -> None:
        key = (unit.id, name)
        if key in self.seen:
            first = self.seen[key].span
            message = f"{unit.name} 的 {name} 重复给出（第一次在 {first.file} 第 {first.line} 行）"
            self.errors.error("KH303", message, cell.span)
            return
        if self.data.fast_files and self._given(unit, name):
            files = "、".join(str(f.path) for f in self.data.fast_files)
            message = f"{unit.name} 的 {name} 重复给出（{files} 中已有）"
            self.errors.error("KH303", message, cell.span)
            return
        self.seen[key] = cell
        value = self._convert(name, cell)
        if value is not None:
            self.data.set(name, self.names[name], unit.id, value)

    def _given(self, unit: m.Unit, name: str) -> bool:
        column = self.data.columns.get(name)
        if column is None:
            return False
        value = column[self.data.row[unit.id]]
        return value is not None and not (isinstance(value, float) and np.isnan(value))

    def _convert(self, name: str, cell: Placed) -> object:
        kind = self.names[name]
        if kind is not NUMBER:  # nearly every cell is a number: no == on its type then
            if kind == TEXT:
                return self._text(name, cell)
            if kind == BOOL:
                return self._bool(name, cell)
        number = parse_number(cell.text)
        if number is None:
            message = f"{name} 应为数值，这里是 '{cell.text}'"
            self.errors.error("KH304", message, cell.span, "数值可写作 12.5、12.5% 或 1,234")
            return None
        self._check_range(name, number, cell)
        return number

    def _text(self, name: str, cell: Placed) -> str | None:
        item = self.items.get(name)
        if item is not None and item.choices and cell.text not in item.choices:
            allowed = "、".join(item.choices)
            message = f"{name} 不能是 '{cell.text}'；可选：{allowed}"
            self.errors.error("KH307", message, cell.span, suggest(cell.text, item.choices))
            return None
        return cell.text

    def _bool(self, name: str, cell: Placed) -> bool | None:
        if cell.text in TRUE_TEXTS | FALSE_TEXTS:
            return cell.text in TRUE_TEXTS
        self.errors.error("KH304", f"{name} 应为 是/否，这里是 '{cell.text}'", cell.span)
        return None

    def _check_range(self, name: str, number: float, cell: Placed) -> None:
        item = self.items.get(name)
        if item is None:
            return
        low, high = item.minimum, item.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = allowed_range(low, high)
            if low is not None and high is not None:
                bounds = f"超出范围 {bounds}"
            self.errors.error("KH305", f"{name} 的值 {cell.text} {bounds}", cell.span)


class _Row:
    """Where one row of a sheet stands: its file, line and raw text; each field's
    character columns worked out on first need, once for the row."""

    __slots__ = ("_places", "count", "file", "line", "raw")

    def __init__(self, file: str, line: int, raw: str | None, count: int) -> None:
        self.file, self.line, self.raw, self.count = file, line, raw, count
        self._places: list[tuple[int, int]] | None = None

    def span(self, col: int) -> Span:
        if self.raw is None:  # a workbook's cell: its column number
            return Span(self.file, self.line, col + 1, self.line, col + 2)
        if self._places is None:
            self._places = field_columns(self.raw, self.count)
        start, end = self._places[col]
        return Span(self.file, self.line, start, self.line, end)


class RowCells:
    """One row's cells by column name, each made when it is looked up (a row of a wide
    sheet has a cell for every column, and most are never looked at)."""

    __slots__ = ("_at", "_row", "_values")

    def __init__(self, at: dict[str, int], values: list, row: _Row) -> None:
        self._at, self._values, self._row = at, values, row

    def __getitem__(self, name: str) -> PlacedCell:
        col = self._at[name]
        return PlacedCell(str(self._values[col]).strip(), self._row, col)

    def __contains__(self, name: object) -> bool:
        return name in self._at

    def get(self, name: str) -> PlacedCell | None:
        return self[name] if name in self._at else None


class PlacedCell:
    """A cell of the row reader: its trimmed text, and its place made when asked for."""

    __slots__ = ("_col", "_row", "text")

    def __init__(self, text: str, row: _Row, col: int) -> None:
        self.text, self._row, self._col = text, row, col

    @property
    def span(self) -> Span:
        return self._row.span(self._col)
