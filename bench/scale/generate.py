"""Write the issue-20 workload for N units: a rule directory, the data in four forms, the spec.

    python bench/scale/generate.py N --out DIR [--seed 8] [--no-parquet]

DIR/rules/                 规则集.yaml, 名单.yaml (单位: 名单.csv), 名单.csv, a file a domain
DIR/名单.csv               the roster again (编号,名称,领域,类型), for the hand-written ones
DIR/data-csv/数据.csv      long form 编号,指标,值, one row a value given, shuffled
DIR/data-parquet/数据.parquet        the same rows (编号 string, 指标 string, 值 float64)
DIR/data-wide-parquet/数据.parquet   one row a unit, a column a name a rule reads (null: none)
DIR/data-wide-csv/数据.csv           the same as CSV (empty cell: no value)
DIR/spec.json              the rules as data, read by the hand-written competitors

The Parquet and wide forms need pyarrow (--no-parquet writes the long CSV only).
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
    ITEMS,
    Domain,
    Linear,
    Spec,
    domain_of_category,
    make_spec,
    make_units,
    make_values,
)

SCHEMA = "# yaml-language-server: $schema=../../../schemas/{}.schema.json\n"
FORMS = ("data-csv", "data-parquet", "data-wide-parquet", "data-wide-csv")


def _num(x: float) -> str:
    return f"{x:g}"


def ruleset_text(spec: Spec) -> str:
    items = "".join(f"  {name}: {{类型: 数值, 最小值: 0}}\n" for name in ITEMS)
    domains = "".join(f"  {d.name}: {d.name}.yaml\n" for d in spec.domains)
    return (
        "年度: 2024\n名称: 规模基准（issue 20，合成，各领域不同）\n"
        f"精度: {spec.precision}\n名单: 名单.yaml\n数据项:\n{items}领域:\n{domains}"
    )


def indicator_text(ind: Linear) -> str:
    if ind.lower_is_better:
        rest = (
            f"方向: 越低越好, 计分方法: 线性, 目标值: {_num(ind.target)}, 上限值: {_num(ind.floor)}"
        )
    else:
        rest = f"计分方法: 线性, 目标值: {_num(ind.target)}, 下限值: {_num(ind.floor)}"
    return f"{{满分: {_num(ind.marks)}, {rest}}}"


def _adjustments(domain: Domain, veto: str) -> str:
    lines = ["加减分:\n  加分:\n"]
    for i in domain.bonus:
        lines.append(f'    {i.id}加分: {{计分: "{i.id} * {_num(i.per)}", 上限: {_num(i.cap)}}}\n')
    lines.append(f"  加分上限: {_num(domain.bonus_cap)}\n  扣分:\n")
    for i in domain.deduction:
        lines.append(f'    {i.id}扣分: {{计分: "{i.id} * {_num(i.per)}", 上限: {_num(i.cap)}}}\n')
    lines.append(f"  扣分上限: {_num(domain.deduction_cap)}\n")
    lines.append(f"  一票否决: {{重大安全事故: {veto} > 0}}\n")
    return "".join(lines)


def _variants(spec: Spec, domain: Domain) -> str:
    mine = [v for v in spec.variants if v.domain == domain.name]
    if not mine:
        return ""
    lines = ["一单位一策:\n"]
    for v in mine:
        lines.append(f'  "{v.unit}":\n')
        if v.deleted:
            lines.append(f"    删除指标: [{', '.join(v.deleted)}]\n")
        if v.added:
            lines.append("    新增指标:\n")
            for paper, ind in v.added:
                lines.append(f"      {paper}:\n        {ind.id}: {indicator_text(ind)}\n")
        if v.adjust:
            lines.append("    调整:\n")
            for name, key, value in v.adjust:
                lines.append(f"      {name}.{key}: {_num(value)}\n")
    return "".join(lines)


def domain_text(spec: Spec, domain: Domain) -> str:
    categories = "".join(f'  类{k}: unit.类型 == "{k}"\n' for k in domain.categories)
    papers = []
    for paper in domain.papers:
        lines = [f"  {paper.name}:\n    权重: {_num(paper.weight)}\n    指标:\n"]
        lines += [f"      {i.id}: {indicator_text(i)}\n" for i in paper.indicators]
        papers.append("".join(lines))
    return (
        SCHEMA.format("domain")
        + f"领域: {domain.name}\n缺失数据: {domain.missing}\n类别:\n{categories}考卷:\n"
        + "".join(papers)
        + _adjustments(domain, spec.veto_item)
        + "排名: {依据: 总分, 顺序: 降序, 范围: 类别, 并列时: [{依据: unit.编号, 顺序: 升序}]}\n"
        + "等次:\n  规则:\n    - {等次: 第三等次, 条件: 否决}\n"
        + f"    - {{等次: 第三等次, 末位: round_half_up(人数 * {domain.bottom_pct}%)}}\n"
        + f"    - {{等次: 第一等次, 前列: floor(人数 * {domain.top_pct}%), 除非: 否决}}\n"
        + "    - {等次: 第二等次}\n"
        + "  否决占末位名额: true\n"
        + _variants(spec, domain)
    )


def roster_csv(ids: np.ndarray, cats: np.ndarray) -> str:
    owner = domain_of_category()
    pairs = zip(ids.tolist(), cats.tolist(), strict=True)
    body = "".join(f"{u},单位{u[1:]},{owner[k]},{k}\n" for u, k in pairs)
    return "编号,名称,领域,类型\n" + body


def long_table(spec: Spec, ids: np.ndarray, x: np.ndarray, seed: int):
    """(unit, name, value) of every value given, in a seeded random order."""
    rows, cols = np.nonzero(~np.isnan(x))
    order = np.random.default_rng(seed + 3).permutation(len(rows))
    rows, cols = rows[order], cols[order]
    names = np.array(spec.columns, dtype=object)
    return ids[rows], names[cols], x[rows, cols]


def _value_text(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of each value (what a person would type: 35.27, 2)."""
    as_int = values == np.floor(values)
    text = np.array([repr(v) for v in values.tolist()], dtype=object)
    text[as_int] = values[as_int].astype(np.int64).astype(str).astype(object)
    return text


