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
from kaohe_rules.diagnostics import Collector
from kaohe_rules.dsl.codes import factorize, first_of_each
from kaohe_rules.dsl.types import BOOL, TEXT, Type
from kaohe_rules.read.cells import FALSE_TEXTS, FULL_WIDTH_DIGITS, TRUE_TEXTS, SheetProblem
from kaohe_rules.read.files import release_arrow_memory
from kaohe_rules.read.roster_text import read_text
from kaohe_rules.source import (
    EDGE_HINT,
    HIDDEN_HINT,
    Span,
    all_name_keys,
    bounded,
    character_name,
    compatibility_character,
    display_path,
    hidden_character,
    id_hint,
    shown_character,
    without_hidden,
)

REQUIRED = ("编号", "名称", "领域")


def read_units(path: Path, attributes: dict[str, Type], errors: Collector) -> m.UnitTable | tuple:
    """The units of a roster table, in file order: a UnitTable over their columns
    (``unit.编号``, ``unit.类型`` …, missing as None), no object per unit; problems go to
    ``errors`` (and no units come back)."""
    file = display_path(path)

    def header_ok(header: list[str], line: int) -> bool:
        _check_hidden(header, file, line, errors)
        if not errors.has_errors:
            _check_header(header, attributes, file, line, errors)
        return not errors.has_errors

    try:
        table = read_text(path, file, header_ok)
    except SheetProblem as problem:
        errors.add(problem.diagnostic)
        return ()
    except Exception as error:  # a damaged workbook makes openpyxl raise almost anything
        if path.suffix.lower() != ".xlsx":
            raise
        message = f"无法读取名单文件：文件已损坏或不是 Excel 工作簿（{type(error).__name__}）"
        errors.error("KH308", message, Span(file, 1, 1, 1, 2))
        return ()
    if table is None:
        return ()
    header, text, lines = table.header, table.text, table.lines
    if not len(lines):
        # As `单位: []` in YAML: a rule set of no units is a mistake, never a valid year.
        row = table.header_line
        message = f"名单文件 {file} 没有单位：只有列名"
        errors.error("KH214", message, Span(file, row, 1, row, 2), "在列名下面每行写一个单位")
        return ()
    for name in REQUIRED:
        empty = np.flatnonzero(text[name] == "")
        if len(empty):
            row = int(lines[empty[0]])
            column = header.index(name) + 1
            message = f"名单文件第 {row} 行的 {name} 是空的"
            errors.error("KH213", message, Span(file, row, column, row, column + 1))
    names = [name for name in header if name in REQUIRED or attributes.get(name) == TEXT]
    _check_edges(table.raw, text, header, file, lines, errors)
    _check_names(text, header, names, file, lines, errors)
    values = {
        name: _typed(name, text[name], kind, header.index(name) + 1, file, lines, errors)
        for name, kind in attributes.items()
        if name in text
    }
    if errors.has_errors:
        return ()
    shared = table.shared
    domains = text["领域"] if "领域" in shared else _shared(text["领域"])
    columns = {"unit.编号": text["编号"], "unit.名称": text["名称"], "unit.领域": domains}
    for name, kind in attributes.items():
        cells = values.get(name)
        if cells is None:
            cells = np.full(len(lines), None, dtype=object)
        elif kind == TEXT and name not in shared:
            cells = _shared(cells)
        columns[f"unit.{name}"] = cells
    del table, text
    release_arrow_memory()
    return m.UnitTable(columns, list(attributes), file, lines)


def _check_header(header: list[str], attributes: dict, file: str, line: int, errors) -> None:
    """KH213: a required column missing; KH232: a column 属性 does not declare."""
    for name in REQUIRED:
        if name not in header:
            errors.error("KH213", f"名单文件缺少 '{name}' 列", Span(file, line, 1, line, 2))
    for index, name in enumerate(header):
        if name not in REQUIRED and name not in attributes:
            span = Span(file, line, index + 1, line, index + 2)
            hint = "在名单文件的 属性: 下写明，如 " + f"{name}: 文本"
            errors.error("KH232", f"名单的属性 '{name}' 没有在 属性 中声明类型", span, hint)


def _check_hidden(cells: list[str], file: str, line: int, errors: Collector) -> None:
    """KH248 for the first cell of a row (the header) with an invisible character."""
    for column, cell in enumerate(cells, 1):
        index = hidden_character(cell)
        if index is not None:
            message = (
                f"名单文件的列名 '{_visible(cell)}' 中有看不见的字符 {character_name(cell[index])}"
            )
            errors.error("KH248", message, Span(file, line, column, line, column + 1), HIDDEN_HINT)
            return


def _visible(text: str) -> str:
    return bounded(without_hidden(text), 60)


