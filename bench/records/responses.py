"""The records benchmark's workload (issue 22): a synthetic, seeded rule set of UNITS units
whose 满意度 and 好评率 are declared as 记录汇总 over RESPONSES satisfaction responses,
written once as CSV and once as Parquet (the same rows).

    python bench/records/responses.py --responses 15000000 --out /tmp/kaohe-records/r15m

The folder holds rules/ (规则集.yaml, 名单.yaml with 名单.csv, 市县.yaml), data-csv/ and
data-parquet/ (each a 数据.csv of 党建评分 and 记录/满意度评价/ with the responses in
parts of at most PART rows). Everything is synthetic; the seed fixes every byte.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PART = 1_000_000  # responses per generated batch and per Parquet row group
RULESET = """\
# 记录汇总基准的规则集（合成）：满意度和好评率由原始评价记录汇总得出。
年度: 2024
名称: 记录汇总基准
名单: 名单.yaml
数据项:
  党建评分: {类型: 数值, 最小值: 0, 最大值: 100}
记录汇总:
  满意度:
    文件: 记录/满意度评价
    单位列: 被评单位
    筛选: 有效 == "是"
    度量: 平均值
    列: 评分
    分组: 评价方向
    合成: 上评下 * 0.4 + 下评上 * 0.6
  好评率:
    文件: 记录/满意度评价
    单位列: 被评单位
    筛选: 有效 == "是"
    度量: 占比
    条件: 评分 >= 80
领域:
  市县: 市县.yaml
通用:
  缺失数据: 记零分
  排名:
    依据: 总分
    并列时:
      - {依据: unit.编号, 顺序: 升序}
  等次:
    规则:
      - {等次: 第一等次, 前列: floor(人数 * 10%)}
      - {等次: 第二等次}
"""
DOMAIN = """\
领域: 市县
类别:
  全部: true
考卷:
  党建:
    名称: 党的建设考卷
    权重: 30
    计分: 党建评分 / 100 * 权重
  评价:
    名称: 满意度评价考卷
    权重: 70
    指标:
      满意度:
        满分: 40
        计分方法: 线性
        目标值: 90
        下限值: 60
      好评率:
        单位: "%"
        满分: 30
        计分方法: 线性
        目标值: 95%
        下限值: 50%
"""


def unit_ids(units: int) -> list[str]:
    return [f"{330000 + i:06d}" for i in range(1, units + 1)]


def write_rules(folder: Path, units: int) -> None:
    folder.mkdir(parents=True)
    (folder / "规则集.yaml").write_text(RULESET, encoding="utf-8")
    (folder / "市县.yaml").write_text(DOMAIN, encoding="utf-8")
    (folder / "名单.yaml").write_text("单位: 名单.csv\n", encoding="utf-8")
    lines = ["编号,名称,领域"] + [f"{u},单位{u},市县" for u in unit_ids(units)]
    (folder / "名单.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_records(root: Path, responses: int, units: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = pa.array(unit_ids(units))
    base = rng.uniform(70, 95, units)  # each unit's own level, so units differ
    directions = pa.array(["上评下", "下评上"])
    valid = pa.array(["是", "否"])
    csv_dir = root / "data-csv" / "记录" / "满意度评价"
    parquet_dir = root / "data-parquet" / "记录" / "满意度评价"
    csv_dir.mkdir(parents=True)
    parquet_dir.mkdir(parents=True)
    options = pacsv.WriteOptions(quoting_style="needed")
    writer = None
    with pacsv.CSVWriter(csv_dir / "评价.csv", _schema(), write_options=options) as out:
        for start in range(0, responses, PART):
            size = min(PART, responses - start)
            unit = rng.integers(0, units, size)
            score = np.clip(np.rint(rng.normal(base[unit], 10)), 0, 100)
            batch = pa.record_batch(
                [
                    ids.take(pa.array(unit)),
                    directions.take(pa.array((rng.random(size) >= 0.3).astype(np.int8))),
                    pa.array(score),
                    valid.take(pa.array((rng.random(size) >= 0.95).astype(np.int8))),
                ],
                schema=_schema(),
            )
            out.write_batch(batch)
            if writer is None:
                writer = pq.ParquetWriter(parquet_dir / "评价.parquet", _schema())
            writer.write_batch(batch, row_group_size=PART)
    writer.close()


def _schema() -> pa.Schema:
    return pa.schema(
        [
            ("被评单位", pa.string()),
            ("评价方向", pa.string()),
            ("评分", pa.float64()),
            ("有效", pa.string()),
        ]
    )


def write_data(root: Path, units: int, seed: int) -> None:
    rng = np.random.default_rng(seed + 1)
    lines = ["编号,党建评分"] + [
        f"{u},{v:.1f}" for u, v in zip(unit_ids(units), rng.uniform(80, 98, units), strict=True)
    ]
    for form in ("data-csv", "data-parquet"):
        (root / form / "数据.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(out: Path, responses: int, units: int = 429, seed: int = 22) -> Path:
    """Write the workload to ``out`` (made again from nothing); COMPLETE marks it whole."""
    if out.exists():
        shutil.rmtree(out)
    write_rules(out / "rules", units)
    write_records(out, responses, units, seed)
    write_data(out, units, seed)
    (out / "COMPLETE").write_text(stamp(responses, units, seed))
    return out


def stamp(responses: int, units: int = 429, seed: int = 22) -> str:
    """What COMPLETE says: the workload's size and seed and a digest of this file, so a
    cached workload made by other code is made again."""
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"{responses} {units} {seed} {digest}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=15_000_000)
    parser.add_argument("--units", type=int, default=429)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    generate(args.out, args.responses, args.units, args.seed)


if __name__ == "__main__":
    main()
