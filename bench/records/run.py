"""bench/records (issue 22): 记录汇总 over satisfaction responses, the engine's DuckDB path
against a hand-written pandas read-and-groupby of the same measures.

    python bench/records/run.py [--responses 15000000] [--repeat 3] [--root /tmp/kaohe-records]

Makes the workload once (responses.py; cached under --root, never in the repository), then,
alternating the competitors in every round (medians of the rounds):

- *whole*: fresh processes from the files to a result file. Engine: `kaohe evaluate --rules
  R --data D -o 结果.csv` (it also loads the rules, reads 数据.csv, scores, ranks and writes:
  more work than the competitor, so the ratio is conservative); pandas: `pandas_ref.py D -o
  values.csv`. Wall, CPU (user + sys of the child, os.wait4) and peak RSS.
- *in-process*: in one process that has imported what it needs, the engine's
  `aggregate(ruleset, data)` (the records stage alone: DuckDB over the files) against
  `pandas_ref.values(pandas_ref.read(data))`. Wall and CPU (process_time, all threads).

Both forms hold the same rows: CSV (data-csv) and Parquet (data-parquet). The in-process
values of both competitors are compared unit by unit (exit 1 on any difference beyond
1e-9 relative). The report goes to bench/records/RESULTS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
# The engine reuses its compiled queries (as every run after a user's first does) but
# aggregates the records every run: DuckDB's kept answers would time a cache, not the
# work (docs/records.md). The processes started here inherit this.
os.environ["KAOHE_RECORDS_CACHE"] = "queries"

import pandas_ref  # noqa: E402
import responses  # noqa: E402

FORMS = ("csv", "parquet")
WHOLE = ("engine", "pandas")


def workload(root: Path, count: int) -> Path:
    folder = root / f"r{count}"
    stamp = folder / "COMPLETE"
    if not stamp.exists() or stamp.read_text() != responses.stamp(count):
        print(f"generating {count:,} responses in {folder}", file=sys.stderr)
        responses.generate(folder, count)
    return folder


def whole_args(impl: str, folder: Path, form: str, out: Path) -> list[str]:
    data = folder / f"data-{form}"
    if impl == "engine":
        kaohe = Path(sys.executable).parent / "kaohe"
        return [
            str(kaohe),
            "evaluate",
            "--rules",
            str(folder / "rules"),
            "--data",
            str(data),
            "-o",
            str(out),
        ]
    return [sys.executable, str(HERE / "pandas_ref.py"), str(data), "-o", str(out)]


def run_measured(args: list[str]) -> tuple[float, float, float]:
    """Wall s, CPU s and peak RSS MB of one process; its failure stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def whole(folder: Path, repeat: int, scratch: Path) -> dict:
    samples: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for round_ in range(repeat):
        for form in FORMS:
            for impl in WHOLE:
                out = scratch / f"{impl}-{form}.csv"
                samples.setdefault((impl, form), []).append(
                    run_measured(whole_args(impl, folder, form, out))
                )
        print(f"whole: round {round_ + 1} of {repeat}", file=sys.stderr)
    return {
        key: (
            statistics.median(s[0] for s in runs),
            statistics.median(s[1] for s in runs),
            max(s[2] for s in runs),
        )
        for key, runs in samples.items()
    }


def in_process(folder: Path, repeat: int) -> tuple[dict, list[str]]:
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read.records.aggregate import aggregate

    ruleset = load_rules(folder / "rules").resolved.ruleset
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    found: dict[tuple[str, str], object] = {}

    def timed(key, work):
        wall, cpu = time.perf_counter(), time.process_time()
        found[key] = work()
        samples.setdefault(key, []).append((time.perf_counter() - wall, time.process_time() - cpu))

    for _ in range(repeat):
        for form in FORMS:
            data = folder / f"data-{form}"
            timed(("engine", form), lambda data=data: aggregate(ruleset, data))
            timed(("pandas", form), lambda data=data: pandas_ref.values(pandas_ref.read(data)))
    medians = {
        key: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
        for key, runs in samples.items()
    }
    return medians, cross_check(found)


