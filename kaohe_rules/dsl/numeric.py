"""Exact decimal rounding, scalar and vectorized, that agree with each other.

Scores are compared at tier boundaries, so ``round_half_up(2.675, 2)`` must be
2.68 although the binary float 2.675 lies just below it. The rule: a number is
first read as the decimal it stands for at 15 significant digits, then rounded
half away from zero (四舍五入). Fifteen digits is what a double holds exactly:
every decimal written with up to 15 significant digits is honoured as written,
and the binary noise of arithmetic (0.57 * 100 = 56.99999999999999, 100 * 7% =
7.000000000000001), which sits in the 16th and 17th digits, is removed. The
vectorized form rounds with numpy and sends only the values near a rounding
boundary through the exact scalar path.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import numpy as np

SIGNIFICANT = 15
# Values this close (relative) to a boundary take the exact path; it must exceed
# the change that reading at 15 significant digits can make (5e-15 relative).
_NEAR = 1e-12
_MODES = {"half_up": ROUND_HALF_UP, "floor": ROUND_FLOOR, "ceil": ROUND_CEILING}


def as_decimal(x: float) -> Decimal:
    """The decimal a float stands for, read at SIGNIFICANT digits."""
    return Decimal(format(x, f".{SIGNIFICANT}g"))


def round_scalar(x: float | None, digits: int = 0, mode: str = "half_up") -> float | None:
    """Round one number to ``digits`` decimals; None (missing) stays None."""
    if x is None or math.isnan(x):
        return None
    if math.isinf(x) or abs(x) >= 1e15:
        return x
    quantum = Decimal(1).scaleb(-digits)
    return float(as_decimal(x).quantize(quantum, rounding=_MODES[mode]))


def round_vector(x: np.ndarray, digits: int = 0, mode: str = "half_up") -> np.ndarray:
    """Round an array exactly as :func:`round_scalar` rounds each element."""
    given = np.asarray(x, dtype=np.float64)
    x = given.reshape(-1)
    scale = 10.0**digits
    y = x * scale
    if mode == "half_up":
        ay = np.abs(y)
        rounded = np.copysign(np.floor(ay + 0.5), y)
        boundary = ay - np.floor(ay) - 0.5
    elif mode == "floor":
        rounded = np.floor(y)
        boundary = y - np.round(y)
    else:
        rounded = np.ceil(y)
        boundary = y - np.round(y)
    with np.errstate(invalid="ignore"):
        near = np.abs(boundary) <= np.abs(y) * _NEAR + _NEAR
        if digits == 0:
            # Without a scaling multiplication an exact binary boundary (2.5,
            # 3.0) is the number as written, and the fast path is exact.
            near &= boundary != 0
        near |= np.abs(x) >= 1e15
    result = rounded / scale
    for i in np.flatnonzero(near):
        result[i] = round_scalar(float(x[i]), digits, mode)
    return result.reshape(given.shape)
