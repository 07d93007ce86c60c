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
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal

import numpy as np

SIGNIFICANT = 15
# Values this close (relative) to a boundary take the exact path; it must exceed
# the change that reading at 15 significant digits can make (5e-15 relative).
_NEAR = 1e-12
_WIDE = Context(prec=400)  # room for any double's digits when rounding to tens or more
_MODES = {"half_up": ROUND_HALF_UP, "floor": ROUND_FLOOR, "ceil": ROUND_CEILING}


def as_decimal(x: float) -> Decimal:
    """The decimal a float stands for, read at SIGNIFICANT digits."""
    return Decimal(format(x, f".{SIGNIFICANT}g"))


def round_scalar(x: float | None, digits: int = 0, mode: str = "half_up") -> float | None:
    """Round one number to ``digits`` decimals; None (missing) stays None."""
    if x is None or math.isnan(x):
        return None
    if math.isinf(x) or (abs(x) >= 1e15 and digits >= 0):
        return x  # a double this large has no decimals left to round
    quantum = Decimal(1).scaleb(-digits)
    return float(as_decimal(x).quantize(quantum, rounding=_MODES[mode], context=_WIDE))


def round_vector(x: np.ndarray, digits: int = 0, mode: str = "half_up") -> np.ndarray:
    """Round an array exactly as :func:`round_scalar` rounds each element."""
    given = np.asarray(x, dtype=np.float64)
    x = given.reshape(-1)
    # 10**-k is inexact in binary: scale down by multiplying with 10**k instead. (A
    # factor of 1 is left out: multiplying or dividing by 1.0 changes nothing.)
    up, down = (10.0**digits, 1.0) if digits >= 0 else (1.0, 10.0**-digits)
    y = x * up if down == 1.0 else x / down
    ay = np.abs(y)
    if mode == "half_up":
        rounded = np.copysign(np.floor(ay + 0.5), y)
        boundary = ay - np.floor(ay) - 0.5
    elif mode == "floor":
        rounded = np.floor(y)
        boundary = y - np.round(y)
    else:
        rounded = np.ceil(y)
        boundary = y - np.round(y)
    with np.errstate(invalid="ignore"):
        near = np.abs(boundary) <= ay * _NEAR + _NEAR
        # An exact binary boundary (2.5, 267.5, 3.0) below 1e13 is a point of the
        # 15-digit decimal grid, so the 15-digit reading is that boundary itself
        # and the fast path is exact; only larger values need the decimal check.
        near &= (boundary != 0) | (ay >= 1e13)
        # Where the 15-digit grid is no finer than the rounding quantum, the reading
        # itself is the result, which the grid path computes. (With digits >= 0, a
        # |x| of 1e15 or more makes |y| that large too.)
        near |= ay >= 1e14
        if digits < 0:
            near |= np.abs(x) >= 1e15
    result = rounded / up if down == 1.0 else rounded * down
    if near.any():
        hard = near.nonzero()[0]
        decided, values = _on_the_grid(x[hard], digits, mode)
        result[hard[decided]] = values
        for i in hard[~decided]:
            result[i] = round_scalar(float(x[i]), digits, mode)
    return result.reshape(given.shape)


def _on_the_grid(x: np.ndarray, digits: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact rounding of values near a boundary, in integers, without Decimal.

    A value's 15-digit reading is g * 10**(e - 14) for an integer g of 15 digits;
    ``digits`` decimals of it is then a quotient of integers. Values outside the
    ranges where that arithmetic is exact in int64 are left to the scalar path
    (``decided`` is False for them).
    """
    ax = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.floor(np.log10(ax))
    e = np.where(10.0 ** (e + 1) <= ax, e + 1, e)
    e = np.where(10.0**e > ax, e - 1, e)
    shift = 14 - e  # ax * 10**shift has 15 digits before the point
    p = -shift + digits  # the reading times 10**digits is g * 10**p
    ok = np.isfinite(e) & (shift >= 0) & (shift <= 22) & (p >= -18) & (p <= 3)
    scaled = np.where(ok, ax * 10.0 ** np.where(ok, shift, 0), 0.0)
    g = np.rint(scaled)
    ok &= np.abs(scaled - g) < 0.4  # else the reading itself is a tie: leave it to Decimal
    g = g.astype(np.int64)
    q = (10 ** np.clip(-p, 0, 18)).astype(np.int64)
    lift = (10 ** np.clip(p, 0, 3)).astype(np.int64)
    negative = x < 0
    if mode == "half_up":
        magnitude = np.where(p >= 0, g * lift, (2 * g + q) // (2 * q))
        whole = np.where(negative, -magnitude, magnitude)
    else:
        toward = (mode == "floor") != negative  # floor of a positive, ceil of a negative
        down_ = g // q
        up_ = -((-g) // q)
        magnitude = np.where(p >= 0, g * lift, np.where(toward, down_, up_))
        whole = np.where(negative, -magnitude, magnitude)
    # One correctly rounded division, as float(Decimal) gives, needs an exact numerator.
    ok &= np.abs(whole) < 2**53
    scale_up, scale_down = (10.0**digits, 1.0) if digits >= 0 else (1.0, 10.0**-digits)
    return ok, (whole.astype(np.float64) * scale_down / scale_up)[ok]


# Two numbers closer than this (relative) compare equal, so binary noise cannot
# flip a condition at a boundary: 57% * 100 >= 57 holds, as a person expects.
TOLERANCE = 1e-14


def near_scalar(a: float, b: float) -> bool:
    """Whether two numbers are equal up to binary noise."""
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def compare_scalar(op: str, a: float, b: float) -> bool:
    """A number comparison in which values equal up to binary noise are equal."""
    same = near_scalar(a, b)
    return {
        "==": same,
        "!=": not same,
        "<": a < b and not same,
        "<=": a < b or same,
        ">": a > b and not same,
        ">=": a > b or same,
    }[op]


def near_vector(a: object, b: object) -> np.ndarray:
    """Elementwise :func:`near_scalar`."""
    with np.errstate(invalid="ignore"):
        return np.abs(np.subtract(a, b)) <= TOLERANCE * np.maximum(np.abs(a), np.abs(b))


def compare_vector(op: str, a: object, b: object) -> np.ndarray:
    """Elementwise :func:`compare_scalar` (missing values compare false; callers mask them)."""
    same = near_vector(a, b)
    with np.errstate(invalid="ignore"):
        if op == "==":
            return same
        if op == "!=":
            return ~same
        if op in ("<", "<="):
            less = np.less(a, b)
            return (less & ~same) if op == "<" else (less | same)
        greater = np.greater(a, b)
        return (greater & ~same) if op == ">" else (greater | same)
