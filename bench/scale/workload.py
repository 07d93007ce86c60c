"""The issue-8 workload, defined once: its rules as data (the spec) and its values.

Every competitor (the engine through the generated rule files, numpy, DuckDB,
zen-engine) scores the same spec; ``generate.py`` writes it out as a rule
directory, a long-format data table (CSV and Parquet) and ``spec.json``.

The shape: 3 domains, 10 categories, 3 papers (weights 30/50/20), 32 linear
indicators (about 30% lower-is-better), 4 bonus and 4 deduction items grouped by
paper with per-item caps, per-paper caps and overall caps, a veto (about 3% of
units), rank within category (total desc, unit id asc), bottom 10% third tier,
top 30% first tier unless vetoed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

DOMAINS: dict[str, tuple[str, ...]] = {
    "甲": ("A", "B", "C", "D"),
    "乙": ("E", "F", "G"),
    "丙": ("H", "I", "J"),
}
CATEGORIES: tuple[str, ...] = tuple(k for kinds in DOMAINS.values() for k in kinds)
# Category shares of the roster (uneven on purpose: categories of different sizes).
CATEGORY_SHARES = (0.14, 0.12, 0.10, 0.08, 0.12, 0.10, 0.08, 0.10, 0.08, 0.08)
PAPERS: tuple[tuple[str, float, int], ...] = (
    ("党建", 30.0, 8),
    ("发展", 50.0, 16),
    ("民生", 20.0, 8),
)
VETO_ITEM = "安全事故数"
VETO_RATE = 0.03
PRECISION = 4
TIERS = ("第一等次", "第二等次", "第三等次")  # codes 1, 2, 3 in result arrays


@dataclass(frozen=True)
class Linear:
    """A linearly scored indicator: ``marks * clip((value - floor) / (target - floor), 0, 1)``.

    For lower-is-better indicators ``floor`` is the 上限值 (the value scoring 0) and
    ``target`` is below it; the same formula covers both directions."""

    id: str
    paper: str
    marks: float
    floor: float
    target: float
    lower_is_better: bool


@dataclass(frozen=True)
class Item:
    """A bonus or deduction item: ``min(value * per, cap)``, counted towards its paper."""

    id: str
    paper: str
    per: float
    cap: float


@dataclass(frozen=True)
class Spec:
    """The whole rule set as data."""

    linear: list[Linear]
    bonus: list[Item]
    deduction: list[Item]
    bonus_paper_caps: dict[str, float]
    deduction_paper_caps: dict[str, float]
    bonus_cap: float
    deduction_cap: float
    veto_item: str = VETO_ITEM
    precision: int = PRECISION
    papers: list[tuple[str, float, int]] = field(default_factory=lambda: list(PAPERS))

    @property
    def indicator_ids(self) -> list[str]:
        """The 40 names a unit has a value for, in column order."""
        return [i.id for i in self.linear] + [i.id for i in self.bonus + self.deduction]

    def to_json(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def from_json(cls, path: Path) -> Spec:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            linear=[Linear(**x) for x in raw["linear"]],
            bonus=[Item(**x) for x in raw["bonus"]],
            deduction=[Item(**x) for x in raw["deduction"]],
            bonus_paper_caps=raw["bonus_paper_caps"],
            deduction_paper_caps=raw["deduction_paper_caps"],
            bonus_cap=raw["bonus_cap"],
            deduction_cap=raw["deduction_cap"],
            veto_item=raw["veto_item"],
            precision=raw["precision"],
            papers=[tuple(p) for p in raw["papers"]],
        )


def make_spec(seed: int = 8) -> Spec:
    """The seeded rule parameters (independent of N)."""
    rng = np.random.default_rng(seed)
    linear = []
    number = 0
    for paper, weight, count in PAPERS:
        marks = weight / count  # 3.75, 3.125, 2.5: exact binary fractions
        for _ in range(count):
            number += 1
            lower = number % 10 in (2, 5, 8)  # 10 of 32, about 30%
            if lower:
                target, floor = float(rng.integers(5, 35)), float(rng.integers(65, 95))
            else:
                floor, target = float(rng.integers(5, 35)), float(rng.integers(65, 95))
            linear.append(Linear(f"指标{number:02d}", paper, marks, floor, target, lower))
    bonus = [
        Item("加分项1", "党建", 0.5, 1.0),
        Item("加分项2", "党建", 1.0, 1.0),
        Item("加分项3", "发展", 0.5, 2.0),
        Item("加分项4", "民生", 1.0, 1.0),
    ]
    deduction = [
        Item("扣分项1", "党建", 0.5, 2.0),
        Item("扣分项2", "发展", 0.5, 2.0),
        Item("扣分项3", "发展", 1.0, 2.0),
        Item(VETO_ITEM, "民生", 2.0, 4.0),
    ]
    return Spec(
        linear=linear,
        bonus=bonus,
        deduction=deduction,
        bonus_paper_caps={"党建": 1.5, "发展": 1.5, "民生": 1.0},
        deduction_paper_caps={"党建": 2.0, "发展": 3.0, "民生": 4.0},
        bonus_cap=3.0,
        deduction_cap=6.0,
    )


def unit_ids(n: int) -> np.ndarray:
    """``U0000001`` … in roster order."""
    return np.array([f"U{i:07d}" for i in range(1, n + 1)], dtype=object)


def make_units(n: int, seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids and their category letters (seeded, uneven shares)."""
    rng = np.random.default_rng(seed + 1)
    cats = np.array(CATEGORIES, dtype=object)[
        rng.choice(len(CATEGORIES), size=n, p=CATEGORY_SHARES)
    ]
    return unit_ids(n), cats


def domain_of(category: str) -> str:
    return next(d for d, kinds in DOMAINS.items() if category in kinds)


def make_values(spec: Spec, n: int, seed: int = 8) -> np.ndarray:
    """The units x 40 float64 values, column order ``spec.indicator_ids``."""
    rng = np.random.default_rng(seed + 2)
    columns = [rng.uniform(0, 100, n).round(2) for _ in spec.linear]
    columns += [rng.poisson(0.8, n).astype(np.float64) for _ in spec.bonus]
    columns += [rng.poisson(1.5, n).astype(np.float64) for _ in spec.deduction[:-1]]
    veto = rng.random(n) < VETO_RATE
    columns.append(np.where(veto, rng.integers(1, 3, n), 0).astype(np.float64))
    return np.column_stack(columns)
