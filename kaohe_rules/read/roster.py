"""A roster's units read from a CSV or XLSX file (名单.yaml: ``单位: 名单.csv``).

Large rosters (a national what-if study: thousands to millions of units) do not belong
in YAML, and staff keep unit lists in Excel anyway. Columns: 编号, 名称, 领域 and the
attributes that 名单.yaml declares under 属性; every cell is checked against its declared
type, and problems cite the file, line and column like any data file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type
from kaohe_rules.read import bounds
from kaohe_rules.read.cells import FALSE_TEXTS, FULL_WIDTH_DIGITS, TRUE_TEXTS, SheetProblem
from kaohe_rules.read.files import leading_comments, release_arrow_memory
from kaohe_rules.read.workbook import open_workbook
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
    os_reason,
    shown_character,
    without_hidden,
)

REQUIRED = ("编号", "名称", "领域")


def read_units(path: Path, attributes: dict[str, Type], errors: Collector) -> m.UnitTable | tuple:
    """The units of a roster table, in file order: a UnitTable over their columns
    (``unit.编号``, ``unit.类型`` …, missing as None), no object per unit; problems go to
    ``errors`` (and no units come back)."""
    file = display_path(path)
    found = _frame(path, file, errors)
    if found is None:
        return ()
    frame, first_line = found
    del found  # the frame is freed below, before the roster's columns are made
    header = [str(c).strip() for c in frame.columns]
    frame.columns = header
    _check_hidden(header, file, first_line - 1, errors)
    if errors.has_errors:
        return ()
    _check_header(header, attributes, file, first_line - 1, errors)
    if not errors.has_errors and not len(frame):
        # As `单位: []` in YAML: a rule set of no units is a mistake, never a valid year.
        row = first_line - 1
        message = f"名单文件 {file} 没有单位：只有列名"
        errors.error("KH214", message, Span(file, row, 1, row, 2), "在列名下面每行写一个单位")
    if errors.has_errors:
        return ()
    text = {name: frame[name].str.strip().to_numpy(dtype=object) for name in header}
    for name in REQUIRED:
        empty = np.flatnonzero(text[name] == "")
        if len(empty):
            row = first_line + int(empty[0])
            column = header.index(name) + 1
            message = f"名单文件第 {row} 行的 {name} 是空的"
            errors.error("KH213", message, Span(file, row, column, row, column + 1))
    names = [name for name in header if name in REQUIRED or attributes.get(name) == TEXT]
    _check_edges(frame, text, header, file, first_line, errors)
    _check_names(text, header, names, file, first_line, errors)
    values = {
        name: _typed(name, text[name], kind, header.index(name) + 1, file, first_line, errors)
        for name, kind in attributes.items()
        if name in text
    }
    if errors.has_errors:
        return ()
    ids, labels, domains = text["编号"], text["名称"], _shared(text["领域"])
    columns = {"unit.编号": ids, "unit.名称": labels, "unit.领域": domains}
    for name in attributes:
        cells = values.get(name, [None] * len(ids))
        columns[f"unit.{name}"] = _shared(np.array(cells, dtype=object))
    del frame, text
    release_arrow_memory()  # pandas held the frame's text in pyarrow
    return m.UnitTable(columns, list(attributes), file, first_line)


def _frame(path: Path, file: str, errors: Collector):
    """The file as a pandas frame of text, and the line of its first unit; None, with
    KH308, when it cannot be read."""
    import pandas as pd

    start = Span(file, 1, 1, 1, 2)
    try:
        bounds.check_file_bytes(path, file)
        if path.suffix.lower() == ".xlsx":
            # Opened once, its zip directory and first sheet checked against the limits;
            # pandas reads the first sheet of the workbook it is given.
            book, _scans = open_workbook(path, file, sheets="first")
            try:
                frame = pd.read_excel(book, dtype=str, keep_default_na=False, engine="openpyxl")
            finally:
                book.close()
            return frame, 2
        skip, header = leading_comments(path, limit=None)
        _check_width(header, file, skip + 1)
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skiprows=skip, encoding="utf-8-sig", engine="c"
        )
        return frame, skip + 2
    except SheetProblem as problem:  # larger or wider than the limits
        errors.add(problem.diagnostic)
        return None
    except UnicodeDecodeError:
        errors.error("KH308", "无法读取名单文件：文件不是 UTF-8 编码", start, _SAVE_HINT)
        return None
    except OSError as error:
        errors.error("KH308", f"无法读取名单文件：{os_reason(error)}", start)
        return None
    except ValueError as error:  # pandas' parser, in English: said again in Chinese
        message, span = _parser_problem(str(error), file)
        errors.error("KH308", f"无法读取名单文件：{message}", span or start, _FIELDS_HINT)
        return None
    except Exception as error:  # a damaged workbook makes openpyxl raise almost anything
        message = f"无法读取名单文件：文件已损坏或不是 Excel 工作簿（{type(error).__name__}）"
        errors.error("KH308", message, start)
        return None


_SAVE_HINT = "在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
_FIELDS_HINT = "检查多余的逗号，或含逗号的值是否加了引号"
_EXPECTED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _parser_problem(text: str, file: str) -> tuple[str, Span | None]:
    """What pandas' parser said (in English), in Chinese, and the line it names."""
    found = _EXPECTED.search(text)
    if found is not None:
        expected, line, saw = (int(n) for n in found.groups())
        message = f"第 {line} 行有 {saw} 个值，而列名有 {expected} 个"
        return message, Span(file, line, 1, line, 2)
    found = _EOF_QUOTE.search(text)
    if found is not None:
        line = int(found[1]) + 1
        return f"第 {line} 行起的引号没有闭合，直到文件末尾", Span(file, line, 1, line, 2)
    if "No columns to parse" in text:
        return "文件是空的，第一行应是列名", None
    return "不是可读的 CSV 文件", None