def write_long_csv(path: Path, unit, name, value) -> None:
    text = _value_text(value)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("编号,指标,值\n")
        step = 1_000_000
        for start in range(0, len(unit), step):
            chunk = slice(start, start + step)
            rows = map(",".join, zip(unit[chunk], name[chunk], text[chunk], strict=True))
            out.write("\n".join(rows))
            out.write("\n")


def write_wide_csv(path: Path, spec: Spec, ids: np.ndarray, x: np.ndarray) -> None:
    """One line a unit; a value's text as in the long file, empty where none is given."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(",".join(["编号", *spec.wide_columns]) + "\n")
        step = 50_000
        where = [spec.columns.index(name) for name in spec.wide_columns]
        for start in range(0, len(ids), step):
            block = x[start : start + step, where]
            given = ~np.isnan(block)
            text = np.full(block.shape, "", dtype=object)
            text[given] = _value_text(block[given])
            lines = [
                u + "," + ",".join(row)
                for u, row in zip(ids[start : start + step].tolist(), text.tolist(), strict=True)
            ]
            out.write("\n".join(lines) + "\n")


def write_long_parquet(path: Path, unit, name, value) -> None:
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


def write_wide_parquet(path: Path, spec: Spec, ids: np.ndarray, x: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"编号": pa.array(ids.tolist(), pa.string())}
    for name in spec.wide_columns:
        j = spec.columns.index(name)
        columns[name] = pa.array(x[:, j], pa.float64(), mask=np.isnan(x[:, j]))
    pq.write_table(pa.table(columns), path)


def generate(n: int, out: Path, seed: int = 8, parquet: bool = True) -> Spec:
    """Write the workload for ``n`` units under ``out``; returns the spec."""
    spec = make_spec(n, seed)
    ids, cats = make_units(n, seed)
    x = make_values(spec, cats, seed)
    rules = out / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "规则集.yaml").write_text(
        SCHEMA.format("ruleset") + ruleset_text(spec), encoding="utf-8"
    )
    # The roster's units are a CSV file beside 名单.yaml (名单.yaml declares the types):
    # YAML is for what people write by hand, not for a million rows.
    (rules / "名单.yaml").write_text(
        SCHEMA.format("roster") + "属性:\n  类型: 文本\n单位: 名单.csv\n", encoding="utf-8"
    )
    roster = roster_csv(ids, cats)
    (rules / "名单.csv").write_text(roster, encoding="utf-8")
    for domain in spec.domains:
        (rules / f"{domain.name}.yaml").write_text(domain_text(spec, domain), encoding="utf-8")
    (out / "名单.csv").write_text(roster, encoding="utf-8")
    spec.to_json(out / "spec.json")
    for form in FORMS if parquet else FORMS[:1]:
        (out / form).mkdir(exist_ok=True)
    unit, name, value = long_table(spec, ids, x, seed)
    write_long_csv(out / "data-csv" / "数据.csv", unit, name, value)
    if parquet:
        write_long_parquet(out / "data-parquet" / "数据.parquet", unit, name, value)
        write_wide_parquet(out / "data-wide-parquet" / "数据.parquet", spec, ids, x)
        write_wide_csv(out / "data-wide-csv" / "数据.csv", spec, ids, x)
    # Written last: run.py regenerates a folder without it. The count of values given
    # sizes the long values table (RESULTS.md's memory target).
    # The generator's version last: a workload made by another version is made again.
    complete = f"{n} {seed} {len(value)} {generator_version()}\n"
    (out / "COMPLETE").write_text(complete, encoding="utf-8")
    return spec


def generator_version() -> str:
    """A digest of the code that makes a workload (this file and workload.py): run.py makes
    a cached workload again when it was made by other code (a changed wide file, say)."""
    import hashlib

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("generate.py", "workload.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of units")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--no-parquet", action="store_true", help="long CSV only (no pyarrow)")
    args = parser.parse_args()
    start = time.perf_counter()
    generate(args.n, args.out, args.seed, parquet=not args.no_parquet)
    seconds = time.perf_counter() - start
    print(f"{args.n:,} units -> {args.out} ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
