"""The checks after scoring as they were written before they became passes over blocks
(plausibility.py and result_checks.py, one indicator and one category at a time): the
reference the block passes must match, message for message (tests/scale/test_checks_blocks.py)."""

from __future__ import annotations

import dataclasses

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Diagnostic, Severity
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.read.cells import allowed_range
from kaohe_rules.rules.build import RULE_VALUES
from kaohe_rules.score.plausibility import (
    PERCENT,
    SAMPLE,
    SCALE_MIN_VALUES,
    SCALE_WINDOW,
    _bare_hint,
    _data_scale,
    _every_kth,
    _median,
    _medians,
    _rule_scale,
    _shown,
    _unit_error_factors,
    _units,
    bounds,
    distinct_indicators,
    items_without_values,
    layout_of,
)
from kaohe_rules.score.result_checks import MIN_UNITS, _listed, _warning, constant_labels


def plausibility_check(evaluation) -> list[Diagnostic]:
    """Every data check of an evaluation; errors among them refuse the data."""
    found: list[Diagnostic] = []
    data, resolved = evaluation.data, evaluation.resolved
    for done in [*evaluation.domains, *(s.result for s in evaluation.specials)]:
        rows = resolved.rosters.of(done.domain).rows
        groups = layout_of(evaluation, done)
        # Per indicator: its range and scale findings, then (filled in below, where the
        # medians of every indicator are taken together) its suspected unit errors.
        checked: list[tuple[list[Diagnostic], tuple | None]] = []
        for indicator in distinct_indicators(done.domain):
            if indicator.id not in data.columns:
                continue
            values = data.column(indicator.id, NUMBER, rows)
            applies = done.applicable.get(indicator.id)
            valid = ~np.isnan(values)
            if applies is not None:
                valid &= applies
            if not valid.any():
                continue
            scale = percent_scale(done, indicator, values, valid)
            out_of_range, outside = ranges(done, indicator, values, valid, data)
            if outside is not None:  # one message for one cell: KH316's, not also KH317's
                valid &= ~outside
            # With the whole column on the wrong scale, no cell stands out.
            later = None if scale else (indicator, values, valid)
            checked.append((scale + out_of_range, later))
        pending = [later for _, later in checked if later is not None]
        middles = iter(median_magnitudes([(v, ok) for _, v, ok in pending], groups))
        for first, later in checked:
            found += first
            if later is not None:
                found += unit_errors(done, *later, groups, data, next(middles))
    found += items_without_values(evaluation)
    return found