def _check_width(header: bytes | None, file: str, line: int) -> None:
    """Refuse a header wider than the limit before pandas makes a column of each name;
    a name over the csv module's field limit is refused too (as data files refuse it),
    else the width check would be skipped and pandas make any number of columns."""
    import csv

    if header is None:
        return
    text = header.decode("utf-8", "replace").rstrip("\r\n")
    try:
        names = next(csv.reader([text]), [])
    except csv.Error:
        limit = csv.field_size_limit()
        message = (
            f"无法读取名单文件：第 {line} 行（列名）有一个值超过 {limit} 个字符（一个单元格的上限）"
        )
        raise SheetProblem(Diagnostic("KH308", message, Span(file, line, 1, line, 2))) from None
    bounds.check_columns(len(names), lambda index: Span(file, line, index + 1, line, index + 2))


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


def _check_names(text: dict, header: list[str], names: list[str], file, first_line, errors) -> None:
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
            line, cell = first_line + found, cells[found]
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
            line, cell = first_line + found, cells[found]
            index = compatibility_character(cell)
            char = shown_character(cell[index])
            message = f"单位编号 '{bounded(cell, 60)}' 中有全角或兼容写法的字符 {char}"
            hint = id_hint(cell, index)
            errors.error("KH249", message, Span(file, line, column, line, column + 1), hint)


def _check_edges(frame, text: dict, header: list[str], file, first_line, errors) -> None:
    """KH250 for a unit's id, name or domain with a space (U+3000, U+00A0 …) at either end,
    as in 名单.yaml: trimming it here but not there would make the two rosters differ."""
    for name in REQUIRED:
        raw = frame[name].to_numpy(dtype=object)
        padded = np.flatnonzero((raw != text[name]) & (text[name] != ""))
        if len(padded):
            line, cell = first_line + int(padded[0]), raw[padded[0]]
            char = cell[0] if cell[0].isspace() else cell[-1]
            column = header.index(name) + 1
            shown = f"'{bounded(cell, 60)}'"
            message = f"名单文件第 {line} 行的 {name} {shown} 首尾有空格 {character_name(char)}"
            hint = f"删去首尾的空格，写成 '{bounded(cell.strip(), 60)}'" + EDGE_HINT
            errors.error("KH250", message, Span(file, line, column, line, column + 1), hint)


def _shared(column: np.ndarray) -> np.ndarray:
    """The column with one object per distinct value: a domain or a type repeats across a
    million rows, and a string per row would cost more than all the indicator values."""
    import pandas as pd

    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if len(uniques) * 2 > len(column):
        return column
    out = np.empty(len(uniques) + 1, dtype=object)
    out[:-1] = uniques  # out[-1] stays None: code -1, a missing value
    return out[codes]


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
            digits = cell.translate(FULL_WIDTH_DIGITS)  # as data cells: ９０ is 90, ٩٠ is not
            try:
                value = float(digits) if digits.isascii() else None
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
