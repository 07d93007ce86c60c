"""Hand-written numpy for the issue-20 rules: the practical limit in Python, one pass a domain.

    python bench/scale/reference.py FORM DIR -o OUT.csv     # FORM: data-csv, data-parquet, …

Reads DIR/spec.json, DIR/名单.csv and DIR/FORM with pyarrow (a runtime dependency of
kaohe-rules, so the CI test runs it), scores every unit and writes the engine's result
table in roster order: 编号, 名称, 领域, 类别, each paper's score (empty outside the
unit's domain), 加分, 扣分, 一票否决, 总分, 名次, 排名人数, 等次 — the same columns the
engine writes, so that no timing compares a four-column file with a twenty-column one.
The scoring works on a units x ``spec.columns`` float64 array (NaN: no value).
Rounding to 精度 uses kaohe_rules' ``round_vector``: ranks depend on the rounded total,
and the engine rounds half up on the 15-significant-digit decimal reading of a float,
which a plain ``np.round`` does not reproduce at exact halves.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import Domain, Linear, Spec, competitor_main, domain_of_category

from kaohe_rules.dsl.numeric import round_vector

TIER_NAMES = np.array(["", "第一等次", "第二等次", "第三等次"], dtype=object)
CATEGORY_PREFIX = "类"  # generate.py names category 类A the units of 类型 A


@dataclass
class Results:
    """One entry per roster unit, in roster order."""

    ids: np.ndarray
    total: np.ndarray  # rounded to 精度
    rank: np.ndarray  # int64, 1 = best in its category
    tier: np.ndarray  # int8: 1 第一等次, 2 第二等次, 3 第三等次
    roster: Roster | None = None
    papers: dict[str, np.ndarray] | None = None  # paper name → rounded score (NaN: not its)
    bonus: np.ndarray | None = None  # rounded, after the domain's cap
    deduction: np.ndarray | None = None
    veto: np.ndarray | None = None  # bool
    size: np.ndarray | None = None  # int64: 排名人数, the units ranked in its category


@dataclass
class Roster:
    """名单.csv's columns, roster order (as object arrays of str)."""

    ids: np.ndarray
    names: np.ndarray
    domains: np.ndarray
    kinds: np.ndarray  # unit.类型, the category letter


# -- reading ------------------------------------------------------------------------------
def read_roster(path: Path) -> Roster:
    """名单.csv: ids, names, domains and category letters, roster order."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    columns = ("编号", "名称", "领域", "类型")
    options = pcsv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()))
    table = pcsv.read_csv(path, convert_options=options)
    return Roster(*(table[c].to_numpy(zero_copy_only=False).astype(object) for c in columns))


def _positions(column, labels) -> np.ndarray:
    """Each cell's position in ``labels`` (a pyarrow array), the lookup table hashed once
    for the whole column; refuses unknown labels."""
    import pyarrow.compute as pc

    found = pc.index_in(column, value_set=labels)
    if found.null_count:
        unknown = column.filter(pc.is_null(found))[0].as_py()
        raise SystemExit(f"unknown unit or name in the data: {unknown}")
    return found.to_numpy()


def read_values(folder: Path, form: str, spec: Spec, ids: np.ndarray) -> np.ndarray:
    """The units x ``spec.columns`` array from DIR/FORM (long or wide, CSV or Parquet)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _read_table(folder / form, spec)
    unit_labels = pa.array(ids.tolist(), pa.string())
    x = np.full((len(ids), len(spec.columns)), np.nan)
    if "指标" in table.column_names:  # long: one scatter
        rows = _positions(table["编号"], unit_labels)
        cols = _positions(table["指标"], pa.array(spec.columns, pa.string()))
        x[rows, cols] = table["值"].to_numpy()
        return x
    rows = _positions(table["编号"], unit_labels)
    for j, name in enumerate(spec.columns):
        if name not in table.column_names:
            continue  # a name no rule reads: not a wide file's column (Spec.wide_columns)
        column = pc.fill_null(table[name], np.nan).cast(pa.float64())
        x[rows, j] = column.to_numpy()
    return x


def _read_table(folder: Path, spec: Spec):
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    parquet = sorted(folder.glob("*.parquet"))
    if parquet:
        return pq.read_table(parquet[0])
    path = sorted(folder.glob("*.csv"))[0]
    kinds = {"编号": pa.string(), "指标": pa.string(), "值": pa.float64()}
    kinds.update({name: pa.float64() for name in spec.wide_columns})
    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=kinds))


# -- the rules, prepared once (as the engine's plan is) --------------------------------------
@dataclass
class Member:
    """One indicator of a paper for a domain's units: parameters per unit where
    一单位一策 changes them, else scalars."""

    column: int
    marks: np.ndarray | float
    floor: np.ndarray | float
    target: np.ndarray | float
    applies: np.ndarray | None  # None: every unit of the domain


