"""Benchmark of rule loading: read, validate and compile a rule set.

    python bench/rules.py [--repeat 5]

Reports the median milliseconds, in one process, for rules/2024 (target: under
300 ms) and for synthetic rule sets of 1x and 10x the size of a typical year
(domains, indicators and units all scaled), whose ratio shows whether the cost
grows linearly.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import median_seconds  # noqa: E402  (bench/ is the script's folder)

from kaohe_rules.pipeline import load_rules  # noqa: E402


def _write_synthetic(folder: Path, scale: int) -> Path:
    """A valid rule set with 5 * scale domains of 12 indicators and 90 units each."""
    rules = folder / f"x{scale}"
    rules.mkdir(parents=True)
    domains = [f"领域{d}" for d in range(5 * scale)]
    (rules / "规则集.yaml").write_text(
        "年度: 2024\n名单: 名单.yaml\n数据项:\n  党建评分: {类型: 数值}\n  问题数: {类型: 数值}\n"
        "  班子等次: {类型: 文本}\n领域:\n" + "".join(f"  {d}: {d}.yaml\n" for d in domains),
        encoding="utf-8",
    )
    units = ["属性:\n  类型: 文本\n单位:\n"]
    for d, domain in enumerate(domains):
        for u in range(90):
            kind = "甲" if u % 2 else "乙"
            unit_id = f"U{d:03d}{u:03d}"
            units.append(
                f"  - {{编号: '{unit_id}', 名称: 单位{d}_{u}, 领域: {domain}, 类型: {kind}}}\n"
            )
    (rules / "名单.yaml").write_text("".join(units), encoding="utf-8")
    for domain in domains:
        (rules / f"{domain}.yaml").write_text(_domain_text(domain), encoding="utf-8")
    return rules


def _domain_text(domain: str) -> str:
    indicators = []
    methods = [
        "计分方法: 线性, 目标值: 10, 下限值: 2",
        "计分方法: 分档, 档位: [2, 5, 8], 得分率: [60%, 80%, 100%]",
        "计分方法: 排名赋分, 排名步长: 0.5, 最低分: 1",
        "计分方法: 标杆值",
        "计分方法: 功效系数, 目标值: 10, 下限值: 2",
        "计分: 如果 值 >= 目标值 则 满分 否则 满分 * 值 / 目标值, 目标值: 9",
    ]
    for i in range(12):
        indicators.append(f"      指标{i}: {{满分: 5, {methods[i % len(methods)]}}}\n")
    return (
        f'领域: {domain}\n类别:\n  甲类: unit.类型 == "甲"\n  乙类: unit.类型 == "乙"\n'
        "考卷:\n  党建: {权重: 20, 计分: 党建评分 / 100 * 权重}\n  发展:\n    权重: 60\n    指标:\n"
        + "".join(indicators)
        + "  满意度: {权重: 20, 计分: 权重 * 0.9}\n"
        "加减分:\n  扣分: {问题扣分: {计分: 问题数 * 0.5, 上限: 5}}\n"
        "排名: {依据: 总分, 并列时: [{依据: 发展}, {依据: unit.编号, 顺序: 升序}]}\n"
        "等次:\n  规则:\n    - {等次: 第三等次, 末位: round_half_up(人数 * 10%)}\n"
        "    - {等次: 第一等次, 前列: floor(人数 * 30%)}\n    - {等次: 第二等次}\n"
        '标签:\n  先进单位: 等次 == "第一等次" and 班子等次 == "优秀"\n'
    )


def _median_ms(folder: Path, repeat: int) -> tuple[float, int]:
    seconds = median_seconds(lambda: load_rules(folder), repeat)
    return seconds * 1000, len(load_rules(folder).resolved.programs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    official = ROOT / "rules" / "2024"
    if official.is_dir():
        ms, formulas = _median_ms(official, args.repeat)
        print(f"rules/2024: {ms:.0f} ms ({formulas} formulas; target < 300 ms)")
    with tempfile.TemporaryDirectory() as tmp:
        small = _median_ms(_write_synthetic(Path(tmp), 1), args.repeat)
        large = _median_ms(_write_synthetic(Path(tmp), 10), args.repeat)
    print(f"synthetic 1x: {small[0]:.0f} ms ({small[1]} formulas)")
    print(f"synthetic 10x: {large[0]:.0f} ms ({large[1]} formulas)")
    print(f"10x / 1x: {large[0] / small[0]:.1f} (linear growth is 10)")


if __name__ == "__main__":
    main()