def cross_check(found: dict) -> list[str]:
    problems = []
    for form in FORMS:
        engine, expected = found[("engine", form)], found[("pandas", form)]
        for name in ("满意度", "好评率"):
            units = engine.results[name].units
            if set(units) != set(expected.index):
                problems.append(f"{form} {name}: units differ")
                continue
            for unit, inputs in units.items():
                want = float(expected.at[unit, name])
                if inputs.value is None and math.isnan(want):
                    continue  # missing both ways: a unit without a group's valid responses
                if inputs.value is None or not abs(inputs.value - want) <= 1e-9 * max(
                    1.0, abs(want)
                ):
                    problems.append(f"{form} {name} {unit}: engine {inputs.value}, pandas {want}")
    return problems


def report(args, folder: Path, whole_: dict, inproc: dict, problems: list[str]) -> str:
    import duckdb
    import pandas as pd

    csv_mb = sum(f.stat().st_size for f in (folder / "data-csv" / "记录").rglob("*.csv")) / 2**20
    pq_mb = (
        sum(f.stat().st_size for f in (folder / "data-parquet" / "记录").rglob("*.parquet")) / 2**20
    )
    command = " ".join(["python bench/records/run.py", *sys.argv[1:]])
    lines = [
        "# bench/records results (issue 22: 记录汇总 over satisfaction responses)",
        "",
        f"Generated by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; medians of "
        f"{args.repeat} alternating rounds. The machine is shared (2 cores): ratios of one run "
        "are the figures, absolute seconds are noisy.",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"{platform.platform()}. Versions: python {platform.python_version()}, "
        f"pandas {pd.__version__}, duckdb {duckdb.__version__}.",
        "",
        f"Workload: {args.responses:,} responses over 429 units (responses.py, seed 22): "
        f"CSV {csv_mb:.0f} MB, Parquet {pq_mb:.0f} MB, the same rows.",
        "",
        "The engine runs with `KAOHE_RECORDS_CACHE=queries`: its compiled query is reused, as on "
        "every run after a user's first (sqlglot is not imported); the records are aggregated "
        "on every run (DuckDB's answers are not reused).",
        "",
        "## Whole process, files to result file",
        "",
        "| competitor | input | wall s | CPU s | peak MB | wall × pandas | CPU × pandas"
        " | peak / CSV size |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for form in FORMS:
        base = whole_[("pandas", form)]
        for impl in WHOLE:
            wall, cpu, peak = whole_[(impl, form)]
            lines.append(
                f"| {impl} | {form} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {wall / base[0]:.2f} "
                f"| {cpu / base[1]:.2f} | {peak / csv_mb:.2f} |"
            )
    lines += [
        "",
        "## In-process (records stage alone against read + groupby)",
        "",
        "| competitor | input | wall s | CPU s | wall × pandas |",
        "|---|---|---:|---:|---:|",
    ]
    for form in FORMS:
        base = inproc[("pandas", form)][0]
        for impl in WHOLE:
            wall, cpu = inproc[(impl, form)]
            lines.append(f"| {impl} | {form} | {wall:.2f} | {cpu:.2f} | {wall / base:.2f} |")
    e_csv, p_csv = whole_[("engine", "csv")], whole_[("pandas", "csv")]
    e_pq, p_pq = whole_[("engine", "parquet")], whole_[("pandas", "parquet")]
    lines += [
        "",
        "## Targets",
        "",
        f"- From CSV, whole process, pandas / engine: {p_csv[0] / e_csv[0]:.2f}x — target ≥ 2: "
        + ("met" if p_csv[0] / e_csv[0] >= 2 else "**not met**"),
        f"- From Parquet, whole process, pandas / engine: {p_pq[0] / e_pq[0]:.2f}x — target ≥ 5: "
        + ("met" if p_pq[0] / e_pq[0] >= 5 else "**not met**"),
        f"- Peak RSS of the engine from CSV: {e_csv[2]:.0f} MB against a {csv_mb:.0f} MB CSV — "
        "target below the file's size: " + ("met" if e_csv[2] < csv_mb else "**not met**"),
        "",
        "## Cross-check",
        "",
        "- "
        + (
            "; ".join(problems)
            if problems
            else "满意度 and 好评率 of all 429 units equal pandas' (1e-9), from CSV and Parquet"
        ),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=15_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--root", type=Path, default=Path("/tmp/kaohe-records"))
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    folder = workload(args.root, args.responses)
    scratch = folder / "out"
    scratch.mkdir(exist_ok=True)
    whole_ = whole(folder, args.repeat, scratch)
    inproc, problems = in_process(folder, args.repeat)
    text = report(args, folder, whole_, inproc, problems)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
