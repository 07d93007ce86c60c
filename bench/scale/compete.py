"""One competitor on one generated workload, in this process; run.py starts one per measurement.

    python bench/scale/compete.py IMPL DIR [--repeat 3] [--save R.npz]      # timings as JSON
    python bench/scale/compete.py IMPL DIR --whole -o OUT.csv                # as a user runs it

IMPL is one of:

engine        kaohe_rules: load_rules, then read_data (the data files, timed as "load"),
              then evaluate_year (timed as "from loaded"; it starts from DataSet.columns,
              the units x indicators columns, so it is also the engine's scoring core).
engine-array  the engine's scoring core fed without YAML roster or read_data: the rules of
              DIR/rules with the roster swapped for 名单.csv (as a roster-from-CSV feature
              would) and a DataSet filled from the Parquet table; evaluate_year timed.
numpy         hand-written numpy (reference.py): pivot to units x 40, score, rank, tier.
duckdb        one SQL query over the long table joined to an indicator-parameter table.
zen           zen-engine (GoRules, Rust): one compiled expression per unit; rank and tier
              with numpy (a per-unit engine has no cross-unit ranking).
paired        not a competitor: the engine's and numpy's scoring cores alternating in one
              process (run_paired), for their ratio under the same machine noise.

"load" is reading the data into memory (the Parquet file for the competitors, the CSV
data folder for the engine); "from loaded" is everything after that up to the result
arrays; "core" is from the units x indicators array to the results.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reference  # noqa: E402  (the script's folder is on the path)
from workload import CATEGORIES, Spec  # noqa: E402

IMPLS = ("engine", "engine-array", "numpy", "duckdb", "zen")


def timed(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median seconds of ``repeat`` calls and the last call's result."""
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


# -- data in memory -----------------------------------------------------------------------
def read_long(folder: Path, source: str):
    """(unit, indicator, value) columns from 数据.parquet or data/数据.csv; the two name
    columns as pandas Categoricals (dictionary-encoded, as a pandas user would read them)."""
    import pandas as pd

    if source == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(folder / "数据.parquet", read_dictionary=["编号", "指标"])
        frame = table.to_pandas()
    else:
        kinds = {"编号": "category", "指标": "category", "值": np.float64}
        frame = pd.read_csv(folder / "data" / "数据.csv", dtype=kinds)
    return frame["编号"].array, frame["指标"].array, frame["值"].to_numpy(dtype=np.float64)


# -- engine -------------------------------------------------------------------------------
def read_roster_and_long(folder: Path, source: str):
    """名单.csv's unit ids and category codes, and the long table, as the hand-written
    competitors load them."""
    ids, cats = reference.read_roster(folder / "名单.csv")
    return ids, cats, read_long(folder, source)


def engine_results(evaluation) -> reference.Results:
    """The engine's per-domain columns as roster-ordered arrays (ids are U + row number)."""
    n = len(evaluation.resolved.ruleset.units)
    ids = np.empty(n, dtype=object)
    total, rank = np.zeros(n), np.zeros(n, dtype=np.int64)
    tier = np.zeros(n, dtype=np.int8)
    code = {"第一等次": 1, "第二等次": 2, "第三等次": 3}
    for d in evaluation.domains:
        unit_ids = [u.id for u in d.units]
        rows = np.array([int(u[1:]) - 1 for u in unit_ids], dtype=np.int64)
        ids[rows] = unit_ids
        total[rows], rank[rows] = d.total, d.rank.astype(np.int64)
        tier[rows] = [code[t] for t in d.tier]
    return reference.Results(ids, total, rank, tier)


def run_engine(folder: Path, repeat: int, load_repeat: int) -> tuple[dict, reference.Results]:
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year

    rules_s, loaded = timed(lambda: load_rules(folder / "rules"), 1)
    resolved = loaded.resolved
    load_s, data = timed(lambda: read_data(folder / "data", resolved.ruleset), load_repeat)
    # The first call also builds the roster columns, cached on the rule set (a one-shot
    # `kaohe evaluate` pays it every time); the median is of the calls after it.
    # The first call also builds the rule set's plan (a one-shot `kaohe evaluate` pays it
    # once); the median is of calls given the plan, as a process evaluating again does.
    first_s, first = timed(lambda: evaluate_year(resolved, data), 1)
    plan = first.plan
    core_s, evaluation = timed(lambda: evaluate_year(resolved, data, plan=plan), repeat)
    info = {"rules_s": rules_s, "load_s": load_s, "from_loaded_s": core_s, "core_s": core_s}
    info["first_s"] = first_s
    return info, engine_results(evaluation)


