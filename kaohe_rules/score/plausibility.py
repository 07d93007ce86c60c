"""Data that cannot be what the staff meant, checked on the data set's columns after
an evaluation: percent scale against the rule values (KH315), values outside their
indicator's range (KH316), suspected unit errors (KH317), declared data items that no
unit has a value for (KH318).

Both readers (read/rows.py row by row, read/columnar.py by columns) fill the same float64
columns, so checking those columns covers both; each check is a few numpy passes
per domain and indicator. Thresholds and why: docs/decisions.md (decision 45).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.dsl.types import TEXT
from kaohe_rules.read.cells import allowed_range
from kaohe_rules.records import data_record
from kaohe_rules.rules.build import RULE_VALUES
from kaohe_rules.score.batch import gather_ids
from kaohe_rules.score.layout import Layout, layout
from kaohe_rules.score.result import DomainResult

if TYPE_CHECKING:
    from kaohe_rules.read.dataset import DataSet
    from kaohe_rules.score.engine import Evaluation

PERCENT = "%"
COUNTS = frozenset("个项人次起家件")
# Defaults by 单位 (always warnings): a % may be a share or a growth rate, which the unit
# cannot tell apart, so its default only catches what neither can be: a fall of more than
# 100% or a rise of more than 1000% (the 8330% growth of a sample).
DEFAULT_RANGES: dict[str, tuple[float | None, float | None]] = {
    PERCENT: (-1.0, 10.0),
    "倍": (0.0, None),
    **{count: (0.0, None) for count in COUNTS},
}
# KH315: the data's typical magnitude against the rule values' is this far from 1 and
# near 100 (a log window from 30x to 3000x), with at least this many nonzero values.
SCALE_WINDOW = (30.0, 3000.0)
SCALE_MIN_VALUES = 3
# KH317: a value this many times its category's median magnitude (a % or 倍 is bounded,
# so 10x is already wrong; amounts and counts are heavy-tailed: a city is 30x a county),
# in a category with at least this many values; or 100x the indicator's target.
UNIT_ERROR_FACTOR = {PERCENT: 10.0, "倍": 10.0}
UNIT_ERROR_OTHER = 100.0
UNIT_ERROR_MIN_GROUP = 5
SAMPLE = 1_000  # values a median is taken over, at most about twice this (evenly spaced)
TARGET_FACTOR = 100.0
# A % value typed as a percent-number (5.83 for 5.83%) is 100x what it should be, so about
# 100x a target it falls short of and often under 100x: for % the target bound is 30x.
TARGET_FACTOR_PERCENT = 30.0
LISTED = 5  # units named in one message


def check(evaluation: Evaluation) -> list[Diagnostic]:
    """Every data check of an evaluation; errors among them refuse the data."""
    found: list[Diagnostic] = []
    data, resolved = evaluation.data, evaluation.resolved
    for done in [*evaluation.domains, *(s.result for s in evaluation.specials)]:
        rows = resolved.rosters.of(done.domain).rows
        groups = layout_of(evaluation, done)
        given = [i for i in distinct_indicators(done.domain) if i.id in data.columns]
        # Indicators a few at a time (all of them at 10,000 units, one at a million), so
        # each check is one pass over a block of indicators x units and stays small.
        step = max(1, BLOCK_CELLS // max(len(rows), 1))
        for start in range(0, len(given), step):
            block = Values.of(done, given[start : start + step], data, rows)
            found += _block_findings(done, block, groups, data)
    found += items_without_values(evaluation)
    return found


# Cells of one block of indicator values the checks look at together (8 MB as floats).
BLOCK_CELLS = 1 << 20


@data_record
class Values:
    """Indicators' values for a domain's units, one row each, and which of them the
    checks look at: given (not missing) and for a unit the indicator applies to."""

    indicators: list[m.Indicator]
    values: np.ndarray
    valid: np.ndarray

    @classmethod
    def of(cls, done: DomainResult, indicators: list, data: DataSet, rows) -> Values:
        values = gather_ids([i.id for i in indicators], data, rows)
        valid = ~np.isnan(values)
        for row, indicator in enumerate(indicators):
            applies = done.applicable.get(indicator.id)
            everyone = applies is not None and applies.strides == (0,) and bool(applies.all())
            if applies is not None and not everyone:  # the shared all-units mask: no-op
                valid[row] &= applies
        return cls(indicators, values, valid)


def _block_findings(
    done: DomainResult, block: Values, groups: Layout, data: DataSet
) -> list[Diagnostic]:
    """Each indicator's findings, in order: its range and scale findings, then its suspected
    unit errors. Each check is one pass over the block; only an indicator a pass flags
    is looked at on its own, to word its message."""
    values, valid = block.values, block.valid
    adjusted = adjusted_values(done.domain)
    written = [[*i.rule_values, *adjusted.get(i.id, ())] for i in block.indicators]
    window = np.array([_scale_window(i, w) for i, w in zip(block.indicators, written, strict=True)])
    typical = typical_magnitudes(values, valid, window.reshape(-1, 2))
    outside = outside_ranges(block.indicators, values, valid)
    checked = valid & ~outside  # one message for one cell: KH316's, not also KH317's
    scales, out_of_range, later = [], [], []
    given = valid.any(axis=1)
    for row, indicator in enumerate(block.indicators):
        if not given[row]:
            scales.append(None)
            continue
        scale = percent_scale(done, indicator, float(typical[row]), written[row])
        scales.append(scale)
        out_of_range.append(ranges(done, indicator, values[row], outside[row], data))
        if not scale:  # with the whole column on the wrong scale, no cell stands out
            later.append(row)
    later = np.array(later, dtype=np.int64)
    magnitudes = np.abs(values)
    largest = np.max(np.where(checked, magnitudes, 0.0), axis=1, initial=0.0)[later]
    cleared = [block.indicators[row] for row in later]
    every = len(later) == len(values)  # the usual case: no copy of the rows
    picked = (magnitudes, checked) if every else (magnitudes[later], checked[later])
    clear = without_unit_errors(*picked, groups, largest, cleared)
    later, largest = later[~clear], largest[~clear]
    middles = median_magnitudes(values[later], checked[later], groups)
    suspects = dict(zip(later.tolist(), zip(middles, largest.tolist(), strict=True), strict=True))
    found: list[Diagnostic] = []
    ranged = iter(out_of_range)
    for row, indicator in enumerate(block.indicators):
        if scales[row] is None:
            continue
        found += scales[row] + next(ranged)
        if row in suspects:
            medians, most = suspects[row]
            at = (values[row], checked[row])
            found += unit_errors(done, indicator, *at, groups, data, medians, most)
    return found


def layout_of(evaluation: Evaluation, done: DomainResult) -> Layout:
    """The domain's category layout: the plan's, unless this evaluation worked the
    categories out again (``kaohe test`` recording branches)."""
    planned = evaluation.plan.of(done.domain)
    if done.category is planned.categories.labels:
        return planned.layout
    return layout(done.category)


def distinct_indicators(domain: m.Domain) -> list[m.Indicator]:
    """One indicator per id: the paper's, else the first one a variant adds."""
    first: dict[str, m.Indicator] = {}
    for indicator in domain.all_indicators():
        first.setdefault(indicator.id, indicator)
    return list(first.values())


