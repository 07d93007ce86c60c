"""Generates the bundled SYNTHETIC sample data for rules/2023 and rules/2024.

    python scripts/make_sample_data.py

Writes samples/<year>/指标值.csv (long form), 年度数据.csv (wide form) and
历史.csv (earlier years' tiers). Values are drawn around each indicator's
target with a fixed seed, so the files are reproducible; a few public figures
from ../shared/DOMAIN.md anchor the picture (嘉兴市 R&D intensity 3.5%, 莲都区
urban-rural income ratio 1.58). Every file says in its first line that it is
synthetic. The 2023 results of the engine become 2024's history, so the
three-year label (重点关注) has something real to look at.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import make_sample_records  # noqa: E402

from kaohe_rules import model as m  # noqa: E402
from kaohe_rules.diagnostics import KaoheError  # noqa: E402
from kaohe_rules.pipeline import load_rules, run_year  # noqa: E402
from kaohe_rules.rules.half_year import half_year  # noqa: E402
from kaohe_rules.score import plausibility  # noqa: E402

SEED = 20240425  # the day the 2023 indicators were published, as a fixed seed
NOTE = (
    "# 合成数据（示意），并非任何单位的真实考核数据；"
    "由 scripts/make_sample_data.py 以固定随机种子生成"
)
ANCHORS = {("嘉兴市", "研发投入强度"): 0.035, ("莲都区", "城乡居民收入倍差"): 1.58}
TIERS = ("第一等次", "第二等次", "第三等次")
SAMPLES = ROOT / "samples"
# What was published about a year (DOMAIN.md): its sample data must give the same counts.
PUBLISHED = {2023: {"考核对象": 429, "先进单位": 104, "第三等次": 20}}
# Warnings that say a value or a result is implausible: none may fire on the samples.
IMPLAUSIBLE = {"KH305", "KH315", "KH316", "KH317", "KH318", "KH319", "KH320", "KH321"}


def _indicators(domain: m.Domain) -> dict[str, m.Indicator]:
    found = {i.id: i for i in domain.indicators()}
    for variant in domain.variants:
        for added in variant.add:
            found.setdefault(added.id, added)
    return found


def _applies(domain: m.Domain, unit: m.Unit) -> set[str]:
    """The indicator ids that score this unit: its domain's, less what its 一单位一策 drops,
    plus what it adds."""
    ids = {i.id for i in domain.indicators()}
    for variant in domain.variants:
        if variant.unit in (unit.id, unit.name):
            ids = (ids - set(variant.drop)) | {a.id for a in variant.add}
    return ids


# Indicators whose rules fix no target (排名赋分, 标杆值, a formula of its own) have no
# centre to draw around: a plausible centre and spread of their own, in their 单位.
TYPICAL = {
    "规上工业增加值增速": (0.065, 0.025),
    "数字经济核心产业增加值占比": (0.12, 0.035),
    "居民人均可支配收入增速": (0.055, 0.008),
    "数字化应用贯通率": (0.9, 0.05),
    "服务市县发展评价": (85.0, 6.0),
    "净资产收益率": (0.06, 0.02),
    "全员劳动生产率": (70.0, 18.0),
    "科研经费到款额": (5000.0, 1500.0),
    "高层次人才引育数": (15.0, 5.0),
    "亩均税收": (40.0, 10.0),
    "新增高新技术企业数": (25.0, 8.0),
}


def _typical(indicator: m.Indicator) -> tuple[float, float]:
    """A centre and a spread for an indicator's values."""
    start = indicator.floor if indicator.floor is not None else indicator.ceiling
    if indicator.target is not None and start is not None:
        return start + (indicator.target - start) * 0.8, abs(indicator.target - start) * 0.4
    if indicator.thresholds:
        low, high = indicator.thresholds[0], indicator.thresholds[-1]
        return (low + high) / 2, abs(high - low) * 0.45 + abs(high) * 0.02
    if indicator.target is not None:
        return indicator.target * 0.95, abs(indicator.target) * 0.15
    if indicator.id in TYPICAL:
        return TYPICAL[indicator.id]
    raise SystemExit(f"指标 {indicator.id} 没有目标值：在 TYPICAL 中给它一个典型值")


def bounds(indicator: m.Indicator) -> tuple[float, float]:
    """The range an indicator's values may take: declared in the rules, else by 单位, as
    the engine's own check (KH316) reads it."""
    low, high, _declared = plausibility.bounds(indicator)
    return (-math.inf if low is None else low, math.inf if high is None else high)


def _value(rng: np.random.Generator, indicator: m.Indicator) -> float:
    centre, spread = _typical(indicator)
    low, high = bounds(indicator)
    value = float(np.clip(rng.normal(centre, spread), low, high))
    if indicator.unit_of_measure in plausibility.COUNTS:
        return float(max(round(value), math.ceil(low)))
    if indicator.unit_of_measure == "%" or abs(centre) < 1:
        return round(value, 4)
    return round(value, 2)