def percent_scale(done, indicator, values: np.ndarray, valid: np.ndarray) -> list[Diagnostic]:
    """KH315: rule values and data of one % indicator about 100x apart: one of them is
    written as percent-numbers (6.5) where the other holds fractions (0.065). Without any %
    (no 单位 %, no value written with %) the same gap in the data is a warning: the staff
    may have meant a percentage and written neither."""
    written = _rule_values(done.domain, indicator)
    percentish = indicator.unit_of_measure == PERCENT or any(v.percent for v in written)
    given = [v for v in written if v.value != 0]
    if not given:
        return []
    step = max(1, len(values) // SAMPLE)  # evenly spaced: a 100x mismatch needs no more
    magnitudes = np.abs(values[::step][valid[::step]])
    magnitudes = magnitudes[magnitudes > 0]
    if len(magnitudes) < SCALE_MIN_VALUES:
        return []
    typical = _median(magnitudes)
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


def ranges(
    done,
    indicator,
    values: np.ndarray,
    valid: np.ndarray,
    data,
) -> tuple[list[Diagnostic], np.ndarray | None]:
    """KH316: values outside the declared range (error or warning by 超出范围) or the
    default range of the indicator's 单位 (a warning); and where they are (None: no range)."""
    low, high, declared = bounds(indicator)
    if low is None and high is None:
        return [], None
    outside = np.zeros(len(values), dtype=bool)
    if low is not None:
        outside |= valid & (values < low)
    if high is not None:
        outside |= valid & (values > high)
    at = np.flatnonzero(outside)
    if not len(at):
        return [], outside
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
    return [Diagnostic("KH316", message, span, hint, context, severity)], outside


def median_magnitudes(
    columns: list[tuple[np.ndarray, np.ndarray]], groups
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each (values, valid) column of a domain: each category's median magnitude by
    code (the last entry, code -1: none), and which categories, too small for a median of
    their own (fewer than UNIT_ERROR_MIN_GROUP valid values), took the domain's instead.

    A large category is sampled evenly (every k-th unit, at most about twice SAMPLE
    values): a median to compare with 10x needs no more, and a million units stay fast.
    The columns' samples are sorted together, one block per category, rather than one
    median per indicator and category."""
    if not columns:
        return []
    size = len(columns[0][0])
    samples = [(code, _every_kth(members)) for code, members in groups.segments()]
    samples.append((None, _every_kth(np.arange(size))))
    picked = np.concatenate([at for _, at in samples])
    block = np.empty((len(columns), len(picked)))
    for row, (values, valid) in enumerate(columns):
        block[row] = np.where(valid[picked], np.abs(values[picked]), np.nan)
    middle = np.full((len(columns), len(groups.names) + 1), np.nan)
    whole = np.full(len(columns), np.nan)
    start = 0
    for code, at in samples:
        found = _medians(block[:, start : start + len(at)])
        start += len(at)
        if code is None:
            whole = found
        else:
            middle[:, code] = np.where(found > 0, found, np.nan)
    result = []
    for row in range(len(columns)):
        own = middle[row]
        borrowed = np.isnan(own)
        if whole[row] > 0:  # NaN (too few values) compares False
            own[borrowed] = whole[row]
        result.append((own, borrowed))
    return result


def unit_errors(
    done,
    indicator,
    values: np.ndarray,
    valid: np.ndarray,
    groups,
    data,
    medians: tuple[np.ndarray, np.ndarray],
) -> list[Diagnostic]:
    """KH317: values 10x (100x for amounts and counts) their category's median magnitude,
    or 100x the target: most often a percentage typed as a percent-number, or 元 for 万元.
    Only the larger side: a growth rate near zero is no error."""
    factor, by_target = _unit_error_factors(indicator)
    middle, borrowed = medians
    limits = [factor * np.nanmin(middle)] if not np.isnan(middle).all() else []
    limits += [by_target * abs(indicator.target)] if indicator.target else []
    magnitude = np.abs(values)
    # Most columns have no value near any limit: one pass settles them.
    if not limits or magnitude.max(where=valid, initial=0.0) < min(limits):
        return []
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


def result_check(evaluation) -> list[Diagnostic]:
    """Every result check of an evaluation (warnings only)."""
    found: list[Diagnostic] = []
    for done in [*evaluation.domains, *(s.result for s in evaluation.specials)]:
        groups = layout_of(evaluation, done)
        rows = evaluation.resolved.rosters.of(done.domain).rows
        for indicator in distinct_indicators(done.domain):
            found += _indicator(evaluation, done, indicator, groups, rows)
    found += constant_labels(evaluation)
    return found


def _indicator(
    evaluation,
    done,
    indicator,
    groups,
    rows: np.ndarray,
) -> list[Diagnostic]:
    """KH320 for the categories where the value is missing for every unit, KH319 for
    those where every unit gets the same score."""
    scores, applies = done.scores.get(indicator.id), done.applicable.get(indicator.id)
    if scores is None or applies is None:
        return []
    reads_value = "值" in evaluation.resolved.program(indicator.formula).names
    values = evaluation.data.column(indicator.id, NUMBER, rows) if reads_value else None
    missing, constant = [], []
    for code, members in groups.segments():
        # The first few units settle almost every category (values differ, or some are
        # given): only a category they leave open is looked at in full.
        if values is not None and _all(members, lambda at: np.isnan(values[at]) | ~applies[at]):
            count = int(np.count_nonzero(applies[members]))
            if count:
                missing.append(f"{groups.names[code]}（{count} 个单位）")
            continue
        if not _open(members, scores, applies):
            continue
        given = scores[members[applies[members]]]
        if len(given) >= MIN_UNITS and not np.isnan(given).any() and np.ptp(given) == 0:
            share = f"{len(given)} 个单位都得 {given[0]:.6g} 分"
            constant.append(f"{groups.names[code]}（{share}）")
    context = (done.domain.name, f"指标 {indicator.id}")
    found = []
    if missing:
        message = f"指标 {indicator.id} 在类别 {_listed(missing)} 中每个单位都没有值"
        hint = f"数据中是否漏了 {indicator.id} 这一列（或这些单位的行）"
        found.append(_warning("KH320", message, indicator.span, hint, context))
    if constant:
        message = f"指标 {indicator.id} 不区分单位：类别 {_listed(constant)}"
        hint = "核对目标值、下限值等参数与数据的量级是否相符（如 6.5% 与 6.5），或数据是否有误"
        found.append(_warning("KH319", message, indicator.span, hint, context))
    return found


PEEK = 64


def _all(members: np.ndarray, test) -> bool:
    """Whether ``test`` holds at every one of ``members``, looking at the first PEEK first."""
    return bool(test(members[:PEEK]).all()) and bool(test(members).all())


def _open(members: np.ndarray, scores: np.ndarray, applies: np.ndarray) -> bool:
    """Whether the scores of the applicable ``members`` may all be equal: false as soon as
    two of the first PEEK of them differ."""
    first = members[:PEEK]
    head = scores[first[applies[first]]]
    return not (len(head) > 1 and (np.isnan(head).any() or np.ptp(head) > 0))


def _rule_values(domain: m.Domain, indicator: m.Indicator) -> list[m.RuleValue]:
    """The indicator's rule values and those 一单位一策 gives it (调整: 指标.目标值)."""
    prefix = f"{indicator.id}."
    adjusted = [
        m.RuleValue(v.name.split(".", 1)[1], v.value, v.percent, v.span)
        for variant in domain.variants
        for v in variant.rule_values
        if v.name.startswith(prefix) and v.name[len(prefix) :] in RULE_VALUES
    ]
    return [*indicator.rule_values, *adjusted]
