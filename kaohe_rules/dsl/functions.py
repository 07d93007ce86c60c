"""The function library: one table entry per builtin, read by the checker and both evaluators.

Each entry gives the signature (parameters, types, defaults, which must be
constants), the result type, a vectorized implementation over numpy columns and
a plain-Python one for a single unit. Cohort functions (rank, count, mean, …)
look at the unit's group and have only the vectorized form: the single-unit
evaluator takes their value for that unit from the group's column.

Representation: numbers and truth values are float64 (1.0, 0.0; NaN = missing),
text is an object array (None = missing); a constant may stand for a column.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from kaohe_rules.dsl import cohort, numeric
from kaohe_rules.dsl.cohort import CallContext
from kaohe_rules.dsl.columns import choose, missing_mask
from kaohe_rules.dsl.types import ANY, BOOL, NUMBER, TEXT, Type, list_of
from kaohe_rules.records import data_record

REQUIRED = object()
# What a single-unit implementation gets first: a callable recording a warning.
Warn = Callable[..., None]


@data_record
class Param:
    """One parameter: ``const`` ones must be literals, known before any data."""

    name: str
    type: Type
    default: object = REQUIRED
    const: bool = False
    choices: tuple[str, ...] = ()
    rule: Callable[[object], str | None] | None = None  # a constant's extra condition


@data_record
class Function:
    """A builtin: signature, result type and implementations."""

    name: str
    params: tuple[Param, ...]
    result: Type | None  # None: the type shared by all arguments (coalesce)
    vector: Callable
    scalar: Callable | None = None
    variadic: bool = False  # the last parameter repeats: min(a, b, c)
    cohort: bool = False
    aligned_lists: bool = False  # its list arguments pair up item by item (steps)
    summary: str = ""

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, or None."""
        return next((p for p in self.params if p.name == name), None)


def _scalar_min(cx: Warn, *xs: float | None) -> float | None:
    return None if any(missing_mask(x) for x in xs) else min(xs)


def _scalar_max(cx: Warn, *xs: float | None) -> float | None:
    return None if any(missing_mask(x) for x in xs) else max(xs)


def _scalar_clamp(cx: Warn, x: float | None, low: float | None, high: float | None):
    if missing_mask(x) or missing_mask(low) or missing_mask(high):
        return None
    return min(max(x, low), high)


def _vector_clamp(cx: CallContext, x, low, high):
    return np.minimum(np.maximum(x, low), high)


def _scalar_abs(cx: Warn, x: float | None) -> float | None:
    return None if missing_mask(x) else abs(x)


def _scalar_round(mode: str) -> Callable:
    def run(cx: Warn, x: float | None, digits: float = 0) -> float | None:
        return numeric.round_scalar(None if missing_mask(x) else x, int(digits), mode)

    return run


def _vector_round(mode: str) -> Callable:
    def run(cx: CallContext, x, digits: float = 0):
        return numeric.round_vector(x, int(digits), mode)

    return run


def _scalar_coalesce(cx: Warn, *xs):
    return next((x for x in xs if not missing_mask(x)), None)


def _vector_coalesce(cx: CallContext, *xs):
    text = any(
        isinstance(x, str) or (isinstance(x, np.ndarray) and x.dtype.kind == "O") for x in xs
    )
    result = xs[0]
    for x in xs[1:]:
        result = choose(missing_mask(result), x, result, False, text)
    return result


def _scalar_is_missing(cx: Warn, x) -> bool:
    return bool(missing_mask(x))


def _vector_is_missing(cx: CallContext, x):
    return np.asarray(missing_mask(x), dtype=np.float64)


def _scalar_linear(cx: Warn, value, floor, target):
    if missing_mask(value) or missing_mask(floor) or missing_mask(target):
        return None
    if floor == target:
        cx("KH162", "linear 的下限值与目标值相等，无法插值，结果按缺失处理")
        return None
    share = (value - floor) / (target - floor)
    if not math.isfinite(share):
        cx("KH161", "计算结果超出数值范围，按缺失处理")
        return None
    return min(max(share, 0.0), 1.0)