def _median(values: np.ndarray) -> float:
    """np.median's value without its per-call cost (called per category and indicator), nor
    its first call's import of numpy.ma (tens of milliseconds, for a NaN check), for values
    without NaN."""
    half = len(values) // 2
    if len(values) % 2:
        return float(np.partition(values, half)[half])
    low, high = np.partition(values, (half - 1, half))[half - 1 : half + 1]
    return float((low + high) / 2)


def _shown(value: float, percent: bool) -> str:
    """A value as the staff would write it: 0.065 → 6.5% on a % indicator."""
    if percent:
        return f"{value * 100:.6g}%"
    return f"{value:.6g}"


def _units(done: DomainResult, at: np.ndarray, values: np.ndarray, percent: bool) -> str:
    listed = "、".join(f"{done.units[i].name}（{_shown(values[i], percent)}）" for i in at[:LISTED])
    return listed + (f" 等 {len(at)} 个单位" if len(at) > LISTED else "")


def _written(value: m.RuleValue) -> str:
    return _shown(value.value, value.percent)


def typical_magnitudes(
    values: np.ndarray, valid: np.ndarray, window: np.ndarray | None = None
) -> np.ndarray:
    """Each row's typical magnitude (the median of its nonzero magnitudes) over an even
    sample of its valid values: NaN with fewer than SCALE_MIN_VALUES of them. A 100x
    mismatch of scale needs no more than SAMPLE or so values to show.

    ``window``: for each row, the typical magnitudes (low, high) between which, and above
    1, percent_scale can find anything (NaN: anywhere). A row whose median is provably at
    most 1 or outside them, by counting, is given NaN (as too few values: no finding)
    without sorting: a median of c values is below a bound when more than c // 2 of them
    are, and above it when at most (c - 1) // 2 of them are at or below it."""
    step = max(1, values.shape[1] // SAMPLE)
    magnitudes = np.abs(values[:, ::step])
    counted = valid[:, ::step] & (magnitudes > 0)
    rows = np.arange(len(values))
    if window is not None and len(values):
        count = np.count_nonzero(counted, axis=1)
        more = count // 2 + 1

        def how_many(below: np.ndarray) -> np.ndarray:
            return np.count_nonzero(counted & below, axis=1)

        low, high = window[:, :1], window[:, 1:]
        settled = how_many(magnitudes <= 1) >= more
        settled |= how_many(magnitudes < low) >= more
        settled |= how_many(magnitudes <= high) <= (count - 1) // 2
        rows = np.flatnonzero(~(settled & ~np.isnan(window[:, 0])))
    typical = np.full(len(values), np.nan)
    typical[rows] = _medians(np.where(counted[rows], magnitudes[rows], np.nan), SCALE_MIN_VALUES)
    return typical


def _scale_window(indicator: m.Indicator, written: list[m.RuleValue]) -> tuple[float, float]:
    """The typical magnitudes between which percent_scale finds something for an indicator
    without any % (a margin far above rounding either side); NaN: anywhere (with a %, a
    rule value is checked against any typical magnitude). No rule value but 0: nowhere."""
    if indicator.unit_of_measure == PERCENT or any(v.percent for v in written):
        return np.nan, np.nan
    given = sorted(abs(v.value) for v in written if v.value != 0)
    if not given:
        return np.inf, -np.inf
    if any(math.isnan(g) for g in given):
        return np.nan, np.nan
    half = len(given) // 2  # the median _median gives
    middle = given[half] if len(given) % 2 else (given[half - 1] + given[half]) / 2
    if not _TINY <= middle <= 1 / _TINY:  # where a product might lose precision: anywhere
        return np.nan, np.nan
    low, high = SCALE_WINDOW
    return low * middle * (1 - 1e-9), high * middle * (1 + 1e-9)


def percent_scale(
    done: DomainResult, indicator: m.Indicator, typical: float, written: list[m.RuleValue]
) -> list[Diagnostic]:
    """KH315: rule values and data of one % indicator about 100x apart: one of them is
    written as percent-numbers (6.5) where the other holds fractions (0.065). Without any %
    (no 单位 %, no value written with %) the same gap in the data is a warning: the staff
    may have meant a percentage and written neither."""
    percentish = indicator.unit_of_measure == PERCENT or any(v.percent for v in written)
    given = [v for v in written if v.value != 0]
    if not given or np.isnan(typical):  # NaN: too few values (typical_magnitudes)
        return []
    low, high = SCALE_WINDOW
    context = (done.domain.name, f"指标 {indicator.id}")
    # The data as percent-numbers (6.5 where the rules hold 0.065): the whole column is
    # off, so its typical value against the rule values' typical one. The side written as
    # percent-numbers holds numbers above 1 (1 for 1%): growth near zero is no mismatch.
    written_magnitudes = np.array([abs(v.value) for v in given], dtype=np.float64)
    # Rule values are finite (the loader refuses inf and nan, KH214); np.median all the same
    # should one ever be NaN, which only it answers as np.median does.
    ratio = typical / (
        _median(written_magnitudes)
        if not np.isnan(written_magnitudes).any()
        else float(np.median(written_magnitudes))
    )
    if low <= ratio <= high and typical > 1:
        found = _data_scale(indicator, given[0], typical, ratio, context)
        if not percentish:
            found = dataclasses.replace(found, severity=Severity.WARNING, hint=_bare_hint(typical))
        return [found]
    if not percentish:
        return []
    # A rule value as a percent-number (目标值: 5.5 for 5.5%): each value on its own, since
    # one slip among correct values (a 调整, a half-year floor) moves no median.
    # Beside values written with %, a bare one above 1 on a % indicator is one too.
    mixed = indicator.unit_of_measure == PERCENT and any(v.percent for v in given)
    found = []
    for value in given:
        apart = abs(value.value) / typical
        if not value.percent and abs(value.value) > 1 and (mixed or low <= apart <= high):
            found.append(_rule_scale(indicator, value, typical, apart, context))
    return found


def _scale_message(indicator: m.Indicator, rule: m.RuleValue, typical: float, apart: float):
    return (
        f"指标 {indicator.id} 的 {rule.name} 是 {_written(rule)}"
        f"（{_shown(rule.value, not rule.percent)}），"
        f"而数据的典型值（中位数）是 {typical:.6g}，相差约 {max(apart, 1 / apart):.0f} 倍："
        "两者不可能都是本意，按现在的写法得分是错的"
    )


def _data_scale(indicator, rule: m.RuleValue, typical: float, ratio: float, context):
    hint = (
        f"数据似乎写成了百分数的数字（{typical:.6g} 表示 {typical:.6g}%）：数据中写成 "
        f"{typical:.6g}% 或 {typical / 100:.6g}（两者相同）"
    )
    message = _scale_message(indicator, rule, typical, ratio)
    return Diagnostic("KH315", message, rule.span, hint, context)


def _bare_hint(typical: float) -> str:
    return (
        f'若本意是百分数：规则值写成带 % 的形式（如 {typical:.6g}%）并给指标写 单位: "%"，'
        f"数据写成 {typical:.6g}% 或 {typical / 100:.6g}；若不是百分数，核对两者的单位"
    )


def _rule_scale(indicator, rule: m.RuleValue, typical: float, apart: float, context):
    written = rule.value
    hint = (
        f"单位为 % 的指标，规则值写成 {written:.6g}% 或 {written / 100:.6g}；"
        f"这里写的 {written:.6g} 是 {written * 100:.6g}%"
    )
    message = _scale_message(indicator, rule, typical, apart)
    return Diagnostic("KH315", message, rule.span, hint, context)


def adjusted_values(domain: m.Domain) -> dict[str, list[m.RuleValue]]:
    """The rule values 一单位一策 gives (调整: 指标.目标值), by indicator id, in the order
    the variants give them: an indicator's rule values are its own, then these."""
    found: dict[str, list[m.RuleValue]] = {}
    for variant in domain.variants:
        for v in variant.rule_values:
            # Whichever "." ends the id: 指标.目标值 is of 指标 when 目标值 is a rule value.
            for at in (i for i, char in enumerate(v.name) if char == "."):
                if v.name[at + 1 :] in RULE_VALUES:
                    value = m.RuleValue(v.name.split(".", 1)[1], v.value, v.percent, v.span)
                    found.setdefault(v.name[:at], []).append(value)
    return found


def bounds(indicator: m.Indicator) -> tuple[float | None, float | None, bool]:
    """The range an indicator's values can take, and whether the rules declared it
    (else the default by its 单位, or no range)."""
    if indicator.minimum is not None or indicator.maximum is not None:
        return indicator.minimum, indicator.maximum, True
    low, high = DEFAULT_RANGES.get(indicator.unit_of_measure, (None, None))
    return low, high, False


def outside_ranges(
    indicators: list[m.Indicator], values: np.ndarray, valid: np.ndarray
) -> np.ndarray:
    """Which valid values lie outside their indicator's range (bounds()), one row per
    indicator; an indicator without a range has none outside."""
    limits = [bounds(indicator)[:2] for indicator in indicators]
    # A missing bound is NaN, which no value compares below or above.
    low = np.array([[np.nan if lo is None else lo] for lo, _ in limits]).reshape(-1, 1)
    high = np.array([[np.nan if hi is None else hi] for _, hi in limits]).reshape(-1, 1)
    return valid & ((values < low) | (values > high))


def ranges(
    done: DomainResult,
    indicator: m.Indicator,
    values: np.ndarray,
    outside: np.ndarray,
    data: DataSet,
) -> list[Diagnostic]:
    """KH316: values outside the declared range (error or warning by 超出范围) or the
    default range of the indicator's 单位 (a warning); ``outside``: where they are."""
    if not outside.any():
        return []
    low, high, declared = bounds(indicator)
    at = np.flatnonzero(outside)
    percent = indicator.unit_of_measure == PERCENT
    allowed = allowed_range(low, high, lambda bound: _shown(bound, percent))
    allowed = f" {allowed}" if low is not None and high is not None else f"（{allowed}）"
    policy = (indicator.out_of_range or done.domain.out_of_range) if declared else "警告"
    where = "声明的范围" if declared else f"单位 {indicator.unit_of_measure} 的默认范围"
    message = f"{indicator.id} 的值超出{where}{allowed}：{_units(done, at, values, percent)}"
    if declared:
        hint = "核对这些值；确实可能出现时放宽 最小值/最大值，或设 超出范围: 警告"
    else:
        hint = "核对这些值（是否多乘了 100，或写错了单位）；确实可能出现时为指标声明 最小值/最大值"
        if percent:
            hint += "。百分数在数据中写 8.3% 或 0.083，不写 8.3"
    severity = Severity.ERROR if policy == "报错" else Severity.WARNING
    span = data.locate(done.units[at[0]], indicator.id)
    context = (done.domain.name, f"指标 {indicator.id}")
    return [Diagnostic("KH316", message, span, hint, context, severity)]


def _unit_error_factors(indicator: m.Indicator) -> tuple[float, float]:
    """How many times its category's median magnitude, and how many times the target, a
    value of this indicator must be to look like a unit error."""
    factor = UNIT_ERROR_FACTOR.get(indicator.unit_of_measure, UNIT_ERROR_OTHER)
    percent = indicator.unit_of_measure == PERCENT
    return factor, TARGET_FACTOR_PERCENT if percent else TARGET_FACTOR


def median_magnitudes(
    values: np.ndarray, valid: np.ndarray, groups: Layout
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each row of a domain's values (indicators x units, with where they are valid):
    each category's median magnitude by code (the last entry, code -1: none), and which
    categories, too small for a median of their own (fewer than UNIT_ERROR_MIN_GROUP
    valid values), took the domain's instead.

    A large category is sampled evenly (every k-th unit, at most about twice SAMPLE
    values): a median to compare with 10x needs no more, and a million units stay fast.
    The columns' samples are sorted together, one block per category, rather than one
    median per indicator and category."""
    if not len(values):
        return []
    count = len(values)
    samples, block = _sampled(values, valid, groups)
    middle = np.full((count, len(groups.names) + 1), np.nan)
    whole = np.full(count, np.nan)
    start = 0
    for code, at in samples:
        found = _medians(block[:, start : start + len(at)])
        start += len(at)
        if code is None:
            whole = found
        else:
            middle[:, code] = np.where(found > 0, found, np.nan)
    result = []
    for row in range(count):
        own = middle[row]
        borrowed = np.isnan(own)
        if whole[row] > 0:  # NaN (too few values) compares False
            own[borrowed] = whole[row]
        result.append((own, borrowed))
    return result


def _sampled(
    values: np.ndarray, valid: np.ndarray, groups: Layout
) -> tuple[list[tuple[int | None, np.ndarray]], np.ndarray]:
    """Each category's sample of units (code None: the whole domain's), and the rows'
    magnitudes at them one category after the other (NaN where not valid)."""
    samples = _samples(groups, values.shape[1])
    picked = np.concatenate([at for _, at in samples])
    return samples, np.where(valid[:, picked], np.abs(values[:, picked]), np.nan)


def _samples(groups: Layout, size: int) -> list[tuple[int | None, np.ndarray]]:
    """Each category's sample of units and (code None) the whole domain's."""
    samples = [(code, _every_kth(members)) for code, members in groups.segments()]
    return [*samples, (None, _every_kth(np.arange(size)))]


# Below this, a magnitude divided by a factor may lose precision (subnormal numbers).
_TINY = 1e-290


def without_unit_errors(
    magnitudes: np.ndarray,
    valid: np.ndarray,
    groups: Layout,
    largest: np.ndarray,
    indicators: list[m.Indicator],
) -> np.ndarray:
    """Which rows (indicators) cannot have a suspected unit error (KH317), told without
    their medians: the largest valid magnitude is under the target bound, and every
    median unit_errors could compare it with (each category's, the domain's) is above
    it divided by the factor. A median of c values is above a bound when at most
    (c - 1) // 2 of them are at or below it (its middle value, or the lower of its two
    middle ones, is above it). A row this does not clear is looked at with its medians."""
    factors = np.array([_unit_error_factors(i)[0] for i in indicators]).reshape(-1)
    clear = np.isfinite(largest) & ((largest == 0) | (largest >= _TINY))
    for row, indicator in enumerate(indicators):
        if indicator.target:
            clear[row] &= largest[row] < _unit_error_factors(indicator)[1] * abs(indicator.target)
    if not clear.any():
        return clear
    # A margin far above rounding: factor * median then exceeds the largest value.
    bound = (largest / factors * (1 + 1e-9))[:, None]
    samples = _samples(groups, magnitudes.shape[1])
    if sum(len(at) for _code, at in samples) < magnitudes.shape[1]:  # many units: samples
        picked = np.concatenate([at for _code, at in samples])
        magnitudes, valid = magnitudes[:, picked], valid[:, picked]
        starts = np.cumsum([0, *(len(at) for _code, at in samples)])
        edges = zip(samples, starts[:-1], starts[1:], strict=True)
        samples = [(code, slice(a, b)) for (code, _at), a, b in edges]
    low = valid & (magnitudes <= bound)
    for _code, at in samples:
        given = np.count_nonzero(valid[:, at], axis=1)
        below = np.count_nonzero(low[:, at], axis=1)
        clear &= (given < UNIT_ERROR_MIN_GROUP) | (below <= (given - 1) // 2)
    return clear


def _every_kth(members: np.ndarray) -> np.ndarray:
    return members[:: max(1, len(members) // SAMPLE)]


def _medians(block: np.ndarray, fewest: int = UNIT_ERROR_MIN_GROUP) -> np.ndarray:
    """Each row's median over its non-NaN entries (NaN with fewer than ``fewest`` of
    them): what _median gives each row's valid values."""
    ordered = np.sort(block, axis=1)  # NaN last
    counts = np.count_nonzero(~np.isnan(block), axis=1)
    rows = np.arange(len(block))
    half = counts // 2
    high = ordered[rows, np.minimum(half, block.shape[1] - 1)] if block.shape[1] else half * np.nan
    low = ordered[rows, np.maximum(half - 1, 0)] if block.shape[1] else half * np.nan
    with np.errstate(over="ignore"):  # two values near the float maximum: inf, as before
        found = np.where(counts % 2 == 1, high, (low + high) / 2)
    return np.where(counts >= fewest, found, np.nan)


