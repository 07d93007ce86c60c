"""An indicator's scoring method said as a Chinese sentence, with worked examples that
the indicator's own formula must reproduce.

A sentence is written only for the built-in methods (线性, 功效系数, 分档, 排名赋分,
标杆值), from the same parameters ``rules/build.py`` put into the formula. Each sentence
comes with ``Example`` populations (values and the score the sentence promises each),
so a test can run the real formula on them and catch a sentence that misstates it. A
free formula (计分) gets no paraphrase: the manual shows the formula itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from kaohe_rules import model as m
from kaohe_rules.dsl.printer import number_text


@dataclass(frozen=True)
class Example:
    """Units' values and the scores (points) the sentence says they get, all in one
    category; ``None`` is a score the sentence says is missing."""

    values: tuple[float, ...]
    scores: tuple[float | None, ...]


@dataclass(frozen=True)
class Method:
    """How an indicator is scored, in words (empty for a free formula), with examples."""

    sentence: str
    examples: tuple[Example, ...] = ()


def shown(indicator: m.Indicator, key: str, value: float | None) -> str:
    """A parameter as the rule file wrote it: ``5.5%`` when written as a percentage,
    else the number with the indicator's 单位 (``1.58 倍``)."""
    if value is None:
        return ""
    if any(v.name == key and v.percent for v in indicator.rule_values):
        return number_text(value, percent=True)
    unit = indicator.unit_of_measure
    return number_text(value) + (f" {unit}" if unit and unit != "%" else "")


def points(value: float) -> str:
    """A score in points: ``6 分``."""
    return f"{number_text(round(value, 10))} 分"


def share(value: float) -> str:
    """A share of full marks: ``60%``."""
    return number_text(value, percent=True)


def describe(indicator: m.Indicator) -> Method:
    """The sentence and examples for ``indicator``'s method; no sentence for a formula."""
    writer = _WRITERS.get(indicator.method)
    return writer(indicator) if writer else Method("")


def _higher(indicator: m.Indicator) -> bool:
    return indicator.direction == "越高越好"


def _start(indicator: m.Indicator) -> tuple[str, float | None]:
    # The formula starts from 下限值 when higher is better, from 上限值 otherwise (build.py).
    if _higher(indicator):
        return "下限值", indicator.floor
    return "上限值", indicator.ceiling


def _interpolated(indicator: m.Indicator, low_share: float) -> Method:
    """线性 (low_share 0) and 功效系数 (low_share 60%): a share of full marks rising
    linearly from the start value to the target."""
    full, target = indicator.full, indicator.target
    key, start = _start(indicator)
    if target is None or start is None:
        return Method("")
    t, s = shown(indicator, "目标值", target), shown(indicator, key, start)
    reach, miss = ("达到或高于", "不高于") if _higher(indicator) else ("达到或低于", "不低于")
    low = (
        "得 0 分"
        if low_share == 0
        else f"得满分的 {share(low_share)}（{points(full * low_share)}）"
    )
    between = "" if low_share == 0 else f"，得满分的 {share(low_share)} 至 100%"
    sentence = (
        f"{reach}目标值 {t} 得满分 {points(full)}；{miss}{key} {s} {low}；"
        f"介于两者之间按线性插值{between}。"
    )
    middle = (start + target) / 2
    beyond, below = target + (target - start), start - (target - start)
    examples = (
        Example((target,), (full,)),
        Example((beyond,), (full,)),
        Example((start,), (full * low_share,)),
        Example((below,), (full * low_share,)),
        Example((middle,), (full * (low_share + (1 - low_share) / 2),)),
    )
    return Method(sentence, examples)


def _linear(indicator: m.Indicator) -> Method:
    return _interpolated(indicator, 0.0)


def _efficacy(indicator: m.Indicator) -> Method:
    return _interpolated(indicator, 0.6)