def _item_value(rng: np.random.Generator, item: m.DataItem, vetoes: bool) -> object:
    if item.choices:
        weights = np.array([0.45, 0.45, 0.08, 0.02][: len(item.choices)])
        return str(rng.choice(item.choices, p=weights / weights.sum()))
    if item.type.kind == "bool":
        return "是" if rng.random() < 0.01 and vetoes else "否"
    if item.maximum is not None and item.maximum >= 100:
        return round(float(np.clip(rng.normal(88, 4.5), item.minimum or 0, item.maximum)), 1)
    if item.name.endswith("率"):  # a ratio such as 资产负债率: a fraction, as every % is
        return round(float(np.clip(rng.normal(0.6, 0.1), item.minimum or 0, 1)), 4)
    if "事故" in item.name:
        return int(rng.random() < 0.01 and vetoes)
    return int(rng.poisson(1.2))


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write(NOTE + "\n")
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _history(rng: np.random.Generator, ruleset: m.RuleSet, years: list[int]) -> list[list]:
    rows = []
    for year in years:
        for unit in ruleset.units:
            draw = rng.random()
            tier = TIERS[0] if draw < 0.3 else TIERS[2] if draw > 0.9 else TIERS[1]
            total = round(float(rng.normal(88 if tier == TIERS[0] else 80, 3)), 2)
            rows.append([unit.id, unit.name, year, tier, total, ""])
    return rows


def generate(
    year: int, earlier: list[list] | None = None, half: bool = False, out: Path = SAMPLES
) -> list[list]:
    """Write <out>/<year> (or <out>/<year>半年, the half-year data, drawn around the
    half-year targets); return the history rows (with this year's results) for the next."""
    folder = out / (f"{year}半年" if half else str(year))
    folder.mkdir(parents=True, exist_ok=True)
    resolved = load_rules(ROOT / "rules" / str(year)).resolved
    ruleset = (half_year(resolved) if half else resolved).ruleset
    rng = np.random.default_rng(SEED + year + (7 if half else 0))
    values, facts = [], []
    shared = list(ruleset.data_items)
    # Domain files may declare their own data items (省属企业's debt risk, …).
    own = {d.name: list(d.data_items) for d in ruleset.domains}
    items = shared + [i for d in ruleset.domains for i in own[d.name]]
    # The published 20 第三等次 units of 2023 are the bottom 10% alone: no veto that year.
    vetoes = year not in PUBLISHED
    for domain in ruleset.domains:
        indicators = _indicators(domain)
        units = ruleset.units_of(domain.name)
        for position, unit in enumerate(units):
            applies = _applies(domain, unit)
            for key, indicator in indicators.items():
                value = ANCHORS.get((unit.name, key), _value(rng, indicator))
                if rng.random() < 0.004:
                    value = ""  # a few cells left empty on purpose: the missing-data policy
                # Drawn for every unit so the seeded stream (and every other value) stays put,
                # written only where the indicator applies: anything else is KH314.
                values.append([unit.id, unit.name, key, value, key in applies])
            mine = set(map(id, shared + own[domain.name]))
            facts.append(
                [
                    unit.id,
                    unit.name,
                    *(_item_value(rng, i, vetoes) if id(i) in mine else "" for i in items),
                ]
            )
            if position == 3:  # a tie: the fourth unit reports exactly what the third did
                values[-len(indicators) :] = [
                    [unit.id, unit.name, row[2], row[3], row[2] in applies]
                    for row in values[-2 * len(indicators) : -len(indicators)]
                ]
                facts[-1][2:] = facts[-2][2:]
    values = [row[:4] for row in values if row[4]]
    values += _special_values(ruleset, resolved, year)
    header = ["编号", "名称", *(i.name for i in items)]
    header, facts = _records(ruleset, folder, header, facts, SEED + year + (207 if half else 200))
    _write(folder / "指标值.csv", ["编号", "名称", "指标", "值"], values)
    _write(folder / "年度数据.csv", header, facts)
    if half:
        return []
    history = earlier if earlier is not None else _history(rng, ruleset, [year - 2, year - 1])
    _write(folder / "历史.csv", ["编号", "名称", "年度", "等次", "总分", "名次"], history)
    if year in PUBLISHED:
        _advanced_as_published(rng, folder, header, facts, PUBLISHED[year]["先进单位"])
    return history + _results(ruleset, folder)


def _records(
    ruleset: m.RuleSet, folder: Path, header: list[str], facts: list[list], seed: int
) -> tuple[list[str], list[list]]:
    """Where the rules aggregate 上评下 and 下评上 from records (2024 on), the values drawn
    for them become a file of responses whose aggregates they are, and leave the data file
    (a value given both ways is KH568). A generator of its own keeps every other value put."""
    declared = {a.name: a for a in ruleset.aggregations}
    if not declared:
        return header, facts
    if (
        set(declared) != set(make_sample_records.DIRECTIONS)
        or len({a.file for a in declared.values()}) != 1
    ):
        raise SystemExit(
            f"示例数据只能为 上评下、下评上 生成评价记录，规则汇总的是 {sorted(declared)}"
        )
    columns = {d: header.index(d) for d in make_sample_records.DIRECTIONS}
    values = [(row[0], {d: float(row[c]) for d, c in columns.items()}) for row in facts]
    table = make_sample_records.responses(
        np.random.default_rng(seed), values, scale=0.25 if folder.name.endswith("半年") else 1.0
    )
    make_sample_records.write(table, folder / declared["上评下"].file)
    keep = [i for i in range(len(header)) if i not in columns.values()]
    return [header[i] for i in keep], [[row[i] for i in keep] for row in facts]


