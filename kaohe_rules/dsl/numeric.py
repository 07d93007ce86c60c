"""Exact decimal rounding, scalar and vectorized, that agree with each other.

Scores are compared at tier boundaries, so ``round_half_up(2.675, 2)`` must be
2.68 although the binary float 2.675 lies just below it. The rule: a number is
first read as the decimal it stands for at 12 significant digits (which removes
binary noise such as 0.57 * 100 = 56.99999999999999), then rounded half away
from zero (四舍五入). The vectorized form rounds with numpy and sends only the
values near a rounding boundary through the exact scalar path.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import numpy as np

SIGNIFICANT = 12
# Values this close (relative) to a boundary take the exact path; it must exceed
# the change that reading at 12 significant digits can make (5e-12 relative).
_NEAR = 1e-9
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
    x = np.asarray(x, dtype=np.float64)
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
        # An exact binary boundary (2.5, 3.0) already rounds right on the fast path.
        near = (np.abs(boundary) <= np.abs(y) * _NEAR + _NEAR) & (boundary != 0)
        near |= np.abs(x) >= 1e15
    result = rounded / scale
    for i in np.flatnonzero(near):
        result[i] = round_scalar(float(x[i]), digits, mode)
    return result
