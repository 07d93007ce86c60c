"""Numbers as text a column at a time, exactly as numbers.py writes each one.

A double that is the nearest double to a decimal of at most 15 significant digits has
that decimal's digits as its shortest repr: two such decimals never share a double
(15 is DBL_DIG), so no shorter string reads back as the same double. Every score
rounded to 精度 and every value read from a data file is such a double, so its text is
built from integers (whole part, '.', fraction without trailing zeros) after checking
that the decimal reads back as the very same double. Whole numbers are written as
integers (numbers.plain). Whatever is not proved so (noise such as
0.30000000000000004, values below 1e-4 that repr writes as 1e-05, infinities) is
written one value at a time by the reference, so the two writers cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaohe_rules.dsl.numeric import as_decimal
from kaohe_rules.read.arrow_numpy import numbers_array, text_array

_SIGNIFICANT = 15  # DBL_DIG: decimals of this many digits are distinct doubles
_POWERS = np.array([10**i for i in range(19)], dtype=np.int64)  # exact
_FLOAT_POWERS = np.array([float(10**i) for i in range(23)])  # exact doubles up to 1e22
_EXACT = 2.0**53  # integers below this are exact doubles


def decimals(magnitude: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For positive finite values: ``proved``, ``k`` and ``d`` such that each proved value
    is the nearest double to the decimal k / 10**d, with k < 10**15 and no trailing
    zero in k (d >= 0). Unproved entries of k and d mean nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(magnitude))
    # A wrong estimate of the exponent only leaves a value unproved, never misproved:
    # every value is checked by reading its decimal back.
    places = np.nan_to_num(_SIGNIFICANT - 1 - exponent, nan=-1.0, posinf=-1.0, neginf=-1.0)
    proved = (places >= 0) & (places < len(_FLOAT_POWERS))
    d = np.where(proved, places, 0).astype(np.int64)
    scale = _FLOAT_POWERS[d]
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = magnitude * scale
    proved &= scaled < _EXACT
    k_float = np.rint(np.where(proved, scaled, 0.0))
    proved &= k_float / scale == magnitude  # the decimal reads back as this double
    k = k_float.astype(np.int64)
    for step in (16, 8, 4, 2, 1):  # trailing zeros dropped as bits are counted: 31 at most
        zero = (d >= step) & (k % _POWERS[step] == 0)
        k = np.where(zero, k // _POWERS[step], k)
        d = np.where(zero, d - step, d)
    proved &= k < _POWERS[_SIGNIFICANT]
    zero = magnitude == 0
    return proved | zero, np.where(zero, 0, k), np.where(zero, 0, d)


def readings(values: np.ndarray) -> np.ndarray:
    """Each value as read at 15 significant digits (numbers.as_read before plain): the
    value itself where it is the nearest double to such a decimal, NaN and infinities
    as they are."""
    values = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(values)
    finite = np.isfinite(values) & (magnitude != 0)
    proved, _, _ = decimals(np.where(finite, magnitude, 1.0))
    found = values.copy()
    for i in np.flatnonzero(finite & ~proved):
        found[i] = float(as_decimal(float(values[i])))
    return found


def number_texts(
    values: np.ndarray, reference: Callable[[float], str], places: int | None = None
) -> pa.Array:
    """The text of each value (a string array, null where NaN): ``reference(value)`` for
    each, which is str(plain(value)) or json.dumps(plain(value)); computed by columns
    where proved, by ``reference`` itself elsewhere. ``places``: the values are rounded
    to that many decimals (scores rounded to 精度), which makes the proof shorter."""
    values = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(values)
    missing = np.isnan(values)
    if places is None:
        proved, k, d = decimals(np.where(missing, 1.0, magnitude))
    else:
        proved, k, d = _on_grid(magnitude, places)
    # repr writes a number below 1e-4 with an exponent (1e-05): left to reference.
    proved &= ~missing & (d < len(_POWERS))
    proved &= (k == 0) | (k >= _POWERS[np.clip(d - 4, 0, len(_POWERS) - 1)])
    text = _fixed(k, d, values < 0, ~proved)
    rest = ~missing & ~proved
    if rest.any():
        given = text_array([reference(float(v)) for v in values[rest]])
        text = pc.replace_with_mask(text, numbers_array(rest), given)
    return text


def _on_grid(magnitude: np.ndarray, places: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """decimals() for values rounded to ``places`` decimals: k / 10**places, k keeping
    its trailing zeros (the text drops them)."""
    if not 0 <= places < len(_POWERS):
        return decimals(magnitude)
    scale = _FLOAT_POWERS[places]
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = magnitude * scale
        proved = scaled < _POWERS[_SIGNIFICANT]
    k_float = np.rint(np.where(proved, scaled, 0.0))
    proved &= k_float / scale == magnitude  # the decimal reads back as this double
    return proved, k_float.astype(np.int64), np.full(len(magnitude), places, np.int64)


def _fixed(k: np.ndarray, d: np.ndarray, negative: np.ndarray, absent: np.ndarray) -> pa.Array:
    """'-'? whole '.' fraction of k / 10**d without trailing zeros (nor the '.' when
    nothing follows it); null where ``absent``.

    Written into a byte grid, a fixed place for each character (sign, whole digits,
    point, fraction digits), with 0 in the places a value leaves empty (leading and
    trailing zeros); the grid without its 0 bytes is the text of every value in turn."""
    k = np.where(absent, 0, k)
    d = np.where(absent, 0, d)
    whole, fraction = np.divmod(k, _POWERS[d])
    wide = max(1, int(np.searchsorted(_POWERS, whole.max(initial=0), side="right")))
    places = int(d.max(initial=0))
    fraction *= _POWERS[places - d]  # every fraction to ``places`` digits
    grid = np.zeros((2 + wide + places, len(k)), np.uint8)  # a row per place: contiguous
    minus = negative & (k != 0)
    grid[0] = minus * np.uint8(ord("-"))
    length = minus.astype(np.int32)
    rest = _narrow(whole)
    for place in range(wide, 0, -1):
        rest, digit = np.divmod(rest, 10)
        shown = (rest != 0) | (digit != 0) if place < wide else True  # a lone 0 stays
        grid[place] = (digit + ord("0")) * shown
        length += shown
    rest, trailing = _narrow(fraction), np.ones(len(k), bool)
    for place in range(1 + wide + places, 1 + wide, -1):
        rest, digit = np.divmod(rest, 10)
        trailing &= digit == 0
        grid[place] = (digit + ord("0")) * ~trailing
        length += ~trailing
    grid[1 + wide] = ~trailing * np.uint8(ord("."))
    length += ~trailing
    length[absent] = 0
    rows = np.ascontiguousarray(grid.T)
    rows[absent] = 0
    offsets = np.zeros(len(k) + 1, np.int32)
    np.cumsum(length, out=offsets[1:])
    valid = pa.py_buffer(np.packbits(~absent, bitorder="little")) if absent.any() else None
    buffers = [valid, pa.py_buffer(offsets), pa.py_buffer(rows[rows != 0])]
    return pa.Array.from_buffers(pa.string(), len(k), buffers, int(absent.sum()))


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative integers in 32 bits when they fit: digits come out faster."""
    return values.astype(np.uint32) if values.max(initial=0) < 2**32 else values
