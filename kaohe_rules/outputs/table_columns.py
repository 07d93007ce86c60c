"""The 结果 and 指标得分 tables as typed columns, a run of rows at a time: the columnar
twin of report.result_row_chunks and report.indicator_rows, for the columnar writer.

A column says what its values are (text, number already rounded as shown, whole
number, or cells: values of no single type, written one by one as the row writer
writes them), so the writer makes each format's text, or a typed Parquet column, from
arrays. The columns hold the same values the row writer's cells do, taken from the
same arrays; tests/report/test_columnar.py requires the bytes to be equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.model import roster_column
from kaohe_rules.outputs.number_text import readings
from kaohe_rules.outputs.numbers import as_read, label_value
from kaohe_rules.read.arrow_numpy import numbers_array, text_array
from kaohe_rules.score.engine import Evaluation

TEXT, NUMBER, WHOLE, CELLS = "text", "number", "whole", "cells"


@dataclass(frozen=True)
class Column:
    """One column for a run of rows: ``kind`` says how to read ``values``.

    text: a string array (null: missing); number: float64 as written (rounded, no
    -0.0, NaN: missing); whole: int64; cells: an object array of the row writer's own
    cell values (None: missing), written one by one as it writes them."""

    kind: str
    values: np.ndarray
    places: int | None = None  # numbers: the decimals they are rounded to, when known

    def __len__(self) -> int:
        return len(self.values)


Chunk = list[Column]  # a run of rows, one Column per header name

ROWS = 131_072  # rows a chunk holds: the writer's memory is a chunk's text


def result_columns(evaluation: Evaluation) -> tuple[list[str], Iterator[Chunk]]:
    """The 结果 table (header as report.result_row_chunks) and its chunks."""
    digits = evaluation.resolved.ruleset.precision
    papers = list(dict.fromkeys(p for d in evaluation.domains for p in d.papers))
    labels = list(dict.fromkeys(name for d in evaluation.domains for name in d.labels))
    header = ["编号", "名称", "领域", "类别", *papers, "加分", "扣分", "一票否决", "总分"]
    header += ["名次", "排名人数", "等次", *labels]

    def chunks() -> Iterator[Chunk]:
        for d in evaluation.domains:
            for start in range(0, len(d.units), ROWS):
                rows = slice(start, start + ROWS)
                yield _result_chunk(d, rows, papers, labels, digits)

    return header, chunks()


def result_types(evaluation: Evaluation, header: list[str]) -> list[pa.DataType]:
    """The type of each 结果 column in a typed file (Parquet): float64 for scores and
    number labels, int64 for 名次 and 排名人数, string for the rest (是/否 included)."""
    numbers = {"加分", "扣分", "总分"} | {p for d in evaluation.domains for p in d.papers}
    labels = {name for d in evaluation.domains for name in d.labels}
    for d in evaluation.domains:
        for name, column in d.labels.items():
            if column.dtype != np.float64 or d.label_types.get(name) == "bool":
                labels.discard(name)
    fixed = {"名次": pa.int64(), "排名人数": pa.int64()}
    typed = [(fixed.get(name), name in numbers or name in labels) for name in header[4:]]
    found = [pa.string()] * 4  # 编号, 名称, 领域, 类别: the names before the papers
    found += [kind or (pa.float64() if number else pa.string()) for kind, number in typed]
    return found


def _result_chunk(d, rows: slice, papers: list[str], labels: list[str], digits: int) -> Chunk:
    ids = d.population.columns
    count = len(range(len(d.units))[rows])
    return [
        *(text(ids[f"unit.{name}"][rows]) for name in _WHO),
        text(d.category[rows]),
        *(number(d.papers[p][rows], digits) if p in d.papers else missing(count) for p in papers),
        number(d.bonus[rows], digits),
        number(d.deduction[rows], digits),
        choice(_truth(d.veto[rows]), _YES_NO),
        number(d.total[rows], digits),
        Column(WHOLE, d.rank[rows].astype(np.int64)),
        Column(WHOLE, d.size[rows].astype(np.int64)),
        text(d.tier[rows]),
        *(_label(d, name, rows, digits) for name in labels),
    ]


def _label(d, name: str, rows: slice, digits: int) -> Column:
    """A label column: 是/否, a number rounded like a score, or text (numbers.label_value)."""
    column = d.labels.get(name)
    if column is None:
        return missing(len(range(len(d.units))[rows]))
    values = column[rows]
    if values.dtype == np.float64 and d.label_types.get(name) == "bool":
        return choice((values == 1.0).astype(np.int8), _YES_NO, np.isnan(values))
    if values.dtype == np.float64:
        return number(values, digits)
    found = _strings(values) if values.dtype == object else None
    if found is not None:
        return Column(TEXT, found)
    positions = range(len(d.units))[rows]
    return Column(CELLS, _objects([label_value(d, name, i, digits) for i in positions]))


def indicator_columns(evaluation: Evaluation) -> tuple[list[str], Iterator[Chunk]]:
    """The 指标得分 table (header and order as report.indicator_rows): a row per unit and
    indicator that applies to it, units in roster order, indicators in rule order."""
    digits = evaluation.resolved.ruleset.precision
    header = ["编号", "名称", "领域", "考卷", "指标", "值", "满分", "得分", "说明"]

    def chunks() -> Iterator[Chunk]:
        for d in evaluation.domains:
            pairs = list(dict.fromkeys((i.paper, i.id) for i in d.indicators))
            if not pairs:
                continue
            who = [np.asarray(roster_column(d.units, name), dtype=object) for name in _WHO]
            step = max(1, ROWS // len(pairs))
            for start in range(0, len(d.units), step):
                yield _indicator_chunk(d, who, slice(start, start + step), pairs, digits)

    return header, chunks()


def _indicator_chunk(d, who: list, rows: slice, pairs: list[tuple[str, str]], digits: int) -> Chunk:
    """Rows unit by unit, each unit's indicators in order: a units x pairs grid, read
    row-major where the indicator applies."""
    keys = [key for _, key in pairs]

    count = len(range(len(d.units))[rows])

    def grid(columns: dict[str, np.ndarray]) -> np.ndarray:
        # A value column the data lack is read only where its indicator does not apply.
        found = [columns.get(key) for key in keys]
        absent = np.full(count, np.nan)
        return np.column_stack([absent if c is None else np.asarray(c[rows]) for c in found])

    applies = grid(d.applicable).ravel().astype(bool)
    unit, pair = np.divmod(np.flatnonzero(applies), len(pairs))
    values = d.population.columns
    return [
        *(text(column[rows][unit]) for column in who),
        choice(pair, [p for p, _ in pairs]),
        choice(pair, keys),
        _read(grid(values).ravel()[applies]),
        number(grid(d.full).ravel()[applies], digits),
        number(grid(d.scores).ravel()[applies], digits),
        choice(_truth(grid(d.excluded).ravel()[applies]), _NOTES),
    ]


_WHO = ("编号", "名称", "领域")
_YES_NO = ["否", "是"]
_NOTES = ["", "缺少数据，剔除折算"]  # 说明 of a unit's indicator: excluded for lack of data


def _read(values: np.ndarray) -> Column:
    """Data values as written in the data (numbers.as_read)."""
    if values.dtype.kind != "f":  # not numbers: each as the row writer writes it
        return Column(CELLS, _objects([as_read(v) for v in values]))
    return Column(NUMBER, readings(values) + 0.0)


def text(values: np.ndarray) -> Column:
    """Cells the row writer writes as they are: text, unless some are not str."""
    found = _strings(values)
    return Column(CELLS, np.asarray(values, dtype=object)) if found is None else Column(TEXT, found)


def _strings(values: np.ndarray) -> pa.Array | None:
    """``values`` as a string array when every one is a str or None, else None."""
    values = np.asarray(values)
    if values.dtype.kind not in "UO":
        return None
    cells = values.tolist()  # a list's cells are met at twice the speed of an array's
    if values.dtype == object and not set(map(type, cells)) <= {str, type(None)}:
        return None  # numbers, or cells of several kinds: each written as the row writer does
    try:
        return text_array(cells)
    except UnicodeError:
        return None  # a lone surrogate: the row writer says what it makes of it


def _truth(values: np.ndarray) -> np.ndarray:
    """0 or 1 as Python's truth of each value (np.where's test: NaN is true)."""
    return np.asarray(values).astype(bool).astype(np.int8)


def choice(codes: np.ndarray, names: list[str], absent: np.ndarray | None = None) -> Column:
    """Text from a few names: ``names[code]`` in each row, missing where ``absent``."""
    taken = text_array(names).take(numbers_array(np.asarray(codes), absent))
    return Column(TEXT, taken)


def number(values: np.ndarray, digits: int) -> Column:
    """Scores as written: rounded to ``digits``, no -0.0 (NaN stays NaN: missing)."""
    rounded = round_vector(np.asarray(values, dtype=np.float64), digits) + 0.0
    return Column(NUMBER, rounded, digits)


def missing(count: int) -> Column:
    """A column no unit of the run has (a paper of another domain)."""
    return Column(CELLS, np.full(count, None, dtype=object))


def _objects(values: list) -> np.ndarray:
    found = np.empty(len(values), dtype=object)
    found[:] = values
    return found