def run_engine_array(folder: Path, repeat: int, load_repeat: int) -> tuple[dict, reference.Results]:
    import dataclasses

    from workload import domain_of

    from kaohe_rules import model as m
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.dataset import DataSet
    from kaohe_rules.rules.resolve import Resolved
    from kaohe_rules.score.engine import evaluate_year

    spec = Spec.from_json(folder / "spec.json")

    def rules() -> Resolved:
        # The domain files only: the roster in DIR/rules is replaced, so load a copy of the
        # rule directory whose roster is one unit per category (small, fast YAML).
        small = _small_rules(folder)
        resolved = load_rules(small).resolved
        ids, cats = reference.read_roster(folder / "名单.csv")
        letters = np.array(CATEGORIES, dtype=object)[cats]
        units = tuple(
            m.Unit(u, f"单位{u[1:]}", domain_of(k), (("类型", k),), None)
            for u, k in zip(ids.tolist(), letters.tolist(), strict=True)
        )
        ruleset = dataclasses.replace(resolved.ruleset, units=units)
        return Resolved(ruleset, resolved.programs), ids

    rules_s, (resolved, ids) = timed(rules, 1)

    def load() -> DataSet:
        unit, name, value = read_long(folder, "parquet")
        x = reference.pivot(spec, ids, unit, name, value)
        data = DataSet.empty(resolved.ruleset)
        rows = data.roster_rows(np.arange(len(ids)))  # the DataSet's unit order
        for j, column in enumerate(spec.indicator_ids):
            data.columns[column] = np.ascontiguousarray(x[rows, j])
        data.present[:] = True
        return data

    load_s, data = timed(load, load_repeat)
    # The first call also builds the rule set's plan (a one-shot `kaohe evaluate` pays it
    # once); the median is of calls given the plan, as a process evaluating again does.
    first_s, first = timed(lambda: evaluate_year(resolved, data), 1)
    plan = first.plan
    core_s, evaluation = timed(lambda: evaluate_year(resolved, data, plan=plan), repeat)
    info = {"rules_s": rules_s, "load_s": load_s, "from_loaded_s": core_s, "core_s": core_s}
    info["first_s"] = first_s
    return info, engine_results(evaluation)


def _small_rules(folder: Path) -> Path:
    """DIR/rules-small: DIR/rules' files with a one-unit-per-category roster."""
    import shutil

    from workload import DOMAINS

    small = folder / "rules-small"
    if not small.is_dir():
        small.mkdir()
        for path in (folder / "rules").iterdir():
            if path.name != "名单.yaml":
                shutil.copy(path, small / path.name)
        lines = ["属性:\n  类型: 文本\n单位:\n"]
        for domain, kinds in DOMAINS.items():
            for k in kinds:
                lines.append(f"  - {{编号: S{k}, 名称: 样例{k}, 领域: {domain}, 类型: {k}}}\n")
        (small / "名单.yaml").write_text("".join(lines), encoding="utf-8")
    return small


# -- numpy --------------------------------------------------------------------------------
def run_numpy(folder: Path, repeat: int, load_repeat: int, source: str = "parquet"):
    spec = Spec.from_json(folder / "spec.json")
    load_s, (ids, cats, (unit, name, value)) = timed(
        lambda: read_roster_and_long(folder, source), load_repeat
    )

    def whole() -> reference.Results:
        x = reference.pivot(spec, ids, unit, name, value)
        return reference.evaluate(spec, ids, cats, x)

    from_loaded_s, results = timed(whole, repeat)
    x = reference.pivot(spec, ids, unit, name, value)
    core_s, _ = timed(lambda: reference.evaluate(spec, ids, cats, x), repeat)
    info = {"load_s": load_s, "from_loaded_s": from_loaded_s, "core_s": core_s}
    return info, results


