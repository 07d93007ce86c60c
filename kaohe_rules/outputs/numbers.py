"""How every output writes one value of a result: the reference, one cell at a time.

The row writer (report.py) calls these for each cell; the columnar writer
(columns_out.py) proves most cells of a column at once and calls them only for the
cells it cannot prove (number_text.py), so both write the same text.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules.dsl.numeric import as_decimal, round_scalar


def plain(value: float) -> int | float:
    """A whole number as an int (名次, 1 not 1.0), any other as it is, never -0.0."""
    if value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value + 0.0


def number(value: float, digits: int) -> int | float | None:
    """A score as every output writes it: rounded to ``digits``, None where missing."""
    if value is None or np.isnan(value):
        return None
    return plain(round_scalar(float(value), digits))


def as_read(value: float) -> int | float | None:
    """A data value as written in the data: the binary noise a spreadsheet adds
    (0.1 + 0.2 = 0.30000000000000004) is dropped at 15 significant digits."""
    if value is None or np.isnan(value):
        return None
    if not np.isfinite(value):
        return float(value)
    return plain(float(as_decimal(float(value))))


def label_value(domain, name: str, index: int, digits: int) -> object:
    """A label's value: 是/否, text, or a number rounded like a score (绩效系数 1.2)."""
    column = domain.labels.get(name)
    if column is None:
        return None
    value = column[index]
    if not isinstance(value, float | np.floating):
        return value
    if np.isnan(value):
        return None
    if domain.label_types.get(name) == "bool":
        return "是" if value == 1.0 else "否"
    return number(value, digits)
