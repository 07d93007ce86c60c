"""`kaohe test`: the rule set's own YAML test cases, run like a test runner.

A case file (``rules/<year>/tests/*.yaml``) is a list of cases. Each case gives
a few units of one domain — real roster units by 编号 (they keep their roster
attributes and 一单位一策) or invented ones — with their data, optional what-if
parameter changes (``调整``), and the expected outcome of any of: 类别,
指标得分, 考卷, 加分, 扣分, 总分, 名次, 等次, 标签. The units are evaluated as a
population of their own with the rule set's formulas.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, KaoheError
from kaohe_rules.dsl.types import NUMBER
from kaohe_rules.pipeline import score_and_rank
from kaohe_rules.read.dataset import DataSet, expected_names
from kaohe_rules.rules.assemble import folder_file_problem
from kaohe_rules.rules.build import number
from kaohe_rules.rules.loader import YList, YMap, load_file
from kaohe_rules.rules.resolve import Resolved
from kaohe_rules.score.engine import Evaluation
from kaohe_rules.source import Span, display_path

DEFAULT_TOLERANCE = 1e-6
UNIT_KEYS = ("编号", "名称")
CASE_KEYS = {"名称", "领域", "说明", "单位", "历史", "调整", "期望", "误差"}
EXPECT_KEYS = {
    "类别",
    "指标得分",
    "考卷",
    "加分",
    "扣分",
    "总分",
    "名次",
    "等次",
    "标签",
    "一票否决",
}


@dataclass
class Failure:
    """One expected value that the evaluation did not give."""

    unit: str
    what: str
    expected: object
    actual: object
    span: Span


@dataclass
class CaseResult:
    """The outcome of one case."""

    name: str
    span: Span
    failures: list[Failure] = field(default_factory=list)
    error: list[Diagnostic] = field(default_factory=list)
    evaluation: Evaluation | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and not self.error


def case_files(folder: Path) -> list[Path]:
    """The test case files of a rule set folder, sorted."""
    tests = folder / "tests"
    return sorted(tests.glob("*.yaml")) if tests.is_dir() else []


def run_file(path: Path, resolved: Resolved, branches: dict | None = None) -> list[CaseResult]:
    """Every case of one file (``<rule set>/tests/<name>.yaml``); raise KaoheError if the
    file itself is malformed, or is a pipe, a device or a link outside the rule set."""
    refused = folder_file_problem(path, path.parent.parent)
    if refused is not None:  # before any read: a pipe blocks, /dev/zero never ends
        raise KaoheError([refused])
    document = load_file(path, display_path(path))
    if not isinstance(document, YList):
        span = Span(display_path(path), 1, 1, 1, 2)
        raise KaoheError([Diagnostic("KH212", "测试文件应是用例的列表（每项以 - 开头）", span)])
    results = []
    for case, span in zip(document, document.items_at, strict=True):
        results.append(_run_case(case, span, resolved, branches))
    return results


def _run_case(case: object, span: Span, resolved: Resolved, branches) -> CaseResult:
    name = case.get("名称", "（未命名）") if isinstance(case, YMap) else "（未命名）"
    result = CaseResult(str(name), span)
    errors = Collector()
    _check_case(case, span, resolved, errors)
    if errors.has_errors:
        result.error = errors.items
        return result
    try:
        variant_resolved, data = _population(case, resolved, errors)
        errors.raise_if_errors()
        evaluation = score_and_rank(variant_resolved, data, branches=branches)
    except KaoheError as error:
        result.error = error.diagnostics
        return result
    result.evaluation = evaluation
    _compare(case, evaluation, result)
    return result


def _check_case(case: object, span: Span, resolved: Resolved, errors: Collector) -> None:
    if not isinstance(case, YMap):
        errors.error("KH212", "用例应是一个映射（名称、领域、单位、期望……）", span)
        return
    for key in case:
        if key not in CASE_KEYS:
            allowed = "、".join(sorted(CASE_KEYS))
            errors.error("KH211", f"用例中未知的键 '{key}'；可用：{allowed}", case.keys_at[key])
    for key in ("名称", "领域", "单位", "期望"):
        if key not in case:
            errors.error("KH213", f"用例缺少 '{key}'", span)
    domain = case.get("领域")
    if domain is not None and resolved.ruleset.domain(str(domain)) is None:
        names = "、".join(d.name for d in resolved.ruleset.domains)
        errors.error("KH221", f"规则集中没有领域 '{domain}'", case.values_at["领域"], names)


def _population(case: YMap, resolved: Resolved, errors: Collector) -> tuple[Resolved, DataSet]:
    """The case's units as the whole roster, their data, and what-if parameters applied."""
    ruleset = resolved.ruleset
    domain = ruleset.domain(str(case["领域"]))
    roster = {u.id: u for u in ruleset.units}
    attributes = dict(ruleset.attributes)
    names = expected_names(ruleset)
    units, values = [], []
    entries = case["单位"] if isinstance(case["单位"], YList) else YList()
    prefixes = m.family_prefixes(ruleset)
    for entry in entries:  # a family's members need no declaration (families.py)
        for key in entry if isinstance(entry, YMap) and prefixes else ():
            if key not in names and key not in attributes and str(key).startswith(prefixes):
                names[key] = NUMBER
    for entry, where in zip(entries, entries.items_at, strict=True):
        unit, data = _unit(entry, where, domain, roster, attributes, names, errors)
        if unit is not None:
            units.append(unit)
            values.append(data)
    ruleset = dataclasses.replace(ruleset, units=tuple(units))
    if "调整" in case:
        ruleset = _what_if(ruleset, domain, case["调整"], errors)
    dataset = DataSet.empty(ruleset)
    for unit, data in zip(units, values, strict=True):
        for name, value in data.items():
            dataset.set(name, names[name], unit.id, value)
    for record in case.get("历史") or []:
        key = (str(record.get("编号")), int(record.get("年度", 0)))
        dataset.history[key] = {k: record[k] for k in ("等次", "总分", "名次") if k in record}
    return Resolved(ruleset, resolved.programs), dataset


