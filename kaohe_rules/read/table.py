"""Reads the small CSV tables that ``kaohe expr --data`` evaluates over, strictly.

Each column's type is read from its cells (numbers as the language writes
them, 10% included; true/false/是/否; else text). Anything that would make a
result silently wrong is an error with file, row and column: duplicate or empty
headers, ragged rows, empty unit ids, numbers out of range.
"""

from __future__ import annotations

import csv
import io
import math
import re
from decimal import Decimal
from pathlib import Path

import numpy as np

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.dsl.population import Population, to_column
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type
from kaohe_rules.read import bounds
from kaohe_rules.read.cells import SheetProblem
from kaohe_rules.read.files import decode
from kaohe_rules.source import Span, not_regular, os_reason

_NUMBER = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?[%％]?$")
_TRUE = {"true", "True", "TRUE", "是"}
_FALSE = {"false", "False", "FALSE", "否"}


class TableError(Exception):
    """A CSV file that cannot be read at all (missing, unreadable, wrong encoding)."""


def _fail(file: str, row: int, column: int, message: str, hint: str | None = None):
    span = Span(file, row, column, row, column + 1)
    return KaoheError([Diagnostic("KH170", message, span, hint)])


def _decode(path: Path) -> str:
    refused = not_regular(path)
    if refused is not None:  # before any read: a pipe or a device would never end
        raise TableError(f"无法读取 {path}：{refused}")
    try:
        bounds.check_file_bytes(path)
        data = path.read_bytes()
    except OSError as error:
        raise TableError(f"无法读取 {path}：{os_reason(error)}") from None
    except SheetProblem as problem:
        raise KaoheError([problem.diagnostic]) from None
    text = decode(data)
    if text is None:
        raise TableError(f"{path} 既不是 UTF-8 也不是 GB18030 编码")
    return text


def _number(text: str) -> float | None:
    if not _NUMBER.match(text):
        return None
    percent = text[-1] in "%％"
    value = Decimal(text.rstrip("%％"))
    return float(value / 100 if percent else value)


def _column(file: str, index: int, cells: list[str]) -> tuple[Type, np.ndarray]:
    present = [c for c in cells if c]
    if present and all(c in _TRUE | _FALSE for c in present):
        return BOOL, to_column([None if not c else c in _TRUE for c in cells], BOOL)
    numbers = [_number(c) if c else None for c in cells]
    if all(n is not None for n, c in zip(numbers, cells, strict=True) if c):
        for row, value in enumerate(numbers, start=2):
            if value is not None and not math.isfinite(value):
                raise _fail(file, row, index + 1, f"数值 {cells[row - 2]} 超出可表示的范围")
        return NUMBER, to_column(numbers, NUMBER)
    return TEXT, to_column([c or None for c in cells], TEXT)


def read_table(
    path: str, id_column: str | None = None, group_column: str | None = None
) -> tuple[Population, dict[str, Type]]:
    """A population from a CSV file, and the type of each column."""
    rows = list(csv.reader(io.StringIO(_decode(Path(path)), newline="")))
    if not rows:
        raise _fail(path, 1, 1, "文件是空的，第一行应是列名")
    header = [name.strip() for name in rows[0]]
    try:
        bounds.check_columns(len(header), lambda index: Span(path, 1, index + 1, 1, index + 2))
    except SheetProblem as problem:
        raise KaoheError([problem.diagnostic]) from None
    first: dict[str, int] = {}  # not a rescan of the header per column
    for index, name in enumerate(header):
        if not name:
            raise _fail(path, 1, index + 1, f"第 {index + 1} 列没有列名")
        if first.setdefault(name, index) != index:
            raise _fail(path, 1, index + 1, f"列名 '{name}' 重复")
    body = rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            message = f"这一行有 {len(row)} 个值，而列名有 {len(header)} 个"
            raise _fail(path, number, 1, message, "检查是否有多余的逗号，或含逗号的值没有加引号")
    id_column = id_column or header[0]
    for wanted, option in ((id_column, "--id"), (group_column, "--group")):
        if wanted is not None and wanted not in header:
            raise TableError(f"{path} 中没有列 '{wanted}'（{option}）；列名：{'、'.join(header)}")
    types, columns = {}, {}
    for index, name in enumerate(header):
        cells = [row[index].strip() for row in body]
        types[name], columns[name] = _column(path, index, cells)
    id_index = header.index(id_column)
    ids = [row[id_index].strip() for row in body]
    for number, unit in enumerate(ids, start=2):
        if not unit:
            raise _fail(path, number, id_index + 1, "单位列不能为空")
    groups = None if group_column is None else columns[group_column]
    return Population(columns, size=len(body), groups=groups, unit_ids=ids), types
