"""One in-process measurement on one generated workload; run.py starts one process per measurement.

    python bench/scale/compete.py files IMPL FORM DIR -o OUT.csv   # files -> result file, JSON
    python bench/scale/compete.py paired DIR [--repeat 15]         # scoring cores alternating
    python bench/scale/compete.py core RULES DATA [--repeat 30]     # warm evaluate_year, median
    python bench/scale/compete.py profile-core DIR [--top 10]      # cProfile of evaluate_year
    python bench/scale/compete.py profile-whole [--top 10] ARGS…   # cProfile of `kaohe ARGS…`

IMPL is ``engine``, ``numpy`` (reference.py) or ``duckdb`` (duck.py); FORM a data folder
of DIR (data-csv, data-parquet, data-wide-parquet, data-wide-csv).

``files`` imports what the competitor needs first, then times one call from the files to
the result file (wall and CPU seconds of this process, all threads): for the engine the
``kaohe evaluate --rules DIR/rules --data DIR/FORM -o OUT`` command itself, called in this
process (so whatever the command calls is what is timed); for numpy ``reference.run``
(read with pyarrow, score, write); for DuckDB ``duck.run`` (connect, rule tables, one
query written by COPY).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# rules/2024 aggregates records: its compiled query is reused, as on every run after a
# user's first, but the records are aggregated on every run (docs/records.md).
os.environ["KAOHE_RECORDS_CACHE"] = "queries"

IMPLS = ("engine", "numpy", "duckdb")
# Imported before the engine's timed call: the command's own imports (lazy or not) are
# start-up, which the whole-process figure has. Missing ones are skipped (modules move).
ENGINE_MODULES = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.csv",
    "pyarrow.parquet",
    "pyarrow.compute",
    "kaohe_rules.cli",
    "kaohe_rules.cli.evaluate",
    "kaohe_rules.pipeline",
    "kaohe_rules.read.data",
    "kaohe_rules.read.columnar",
    "kaohe_rules.score.engine",
    "kaohe_rules.outputs.report",
)


def _preimport(names: tuple[str, ...]) -> None:
    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def engine_run(folder: Path, form: str, output: Path) -> None:
    """``kaohe evaluate --rules DIR/rules --data DIR/FORM -o OUT`` in this process."""
    from kaohe_rules.cli import cli

    args = ["evaluate", "--rules", str(folder / "rules"), "--data", str(folder / form)]
    code = cli.main([*args, "-o", str(output)], standalone_mode=False)
    if code not in (None, 0):
        raise SystemExit(code)


def files(impl: str, folder: Path, form: str, output: Path) -> dict:
    if impl == "engine":
        _preimport(ENGINE_MODULES)
        run = engine_run
    elif impl == "numpy":
        import reference

        _preimport(("pyarrow", "pyarrow.csv", "pyarrow.parquet", "pyarrow.compute"))
        run = reference.run
    else:
        import duck

        _preimport(("duckdb",))
        run = duck.run
    wall, cpu = time.perf_counter(), time.process_time()
    run(folder, form, output)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def paired(folder: Path, rounds: int) -> dict:
    """The engine's and the hand-written numpy's scoring cores, alternating in one process
    (decision 37): ``rounds`` rounds, each one untimed call then 5 timed ones of the
    engine, then the same of numpy. The engine's core is ``evaluate_year`` given its plan
    on the DataSet read_data made of data-csv; numpy's is ``reference.evaluate`` on the
    units x names array, its rules prepared once (as the plan is)."""
    import reference
    from workload import Spec

    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year
    from kaohe_rules.score.plan import build as build_plan

    resolved = load_rules(folder / "rules").resolved
    data = read_data(folder / "data-csv", resolved.ruleset)
    plan = build_plan(resolved)
    spec = Spec.from_json(folder / "spec.json")
    roster = reference.read_roster(folder / "名单.csv")
    ids = roster.ids
    x = reference.read_values(folder, "data-csv", spec, ids)
    prepared = reference.prepare(spec, ids, roster.kinds)
    samples: dict[str, list[float]] = {"engine": [], "numpy": []}
    runs = {
        "engine": lambda: evaluate_year(resolved, data, plan=plan),
        "numpy": lambda: reference.evaluate(spec, prepared, ids, x),
    }
    for _ in range(rounds):
        for name, run in runs.items():
            run()
            for _ in range(5):
                start = time.perf_counter()
                run()
                samples[name].append(time.perf_counter() - start)
    engine, numpy_ = statistics.median(samples["engine"]), statistics.median(samples["numpy"])
    return {"engine_core_s": engine, "numpy_core_s": numpy_, "samples": len(samples["engine"])}


def core(rules: Path, data_folder: Path, repeat: int) -> dict:
    """Median seconds of ``repeat`` warm evaluate_year calls given the plan (one untimed
    call first): the in-process scoring core on any rule set, e.g. rules/2024."""
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year
    from kaohe_rules.score.plan import build as build_plan

    resolved = load_rules(rules).resolved
    data = read_data(data_folder, resolved.ruleset)
    plan = build_plan(resolved)
    evaluate_year(resolved, data, plan=plan)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate_year(resolved, data, plan=plan)
        samples.append(time.perf_counter() - start)
    return {"core_s": statistics.median(samples), "samples": repeat}


def profile_core(folder: Path, top: int, data_form: str = "data-csv") -> str:
    """The top ``top`` cumulative items of a cProfile of one warm evaluate_year (given
    its plan, after one untimed call)."""
    import cProfile

    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year
    from kaohe_rules.score.plan import build as build_plan

    resolved = load_rules(folder / "rules").resolved
    data = read_data(folder / data_form, resolved.ruleset)
    plan = build_plan(resolved)
    evaluate_year(resolved, data, plan=plan)
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate_year(resolved, data, plan=plan)
    profiler.disable()
    return top_items(profiler, top)


# Frames that only wrap the work (the command line, click, the import machinery): left
# out of the cumulative list, where they would fill the top ten; imports are summed apart.
WRAPPERS = (
    "click/",
    "kaohe_rules/cli/",
    "<frozen",
    "importlib/",
    "builtins.exec>",
    "builtins.__import__>",
)


def top_items(profiler, top: int) -> str:
    """The top ``top`` items by cumulative time (wrappers left out) and by own time."""
    import pstats

    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, func), (_cc, calls, own, cumulative, _callers) in stats.stats.items():
        where = f"{file}:{line}({func})" if line else func
        for prefix in (str(HERE.parent.parent) + "/", "site-packages/"):
            where = where.split(prefix, 1)[-1]
        rows.append((cumulative, own, calls, where))
    imports = max((r[0] for r in rows if "_find_and_load" in r[3]), default=0.0)
    work = [r for r in rows if not any(w in r[3] for w in WRAPPERS)]
    head = f"{stats.total_tt:.3f} s profiled; imports {imports:.3f} s (cumulative)"
    out = [head, "cumulative s | own s | calls | function"]
    for r in sorted(work, reverse=True)[:top]:
        out.append(f"{r[0]:10.3f} | {r[1]:7.3f} | {r[2]:7d} | {r[3]}")
    out.append("by own time:")
    for r in sorted(work, key=lambda r: r[1], reverse=True)[:top]:
        out.append(f"{r[0]:10.3f} | {r[1]:7.3f} | {r[2]:7d} | {r[3]}")
    return "\n".join(out)


def profile_whole(args: list[str], top: int) -> str:
    """The top items of a cProfile of the ``kaohe`` command with ``args``, in this process
    from the first import on."""
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    from kaohe_rules.cli import cli

    try:
        cli.main(args, standalone_mode=False)
    finally:
        profiler.disable()
    return top_items(profiler, top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("files")
    one.add_argument("impl", choices=IMPLS)
    one.add_argument("form")
    one.add_argument("dir", type=Path)
    one.add_argument("-o", "--output", type=Path, required=True)
    pair = sub.add_parser("paired")
    pair.add_argument("dir", type=Path)
    pair.add_argument("--repeat", type=int, default=15)
    timing = sub.add_parser("core")
    timing.add_argument("rules", type=Path)
    timing.add_argument("data", type=Path)
    timing.add_argument("--repeat", type=int, default=30)
    profile = sub.add_parser("profile-core")
    profile.add_argument("dir", type=Path)
    profile.add_argument("--top", type=int, default=10)
    whole = sub.add_parser("profile-whole")
    whole.add_argument("--top", type=int, default=10)
    whole.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.what == "files":
        info = files(args.impl, args.dir, args.form, args.output)
    elif args.what == "paired":
        info = paired(args.dir, args.repeat)
    elif args.what == "core":
        info = core(args.rules, args.data, args.repeat)
    elif args.what == "profile-core":
        info = {"profile": profile_core(args.dir, args.top)}
    else:
        info = {"profile": profile_whole(args.args, args.top)}
    print(json.dumps(info, ensure_ascii=False))


if __name__ == "__main__":
    main()