def _steps(indicator: m.Indicator) -> Method:
    steps, shares, full = indicator.thresholds, indicator.shares, indicator.full
    if not steps or len(steps) != len(shares):
        return Method("")
    # steps() compares upwards when the thresholds rise, downwards when they fall, and
    # keeps the last step reached in list order: "the highest step reached" only when
    # the steps run one way. Otherwise no sentence: the formula is shown as written.
    rising = steps[0] <= steps[-1]
    if not all((a < b) if rising else (a > b) for a, b in pairwise(steps)):
        return Method("")
    reach = "达到" if rising else "不高于"
    parts = [
        f"{reach} {shown(indicator, '档位', limit)} 得满分的 {share(rate)}（{points(full * rate)}）"
        for limit, rate in zip(steps, shares, strict=True)
    ]
    first = shown(indicator, "档位", steps[0])
    short = f"{'低于' if rising else '高于'} {first} 得 0 分"
    sentence = f"分档计分，取所达到的最高一档：{'；'.join(parts)}；{short}。"
    gap = abs(steps[-1] - steps[0]) or abs(steps[0]) or 1.0
    outside = steps[0] - gap if rising else steps[0] + gap
    examples = [
        Example((limit,), (full * rate,)) for limit, rate in zip(steps, shares, strict=True)
    ]
    examples.append(Example((outside,), (0.0,)))
    return Method(sentence, tuple(examples))


def _rank(indicator: m.Indicator) -> Method:
    full, step = indicator.full, indicator.rank_step
    least = indicator.rank_minimum or 0.0
    if step is None:
        return Method("")
    # build.py writes by=1 into the formula for 排名范围: 领域 (all units of the domain).
    scope = "领域" if "by=1" in indicator.formula.text else "类别"
    order = "值高者在前" if _higher(indicator) else "值低者在前"
    sentence = (
        f"按值在{scope}内排名（{order}，并列者名次相同）：第 1 名得满分 {points(full)}，"
        f"每落后一名减 {points(step)}，最低得 {points(least)}。"
    )
    # Enough places to reach the lowest score, and one more below it.
    reach_least = math.ceil((full - least) / step) if step > 0 else 0
    size = min(max(reach_least + 2, 3), 50)
    values = tuple(float(size - i) if _higher(indicator) else float(i) for i in range(size))
    scores = tuple(max(full - i * step, least) for i in range(size))
    tie = (5.0, 5.0, 1.0) if _higher(indicator) else (1.0, 1.0, 5.0)
    tied = (full, full, max(full - 2 * step, least))
    return Method(sentence, (Example(values, scores), Example(tie, tied)))


def _benchmark(indicator: m.Indicator) -> Method:
    full = indicator.full
    own = indicator.benchmark
    if _higher(indicator):
        mark = f"标杆值（{own.text.strip()}）" if own else "标杆值（本类别内的最高值）"
        sentence = (
            f"以{mark}为满分：得分 = 满分 {points(full)} × 值 ÷ 标杆值，不超过满分、不低于 0 分；"
            f"标杆值不大于 0 时得分缺失，按缺失数据办法（{indicator.missing}）处理。"
        )
        examples = () if own else (Example((8.0, 4.0, 0.0), (full, full / 2, 0.0)),)
        return Method(sentence, examples)
    mark = f"标杆值（{own.text.strip()}）" if own else "标杆值（本类别内的最低值）"
    sentence = (
        f"以{mark}为满分：值不高于标杆值得满分 {points(full)}，否则得分 = 满分 × 标杆值 ÷ 值；"
        f"标杆值或值小于 0 时得分缺失，按缺失数据办法（{indicator.missing}）处理。"
    )
    examples = () if own else (Example((2.0, 4.0, 8.0), (full, full / 2, full / 4)),)
    return Method(sentence, examples)


_WRITERS = {
    "linear": _linear,
    "efficacy": _efficacy,
    "steps": _steps,
    "rank": _rank,
    "benchmark": _benchmark,
}
