"""The issue-20 workload, defined once: its rules as data (the spec) and its values.

Every competitor (the engine through the generated rule files, hand-written numpy,
DuckDB) scores the same spec; ``generate.py`` writes it out as a rule directory, the
data in four forms (long CSV, long Parquet, wide Parquet, wide CSV) and ``spec.json``.

Four domains that differ as real ones do: their own papers (names, number, weights),
their own subset of a pool of 40 indicators (some shared, with other targets, floors and
marks), 30% of the pool lower-is-better, their own bonus and deduction items (rates and
caps) and overall caps, their own tier quotas, and their own 缺失数据 policy (记零分 or
剔除折算). A fixed number of units (``VARIANT_UNITS``, whatever N) have 一单位一策
variants: an indicator deleted, a target or 满分 adjusted, an indicator added, each
unit's papers still summing to their weights. About 1% of indicator values are absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

PRECISION = 4
POOL = tuple(f"指标{k:02d}" for k in range(1, 41))
LOWER_IS_BETTER = frozenset(name for k, name in enumerate(POOL, 1) if k % 10 in (2, 5, 8))
EXTRA = ("特色指标1", "特色指标2", "特色指标3")  # only ever added by 一单位一策
ITEMS = ("加分项1", "加分项2", "加分项3", "加分项4", "扣分项1", "扣分项2", "扣分项3", "安全事故数")
VETO_ITEM = "安全事故数"
VETO_RATE = 0.03
MISSING_RATE = 0.01
VARIANT_UNITS = 30
TIERS = ("第一等次", "第二等次", "第三等次")  # codes 1, 2, 3 in result arrays


@dataclass(frozen=True)
class Linear:
    """``marks * clip((value - floor) / (target - floor), 0, 1)``; for lower-is-better
    indicators ``floor`` is the 上限值 (the value scoring 0) and ``target`` lies below it."""

    id: str
    marks: float
    floor: float
    target: float
    lower_is_better: bool


@dataclass(frozen=True)
class Paper:
    name: str
    weight: float
    indicators: list[Linear]


@dataclass(frozen=True)
class Item:
    """A 加分 or 扣分 entry: ``min(value * per, cap)``."""

    id: str
    per: float
    cap: float


@dataclass(frozen=True)
class Domain:
    name: str
    categories: list[str]  # unit.类型 letters
    missing: str  # 记零分 or 剔除折算
    papers: list[Paper]
    bonus: list[Item]
    deduction: list[Item]
    bonus_cap: float
    deduction_cap: float
    top_pct: int  # 第一等次: floor(人数 * top_pct%) unless vetoed
    bottom_pct: int  # 第三等次: round_half_up(人数 * bottom_pct%), vetoed units use up places

    @property
    def indicator_ids(self) -> list[str]:
        return [i.id for p in self.papers for i in p.indicators]

    @property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.bonus + self.deduction]


@dataclass(frozen=True)
class Variant:
    """一单位一策 for one unit: ``deleted`` indicator ids, ``added`` (paper, indicator)
    pairs, ``adjust`` (indicator, 目标值 or 满分, new value) triples."""

    unit: str
    domain: str
    deleted: list[str] = field(default_factory=list)
    added: list[tuple[str, Linear]] = field(default_factory=list)
    adjust: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Spec:
    """The whole rule set as data."""

    domains: list[Domain]
    variants: list[Variant]
    precision: int = PRECISION
    veto_item: str = VETO_ITEM

    @property
    def columns(self) -> list[str]:
        """Every name a unit may have a value for: the values array's column order."""
        return [*POOL, *EXTRA, *ITEMS]

    @property
    def wide_columns(self) -> list[str]:
        """The wide files' columns: the names some rule reads, in ``columns`` order. A
        name no rule reads (特色指标1 when no 一单位一策 adds it) is an unknown column,
        which the engine refuses under 未知数据: 报错, as it should."""
        read = {self.veto_item, *(v for d in self.domains for v in d.indicator_ids + d.item_ids)}
        read |= {added.id for v in self.variants for _paper, added in v.added}
        return [name for name in self.columns if name in read]

    @property
    def paper_names(self) -> list[str]:
        """The result table's paper columns: every domain's papers, first met first."""
        return list(dict.fromkeys(p.name for d in self.domains for p in d.papers))

    def domain(self, name: str) -> Domain:
        return next(d for d in self.domains if d.name == name)

    def to_json(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def from_json(cls, path: Path) -> Spec:
        raw = json.loads(path.read_text(encoding="utf-8"))
        domains = []
        for d in raw["domains"]:
            papers = [
                Paper(p["name"], p["weight"], [Linear(**i) for i in p["indicators"]])
                for p in d["papers"]
            ]
            fields = {k: v for k, v in d.items() if k not in ("papers", "bonus", "deduction")}
            bonus = [Item(**i) for i in d["bonus"]]
            deduction = [Item(**i) for i in d["deduction"]]
            domains.append(Domain(papers=papers, bonus=bonus, deduction=deduction, **fields))
        variants = [
            Variant(
                v["unit"],
                v["domain"],
                list(v["deleted"]),
                [(p, Linear(**i)) for p, i in v["added"]],
                [tuple(a) for a in v["adjust"]],
            )
            for v in raw["variants"]
        ]
        return cls(domains, variants, raw["precision"], raw["veto_item"])


# name, categories (share of the roster each), policy, papers (name, weight, indicator
# count), pool offset, bonus items, deduction items, caps, tier percentages
_SHAPES = (
    ("市县", {"A": 0.16, "B": 0.12, "C": 0.10}, "记零分",
     (("党建", 20, 4), ("发展", 50, 12), ("民生", 30, 8)), 0),
    ("省直部门", {"D": 0.12, "E": 0.10}, "剔除折算",
     (("履职", 60, 7), ("党建", 25, 3), ("服务", 15, 2)), 16),
    ("省属企业", {"F": 0.08, "G": 0.08, "H": 0.06}, "记零分",
     (("经营", 55, 8), ("党建", 25, 4), ("风控", 20, 4)), 22),
    ("高校", {"I": 0.10, "J": 0.08}, "剔除折算",
     (("教学", 40, 4), ("科研", 35, 4), ("党建", 25, 2)), 30),
)  # fmt: skip
_QUOTAS = ((30, 10), (25, 5), (20, 10), (30, 15))
_CAPS = ((3.0, 6.0), (2.0, 4.0), (4.0, 5.0), (2.5, 3.0))


def _marks(weight: int, count: int) -> list[float]:
    """Integer marks summing to ``weight`` (as real rule sets write them)."""
    base, extra = divmod(weight, count)
    return [float(base + (k < extra)) for k in range(count)]


def _linear(rng: np.random.Generator, name: str, marks: float) -> Linear:
    lower = name in LOWER_IS_BETTER
    if lower:
        target, floor = float(rng.integers(5, 35)), float(rng.integers(65, 95))
    else:
        floor, target = float(rng.integers(5, 35)), float(rng.integers(65, 95))
    return Linear(name, marks, floor, target, lower)


def _items(rng: np.random.Generator, names: list[str]) -> list[Item]:
    pers, caps = (0.25, 0.5, 1.0), (1.0, 1.5, 2.0, 3.0)
    return [Item(n, float(rng.choice(pers)), float(rng.choice(caps))) for n in names]


def _domain(rng: np.random.Generator, k: int) -> Domain:
    name, shares, missing, papers, offset = _SHAPES[k]
    total = sum(count for _p, _w, count in papers)
    names = [POOL[(offset + j) % len(POOL)] for j in range(total)]
    built, start = [], 0
    for paper, weight, count in papers:
        mine = names[start : start + count]
        start += count
        indicators = [_linear(rng, n, m) for n, m in zip(mine, _marks(weight, count), strict=True)]
        built.append(Paper(paper, float(weight), indicators))
    bonus_names = [n for n in ITEMS[:4] if rng.random() < 0.75] or [ITEMS[0]]
    deduction_names = [n for n in ITEMS[4:7] if rng.random() < 0.75] or [ITEMS[4]]
    deduction_names.append(VETO_ITEM)
    top, bottom = _QUOTAS[k]
    bonus_cap, deduction_cap = _CAPS[k]
    return Domain(
        name,
        list(shares),
        missing,
        built,
        _items(rng, bonus_names),
        _items(rng, deduction_names),
        bonus_cap,
        deduction_cap,
        top,
        bottom,
    )


def _variant(rng: np.random.Generator, unit: str, domain: Domain, kind: int) -> Variant:
    """One of four kinds; each keeps every paper's 满分 summing to its weight."""
    papers = [p for p in domain.papers if len(p.indicators) >= 2]
    paper = papers[int(rng.integers(len(papers)))]
    x, y = (paper.indicators[j] for j in rng.choice(len(paper.indicators), 2, replace=False))
    if kind == 0:  # 删除指标 x, its marks go to y
        return Variant(
            unit, domain.name, deleted=[x.id], adjust=[(y.id, "满分", y.marks + x.marks)]
        )
    if kind == 1:  # another target
        if x.lower_is_better:
            target = float(rng.integers(0, int(x.floor) - 5))
        else:
            target = float(rng.integers(int(x.floor) + 5, 100))
        if target == x.target:
            target += 1 if x.lower_is_better or target < 99 else -1
        return Variant(unit, domain.name, adjust=[(x.id, "目标值", target)])
    if kind == 2:  # 新增指标 worth 2, taken from y
        # One name a paper (a 新增指标 belongs to one paper of its domain).
        added = Linear(EXTRA[domain.papers.index(paper)], 2.0, 30.0, 90.0, False)
        return Variant(
            unit, domain.name, added=[(paper.name, added)], adjust=[(y.id, "满分", y.marks - 2)]
        )
    # one mark moved from y to x
    return Variant(
        unit, domain.name, adjust=[(x.id, "满分", x.marks + 1), (y.id, "满分", y.marks - 1)]
    )


def category_shares() -> dict[str, float]:
    return {c: s for shape in _SHAPES for c, s in shape[1].items()}


def domain_of_category() -> dict[str, str]:
    return {c: shape[0] for shape in _SHAPES for c in shape[1]}


def make_units(n: int, seed: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids ``U0000001`` … and their category letters (seeded, uneven shares)."""
    rng = np.random.default_rng(seed + 1)
    shares = category_shares()
    letters = np.array(list(shares), dtype=object)
    cats = letters[rng.choice(len(letters), size=n, p=list(shares.values()))]
    ids = np.array([f"U{i:07d}" for i in range(1, n + 1)], dtype=object)
    return ids, cats


def make_spec(n: int, seed: int = 8) -> Spec:
    """The seeded rules for ``n`` units: the domains do not depend on N; the variants
    name ``VARIANT_UNITS`` units (fewer below 300 units)."""
    rng = np.random.default_rng(seed)
    domains = [_domain(rng, k) for k in range(len(_SHAPES))]
    ids, cats = make_units(n, seed)
    owner = domain_of_category()
    count = min(VARIANT_UNITS, n // 10)
    chosen = np.sort(np.random.default_rng(seed + 4).choice(n, count, replace=False))
    by_name = {d.name: d for d in domains}
    variants = [
        _variant(rng, ids[j], by_name[owner[cats[j]]], k % 4) for k, j in enumerate(chosen.tolist())
    ]
    return Spec(domains, variants)


def make_values(spec: Spec, cats: np.ndarray, seed: int = 8) -> np.ndarray:
    """The units x ``spec.columns`` float64 values; NaN where a unit has no value (not its
    domain's, deleted for it, or one of the absent 1%)."""
    rng = np.random.default_rng(seed + 2)
    n, names = len(cats), spec.columns
    where = {name: j for j, name in enumerate(names)}
    x = np.full((n, len(names)), np.nan)
    owner = domain_of_category()
    domain_rows = {d.name: np.flatnonzero([owner[c] == d.name for c in cats]) for d in spec.domains}
    for j in range(len(POOL)):
        x[:, j] = rng.uniform(0, 100, n).round(2)
    for name in ITEMS:
        column = where[name]
        if name == VETO_ITEM:
            veto = rng.random(n) < VETO_RATE
            x[:, column] = np.where(veto, rng.integers(1, 3, n), 0)
        else:
            x[:, column] = rng.poisson(0.8 if name.startswith("加") else 1.5, n)
    applies = np.zeros(x.shape, dtype=bool)
    for d in spec.domains:
        rows = domain_rows[d.name]
        for name in d.indicator_ids + d.item_ids:
            applies[rows, where[name]] = True
    # The absent 1%: indicator values only (items and the veto are always given).
    absent = rng.random((n, len(POOL))) < MISSING_RATE
    applies[:, : len(POOL)] &= ~absent
    ids_row = {f"U{i:07d}": i - 1 for i in range(1, n + 1)}
    extra = rng.uniform(0, 100, (len(spec.variants), len(EXTRA))).round(2)
    for k, v in enumerate(spec.variants):
        row = ids_row[v.unit]
        for name in v.deleted:
            applies[row, where[name]] = False
        for _paper, added in v.added:
            applies[row, where[added.id]] = True
            x[row, where[added.id]] = extra[k, EXTRA.index(added.id)]
    x[~applies] = np.nan
    return x


def competitor_main(run: Callable[[Path, str, Path], object], description: str) -> None:
    """A competitor's command line (reference.py, duck.py): ``FORM DIR -o OUT.csv``."""
    import argparse

    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("form")
    parser.add_argument("dir", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    run(args.dir, args.form, args.output)
