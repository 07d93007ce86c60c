"""Result files compared: every competitor's whole result table against the reference's.

Every competitor writes the engine's columns (编号, 名称, 领域, 类别, the papers, 加分,
扣分, 一票否决, 总分, 名次, 排名人数, 等次); the engine's CSV also starts with a
``# 指纹`` line (after a BOM) and lists the units domain by domain. Rows are matched by
unit id. Numbers agree within 1e-9 (all round to 精度 the engine's way, see README
"Rounding"; an empty cell only with an empty cell), every other cell exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

TIER_CODES = {"第一等次": 1, "第二等次": 2, "第三等次": 3}
INTEGERS = ("名次", "排名人数")
TEXTS = ("编号", "名称", "领域", "类别", "一票否决", "等次")  # every other column is a number


@dataclass
class Table:
    """A result file's columns, its rows sorted by unit id: numbers as float64 (NaN:
    empty), 名次 and 排名人数 as int64, the rest as str."""

    columns: dict[str, np.ndarray]

    @property
    def ids(self) -> np.ndarray:
        return self.columns["编号"]

    @property
    def tier(self) -> np.ndarray:
        return np.array([TIER_CODES.get(t, 0) for t in self.columns["等次"].tolist()], np.int8)

    def copy(self) -> Table:
        return Table({name: values.copy() for name, values in self.columns.items()})


def read_result(path: Path) -> Table:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with path.open("rb") as f:
        line = f.readline().decode("utf-8-sig")
        skip = 1 if line.startswith("#") else 0  # the engine's 指纹 line
        if skip:
            line = f.readline().decode("utf-8-sig")
    header = line.rstrip("\r\n").split(",")
    kinds = {
        name: pa.string() if name in TEXTS else pa.int64() if name in INTEGERS else pa.float64()
        for name in header
    }
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(skip_rows=skip + 1, column_names=header),
        # only an empty cell is empty: "NULL" or "nan" in a number column is a difference
        convert_options=pcsv.ConvertOptions(
            column_types=kinds, null_values=[""], strings_can_be_null=False
        ),
    )
    columns = {}
    for name in header:
        values = table[name]
        if name in TEXTS:
            columns[name] = values.to_numpy(zero_copy_only=False).astype(str)
        elif name in INTEGERS:
            columns[name] = values.to_numpy()
        else:
            columns[name] = values.fill_null(np.nan).to_numpy()
    order = np.argsort(columns["编号"], kind="stable")
    return Table({name: values[order] for name, values in columns.items()})


def compare(base: Table, other: Table, name: str, limit: int = 5) -> list[str]:
    """Problems of ``other`` against ``base``, each naming units; empty when they agree."""
    if len(other.ids) != len(base.ids) or not (other.ids == base.ids).all():
        missing = sorted(set(base.ids.tolist()) ^ set(other.ids.tolist()))[:limit]
        return [f"{name}: different units ({len(other.ids)} vs {len(base.ids)}; e.g. {missing})"]
    if list(other.columns) != list(base.columns):
        return [f"{name}: other columns ({', '.join(other.columns)})"]
    problems = []
    for column, theirs in base.columns.items():
        mine = other.columns[column]
        if theirs.dtype == np.float64:
            same = (np.abs(mine - theirs) <= 1e-9) | (np.isnan(mine) & np.isnan(theirs))
        else:
            same = mine == theirs
        bad = np.flatnonzero(~same)
        if bad.size:
            shown = ", ".join(f"{base.ids[k]} {mine[k]!r} vs {theirs[k]!r}" for k in bad[:limit])
            problems.append(f"{name}: {bad.size} cells of {column} differ ({shown})")
    return problems


def main() -> None:
    """``python check.py BASE NAME=PATH …``: a JSON object with the problems and the base's
    tier counts (run.py calls it in a child, keeping pyarrow out of its own memory: a
    child forked from a large parent reports the parent's size as its peak RSS)."""
    import json
    import sys

    base = read_result(Path(sys.argv[1]))
    problems = []
    for pair in sys.argv[2:]:
        name, path = pair.split("=", 1)
        problems += compare(base, read_result(Path(path)), name)
    tier = base.tier
    tiers = [int((tier == t).sum()) for t in (1, 2, 3)]
    print(json.dumps({"problems": problems, "tiers": tiers}, ensure_ascii=False))


if __name__ == "__main__":
    main()
