"""Synthetic satisfaction responses (满意度评价记录) for the bundled samples, from which the
rules' 记录汇总 give each unit its 上评下 and 下评上 (imported by make_sample_data.py).

Each response is one rating (an integer 0..100) of one unit, by a superior (上评下) or by
the people it serves (下评上), valid or not (有效). A unit's valid ratings in one direction
are drawn around the value the sample generator drew for it (one decimal), then nudged one
point at a time until their mean is exactly that value: the responses are a realistic
crowd, and the aggregate is the same number the sample carried before it had records.
Invalid responses (duplicates, out-of-scope raters) are drawn from the whole 0..100 range,
so a rule that forgot the filter gives visibly different values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

DIRECTIONS = ("上评下", "下评上")
# Valid responses per unit, in tens: a few hundred superiors, a few thousand citizens.
TENS = {"上评下": (10, 40), "下评上": (150, 350)}
SPREAD = {"上评下": 8.0, "下评上": 15.0}
INVALID_SHARE = 0.03
COLUMNS = ("被评单位", "评价方向", "评分", "有效")


def ratings(rng: np.random.Generator, mean: float, count: int, spread: float) -> np.ndarray:
    """``count`` integer ratings in 0..100 whose mean is exactly ``mean`` (one decimal;
    ``count`` a multiple of ten, so the sum is a whole number)."""
    wanted = round(mean * 10) * count // 10
    drawn = np.clip(np.rint(rng.normal(mean, spread, count)), 0, 100).astype(np.int16)
    while (gap := wanted - int(drawn.sum())) != 0:
        step = 1 if gap > 0 else -1
        movable = np.flatnonzero(drawn < 100) if step > 0 else np.flatnonzero(drawn > 0)
        chosen = rng.choice(movable, size=min(abs(gap), movable.size), replace=False)
        drawn[chosen] += step
    return drawn


def responses(
    rng: np.random.Generator, values: list[tuple[str, dict[str, float]]], scale: float = 1.0
) -> pa.Table:
    """Every unit's responses, in the order of ``values`` ((unit id, {direction: value})),
    each unit's in a shuffled order; ``scale`` shrinks the counts (the half year)."""
    units, directions, scores, valid = [], [], [], []
    for unit_id, means in values:
        for direction in DIRECTIONS:
            low, high = TENS[direction]
            count = 10 * max(1, round(int(rng.integers(low, high)) * scale))
            good = ratings(rng, means[direction], count, SPREAD[direction])
            bad = rng.integers(0, 101, rng.binomial(count, INVALID_SHARE)).astype(np.int16)
            order = rng.permutation(good.size + bad.size)
            scores.append(np.concatenate([good, bad])[order])
            valid.append(
                np.concatenate([np.ones(good.size, bool), np.zeros(bad.size, bool)])[order]
            )
            units += [unit_id] * order.size
            directions += [direction] * order.size
    return pa.table(
        {
            "被评单位": pa.array(units, pa.string()).dictionary_encode(),
            "评价方向": pa.array(directions, pa.string()).dictionary_encode(),
            "评分": pa.array(np.concatenate(scores), pa.int16()),
            "有效": pa.array(np.concatenate(valid), pa.bool_()),
        }
    )


def write(table: pa.Table, path: Path) -> None:
    """Parquet with zstd: 1.2 million responses in about a megabyte, so the sample ships
    in the repository and the wheel; the same table writes the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=256 * 1024)
