"""The hand-written competitor of bench/records: pandas reads the responses and groups them.

    python bench/records/pandas_ref.py DATA_FOLDER -o values.csv

The same measures as the workload's 记录汇总 (responses.py): 满意度 = the mean 评分 of valid
responses (有效 == "是") per unit and 评价方向, combined 上评下 × 0.4 + 下评上 × 0.6; 好评率 =
the share of valid responses with 评分 ≥ 80. pandas' default (C) CSV parser; Parquet by
pyarrow. Written as an analyst would, not tuned to lose.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

DTYPES = {"被评单位": str, "评价方向": str, "评分": "float64", "有效": str}


def read(data: Path) -> pd.DataFrame:
    folder = data / "记录" / "满意度评价"
    csvs, parquets = sorted(folder.glob("*.csv")), sorted(folder.glob("*.parquet"))
    if csvs:
        return pd.concat([pd.read_csv(f, dtype=DTYPES) for f in csvs], ignore_index=True)
    return pd.concat([pd.read_parquet(f) for f in parquets], ignore_index=True)


def values(frame: pd.DataFrame) -> pd.DataFrame:
    kept = frame[frame["有效"] == "是"]
    by_direction = kept.groupby(["被评单位", "评价方向"])["评分"].mean().unstack()
    satisfaction = by_direction["上评下"] * 0.4 + by_direction["下评上"] * 0.6
    scored = kept[kept["评分"].notna()]
    good = (scored["评分"] >= 80).groupby(scored["被评单位"]).mean()
    return pd.DataFrame({"满意度": satisfaction, "好评率": good}).rename_axis("编号")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    values(read(args.data)).to_csv(args.output, float_format="%.17g")


if __name__ == "__main__":
    main()
