"""The units an expression is evaluated over: typed columns, groups and unit ids.

Representation: numbers and truth values are float64 columns (1.0 true, 0.0
false, NaN missing); text is an object column (None missing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kaohe_rules.dsl.codes import factorize, object_missing
from kaohe_rules.dsl.columns import missing_mask, pandas_na
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT, Type


def to_column(values: Sequence[object] | np.ndarray, type_: Type) -> np.ndarray:
    """Convert Python values (None for missing) to the column form of ``type_``."""
    na = pandas_na()
    if type_ == TEXT:
        if isinstance(values, np.ndarray) and values.dtype == object:
            kinds = set(map(type, values.tolist()))  # one C pass over a million names
            if kinds <= {str, type(None)}:
                return values.copy()  # already text, missing as None (a roster's columns)
            missing = object_missing(values)
            if set(map(type, values[~missing].tolist())) <= {str}:
                # Already text (category and tier names): only the missing ones to normalise.
                column = values.copy()
                column[missing] = None
                return column
        column = np.empty(len(values), dtype=object)
        # v != v is NaN's test; written inline because this runs once per value.
        column[:] = [None if v is None or v is na or v != v else str(v) for v in values]
        return column
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    converted = [np.nan if v is None or v is na else float(v) for v in values]
    return np.asarray(converted, dtype=np.float64)


def from_column(value: object, type_: Type) -> object:
    """One column element back to Python: float, bool, str, or None when missing."""
    if missing_mask(value):
        return None
    if type_ == BOOL:
        return bool(value == 1.0)
    if type_ == NUMBER:
        return float(value)
    return value


def value_at(column: object, index: int) -> object:
    """A unit's element of a column, or the constant that stands for one."""
    return column if np.ndim(column) == 0 else column[index]


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
        # A column may be a constant (a parameter no variant changes): it broadcasts.
        # (ndarray.ndim first: np.ndim's dispatch costs more than the check, per column.)
        lengths = {
            len(c)
            for c in self.columns.values()
            if (c.ndim if isinstance(c, np.ndarray) else np.ndim(c)) > 0
        }
        if size is None:
            size = lengths.pop() if lengths else 1
        if any(n != size for n in lengths):
            raise ValueError("columns of a population must have equal length")
        self.size = size
        self.unit_ids = list(unit_ids) if unit_ids is not None else None
        self._default_codes = self.factorize(groups)
        self.cache: dict[object, object] = {}
        # Earlier years' results for history(n): years back → field → column.
        self.history: dict[int, dict[str, np.ndarray]] = {}

    @classmethod
    def trusted(cls, columns: dict[str, np.ndarray], size: int, unit_ids: list[str]) -> Population:
        """A population from columns known to be ``size`` long and a unit id list no one
        changes (a rule set's roster): taken as they are, not checked and copied, as
        scoring makes one per domain and evaluation."""
        population = object.__new__(cls)
        population.columns = columns
        population.size = size
        population.unit_ids = unit_ids
        population._default_codes = population.factorize(None)
        population.cache = {}
        population.history = {}
        return population

    @classmethod
    def from_rows(
        cls, rows: Sequence[Mapping[str, object]], types: Mapping[str, Type], **kwargs: object
    ) -> Population:
        """A population from dict rows, converting each named column to ``types``."""
        columns = {
            name: to_column([row.get(name) for row in rows], type_) for name, type_ in types.items()
        }
        return cls(columns, size=len(rows), **kwargs)

    def with_columns(self, columns: Mapping[str, np.ndarray]) -> Population:
        """A population of the same units with other columns (and an empty cache).

        The units, their groups and history are shared, not rebuilt: scoring makes one of
        these per indicator, and copying a million unit ids each time is what it would cost.
        """
        population = object.__new__(Population)
        population.columns = dict(columns)
        population.size = self.size
        population.unit_ids = self.unit_ids
        population._default_codes = self._default_codes
        population.cache = {}
        population.history = self.history
        return population

    def factorize(self, keys: object) -> np.ndarray:
        """Group codes for ``keys`` (-1 for a missing key); one group when None or constant."""
        if keys is None or np.ndim(keys) == 0:
            return np.zeros(self.size, dtype=np.int64)
        return factorize(np.asarray(keys))

    def group_by(self, codes: np.ndarray) -> None:
        """Make ``codes`` (one per unit: its category's) the groups a cohort function
        uses when no ``by=`` is given."""
        if codes.shape != (self.size,):
            raise ValueError("group codes must give one code per unit")
        self._default_codes = codes

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