def _vector_linear(cx: CallContext, value, floor, target):
    width = np.subtract(target, floor, dtype=np.float64)
    flat = width == 0
    try:
        # Only an overflow or a zero width makes an infinity (columns hold none: numbers
        # are read below 1e308 and every operation turns an overflow into a missing
        # value); NaN is a missing input. So the overflow flag stands in for a pass
        # looking for infinities, and the quotient goes into the difference's array.
        with np.errstate(over="raise", divide="ignore", invalid="ignore"):
            raw = np.subtract(value, floor, dtype=np.float64)
            # (ndim and shape first: np.broadcast_shapes costs more than the division
            # at a few hundred units, and a scalar width always fits.)
            if isinstance(raw, np.ndarray) and (
                width.ndim == 0
                or width.shape == raw.shape
                or raw.shape == np.broadcast_shapes(raw.shape, width.shape)
            ):
                np.divide(raw, width, out=raw)
            else:
                raw = raw / width
        overflowed = False
    except FloatingPointError:
        with np.errstate(all="ignore"):
            raw = np.subtract(value, floor) / width
        overflowed = True
    if overflowed and np.isinf(raw).any():
        known = ~(np.isnan(value) | np.isnan(floor) | np.isnan(target))
        overflow = np.isinf(raw) & known & ~flat
        if np.any(overflow):
            cx("KH161", "计算结果超出数值范围，按缺失处理", overflow)
            raw = np.where(overflow, np.nan, raw)
    # np.clip, not np.maximum then np.minimum: one pass, and the same bytes for -0.0.
    share = np.clip(raw, 0.0, 1.0, out=raw if isinstance(raw, np.ndarray) else None)
    if flat.any() if isinstance(flat, np.ndarray) else flat:
        known = flat & ~np.isnan(value)
        cx("KH162", "linear 的下限值与目标值相等，无法插值，结果按缺失处理", known)
        share = np.where(flat, np.nan, share)
    return share


def _scalar_steps(cx: Warn, value, thresholds, shares):
    if (
        missing_mask(value)
        or any(missing_mask(t) for t in thresholds)
        or any(missing_mask(s) for s in shares)
    ):
        return None
    ascending = thresholds[0] <= thresholds[-1]
    result = 0.0
    for limit, share in zip(thresholds, shares, strict=True):
        if numeric.compare_scalar(">=" if ascending else "<=", value, limit):
            result = share
    return result


def _vector_steps(cx: CallContext, value, thresholds, shares):
    ascending = np.less_equal(thresholds[0], thresholds[-1])
    result = np.zeros(np.broadcast(value, *thresholds, *shares).shape)
    unknown = np.isnan(value)
    for limit, share in zip(thresholds, shares, strict=True):
        above = numeric.compare_vector(">=", value, limit)
        below = numeric.compare_vector("<=", value, limit)
        reached = np.where(ascending, above, below)
        result = np.where(reached, share, result)
        unknown = unknown | np.isnan(limit) | np.isnan(share)
    return np.where(unknown, np.nan, result)


def _digits_rule(value: object) -> str | None:
    if value != int(value) or not -10 <= value <= 12:
        return "须是 -10 到 12 之间的整数"
    return None


def _share_rule(value: object) -> str | None:
    return None if 0 <= value <= 1 else "须在 0 到 1 之间（可写成 90%）"


def _p(name: str, type_: Type, default: object = REQUIRED, **kw) -> Param:
    return Param(name, type_, default, **kw)


_BY = _p("by", ANY, None)
_TIES = ("min", "max", "dense", "average")