def _unit(entry, where, domain, roster, attributes, names, errors) -> tuple[m.Unit | None, dict]:
    if not isinstance(entry, YMap) or "编号" not in entry:
        errors.error("KH213", "每个单位都要有 编号", where)
        return None, {}
    unit_id = str(entry["编号"])
    known = roster.get(unit_id)
    own = dict(known.attributes) if known is not None else {}
    data = {}
    for key, value in entry.items():
        if key in UNIT_KEYS:
            continue
        if key in attributes:
            own[key] = value
        elif key in names:
            converted = _typed(names[key], value)
            if converted is None:
                message = f"'{key}' 应为{names[key].label}，这里是 {value!r}"
                errors.error("KH304", message, entry.values_at[key])
            else:
                data[key] = converted
        else:
            message = f"'{key}' 既不是名单属性，也不是指标或数据项"
            errors.error("KH302", message, entry.keys_at[key])
    name = str(entry.get("名称", known.name if known is not None else unit_id))
    unit = m.Unit(unit_id, name, domain.name, tuple(sorted(own.items())), where)
    return unit, data


def _typed(kind, value: object) -> object:
    """A case's value as its data item's type, or None if it cannot be one."""
    if kind.kind == "bool":
        return {True: True, False: False, "是": True, "否": False}.get(value)
    if kind.kind == "text":
        return None if isinstance(value, bool) else str(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return number(value)
    except ArithmeticError:
        return None


def _what_if(ruleset: m.RuleSet, domain: m.Domain, changes: YMap, errors: Collector):
    """The rule set with a domain's parameters changed, as a reviewer's "what if"."""
    papers = []
    for paper in domain.papers:
        weight = changes.get(f"{paper.id}.权重")
        indicators = tuple(_changed(i, changes) for i in paper.indicators)
        papers.append(
            dataclasses.replace(
                paper,
                indicators=indicators,
                weight=paper.weight if weight is None else number(weight),
            )
        )
    known = {f"{p.id}.权重" for p in domain.papers} | {
        f"{i.id}.{k}" for i in domain.indicators() for k in i.parameters()
    }
    for key in changes:
        if key not in known:
            errors.error("KH227", f"调整的对象 '{key}' 不存在", changes.keys_at[key])
    changed = dataclasses.replace(domain, papers=tuple(papers))
    domains = tuple(changed if d is domain else d for d in ruleset.domains)
    return dataclasses.replace(ruleset, domains=domains)


_FIELDS = {
    "满分": "full",
    "目标值": "target",
    "下限值": "floor",
    "上限值": "ceiling",
    "排名步长": "rank_step",
    "最低分": "rank_minimum",
    "半年目标值": "half_year_target",
    "半年下限值": "half_year_floor",
    "半年上限值": "half_year_ceiling",
}


def _changed(indicator: m.Indicator, changes: YMap) -> m.Indicator:
    updates = {}
    for label, attribute in _FIELDS.items():
        value = changes.get(f"{indicator.id}.{label}")
        if value is not None:
            updates[attribute] = number(value)
    return dataclasses.replace(indicator, **updates) if updates else indicator


def _compare(case: YMap, evaluation: Evaluation, result: CaseResult) -> None:
    tolerance = number(case.get("误差", DEFAULT_TOLERANCE)) or DEFAULT_TOLERANCE
    expected = case["期望"]
    if not isinstance(expected, YMap):
        return
    for unit_id, wanted in expected.items():
        found = _find(evaluation, str(unit_id))
        where = expected.keys_at[unit_id]
        if found is None:
            result.failures.append(Failure(str(unit_id), "单位", "在用例中", "没有这个单位", where))
            continue
        if isinstance(wanted, YMap):
            _compare_unit(str(unit_id), wanted, found, tolerance, result)


def _find(evaluation: Evaluation, unit_id: str):
    for d in evaluation.domains:
        for i, unit in enumerate(d.units):
            if unit.id == unit_id or unit.name == unit_id:
                return d, i
    return None


def actual_values(d, i: int) -> dict[str, object]:
    """Everything a case may expect of one unit, by the names cases use."""
    return {
        "类别": d.category[i],
        "加分": float(d.bonus[i]),
        "扣分": float(d.deduction[i]),
        "总分": float(d.total[i]),
        "名次": float(d.rank[i]),
        "等次": d.tier[i],
        "一票否决": bool(d.veto[i]),
        "指标得分": {k: _float(v[i]) for k, v in d.scores.items() if d.applicable[k][i]},
        "考卷": {k: _float(v[i]) for k, v in d.papers.items()},
        "标签": {k: _label(d, k, i) for k in d.labels},
    }


def _float(value: object) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _label(d, name: str, i: int) -> object:
    value = d.labels[name][i]
    kind = d.label_types.get(name)
    if kind == "bool":
        return None if np.isnan(value) else bool(value == 1.0)
    if isinstance(value, float):
        return _float(value)
    return value


def _compare_unit(unit: str, wanted: YMap, found, tolerance: float, result: CaseResult) -> None:
    d, i = found
    actual = actual_values(d, i)
    for key, value in wanted.items():
        where = wanted.keys_at[key]
        if key not in EXPECT_KEYS:
            allowed = "、".join(sorted(EXPECT_KEYS))
            result.failures.append(Failure(unit, key, f"可检查：{allowed}", "未知的检查项", where))
            continue
        if isinstance(value, YMap):
            for sub, expected in value.items():
                got = actual[key].get(sub, "（不适用）")
                if not _same(expected, got, tolerance):
                    span = value.keys_at[sub]
                    result.failures.append(Failure(unit, f"{key}.{sub}", expected, got, span))
        elif not _same(value, actual[key], tolerance):
            result.failures.append(Failure(unit, key, value, actual[key], where))


def _same(expected: object, actual: object, tolerance: float) -> bool:
    if isinstance(expected, str) and expected in ("是", "否") and isinstance(actual, bool):
        return actual == (expected == "是")
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, int | float) or (isinstance(expected, str) and expected.endswith("%")):
        if not isinstance(actual, int | float) or actual is None:
            return False
        target = number(expected)
        return math.isclose(actual, target, rel_tol=0, abs_tol=tolerance)
    return expected == actual