def unit_errors(
    done: DomainResult,
    indicator: m.Indicator,
    values: np.ndarray,
    valid: np.ndarray,
    groups: Layout,
    data: DataSet,
    medians: tuple[np.ndarray, np.ndarray],
    largest: float,
) -> list[Diagnostic]:
    """KH317: values 10x (100x for amounts and counts) their category's median magnitude,
    or 100x the target: most often a percentage typed as a percent-number, or 元 for 万元.
    Only the larger side: a growth rate near zero is no error. ``largest``: the largest
    valid magnitude, which settles most columns (no value near any limit) at once."""
    factor, by_target = _unit_error_factors(indicator)
    middle, borrowed = medians
    limits = [factor * np.nanmin(middle)] if not np.isnan(middle).all() else []
    limits += [by_target * abs(indicator.target)] if indicator.target else []
    if not limits or largest < min(limits):
        return []
    magnitude = np.abs(values)
    per_unit = middle[groups.codes]
    suspect = valid & (magnitude >= factor * per_unit)  # NaN thresholds compare False
    if indicator.target:
        suspect |= valid & (magnitude >= by_target * abs(indicator.target))
    percent = indicator.unit_of_measure == PERCENT
    if percent:
        # A percent-number slip is above 100%; a growth rate 20x a median near zero is not.
        suspect &= magnitude > 1
    at = np.flatnonzero(suspect)
    if not len(at):
        return []
    first = at[0]
    if np.isnan(per_unit[first]) or magnitude[first] < factor * per_unit[first]:
        why = f"目标值 {_shown(indicator.target, percent)} 的 {by_target:.0f} 倍以上"
    else:
        ratio = magnitude[first] / per_unit[first]
        code = groups.codes[first]
        where = (
            f"领域 {done.domain.name}" if borrowed[code] else f"所在类别（{groups.names[code]}）"
        )
        why = f"{where}中位数 {_shown(per_unit[first], percent)} 的 {ratio:.0f} 倍"
    message = (
        f"疑似单位错误：{done.units[first].name} 的 {indicator.id} 是 "
        f"{_shown(values[first], percent)}，是{why}"
    )
    if len(at) > 1:
        message += f"；共 {len(at)} 个单位：{_units(done, at, values, percent)}"
    hint = "核对是否多乘了 100（百分数写成 570 而非 5.7%）或用错了单位（元与万元）"
    span = data.locate(done.units[first], indicator.id)
    context = (done.domain.name, f"指标 {indicator.id}")
    return [Diagnostic("KH317", message, span, hint, context, Severity.WARNING)]