_ENTRIES = [
    Function(
        "min",
        (_p("x", NUMBER),),
        NUMBER,
        lambda cx, *xs: functools.reduce(np.minimum, xs),
        _scalar_min,
        variadic=True,
        summary="取最小值",
    ),
    Function(
        "max",
        (_p("x", NUMBER),),
        NUMBER,
        lambda cx, *xs: functools.reduce(np.maximum, xs),
        _scalar_max,
        variadic=True,
        summary="取最大值",
    ),
    Function(
        "clamp",
        (_p("x", NUMBER), _p("low", NUMBER), _p("high", NUMBER)),
        NUMBER,
        _vector_clamp,
        _scalar_clamp,
        summary="把数值限制在 low 与 high 之间",
    ),
    Function(
        "abs", (_p("x", NUMBER),), NUMBER, lambda cx, x: np.abs(x), _scalar_abs, summary="绝对值"
    ),
    Function(
        "round_half_up",
        (_p("x", NUMBER), _p("digits", NUMBER, 0.0, const=True, rule=_digits_rule)),
        NUMBER,
        _vector_round("half_up"),
        _scalar_round("half_up"),
        summary="四舍五入到 digits 位小数（按十进制，逢五进位）",
    ),
    Function(
        "floor",
        (_p("x", NUMBER), _p("digits", NUMBER, 0.0, const=True, rule=_digits_rule)),
        NUMBER,
        _vector_round("floor"),
        _scalar_round("floor"),
        summary="向下取整",
    ),
    Function(
        "ceil",
        (_p("x", NUMBER), _p("digits", NUMBER, 0.0, const=True, rule=_digits_rule)),
        NUMBER,
        _vector_round("ceil"),
        _scalar_round("ceil"),
        summary="向上取整",
    ),
    Function(
        "coalesce",
        (_p("x", ANY),),
        None,
        _vector_coalesce,
        _scalar_coalesce,
        variadic=True,
        summary="第一个不缺失的值",
    ),
    Function(
        "is_missing",
        (_p("x", ANY),),
        BOOL,
        _vector_is_missing,
        _scalar_is_missing,
        summary="是否缺失",
    ),
    Function(
        "linear",
        (_p("value", NUMBER), _p("floor", NUMBER), _p("target", NUMBER)),
        NUMBER,
        _vector_linear,
        _scalar_linear,
        summary="线性插值得分率：下限值得 0，目标值得 1，两个方向都适用",
    ),
    Function(
        "steps",
        (_p("value", NUMBER), _p("thresholds", list_of(NUMBER)), _p("shares", list_of(NUMBER))),
        NUMBER,
        _vector_steps,
        _scalar_steps,
        aligned_lists=True,
        summary="分档得分率：达到第几档取第几档的得分率",
    ),
    Function(
        "rank",
        (
            _p("x", NUMBER),
            _p("desc", BOOL, True, const=True),
            _p("ties", TEXT, "min", const=True, choices=_TIES),
            _BY,
        ),
        NUMBER,
        cohort.rank,
        cohort=True,
        summary="在本类别内的名次（1 为第一）",
    ),
    Function(
        "count",
        (_p("condition", BOOL, None), _BY),
        NUMBER,
        cohort.count,
        cohort=True,
        summary="本类别的单位数（给出条件时，满足条件的单位数）",
    ),
    Function(
        "mean", (_p("x", NUMBER), _BY), NUMBER, cohort.mean, cohort=True, summary="本类别平均值"
    ),
    Function(
        "median", (_p("x", NUMBER), _BY), NUMBER, cohort.median, cohort=True, summary="本类别中位数"
    ),
    Function(
        "group_max",
        (_p("x", NUMBER), _BY),
        NUMBER,
        cohort.group_max,
        cohort=True,
        summary="本类别最大值",
    ),
    Function(
        "group_min",
        (_p("x", NUMBER), _BY),
        NUMBER,
        cohort.group_min,
        cohort=True,
        summary="本类别最小值",
    ),
    Function(
        "group_sum",
        (_p("x", NUMBER), _BY),
        NUMBER,
        cohort.group_sum,
        cohort=True,
        summary="本类别合计",
    ),
    Function(
        "percentile",
        (_p("x", NUMBER), _BY),
        NUMBER,
        cohort.percentile,
        cohort=True,
        summary="百分位：本类别中不高于本单位的单位所占比例",
    ),
    Function(
        "quantile",
        (_p("x", NUMBER), _p("p", NUMBER, const=True, rule=_share_rule), _BY),
        NUMBER,
        cohort.quantile,
        cohort=True,
        summary="本类别的 p 分位数（线性插值）",
    ),
    Function(
        "top",
        (_p("x", NUMBER), _p("n", NUMBER), _BY),
        BOOL,
        cohort.top,
        cohort=True,
        summary="是否位列本类别前 n 名（并列者一并计入）",
    ),
    Function(
        "bottom",
        (_p("x", NUMBER), _p("n", NUMBER), _BY),
        BOOL,
        cohort.bottom,
        cohort=True,
        summary="是否位列本类别后 n 名（并列者一并计入）",
    ),
]

BUILTINS: dict[str, Function] = {f.name: f for f in _ENTRIES}