@dataclass
class Prepared:
    domain: Domain
    rows: np.ndarray  # the domain's units, roster order
    category: np.ndarray  # codes 0.. within the domain
    papers: list[tuple[float, list[Member]]]
    items: list[tuple[list[tuple[int, float, float]], float]]  # (column, per, cap), cap
    veto: int


def prepare(spec: Spec, ids: np.ndarray, cats: np.ndarray) -> list[Prepared]:
    """Each domain's units, categories and per-indicator parameter arrays."""
    where = {name: j for j, name in enumerate(spec.columns)}
    owner = domain_of_category()
    letters, letter_of = np.unique(cats.astype(str), return_inverse=True)
    unit_text = ids.astype(str)
    out = []
    for d in spec.domains:
        mine = np.array([owner[c] == d.name for c in letters.tolist()])
        rows = np.flatnonzero(mine[letter_of])
        code = np.array([d.categories.index(c) if c in d.categories else -1 for c in letters])
        category = code[letter_of[rows]].astype(np.int64)
        variants = [
            (int(np.searchsorted(rows, np.flatnonzero(unit_text == v.unit)[0])), v)
            for v in spec.variants
            if v.domain == d.name
        ]
        papers = [(p.weight, _members(p, len(rows), variants, where)) for p in d.papers]
        items = [
            ([(where[i.id], i.per, i.cap) for i in group], cap)
            for group, cap in ((d.bonus, d.bonus_cap), (d.deduction, d.deduction_cap))
        ]
        out.append(Prepared(d, rows, category, papers, items, where[spec.veto_item]))
    return out


def _members(paper, n: int, variants, where: dict[str, int]) -> list[Member]:
    members = []
    for ind in paper.indicators:
        m = Member(where[ind.id], ind.marks, ind.floor, ind.target, None)
        for row, v in variants:
            if ind.id in v.deleted:
                m.applies = np.ones(n, dtype=bool) if m.applies is None else m.applies
                m.applies[row] = False
            for name, key, value in v.adjust:
                if name == ind.id:
                    field = "marks" if key == "满分" else "target"
                    current = getattr(m, field)
                    if np.ndim(current) == 0:
                        current = np.full(n, current)
                        setattr(m, field, current)
                    current[row] = value
        members.append(m)
    added: dict[str, tuple[Linear, list[int]]] = {}
    for row, v in variants:
        for name, ind in v.added:
            if name == paper.name:
                added.setdefault(ind.id, (ind, []))[1].append(row)
    for ind, rows in added.values():
        applies = np.zeros(n, dtype=bool)
        applies[rows] = True
        members.append(Member(where[ind.id], ind.marks, ind.floor, ind.target, applies))
    return members


# -- scoring --------------------------------------------------------------------------------
def paper_score(p: Prepared, x: np.ndarray, members: list[Member]) -> np.ndarray:
    """The file-order sum of the paper's scores; 剔除折算 rescales a unit with an
    excluded indicator to the 满分 of all its applicable ones (as the engine does)."""
    n = len(p.rows)
    total = np.zeros(n)
    drop = p.domain.missing == "剔除折算"
    rescaled = np.zeros(n, dtype=bool)
    full_applicable, full_counted = np.zeros(n), np.zeros(n)
    for m in members:
        value = x[:, m.column]
        score = m.marks * np.clip((value - m.floor) / (m.target - m.floor), 0, 1)
        missing = np.isnan(value)
        applies = np.ones(n, dtype=bool) if m.applies is None else m.applies
        if not drop:
            total += np.where(applies & ~missing, score, 0.0)
            continue
        excluded = applies & missing
        counted = applies & ~excluded
        total += np.where(counted, score, 0.0)
        rescaled |= excluded
        full_applicable += np.where(applies, m.marks, 0.0)
        full_counted += np.where(counted, m.marks, 0.0)
    if not drop:
        return total
    nothing = full_counted == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(rescaled, total / full_counted * full_applicable, total)
    return np.where(nothing, 0.0, result)


@dataclass
class Scored:
    """One domain's units before rounding: each paper's score, 加分 and 扣分 after their
    caps, the raw total and the veto."""

    papers: list[np.ndarray]
    bonus: np.ndarray
    deduction: np.ndarray
    total: np.ndarray
    veto: np.ndarray


def score_domain(p: Prepared, x: np.ndarray) -> Scored:
    """The domain's units scored; ``x`` is their rows."""
    total = np.zeros(len(p.rows))
    papers = []
    for _weight, members in p.papers:
        papers.append(paper_score(p, x, members))
        total = total + papers[-1]
    (bonus, bonus_cap), (deduction, deduction_cap) = p.items
    adjust = []
    for items, cap in ((bonus, bonus_cap), (deduction, deduction_cap)):
        value = np.zeros(len(p.rows))
        for column, per, item_cap in items:
            # an item without a value adds 0, as in the engine (and DuckDB: no row, nothing summed)
            given = np.nan_to_num(x[:, column], nan=0.0)
            value = value + np.minimum(given * per, item_cap)
        adjust.append(np.minimum(value, cap))
    raw = total + adjust[0] - adjust[1]
    return Scored(papers, adjust[0], adjust[1], raw, x[:, p.veto] > 0)


