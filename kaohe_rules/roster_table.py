"""A roster's units read from a CSV or XLSX file (名单.yaml: ``单位: 名单.csv``).

Large rosters (a national what-if study: thousands to millions of units) do not belong
in YAML, and staff keep unit lists in Excel anyway. Columns: 编号, 名称, 领域 and the
attributes that 名单.yaml declares under 属性; every cell is checked against its declared
type, and problems cite the file, line and column like any data file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.assemble import display_path
from kaohe_rules.data import FALSE_TEXTS, TRUE_TEXTS, leading_comments
from kaohe_rules.diagnostics import Collector
from kaohe_rules.dsl.types import BOOL, NUMBER, Type
from kaohe_rules.source import Span

REQUIRED = ("编号", "名称", "领域")


def read_units(
    path: Path, attributes: dict[str, Type], errors: Collector
) -> tuple[tuple[m.Unit, ...], dict | None]:
    """The units of a roster table, in file order, and the same as columns (``unit.编号``,
    ``unit.类型`` …, missing as None); problems go to ``errors``."""
    import pandas as pd

    file = display_path(path)
    start = Span(file, 1, 1, 1, 2)
    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
            first_line = 2
        else:
            skip, _header = leading_comments(path, limit=None)
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skiprows=skip,
                encoding="utf-8-sig",
                engine="c",
            )
            first_line = skip + 2
    except (OSError, ValueError, UnicodeDecodeError) as error:
        errors.error("KH308", f"无法读取名单文件：{error}", start)
        return (), None
    except Exception as error:  # a damaged workbook makes openpyxl raise almost anything
        message = f"无法读取名单文件：文件已损坏或不是 Excel 工作簿（{type(error).__name__}）"
        errors.error("KH308", message, start)
        return (), None
    header = [str(c).strip() for c in frame.columns]
    frame.columns = header
    line = first_line - 1
    for name in REQUIRED:
        if name not in header:
            errors.error("KH213", f"名单文件缺少 '{name}' 列", Span(file, line, 1, line, 2))
    for index, name in enumerate(header):
        if name not in REQUIRED and name not in attributes:
            span = Span(file, line, index + 1, line, index + 2)
            hint = "在名单文件的 属性: 下写明，如 " + f"{name}: 文本"
            errors.error("KH232", f"名单的属性 '{name}' 没有在 属性 中声明类型", span, hint)
    if errors.has_errors:
        return (), None
    text = {name: frame[name].str.strip().to_numpy(dtype=object) for name in header}
    for name in REQUIRED:
        empty = np.flatnonzero(text[name] == "")
        if len(empty):
            row = first_line + int(empty[0])
            column = header.index(name) + 1
            message = f"名单文件第 {row} 行的 {name} 是空的"
            errors.error("KH213", message, Span(file, row, column, row, column + 1))
    values = {
        name: _typed(name, text[name], kind, header.index(name) + 1, file, first_line, errors)
        for name, kind in attributes.items()
        if name in text
    }
    if errors.has_errors:
        return (), None
    names = list(values)
    ids, labels, domains = text["编号"], text["名称"], text["领域"]
    units = []
    for row in range(len(frame)):
        own = tuple((name, values[name][row]) for name in names if values[name][row] is not None)
        line = first_line + row
        span = Span(file, line, 1, line, 2)
        units.append(m.Unit(ids[row], labels[row], domains[row], own, span))
    columns = {"unit.编号": ids, "unit.名称": labels, "unit.领域": domains}
    for name in attributes:
        cells = values.get(name, [None] * len(ids))
        columns[f"unit.{name}"] = np.array(cells, dtype=object)
    return tuple(units), columns


def _typed(name, cells, kind: Type, column: int, file: str, first_line: int, errors) -> list:
    """A column's cells as the attribute's type (None where empty); the first bad cell is
    reported."""
    out: list[object] = [None] * len(cells)
    for row, cell in enumerate(cells):
        if cell == "":
            continue
        if kind == BOOL:
            value = True if cell in TRUE_TEXTS else False if cell in FALSE_TEXTS else None
        elif kind == NUMBER:
            try:
                value = float(cell)
            except ValueError:
                value = None
        else:
            value = cell
        if value is None:
            line = first_line + row
            span = Span(file, line, column, line, column + 1)
            errors.error("KH232", f"属性 '{name}' 应为{kind.label}，这里是 '{cell}'", span)
            return out
        out[row] = value
    return out
