"""Earlier years' results: a history sheet in a data folder (编号, 年度, 等次, and 总分,
名次), read into the data set for labels such as 连续三年, and the history CSV files that
``kaohe history --history-csv`` shows beside the archive."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, KaoheError
from kaohe_rules.dsl.types import TEXT
from kaohe_rules.read.cells import SheetProblem, parse_number
from kaohe_rules.read.csv import read_csv
from kaohe_rules.source import Span, not_regular, os_reason, plain_name

if TYPE_CHECKING:
    from kaohe_rules.read.rows import RowCells


def read_rows(reader, file: str, columns: list[str], rows, unit_column: str) -> None:
    """A data folder's history sheet into ``reader.history`` (the row reader, rows.py, which
    finds the units and places the cells): (unit id, year) → the year's fields."""
    for index in range(len(rows)):
        cells = reader.cells(file, columns, rows, index)
        cell = cells[unit_column]
        if cell.text not in reader.by_id and cell.text not in reader.by_name:
            plain = plain_name(cell.text)  # 330100 + U+200B is this year's 330100, mistyped
            if plain == cell.text or (plain not in reader.by_id and plain not in reader.by_name):
                continue  # a unit assessed in earlier years only: its history is not needed
        unit = reader.unit(cell)
        year_cell = cells["年度"]
        year = parse_number(year_cell.text)
        if unit is None:
            continue
        if year is not None and year >= reader.ruleset.year:
            message = f"历史结果的年度 {int(year)} 不早于本年度 {reader.ruleset.year}"
            reader.errors.error("KH310", message, year_cell.span)
            continue
        if year is None or not float(year).is_integer():
            message = f"年度应为整数，这里是 '{year_cell.text}'"
            reader.errors.error("KH310", message, year_cell.span)
            continue
        record = _record(cells, reader.errors)
        key = (unit.id, int(year))
        if key in reader.history:
            message = f"{unit.name} {int(year)} 年的结果重复给出"
            reader.errors.error("KH303", message, cells[unit_column].span)
        reader.history[key] = record


def _record(cells: RowCells, errors: Collector) -> dict[str, object]:
    """One row's history fields that are given, as their types (KH310 where one is not)."""
    record: dict[str, object] = {}
    for name, kind in m.HISTORY_FIELDS.items():
        cell = cells.get(name)
        text = "" if cell is None else cell.text
        if text == "":
            continue
        value = text if kind == TEXT else parse_number(text)
        if value is None:
            errors.error("KH310", f"{name} 应为数值，这里是 '{text}'", cell.span)
            continue
        record[name] = value
    return record


def read_history_csv(path: Path) -> list[dict]:
    """Rows of a history CSV (columns 编号, 名称, 年度, 等次, 总分, 名次, as 历史.csv)."""
    where = Span(str(path), 1, 1, 1, 2)
    refused = not_regular(path)
    if refused is not None:  # before any read: a pipe blocks, /dev/zero never ends
        raise KaoheError([Diagnostic("KH308", f"无法读取历史文件：{refused}", where)])
    try:
        table = read_csv(path, None)
    except (OSError, ValueError) as error:
        reason = os_reason(error) if isinstance(error, OSError) else str(error)
        raise KaoheError([Diagnostic("KH308", f"无法读取历史文件：{reason}", where)]) from None
    except SheetProblem as problem:  # larger or wider than the limits
        raise KaoheError([problem.diagnostic]) from None
    columns = table.header
    unit_column = "编号" if "编号" in columns else "单位" if "单位" in columns else None
    if unit_column is None or not {"年度", "等次"} <= set(columns):
        message = "历史文件应有 编号、年度、等次 列（及 名称、总分、名次）"
        raise KaoheError([Diagnostic("KH310", message, where)])
    records, problems = [], []
    for line, row in zip(table.lines, table.rows, strict=True):
        cells = dict(zip(columns, (c.strip() for c in row), strict=False))
        year = parse_number(cells.get("年度", ""))
        if year is None or not float(year).is_integer():
            span = Span(str(path), line, 1, line, 2)
            message = f"年度应为整数，这里是 '{cells.get('年度', '')}'"
            problems.append(Diagnostic("KH310", message, span))
            continue
        records.append(_file_record(cells, unit_column, int(year), path.name))
    if problems:
        raise KaoheError(problems)
    return records


def _file_record(cells: dict[str, str], unit_column: str, year: int, source: str) -> dict:
    record = {"编号": cells[unit_column], "名称": cells.get("名称") or None, "年度": year}
    record["等次"] = cells.get("等次") or None
    for name in ("总分", "名次"):
        text = cells.get(name, "")
        record[name] = parse_number(text) if text else None
    if record["名次"] is not None and float(record["名次"]).is_integer():
        record["名次"] = int(record["名次"])
    record["来源"] = source
    return record