# -- DuckDB -------------------------------------------------------------------------------
def duckdb_params(spec: Spec):
    """The indicator-parameter table: one row per indicator name."""
    import pandas as pd

    rows = []
    for i in spec.linear:
        rows.append(("linear", i.id, i.paper, i.marks, i.floor, i.target, None, None, None))
    for kind, items, caps in (
        ("bonus", spec.bonus, spec.bonus_paper_caps),
        ("deduction", spec.deduction, spec.deduction_paper_caps),
    ):
        for i in items:
            rows.append((kind, i.id, i.paper, None, None, None, i.per, i.cap, caps[i.paper]))
    columns = ["kind", "指标", "paper", "marks", "floor", "target", "per", "cap", "paper_cap"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["is_veto"] = frame["指标"] == spec.veto_item
    return frame


def duckdb_sql(spec: Spec) -> str:
    """One query: score, cap, total, rank (window), tier (windows)."""
    p = spec.precision
    return f"""
WITH j AS (
  SELECT v.编号 AS id, v.值 AS x, p.*
  FROM v JOIN params p ON v.指标 = p.指标
),
per_paper AS (
  SELECT id, paper,
    SUM(CASE WHEN kind = 'linear'
        THEN coalesce(marks * LEAST(GREATEST((x - floor) / (target - floor), 0), 1), 0) END)
      AS lin,
    LEAST(coalesce(SUM(CASE WHEN kind = 'bonus' THEN LEAST(x * per, cap) END), 0),
          coalesce(MAX(CASE WHEN kind = 'bonus' THEN paper_cap END), 0)) AS bonus,
    LEAST(coalesce(SUM(CASE WHEN kind = 'deduction' THEN LEAST(x * per, cap) END), 0),
          coalesce(MAX(CASE WHEN kind = 'deduction' THEN paper_cap END), 0)) AS ded,
    MAX(CASE WHEN is_veto THEN x END) AS veto_x
  FROM j GROUP BY id, paper
),
per_unit AS (
  SELECT id,
    SUM(coalesce(lin, 0)) + LEAST(SUM(bonus), {spec.bonus_cap})
      - LEAST(SUM(ded), {spec.deduction_cap}) AS raw,
    coalesce(MAX(veto_x), 0) > 0 AS veto
  FROM per_paper GROUP BY id
),
scored AS (
  SELECT u.id, r.类型 AS cat, u.veto,
    CAST(ROUND(CAST(u.raw AS DECIMAL(38, 12)), {p}) AS DOUBLE) AS total
  FROM per_unit u JOIN roster r ON u.id = r.编号
),
ranked AS (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY cat ORDER BY total DESC, id) AS rank,
    COUNT(*) OVER (PARTITION BY cat) AS size,
    SUM(CAST(veto AS INTEGER)) OVER (PARTITION BY cat) AS vetoed,
    ROW_NUMBER() OVER (PARTITION BY cat, veto ORDER BY total DESC, id) AS from_top,
    COUNT(*) OVER (PARTITION BY cat, veto) AS kept
  FROM scored
)
SELECT id, total, rank,
  CASE WHEN veto THEN 3
       WHEN kept - from_top + 1 <= GREATEST((size + 5) // 10 - vetoed, 0) THEN 3
       WHEN from_top <= size * 3 // 10 THEN 1
       ELSE 2 END AS tier
FROM ranked ORDER BY id
"""


def run_duckdb(folder: Path, repeat: int, load_repeat: int, source: str = "parquet"):
    import duckdb

    spec = Spec.from_json(folder / "spec.json")
    con = duckdb.connect()
    con.register("params_frame", duckdb_params(spec))

    def load() -> None:
        if source == "parquet":
            reader = f"read_parquet('{folder / '数据.parquet'}')"
        else:
            reader = f"read_csv('{folder / 'data' / '数据.csv'}', header = true)"
        con.execute(f"CREATE OR REPLACE TABLE v AS SELECT * FROM {reader}")
        con.execute(
            "CREATE OR REPLACE TABLE roster AS SELECT * FROM "
            f"read_csv('{folder / '名单.csv'}', header = true, all_varchar = true)"
        )
        con.execute("CREATE OR REPLACE TABLE params AS SELECT * FROM params_frame")

    load_s, _ = timed(load, load_repeat)
    sql = duckdb_sql(spec)

    def query() -> reference.Results:
        out = con.execute(sql).fetchnumpy()
        return reference.Results(
            np.asarray(out["id"], dtype=object),
            np.asarray(out["total"], dtype=np.float64),
            np.asarray(out["rank"], dtype=np.int64),
            np.asarray(out["tier"], dtype=np.int8),
        )

    from_loaded_s, results = timed(query, repeat)
    info = {"load_s": load_s, "from_loaded_s": from_loaded_s, "core_s": None}
    info["threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]
    return info, results


# -- zen-engine ---------------------------------------------------------------------------
def zen_expression(spec: Spec) -> tuple[str, list[str]]:
    """One ZEN expression per unit returning [round(total, 精度), veto]; variables x01…x40."""
    names = {ind: f"x{j + 1:02d}" for j, ind in enumerate(spec.indicator_ids)}
    papers = []
    for paper, _weight, _count in spec.papers:
        terms = [
            f"{i.marks!r} * min([max([({names[i.id]} - {i.floor!r}) / "
            f"({i.target!r} - {i.floor!r}), 0]), 1])"
            for i in spec.linear
            if i.paper == paper
        ]
        papers.append("(" + " + ".join(terms) + ")")

    def items(entries, caps, cap) -> str:
        parts = []
        for paper, paper_cap in caps.items():
            mine = [
                f"min([{names[i.id]} * {i.per!r}, {i.cap!r}])" for i in entries if i.paper == paper
            ]
            if mine:
                parts.append(f"min([{' + '.join(mine)}, {paper_cap!r}])")
        return f"min([{' + '.join(parts)}, {cap!r}])"

    bonus = items(spec.bonus, spec.bonus_paper_caps, spec.bonus_cap)
    deduction = items(spec.deduction, spec.deduction_paper_caps, spec.deduction_cap)
    total = f"round({' + '.join(papers)} + {bonus} - {deduction}, {spec.precision})"
    return f"[{total}, {names[spec.veto_item]} > 0]", [names[i] for i in spec.indicator_ids]


def run_zen(folder: Path, repeat: int, load_repeat: int, source: str = "parquet"):
    import zen

    spec = Spec.from_json(folder / "spec.json")
    load_s, (ids, cats, (unit, name, value)) = timed(
        lambda: read_roster_and_long(folder, source), load_repeat
    )
    text, variables = zen_expression(spec)
    expression = zen.compile_expression(text)

    def core(x: np.ndarray) -> reference.Results:
        evaluate = expression.evaluate
        out = [evaluate(dict(zip(variables, row, strict=True))) for row in x.tolist()]
        total = np.array([o[0] for o in out], dtype=np.float64)
        veto = np.array([o[1] for o in out], dtype=bool)
        rank, tier = reference.rank_and_tier(total, cats, veto)
        return reference.Results(ids, total, rank, tier)

    def whole() -> reference.Results:
        return core(reference.pivot(spec, ids, unit, name, value))

    from_loaded_s, results = timed(whole, repeat)
    x = reference.pivot(spec, ids, unit, name, value)
    core_s, _ = timed(lambda: core(x), repeat)
    return {"load_s": load_s, "from_loaded_s": from_loaded_s, "core_s": core_s}, results


RUNNERS = {
    "engine": run_engine,
    "engine-array": run_engine_array,
    "numpy": run_numpy,
    "duckdb": run_duckdb,
    "zen": run_zen,
}


def run_paired(
    folder: Path, repeat: int, load_repeat: int, source: str = "parquet"
) -> tuple[dict, reference.Results]:
    """The engine's and the hand-written numpy scoring core, alternating in one process:
    ``repeat`` rounds, each one untimed call then 5 timed ones of the engine, then the
    same of numpy. The two share the machine's moment (a 2-core VM's speed drifts by a
    third between minutes), so their ratio is steadier than one of separate processes."""
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year
    from kaohe_rules.score.plan import build as build_plan

    spec = Spec.from_json(folder / "spec.json")
    resolved = load_rules(folder / "rules").resolved
    data = read_data(folder / "data", resolved.ruleset)
    plan = build_plan(resolved)
    ids, cats, (unit, name, value) = read_roster_and_long(folder, source)
    x = reference.pivot(spec, ids, unit, name, value)
    engine_s: list[float] = []
    numpy_s: list[float] = []
    evaluation = None
    for _ in range(repeat):
        for run, out in (
            (lambda: evaluate_year(resolved, data, plan=plan), engine_s),
            (lambda: reference.evaluate(spec, ids, cats, x), numpy_s),
        ):
            result = run()
            for _ in range(5):
                start = time.perf_counter()
                result = run()
                out.append(time.perf_counter() - start)
            if out is engine_s:
                evaluation = result
    engine, numpy_ = statistics.median(engine_s), statistics.median(numpy_s)
    info = {"load_s": None, "from_loaded_s": engine, "core_s": engine}
    info.update(engine_core_s=engine, numpy_core_s=numpy_, ratio=engine / numpy_)
    info["samples"] = len(engine_s)
    return info, engine_results(evaluation)


RUNNERS["paired"] = run_paired


def write_csv(results: reference.Results, path: Path) -> None:
    import pandas as pd

    names = np.array(["", "第一等次", "第二等次", "第三等次"], dtype=object)
    frame = pd.DataFrame(
        {
            "编号": results.ids,
            "总分": results.total,
            "名次": results.rank,
            "等次": names[results.tier],
        }
    )
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("impl", choices=(*IMPLS, "paired"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load-repeat", type=int, default=1, help="times to time the load")
    parser.add_argument("--save", type=Path, help="write the result arrays (.npz)")
    parser.add_argument("--whole", action="store_true", help="read CSV, compute, write -o")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    if args.whole:
        if args.impl.startswith("engine"):
            parser.error("the engine's whole process is `kaohe evaluate` (see run.py)")
        _info, results = RUNNERS[args.impl](args.dir, 1, 1, source="csv")
        write_csv(results, args.output)
        return
    info, results = RUNNERS[args.impl](args.dir, args.repeat, args.load_repeat)
    if args.save:
        results.save(args.save)
    info.update(impl=args.impl, n=len(results.ids), repeat=args.repeat)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
