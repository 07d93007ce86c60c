"""The units an expression is evaluated over: typed columns, groups and unit ids.

Representation: numbers and truth values are float64 columns (1.0 true, 0.0
false, NaN missing); text is an object column (None missing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type


def to_column(values: Sequence[object] | np.ndarray, type_: Type) -> np.ndarray:
    """Convert Python values (None for missing) to the column form of ``type_``."""
    if type_ == TEXT:
        column = np.empty(len(values), dtype=object)
        column[:] = [None if _is_missing(v) else str(v) for v in values]
        return column
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    converted = [np.nan if _is_missing(v) else float(v) for v in values]
    return np.asarray(converted, dtype=np.float64)


def from_column(value: object, type_: Type) -> object:
    """One column element back to Python: float, bool, str, or None when missing."""
    if _is_missing(value):
        return None
    if type_ == BOOL:
        return bool(value == 1.0)
    if type_ == NUMBER:
        return float(value)
    return value


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


class Population:
    """Columns of equal length, the group (category) of each unit, and unit ids."""

    def __init__(
        self,
        columns: Mapping[str, np.ndarray],
        size: int | None = None,
        groups: Sequence[object] | np.ndarray | None = None,
        unit_ids: Sequence[str] | None = None,
    ) -> None:
        self.columns = dict(columns)
        lengths = {len(c) for c in self.columns.values()}
        if size is None:
            size = lengths.pop() if lengths else 1
        if any(n != size for n in lengths):
            raise ValueError("columns of a population must have equal length")
        self.size = size
        self.unit_ids = list(unit_ids) if unit_ids is not None else None
        self._default_codes = self.factorize(groups)
        self.cache: dict[object, object] = {}

    @classmethod
    def from_rows(
        cls, rows: Sequence[Mapping[str, object]], types: Mapping[str, Type], **kwargs: object
    ) -> Population:
        """A population from dict rows, converting each named column to ``types``."""
        columns = {
            name: to_column([row.get(name) for row in rows], type_) for name, type_ in types.items()
        }
        return cls(columns, size=len(rows), **kwargs)

    def factorize(self, keys: object) -> np.ndarray:
        """Group codes for ``keys`` (-1 for a missing key); one group when None or constant."""
        if keys is None or np.ndim(keys) == 0:
            return np.zeros(self.size, dtype=np.int64)
        codes, _ = pd.factorize(pd.Series(np.asarray(keys)), use_na_sentinel=True)
        return np.asarray(codes, dtype=np.int64)

    def groups(self, by: object = None) -> np.ndarray:
        """Group codes of every unit: by ``by`` when given, else by the unit's category."""
        if by is None:
            return self._default_codes
        return self.factorize(by)

    def unit_label(self, index: int) -> str:
        """How a warning names a unit: its id, else its row number."""
        if self.unit_ids is not None:
            return str(self.unit_ids[index])
        return f"第{index + 1}行"


_TRUE = {"true", "是", "TRUE", "True"}
_FALSE = {"false", "否", "FALSE", "False"}


def infer_column(values: Sequence[str | None]) -> tuple[Type, np.ndarray]:
    """The type a text column holds (number, truth value or text) and its column form."""
    present = [v for v in values if v is not None and v.strip() != ""]
    cleaned = [None if v is None or v.strip() == "" else v.strip() for v in values]
    if present and all(v.strip() in _TRUE | _FALSE for v in present):
        return BOOL, to_column([None if v is None else v in _TRUE for v in cleaned], BOOL)
    numbers = [_number(v) for v in cleaned]
    if present and all(n is not None for n, v in zip(numbers, cleaned, strict=True) if v):
        return NUMBER, to_column(numbers, NUMBER)
    return TEXT, to_column(cleaned, TEXT)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_csv(
    path: str, id_column: str | None = None, group_column: str | None = None
) -> tuple[Population, dict[str, Type]]:
    """A population from a CSV file (UTF-8, with or without BOM, or GB18030).

    Returns the population and the type of each column. The unit id is
    ``id_column`` or the first column; ``group_column`` sets the category.
    """
    frame = _read_text_frame(path)
    names = list(frame.columns)
    id_column = id_column or names[0]
    for wanted in (id_column, group_column):
        if wanted is not None and wanted not in names:
            raise KeyError(wanted)
    types, columns = {}, {}
    for name in names:
        raw = [None if pd.isna(v) else str(v) for v in frame[name]]
        types[name], columns[name] = infer_column(raw)
    ids = [str(v) for v in frame[id_column]]
    groups = None if group_column is None else frame[group_column].to_numpy(dtype=object)
    population = Population(columns, size=len(frame), groups=groups, unit_ids=ids)
    return population, types


def _read_text_frame(path: str) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding
            )
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", b"", 0, 1, "not UTF-8 or GB18030")
