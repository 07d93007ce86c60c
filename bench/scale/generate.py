"""Write the issue-8 workload for N units: a rule directory, long-format data, the spec.

    python bench/scale/generate.py N --out DIR [--seed 8] [--no-parquet]

DIR/rules/       规则集.yaml, 名单.yaml (types; 单位: 名单.csv), 名单.csv (N units), 甲/乙/丙.yaml
DIR/名单.csv     the same roster (编号,名称,领域,类型), read by the hand-written competitors
DIR/data/数据.csv long format 编号,指标,值: N x 40 rows, shuffled (what `kaohe evaluate` reads)
DIR/数据.parquet  the same rows as Parquet (编号 string, 指标 string, 值 float64)
DIR/spec.json    the rules as data, read by the hand-written competitors

Seeded: the same N and seed give byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import (
    DOMAINS,
    PAPERS,
    Spec,
    domain_of,
    make_spec,
    make_units,
    make_values,
)

SCHEMA = "# yaml-language-server: $schema=../../../schemas/{}.schema.json\n"


def _num(x: float) -> str:
    return f"{x:g}"


def ruleset_text(spec: Spec) -> str:
    items = "".join(f"  {i.id}: {{类型: 数值, 最小值: 0}}\n" for i in spec.bonus + spec.deduction)
    domains = "".join(f"  {d}: {d}.yaml\n" for d in DOMAINS)
    return (
        "年度: 2024\n名称: 规模基准（issue 8，合成）\n"
        f"精度: {spec.precision}\n名单: 名单.yaml\n数据项:\n{items}领域:\n{domains}"
    )


def _adjustment_lines(items, paper_caps: dict[str, float], suffix: str) -> str:
    """One 加减分 entry per paper: the paper's items, each capped, summed, capped by the
    paper cap (the entry's 上限)."""
    lines = []
    for paper, cap in paper_caps.items():
        terms = [f"min({i.id} * {_num(i.per)}, {_num(i.cap)})" for i in items if i.paper == paper]
        if terms:
            formula = " + ".join(terms)
            lines.append(f'    {paper}{suffix}: {{计分: "{formula}", 上限: {_num(cap)}}}\n')
    return "".join(lines)


def domain_text(spec: Spec, domain: str) -> str:
    categories = "".join(f'  类{k}: unit.类型 == "{k}"\n' for k in DOMAINS[domain])
    papers = []
    for paper, weight, _count in PAPERS:
        lines = [f"  {paper}:\n    权重: {_num(weight)}\n    指标:\n"]
        for ind in (i for i in spec.linear if i.paper == paper):
            if ind.lower_is_better:
                spec_text = (
                    f"方向: 越低越好, 计分方法: 线性, 目标值: {_num(ind.target)}, "
                    f"上限值: {_num(ind.floor)}"
                )
            else:
                spec_text = f"计分方法: 线性, 目标值: {_num(ind.target)}, 下限值: {_num(ind.floor)}"
            lines.append(f"      {ind.id}: {{满分: {_num(ind.marks)}, {spec_text}}}\n")
        papers.append("".join(lines))
    return (
        SCHEMA.format("domain")
        + f"领域: {domain}\n缺失数据: 记零分\n类别:\n{categories}考卷:\n"
        + "".join(papers)
        + "加减分:\n  加分:\n"
        + _adjustment_lines(spec.bonus, spec.bonus_paper_caps, "加分")
        + f"  加分上限: {_num(spec.bonus_cap)}\n  扣分:\n"
        + _adjustment_lines(spec.deduction, spec.deduction_paper_caps, "扣分")
        + f"  扣分上限: {_num(spec.deduction_cap)}\n"
        + f"  一票否决: {{重大安全事故: {spec.veto_item} > 0}}\n"
        + "排名: {依据: 总分, 顺序: 降序, 范围: 类别, 并列时: [{依据: unit.编号, 顺序: 升序}]}\n"
        + "等次:\n  规则:\n    - {等次: 第三等次, 条件: 否决}\n"
        + "    - {等次: 第三等次, 末位: round_half_up(人数 * 10%)}\n"
        + "    - {等次: 第一等次, 前列: floor(人数 * 30%), 除非: 否决}\n"
        + "    - {等次: 第二等次}\n"
        + "  否决占末位名额: true\n"
    )


def roster_csv(ids: np.ndarray, cats: np.ndarray) -> str:
    domain = {k: domain_of(k) for k in set(cats.tolist())}
    pairs = zip(ids.tolist(), cats.tolist(), strict=True)
    body = "".join(f"{u},单位{u[1:]},{domain[k]},{k}\n" for u, k in pairs)
    return "编号,名称,领域,类型\n" + body


def long_table(spec: Spec, ids: np.ndarray, values: np.ndarray, seed: int):
    """(unit, indicator, value) columns, N x 40 rows in a seeded random order."""
    n, k = values.shape
    order = np.random.default_rng(seed + 3).permutation(n * k)
    unit_index, ind_index = np.divmod(order, k)
    names = np.array(spec.indicator_ids, dtype=object)
    return ids[unit_index], names[ind_index], values.reshape(-1)[order]


def _value_text(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of each value (what a person would type: 35.27, 2)."""
    as_int = values == np.floor(values)
    text = np.array([repr(v) for v in values.tolist()], dtype=object)
    text[as_int] = values[as_int].astype(np.int64).astype(str).astype(object)
    return text


def write_data_csv(path: Path, unit, name, value) -> None:
    text = _value_text(value)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("编号,指标,值\n")
        step = 1_000_000
        for start in range(0, len(unit), step):
            chunk = slice(start, start + step)
            rows = map(",".join, zip(unit[chunk], name[chunk], text[chunk], strict=True))
            out.write("\n".join(rows))
            out.write("\n")


def write_parquet(path: Path, unit, name, value) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "编号": pa.array(unit.tolist(), pa.string()),
            "指标": pa.array(name.tolist(), pa.string()),
            "值": pa.array(value, pa.float64()),
        }
    )
    pq.write_table(table, path)


def generate(n: int, out: Path, seed: int = 8, parquet: bool = True) -> Spec:
    """Write the workload for ``n`` units under ``out``; returns the spec."""
    spec = make_spec(seed)
    ids, cats = make_units(n, seed)
    values = make_values(spec, n, seed)
    rules = out / "rules"
    data = out / "data"
    rules.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    (rules / "规则集.yaml").write_text(
        SCHEMA.format("ruleset") + ruleset_text(spec), encoding="utf-8"
    )
    # The roster's units are a CSV file beside 名单.yaml (名单.yaml declares the types):
    # YAML is for what people write by hand, not for a million rows.
    (rules / "名单.yaml").write_text(
        SCHEMA.format("roster") + "属性:\n  类型: 文本\n单位: 名单.csv\n", encoding="utf-8"
    )
    (rules / "名单.csv").write_text(roster_csv(ids, cats), encoding="utf-8")
    for domain in DOMAINS:
        (rules / f"{domain}.yaml").write_text(domain_text(spec, domain), encoding="utf-8")
    (out / "名单.csv").write_text(roster_csv(ids, cats), encoding="utf-8")
    spec.to_json(out / "spec.json")
    unit, name, value = long_table(spec, ids, values, seed)
    write_data_csv(data / "数据.csv", unit, name, value)
    if parquet:
        write_parquet(out / "数据.parquet", unit, name, value)
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of units")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--no-parquet", action="store_true", help="skip Parquet (no pyarrow)")
    args = parser.parse_args()
    start = time.perf_counter()
    generate(args.n, args.out, args.seed, parquet=not args.no_parquet)
    seconds = time.perf_counter() - start
    print(f"{args.n:,} units x 40 indicators -> {args.out} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