def rank_and_tier(
    total: np.ndarray, category: np.ndarray, veto: np.ndarray, top_pct: int, bottom_pct: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank within category (total desc, roster order = unit id asc) and tiers:
    vetoed -> third; bottom round_half_up(人数 x bottom%) less the category's vetoed units
    among the others -> third; top floor(人数 x top%) of the others -> first."""
    n = len(total)
    groups = int(category.max()) + 1 if n else 0
    position = np.arange(n)
    order = np.lexsort((position, -total, category))
    sizes = np.bincount(category, minlength=groups)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = position - np.repeat(starts, sizes) + 1
    kept = order[~veto[order]]
    kept_cat = category[kept]
    kept_sizes = np.bincount(kept_cat, minlength=groups)
    kept_starts = np.r_[0, np.cumsum(kept_sizes)[:-1]]
    from_top = np.arange(len(kept)) - np.repeat(kept_starts, kept_sizes)  # 0-based
    from_bottom = kept_sizes[kept_cat] - from_top  # 1-based
    vetoed = np.bincount(category[veto], minlength=groups)
    bottom = np.maximum((sizes * bottom_pct + 50) // 100 - vetoed, 0)  # round_half_up
    top = sizes * top_pct // 100  # floor
    tier = np.full(n, 2, dtype=np.int8)
    tier[veto] = 3
    third = from_bottom <= bottom[kept_cat]
    tier[kept[third]] = 3
    first = ~third & (from_top < top[kept_cat])
    tier[kept[first]] = 1
    return rank, tier, sizes[category]


def evaluate(spec: Spec, prepared: list[Prepared], ids: np.ndarray, x: np.ndarray) -> Results:
    """The whole year from the units x columns array."""
    n = len(ids)
    total, rank, tier = np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int8)
    papers = {name: np.full(n, np.nan) for name in spec.paper_names}
    bonus, deduction, veto, size = np.zeros(n), np.zeros(n), np.zeros(n, bool), np.zeros(n, int)
    for p in prepared:
        scored = score_domain(p, x[p.rows])
        rounded = round_vector(scored.total, spec.precision)
        d = p.domain
        r, t, s = rank_and_tier(rounded, p.category, scored.veto, d.top_pct, d.bottom_pct)
        total[p.rows], rank[p.rows], tier[p.rows], size[p.rows] = rounded, r, t, s
        for paper, score in zip(d.papers, scored.papers, strict=True):
            papers[paper.name][p.rows] = round_vector(score, spec.precision)
        bonus[p.rows] = round_vector(scored.bonus, spec.precision)
        deduction[p.rows] = round_vector(scored.deduction, spec.precision)
        veto[p.rows] = scored.veto
    return Results(ids, total, rank, tier, None, papers, bonus, deduction, veto, size)


def write_csv(results: Results, path: Path) -> None:
    """The result table in roster order (numbers in their shortest round-trip text, a
    paper outside the unit's domain empty), by pyarrow's CSV writer."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    roster = results.roster

    def text(values: np.ndarray):
        return pa.array(values.tolist(), pa.string())

    def number(values: np.ndarray):
        return pa.array(values, pa.float64(), mask=np.isnan(values))

    columns = {"编号": text(results.ids), "名称": text(roster.names), "领域": text(roster.domains)}
    columns["类别"] = text(CATEGORY_PREFIX + roster.kinds)
    columns.update({name: number(score) for name, score in results.papers.items()})
    columns["加分"], columns["扣分"] = number(results.bonus), number(results.deduction)
    columns["一票否决"] = text(np.where(results.veto, "是", "否").astype(object))
    columns["总分"] = number(results.total)
    columns["名次"] = pa.array(results.rank, pa.int64())
    columns["排名人数"] = pa.array(results.size, pa.int64())
    columns["等次"] = text(TIER_NAMES[results.tier])
    with path.open("wb") as out:
        out.write((",".join(columns) + "\n").encode())
        options = pcsv.WriteOptions(include_header=False, quoting_style="none")
        pcsv.write_csv(pa.table(columns), out, options)


def run(folder: Path, form: str, output: Path) -> Results:
    """Files to result file: what the whole process and the in-process timing run."""
    spec = Spec.from_json(folder / "spec.json")
    roster = read_roster(folder / "名单.csv")
    x = read_values(folder, form, spec, roster.ids)
    results = evaluate(spec, prepare(spec, roster.ids, roster.kinds), roster.ids, x)
    results.roster = roster
    write_csv(results, output)
    return results


def main() -> None:
    competitor_main(run, __doc__)


if __name__ == "__main__":
    main()
