"""Writes data/记录/ for the records fixture (synthetic, seeded): satisfaction ratings and
monitoring records of the four units of rules/名单.yaml. Run from this folder:
python make_records.py. The files are committed; this script says how they were made."""

import csv
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
UNITS = ["330100", "330127", "330328", "330122"]
NAMES = ["杭州市", "淳安县", "文成县", "桐庐县"]


def ratings(rng: random.Random) -> list[list[str]]:
    rows = []
    for unit, base in zip(UNITS, (88, 84, 80, 86), strict=True):
        for direction, count in (("上评下", 4), ("下评上", 6)):
            for _ in range(count):
                score = min(100, max(40, round(rng.gauss(base, 8))))
                valid = "是" if rng.random() > 0.1 else "否"
                rows.append([unit, direction, str(score), valid])
    return rows


def monitoring(rng: random.Random) -> dict[str, list]:
    units, levels, months = [], [], []
    for name, problems in zip(NAMES, (1, 3, 0, 2), strict=True):
        for _ in range(problems):
            units.append(name)
            levels.append("重大")
            months.append(rng.randint(1, 12))
        for _ in range(3):
            units.append(name)
            levels.append("一般")
            months.append(rng.randint(1, 12))
    return {"单位名称": units, "等级": levels, "月份": months}


def main() -> None:
    rng = random.Random(22)
    folder = HERE / "data" / "记录"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "满意度评价.csv", "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["被评单位", "评价方向", "评分", "有效"])
        writer.writerows(ratings(rng))
    pq.write_table(pa.table(monitoring(rng)), folder / "监测记录.parquet")


if __name__ == "__main__":
    main()