def _check_names(text: dict, header: list[str], names: list[str], file, lines, errors) -> None:
    """KH248 for a unit's id, name, domain or text attribute with an invisible character;
    KH249 for an id with a full-width or other compatibility form (as in 名单.yaml). The
    first such cell of each column is reported."""
    for name in names:
        column = header.index(name) + 1
        cells = text[name]
        # A whole column checked at once (a million cells); each cell only when it fails.
        printable = "".join(cells).isprintable()  # true iff every character is
        rows = [] if printable else [i for i, cell in enumerate(cells) if not cell.isprintable()]
        found = next((i for i in rows if hidden_character(cells[i]) is not None), None)
        if found is not None:
            line, cell = int(lines[found]), cells[found]
            index = hidden_character(cell)
            message = (
                f"名单文件第 {line} 行的 {name} '{_visible(cell)}' 的第 {index + 1} 个字符"
                f"是看不见的 {character_name(cell[index])}"
            )
            errors.error("KH248", message, Span(file, line, column, line, column + 1), HIDDEN_HINT)
        if name != "编号":
            continue
        if all_name_keys("\n".join(cells)):
            continue  # no cell has a compatibility form
        found = next(
            (i for i, c in enumerate(cells) if compatibility_character(c) is not None), None
        )
        if found is not None:
            line, cell = int(lines[found]), cells[found]
            index = compatibility_character(cell)
            char = shown_character(cell[index])
            message = f"单位编号 '{bounded(cell, 60)}' 中有全角或兼容写法的字符 {char}"
            hint = id_hint(cell, index)
            errors.error("KH249", message, Span(file, line, column, line, column + 1), hint)


def _check_edges(raw: dict, text: dict, header: list[str], file, lines, errors) -> None:
    """KH250 for a unit's id, name or domain with a space (U+3000, U+00A0 …) at either end,
    as in 名单.yaml: trimming it here but not there would make the two rosters differ."""
    for name in REQUIRED:
        padded = np.flatnonzero((raw[name] != text[name]) & (text[name] != ""))
        if len(padded):
            line, cell = int(lines[padded[0]]), raw[name][padded[0]]
            char = cell[0] if cell[0].isspace() else cell[-1]
            column = header.index(name) + 1
            shown = f"'{bounded(cell, 60)}'"
            message = f"名单文件第 {line} 行的 {name} {shown} 首尾有空格 {character_name(char)}"
            hint = f"删去首尾的空格，写成 '{bounded(cell.strip(), 60)}'" + EDGE_HINT
            errors.error("KH250", message, Span(file, line, column, line, column + 1), hint)


def _shared(column: np.ndarray) -> np.ndarray:
    """The text column with one object per distinct value: a domain or a type repeats
    across a million rows, and a string per row would cost more than all the indicator
    values."""
    codes = factorize(column)
    first = first_of_each(codes)
    if len(first) * 2 > len(column):
        return column
    out = np.empty(len(first) + 1, dtype=object)
    out[:-1] = column[first]  # out[-1] stays None: code -1, a missing value
    return out[codes]


def _typed(name, cells: np.ndarray, kind: Type, column: int, file: str, lines, errors):
    """A column's cells as the attribute's type (an object array, None where empty); the
    first bad cell is reported."""
    out = np.full(len(cells), None, dtype=object)
    given = np.flatnonzero(cells != "")
    texts = cells[given].tolist()
    if kind is TEXT or kind == TEXT:
        out[given] = texts
        return out
    if kind == BOOL:
        truth = dict.fromkeys(TRUE_TEXTS, True) | dict.fromkeys(FALSE_TEXTS, False)
        values = [truth.get(text) for text in texts]
    else:
        values = _numbers(texts)
    # One object per distinct value (a million 1.0s cost more than the indicator values).
    distinct: dict = {}
    values = [distinct.setdefault(value, value) for value in values]
    bad = next((i for i, value in enumerate(values) if value is None), None)
    if bad is not None:
        line = int(lines[given[bad]])
        span = Span(file, line, column, line, column + 1)
        errors.error("KH232", f"属性 '{name}' 应为{kind.label}，这里是 '{texts[bad]}'", span)
        return out
    out[given] = values
    return out


def _numbers(texts: list[str]) -> list:
    """Each text as a float, None where it is not one: full-width digits read as digits
    (as data cells: ９０ is 90, ٩٠ is not), then Python's float()."""
    if "".join(texts).isascii():
        try:
            # float() of each, in C: numpy parses an object array's str with float().
            return np.array(texts, dtype=object).astype(np.float64).tolist()
        except ValueError:
            pass  # some cell is not a number: found one by one below
    values: list[float | None] = []
    for text in texts:
        digits = text.translate(FULL_WIDTH_DIGITS)
        try:
            values.append(float(digits) if digits.isascii() else None)
        except ValueError:
            values.append(None)
    return values