def _advanced_as_published(
    rng: np.random.Generator, folder: Path, header: list[str], facts: list[list], count: int
) -> None:
    """先进单位 is 第一等次 and 班子等次 优秀: the leadership ratings of the first tier are
    drawn again so that exactly ``count`` of them are 优秀, as the year's published figure.
    Tiers do not read 班子等次, so this moves no tier."""
    evaluation = _evaluate(int(folder.name), folder)
    first = [
        u.id for d in evaluation.domains for i, u in enumerate(d.units) if d.tier[i] == TIERS[0]
    ]
    if len(first) < count:
        raise SystemExit(f"第一等次只有 {len(first)} 个单位，少于 {count} 个先进单位")
    chosen = set(rng.choice(sorted(first), size=count, replace=False).tolist())
    column = header.index("班子等次")
    for row in facts:
        if row[0] in first:
            row[column] = "优秀" if row[0] in chosen else "良好"
    _write(folder / "年度数据.csv", header, facts)


def _evaluate(year: int, folder: Path, period: str = "全年"):
    """The engine's evaluation of a sample folder: every year stage, 记录汇总 included."""
    return run_year(ROOT / "rules" / str(year), folder, period=period)


def _special_values(ruleset: m.RuleSet, resolved, year: int) -> list[list]:
    """Values for the special assessments' indicators, from a generator of their own so
    that adding a special assessment leaves every other sample value as it was."""
    rng = np.random.default_rng(SEED + year + 100)
    rows = []
    for special in ruleset.specials:
        for unit in resolved.rosters.of(special.domain).units:
            for key, indicator in _indicators(special.domain).items():
                rows.append([unit.id, unit.name, key, _value(rng, indicator)])
    return rows


def _results(ruleset: m.RuleSet, folder: Path) -> list[list]:
    """This year's results by the engine itself, as next year's history."""
    evaluation = _evaluate(ruleset.year, folder)
    rows = []
    for d in evaluation.domains:
        for i, unit in enumerate(d.units):
            total = round(float(d.total[i]), 4)
            rows.append([unit.id, unit.name, ruleset.year, d.tier[i], total, int(d.rank[i])])
    return rows


def check(year: int, out: Path = SAMPLES, half: bool = False) -> list[str]:
    """What is implausible in the sample data of ``year``: values outside their indicator's
    range, plausibility or result warnings the engine gives, and (for a year with published
    figures) counts that differ from them. Empty when the samples are fit to ship."""
    folder = out / (f"{year}半年" if half else str(year))
    try:
        evaluation = _evaluate(year, folder, "H1" if half else "全年")
    except KaoheError as error:  # a value outside a declared range (KH316) is an error
        return [f"{folder.name}: {d.code} {d.message}" for d in error.diagnostics]
    data = evaluation.data
    problems = []
    for scored in evaluation.resolved.ruleset.scored():
        for indicator in scored.all_indicators():
            column = data.columns.get(indicator.id)
            if column is None or column.dtype != np.float64:
                continue
            low, high = bounds(indicator)
            outside = np.count_nonzero((column < low) | (column > high))
            if outside:
                problems.append(
                    f"{folder.name}: {indicator.id} 有 {outside} 个值超出 {low}..{high}"
                )
    for warning in evaluation.warnings:
        if warning.code in IMPLAUSIBLE:
            problems.append(f"{folder.name}: {warning.code} {warning.message}")
    if not half and year in PUBLISHED:
        found = _counts(evaluation)
        if found != PUBLISHED[year]:
            problems.append(f"{year}: 数量 {found}，与公开数字 {PUBLISHED[year]} 不符")
    return problems


def _counts(evaluation) -> dict[str, int]:
    units = sum(len(d.units) for d in evaluation.domains)
    advanced = sum(int(np.count_nonzero(d.labels["先进单位"] == 1.0)) for d in evaluation.domains)
    third = sum(int(np.count_nonzero(d.tier == TIERS[2])) for d in evaluation.domains)
    return {"考核对象": units, "先进单位": advanced, "第三等次": third}


def main() -> None:
    history = generate(2023)
    generate(2024, history)
    generate(2024, half=True)
    problems = check(2023) + check(2024) + check(2024, half=True)
    if problems:
        raise SystemExit("示例数据不合理：\n" + "\n".join(problems))
    print("已写出 samples/2023、samples/2024 与 samples/2024半年（合成数据），检查通过")


if __name__ == "__main__":
    main()
