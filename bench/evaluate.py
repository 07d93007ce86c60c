"""Benchmark of evaluating a year.

    python bench/evaluate.py [--units 100000] [--repeat 3]

1. Scoring N synthetic units x 40 indicators with the shape of the 2024 rules
   (3 domains, 10 categories, three papers, capped bonus and deduction items, a
   veto, ranking with a tie-break chain, quota tiers, a label): the engine, from
   data in memory to results, against hand-written numpy code of the same rules
   in the same run. Both must agree; the ratio is engine / numpy (target < 2).
2. The bundled 429 units end to end, as a user runs it: `python cli.py evaluate`
   (target < 1.5 s), beside `python -c "import pandas"` for scale.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import median_seconds  # noqa: E402  (bench/ is on the path as the script's folder)

from kaohe_rules import model as m  # noqa: E402
from kaohe_rules.dsl.numeric import round_vector  # noqa: E402
from kaohe_rules.pipeline import load_rules  # noqa: E402
from kaohe_rules.read.dataset import DataSet  # noqa: E402
from kaohe_rules.rules.resolve import Resolved  # noqa: E402
from kaohe_rules.score.engine import evaluate_year  # noqa: E402

DOMAINS = {"甲": "ABCD", "乙": "EFG", "丙": "HIJ"}
INDICATORS = 40
FULL = 1.5  # 40 x 1.5 = 60, the 发展 paper's weight


def _indicator_lines() -> str:
    lines = []
    for i in range(INDICATORS):
        if i % 3 == 2:  # about a third are lower-is-better
            spec = "方向: 越低越好, 计分方法: 线性, 目标值: 20, 上限值: 80"
        else:
            spec = "计分方法: 线性, 目标值: 80, 下限值: 20"
        lines.append(f"      指标{i:02d}: {{满分: {FULL}, {spec}}}\n")
    return "".join(lines)


def write_rules(folder: Path) -> Path:
    """A rule set of the 2024 shape, with a one-unit-per-category roster."""
    rules = folder / "rules"
    rules.mkdir()
    (rules / "规则集.yaml").write_text(
        "年度: 2024\n精度: 4\n名单: 名单.yaml\n数据项:\n"
        "  党建评分: {类型: 数值}\n  上评下: {类型: 数值}\n  下评上: {类型: 数值}\n"
        "  表彰数: {类型: 数值}\n  推广数: {类型: 数值}\n  问题数: {类型: 数值}\n"
        "  未整改数: {类型: 数值}\n  事故数: {类型: 数值}\n  班子等次: {类型: 文本}\n领域:\n"
        + "".join(f"  {d}: {d}.yaml\n" for d in DOMAINS),
        encoding="utf-8",
    )
    roster = ["属性:\n  类型: 文本\n单位:\n"]
    for domain, kinds in DOMAINS.items():
        for kind in kinds:
            entry = f"编号: 'S{kind}', 名称: 样例{kind}, 领域: {domain}, 类型: {kind}"
            roster.append(f"  - {{{entry}}}\n")
    (rules / "名单.yaml").write_text("".join(roster), encoding="utf-8")
    for domain, kinds in DOMAINS.items():
        categories = "".join(f'  类{k}: unit.类型 == "{k}"\n' for k in kinds)
        (rules / f"{domain}.yaml").write_text(
            f"领域: {domain}\n类别:\n{categories}考卷:\n"
            "  党建: {权重: 25, 计分: 党建评分 / 100 * 权重}\n"
            "  发展:\n    权重: 60\n    指标:\n" + _indicator_lines() + "  满意度: {权重: 15, "
            "计分: (0.4 * 上评下 + 0.6 * 下评上) / 100 * 权重}\n"
            "加减分:\n  加分:\n    表彰: {计分: 表彰数 * 1, 上限: 2}\n"
            "    推广: {计分: 推广数 * 0.5, 上限: 1}\n"
            "  加分上限: 3\n  扣分:\n    问题: {计分: 问题数 * 0.5, 上限: 3}\n"
            "    整改: {计分: 未整改数 * 1, 上限: 3}\n  扣分上限: 5\n"
            "  一票否决: {事故: 事故数 > 0}\n"
            "排名: {依据: 总分, 并列时: [{依据: 发展}, {依据: unit.编号, 顺序: 升序}]}\n"
            "等次:\n  规则:\n    - {等次: 第三等次, 条件: 否决}\n"
            "    - {等次: 第三等次, 末位: round_half_up(人数 * 10%)}\n"
            "    - {等次: 第一等次, 前列: floor(人数 * 30%), 除非: 否决}\n    - {等次: 第二等次}\n"
            '标签:\n  先进单位: 等次 == "第一等次" and 班子等次 == "优秀"\n',
            encoding="utf-8",
        )
    return rules


def synthetic(resolved: Resolved, units: int, seed: int = 7) -> tuple[Resolved, DataSet]:
    """``units`` units spread over the categories, and their data in memory."""
    rng = np.random.default_rng(seed)
    kinds = [(d, k) for d, ks in DOMAINS.items() for k in ks]
    roster = []
    for n in range(units):
        domain, kind = kinds[n % len(kinds)]
        roster.append(m.Unit(f"U{n:07d}", f"单位{n}", domain, (("类型", kind),), None))
    # Listed domain by domain, as rosters are: the data set's columns are then in roster
    # order, which numpy_year reads them in (interleaved, the columns are laid out by
    # domain and the reference read other units' values: its totals differed by 36).
    roster.sort(key=lambda unit: list(DOMAINS).index(unit.domain))
    ruleset = dataclasses.replace(resolved.ruleset, units=tuple(roster))
    data = DataSet.empty(ruleset)
    for i in range(INDICATORS):
        data.columns[f"指标{i:02d}"] = rng.uniform(0, 100, units).round(2)
    for name, draw in {
        "党建评分": lambda: rng.uniform(60, 100, units).round(1),
        "上评下": lambda: rng.uniform(60, 100, units).round(1),
        "下评上": lambda: rng.uniform(60, 100, units).round(1),
        "表彰数": lambda: rng.poisson(1, units).astype(float),
        "推广数": lambda: rng.poisson(1, units).astype(float),
        "问题数": lambda: rng.poisson(2, units).astype(float),
        "未整改数": lambda: rng.poisson(0.5, units).astype(float),
        "事故数": lambda: (rng.random(units) < 0.03).astype(float),
    }.items():
        data.columns[name] = draw()
    grades = np.array(["优秀", "良好", "一般"], dtype=object)
    data.columns["班子等次"] = grades[rng.integers(0, 3, units)]
    data.present[:] = True
    return Resolved(ruleset, resolved.programs), data


def numpy_year(ruleset: m.RuleSet, data: DataSet) -> dict[str, np.ndarray]:
    """The same rules written by hand with numpy, all domains in one pass."""
    c = data.columns
    units = ruleset.units
    kinds = np.array([u.attribute("类型") for u in units], dtype=object)
    develop = np.zeros(len(units))
    for i in range(INDICATORS):
        value = c[f"指标{i:02d}"]
        floor, target = (80.0, 20.0) if i % 3 == 2 else (20.0, 80.0)
        develop += FULL * np.clip((value - floor) / (target - floor), 0, 1)
    party = c["党建评分"] / 100 * 25
    satisfaction = (0.4 * c["上评下"] + 0.6 * c["下评上"]) / 100 * 15
    bonus = np.minimum(np.minimum(c["表彰数"], 2) + np.minimum(c["推广数"] * 0.5, 1), 3)
    deduction = np.minimum(np.minimum(c["问题数"] * 0.5, 3) + np.minimum(c["未整改数"], 3), 5)
    veto = c["事故数"] > 0
    total = round_vector(party + develop + satisfaction + bonus - deduction, 4)
    codes = np.unique(kinds, return_inverse=True)[1]
    order = np.lexsort((np.arange(len(units)), -round_vector(develop, 4), -total, codes))
    rank = np.empty(len(units))
    counts = np.bincount(codes)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rank[order] = np.arange(len(units)) - np.repeat(starts, counts) + 1
    tier = np.full(len(units), "第二等次", dtype=object)
    tier[veto] = "第三等次"
    for group, size in enumerate(counts):
        members = order[starts[group] : starts[group] + size]
        bottom = max(int(round_vector(np.array([size * 0.1]), 0)[0]) - int(veto[members].sum()), 0)
        free = members[~veto[members]]
        tier[free[len(free) - bottom :] if bottom else []] = "第三等次"
        top = int(np.floor(size * 0.3 + 1e-9))
        tier[[u for u in members[~veto[members]] if tier[u] != "第三等次"][:top]] = "第一等次"
    advanced = (tier == "第一等次") & (c["班子等次"] == "优秀")
    return {"total": total, "rank": rank, "tier": tier, "advanced": advanced}


def _engine_columns(evaluation) -> dict[str, np.ndarray]:
    order = {u.id: i for i, u in enumerate(evaluation.resolved.ruleset.units)}
    size = len(order)
    out = {"total": np.zeros(size), "rank": np.zeros(size), "tier": np.empty(size, dtype=object)}
    out["advanced"] = np.zeros(size, dtype=bool)
    for d in evaluation.domains:
        rows = np.array([order[u.id] for u in d.units])
        out["total"][rows], out["rank"][rows], out["tier"][rows] = d.total, d.rank, d.tier
        out["advanced"][rows] = d.labels["先进单位"] == 1.0
    return out


def bench_scoring(units: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_rules(write_rules(Path(tmp)))
        _measure(*synthetic(loaded.resolved, units), units, repeat)


def _measure(resolved: Resolved, data: DataSet, units: int, repeat: int) -> None:
    first = evaluate_year(resolved, data)
    engine = _engine_columns(first)
    hand = numpy_year(resolved.ruleset, data)
    assert np.allclose(engine["total"], hand["total"], rtol=0, atol=1e-9)
    assert (engine["rank"] == hand["rank"]).all()
    assert (engine["tier"] == hand["tier"]).all() and (engine["advanced"] == hand["advanced"]).all()
    t_engine = median_seconds(lambda: evaluate_year(resolved, data, plan=first.plan), repeat)
    t_numpy = median_seconds(lambda: numpy_year(resolved.ruleset, data), repeat)
    print(
        f"{units:,} units x {INDICATORS} indicators: engine {t_engine:.2f} s, "
        f"hand-written numpy {t_numpy:.2f} s, ratio {t_engine / t_numpy:.2f}x "
        f"(median of {repeat}; results identical)"
    )


def bench_command(repeat: int) -> None:
    def run(*args: str) -> float:
        return median_seconds(lambda: subprocess.run(args, check=True, capture_output=True), repeat)

    t_cli = run(sys.executable, str(ROOT / "cli.py"), "evaluate")
    t_pandas = run(sys.executable, "-c", "import pandas")
    print(
        f"429 bundled units, whole command: {t_cli:.2f} s (target < 1.5 s); "
        f"python -c 'import pandas': {t_pandas:.2f} s; ratio {t_cli / t_pandas:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_scoring(args.units, args.repeat)
    bench_command(args.repeat)


if __name__ == "__main__":
    main()
