"""Result files compared: every competitor's 编号,总分,名次,等次 against the reference's.

The engine's CSV starts with a ``# 指纹`` line (after a BOM) and has more columns; the
others write just the four. Totals agree within 1e-9 (all round to 精度 the engine's
way, see README "Rounding"); ranks and tiers are identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

TIER_CODES = {"第一等次": 1, "第二等次": 2, "第三等次": 3}


@dataclass
class Table:
    """A result file's four columns, sorted by unit id."""

    ids: np.ndarray
    total: np.ndarray
    rank: np.ndarray
    tier: np.ndarray


def read_result(path: Path) -> Table:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with path.open("rb") as f:
        first = f.readline().decode("utf-8-sig")
    skip = 1 if first.startswith("#") else 0
    kinds = {"编号": pa.string(), "总分": pa.float64(), "名次": pa.int64(), "等次": pa.string()}
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(skip_rows=skip),
        convert_options=pcsv.ConvertOptions(column_types=kinds, include_columns=list(kinds)),
    )
    ids = table["编号"].to_numpy(zero_copy_only=False).astype(str)
    if ids.size and ids[0].startswith("\ufeff"):  # pragma: no cover - a BOM on the header
        ids[0] = ids[0][1:]
    order = np.argsort(ids, kind="stable")
    tiers = table["等次"].to_numpy(zero_copy_only=False)
    tier = np.array([TIER_CODES.get(t, 0) for t in tiers.tolist()], dtype=np.int8)
    return Table(
        ids[order],
        table["总分"].to_numpy(zero_copy_only=False)[order],
        table["名次"].to_numpy(zero_copy_only=False)[order],
        tier[order],
    )


def compare(base: Table, other: Table, name: str, limit: int = 5) -> list[str]:
    """Problems of ``other`` against ``base``, each naming units; empty when they agree."""
    if len(other.ids) != len(base.ids) or not (other.ids == base.ids).all():
        missing = sorted(set(base.ids.tolist()) ^ set(other.ids.tolist()))[:limit]
        return [f"{name}: different units ({len(other.ids)} vs {len(base.ids)}; e.g. {missing})"]
    problems = []
    gap = np.abs(other.total - base.total)
    bad = np.flatnonzero(~(gap <= 1e-9))
    if bad.size:
        shown = ", ".join(
            f"{base.ids[k]} {other.total[k]!r} vs {base.total[k]!r}" for k in bad[:limit]
        )
        problems.append(f"{name}: {bad.size} totals differ ({shown})")
    for field in ("rank", "tier"):
        mine, theirs = getattr(other, field), getattr(base, field)
        bad = np.flatnonzero(mine != theirs)
        if bad.size:
            shown = ", ".join(f"{base.ids[k]} {mine[k]} vs {theirs[k]}" for k in bad[:limit])
            problems.append(f"{name}: {bad.size} {field}s differ ({shown})")
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
    tiers = [int((base.tier == t).sum()) for t in (1, 2, 3)]
    print(json.dumps({"problems": problems, "tiers": tiers}, ensure_ascii=False))


if __name__ == "__main__":
    main()