def items_without_values(evaluation: Evaluation) -> list[Diagnostic]:
    """KH318: a declared data item that no unit has a value for: a column left out of the
    data, or a misspelt one, that every formula reading it then sees as missing."""
    data, ruleset = evaluation.data, evaluation.resolved.ruleset
    evaluated = {d.domain.name for d in evaluation.domains}
    evaluated |= {s.result.domain.name for s in evaluation.specials}
    items = list(ruleset.data_items)
    for domain in ruleset.scored():
        if domain.name in evaluated:
            items += domain.data_items
    found, seen = [], set()
    for item in items:
        if item.name in seen or _has_values(data, item):
            continue
        seen.add(item.name)
        message = f"数据项 {item.name} 已声明，但数据中没有任何单位给出它的值"
        hint = f"在数据文件中加上 {item.name} 列（或 指标 为 {item.name} 的行），或删去这个声明"
        found.append(Diagnostic("KH318", message, item.span, hint, severity=Severity.WARNING))
    return found


def _has_values(data: DataSet, item: m.DataItem) -> bool:
    column = data.columns.get(item.name)
    if column is None:
        return False
    if item.type == TEXT:
        return bool(np.any(column != None))  # noqa: E711 (elementwise on an object column)
    return bool(np.any(~np.isnan(column)))
