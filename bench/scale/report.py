"""RESULTS.md from what run.py measured (its State): tables, targets, cross-check, profiles."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

FORM_NAMES = {
    "data-csv": "long CSV",
    "data-parquet": "long Parquet",
    "data-wide-parquet": "wide Parquet",
    "data-wide-csv": "wide CSV",
}


def machine() -> str:
    cpu, mem_kb = "unknown", 0
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    return (
        f"{os.cpu_count()} cores, {mem_kb / 1024 / 1024:.1f} GiB RAM, {cpu}, {platform.platform()}"
    )


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = [f"python {platform.python_version()}"]
    for name in ("numpy", "pandas", "pyarrow", "duckdb", "kaohe-rules"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} not installed")
    return ", ".join(out)


def _s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def _r(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else f"{a / b:.2f}"


def long_mb(n: int, rows: int) -> float:
    """The long values table as a columnar reader holds it: int32 + int32 + float64 a row,
    plus the distinct ids (8 + 4 bytes each)."""
    return (rows * 16 + n * 12) / 1e6


def _short(stopped: str) -> str:
    """A table cell for a run that did not finish (the whole text is under the table)."""
    import re

    code = re.search(r"\b(KH\d{3})\b", stopped)
    return f"refused ({code.group(1)})" if code else stopped.split("(")[0].strip()[:40]


def table(state, n: int) -> list[str]:
    head = [
        f"### N = {n:,}\n",
        "| competitor | input | whole wall s | whole CPU s | whole peak MB | in-process wall s "
        "| in-process CPU s | in-process peak MB | whole wall × DuckDB | whole CPU × DuckDB "
        "| µs/unit (whole wall) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines = []
    for form in state.args["forms"]:
        for impl in state.args["impls"]:
            whole, files = state.cell(n, impl, form, "whole"), state.cell(n, impl, form, "files")
            duck = state.cell(n, "duckdb", form, "whole")
            if whole.stopped:
                cells = [_short(whole.stopped), "", ""]
            else:
                cells = [_s(whole.median("wall")), _s(whole.median("cpu")), _s(whole.peak())]
            if files.stopped:
                cells += [_short(files.stopped), "", ""]
            else:
                cells += [_s(files.median("wall")), _s(files.median("cpu")), _s(files.peak())]
            wall = whole.median("wall")
            cells += [_r(wall, duck.median("wall")), _r(whole.median("cpu"), duck.median("cpu"))]
            cells.append("—" if wall is None else f"{wall / n * 1e6:.1f}")
            lines.append(f"| {impl} | {FORM_NAMES[form]} | " + " | ".join(cells) + " |")
    return [*head, *lines, ""]


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def _small(state, name: str, what: str) -> float | None:
    runs = [r[what] for r in state.small.get(name, []) if r["stopped"] is None]
    return statistics.median(runs) if runs else None


def _flat(per_unit: dict[int, float], what: str, target: str) -> list[str]:
    """The line saying how far from flat a time per unit is, from 10,000 units up."""
    if len(per_unit) < 2:
        return []
    spread = max(per_unit.values()) / min(per_unit.values())
    shown = ", ".join(f"{n:,}: {v:.1f}" for n, v in per_unit.items())
    complete = 1_000_000 in per_unit and 10_000 in per_unit
    verdict = _verdict(spread <= 1.5) if complete else "— (1,000,000 not measured)"
    return [f"- {what}: {shown}; max / min {spread:.2f} — {target}: {verdict}"]


def targets(state) -> list[str]:
    sizes = sorted(state.rows)
    lines = []

    def whole(n, impl, form="data-csv", what="wall"):
        return state.cell(n, impl, form, "whole").median(what)

    for n in (s for s in sizes if s >= 100_000):
        e, d = whole(n, "engine"), whole(n, "duckdb")
        ok = None if e is None or not d else e / d < 1
        cpu = _r(whole(n, "engine", what="cpu"), whole(n, "duckdb", what="cpu"))
        lines.append(
            f"- End to end (long CSV in, CSV out), engine / DuckDB at {n:,}: "
            f"{_r(e, d)} wall ({cpu} CPU) — target < 1.0: {_verdict(ok)}"
        )
    for n in (s for s in sizes if s >= 10_000):
        csv, pq = whole(n, "engine"), whole(n, "engine", "data-parquet")
        ratio = None if csv is None or not pq else csv / pq
        wide = whole(n, "engine", "data-wide-parquet")
        lines.append(
            f"- Parquet input, engine at {n:,}: long CSV / long Parquet = {_r(csv, pq)} "
            f"(long CSV / wide Parquet = {_r(csv, wide)}) — target ≥ 3: "
            + _verdict(None if ratio is None else ratio >= 3)
        )
    evaluate, pandas = _small(state, "evaluate", "wall"), _small(state, "import pandas", "wall")
    help_ = _small(state, "help", "wall")
    if evaluate and pandas:
        cpu_e, cpu_p = _small(state, "evaluate", "cpu"), _small(state, "import pandas", "cpu")
        lines.append(
            f'- rules/2024 (429 units), `kaohe evaluate -o out.csv` / `python -c "import pandas"`: '
            f"{evaluate / pandas:.2f} wall ({_r(cpu_e, cpu_p)} CPU) — target ≤ 1.0: "
            + _verdict(evaluate / pandas <= 1.0)
        )
        kept = _small(state, "evaluate, answers kept", "wall")
        if kept:
            lines.append(
                f"- the same, a repeated run with DuckDB's answers kept (`KAOHE_RECORDS_CACHE=all`,"
                f" the default): {kept / pandas:.2f} wall — target ≤ 1.0: "
                + _verdict(kept / pandas <= 1.0)
            )
        lines.append(
            f"- `kaohe --help` / `import pandas`: {help_ / pandas:.2f} wall "
            f"({_r(_small(state, 'help', 'cpu'), cpu_p)} CPU) — target ≤ 0.3: "
            + _verdict(help_ / pandas <= 0.3)
        )
    for n in (s for s in sizes if s >= 10_000 and s in state.paired):
        p = state.paired[n]
        ratio = p["engine_core_s"] / p["numpy_core_s"]
        lines.append(
            f"- Scoring core, engine / numpy at {n:,} (alternating in one process): "
            f"{ratio:.2f} — target ≤ 1.5: {_verdict(ratio <= 1.5)}"
        )
    per_unit = {
        n: whole(n, "engine") / n * 1e6 for n in sizes if n >= 10_000 and whole(n, "engine")
    }
    lines += _flat(
        per_unit,
        "Time per unit end to end (engine, long CSV, wall µs)",
        "target ≤ 1.5 from 10,000 to 1,000,000",
    )
    base = whole(429, "engine") if 429 in sizes else None
    marginal = {
        n: (whole(n, "engine") - base) / (n - 429) * 1e6
        for n in sizes
        if n >= 10_000 and whole(n, "engine") and base
    }
    what = "what N adds to the 429-unit run of the same workload: (wall(N) − wall(429))"
    lines += _flat(
        marginal, f"The same beyond the fixed cost ({what} / (N − 429), µs)", "within 1.5"
    )
    if 1_000_000 in state.rows:
        peak = state.cell(1_000_000, "engine", "data-csv", "whole").peak()
        table_mb = long_mb(1_000_000, state.rows[1_000_000])
        ratio = None if peak is None else peak / table_mb
        lines.append(
            f"- Peak RSS of `kaohe evaluate` (long CSV) at 1,000,000: {_s(peak)} MB = "
            f"{'—' if ratio is None else f'{ratio:.2f}'}x the long values table "
            f"({table_mb:,.0f} MB) — target ≤ 2: {_verdict(None if ratio is None else ratio <= 2)}"
        )
    return lines


EXPLAIN = """\
What each column times (all runs of one N alternate: round 1 of every competitor and
input form, then round 2 …; medians of the rounds):

- *whole*: a fresh process from the files to the result CSV, as a user runs it: engine
  `kaohe evaluate --rules DIR/rules --data DIR/FORM -o out.csv`; numpy
  `python bench/scale/reference.py FORM DIR -o out.csv`; DuckDB
  `python bench/scale/duck.py FORM DIR -o out.csv`. *wall* from start to exit, *CPU* the
  child's user + sys time (os.wait4 rusage, every thread), *peak MB* its maximum RSS
  (ru_maxrss; the largest of the rounds). Imports, rule loading, reading, scoring and
  writing are all in it.
- *in-process*: the same work from files to result file in a process that has already
  imported what it needs (`compete.py files`): engine the `kaohe evaluate` command itself
  called in-process (so whatever it calls is timed: load_rules, read_data, evaluate_year,
  render, write); numpy read (pyarrow) + prepare + score + write; DuckDB connect + rule
  tables + one query + COPY. Wall and CPU (process_time, all threads) of that call.
- Before any run, the package's and the benchmark's Python files are compiled to bytecode,
  as an installed package has them (run.compile_bytecode): otherwise a module edited since
  its .pyc was written, or every module under PYTHONDONTWRITEBYTECODE, is compiled again by
  each process.
- *× DuckDB*: the competitor's whole-process median over DuckDB's on the same input form.
- *µs/unit*: whole-process wall / N.
- Every competitor reads the same files and writes the same result table (the engine's 20
  columns: 编号, 名称, 领域, 类别, the papers, 加分, 扣分, 一票否决, 总分, 名次, 排名人数,
  等次); every result file is compared with numpy's from the long CSV, cell by cell
  (*Cross-check*).
"""


def write(path: Path, state) -> str:
    args = state.args
    parts = [
        "# bench/scale results (issue 20: a realistic workload, end to end)\n",
        "Generated by `python bench/scale/run.py "
        + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in args.items()
            if k in ("sizes", "repeat", "once_above", "profile_sizes")
        )
        + "` on "
        + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        + f". Rounds: {args['repeat']} up to N = {args['once_above']:,}, 1 above. "
        "The machine is shared (2 cores, other jobs running): absolute seconds are noisy, "
        "ratios of one run's alternating medians less so.\n",
        f"Machine: {machine()}\n",
        f"Versions: {versions()}\n",
        "## End to end and in-process, per N and input form\n",
        EXPLAIN,
    ]
    for n in sorted(state.rows):
        parts += table(state, n)
    parts += [
        "Long values table (int32 + int32 + float64 a value given, plus the distinct ids): "
        + ", ".join(
            f"{n:,}: {long_mb(n, r):,.1f} MB ({r:,} values)" for n, r in sorted(state.rows.items())
        )
        + "\n",
        "## Scoring core (secondary)\n",
        "`compete.py paired`: the engine's `evaluate_year` (given its plan, on the DataSet "
        "read_data made of the long CSV) and numpy's `reference.evaluate` (on the units x names "
        "array, rules prepared once), alternating in one process: rounds of one untimed and "
        "5 timed calls each; medians (decision 37).\n",
        "| N | engine s | numpy s | engine / numpy | samples each |",
        "|---:|---:|---:|---:|---:|",
        *[
            f"| {n:,} | {p['engine_core_s']:.4f} | {p['numpy_core_s']:.4f} | "
            f"{p['engine_core_s'] / p['numpy_core_s']:.2f} | {p['samples']} |"
            for n, p in sorted(state.paired.items())
        ],
        "",
    ]
    if state.small:
        parts += small_section(state)
    parts += ["## Targets\n", *targets(state), ""]
    parts += [
        "## Cross-check\n",
        *[f"- N = {n:,}: {t}" for n, t in sorted(state.checks.items())],
        "",
    ]
    if state.profiles:
        parts += ["## Profiles (cProfile, top ten by cumulative time)\n"]
        parts += ["*core*: one warm `evaluate_year` given its plan; *whole*: the `kaohe evaluate` "
                  "command in-process from the first import of kaohe_rules.cli (profiling "
                  "inflates the times).\n"]  # fmt: skip
        for name, text in state.profiles.items():
            parts += [f"### {name}\n", "```", text, "```", ""]
    stopped = [
        f"- {c.impl} {FORM_NAMES[c.form]} ({c.kind}) at N = {c.n:,}: {c.stopped}"
        for c in state.cells
        if c.stopped
    ]
    if stopped or state.notes:
        parts += ["## Runs that did not finish, and notes\n", *stopped, *state.notes, ""]
    text = "\n".join(parts)
    path.write_text(text, encoding="utf-8")
    return text


def small_section(state) -> list[str]:
    rows = []
    for name, shown in (
        ("evaluate", "`kaohe evaluate --rules rules/2024 --data samples/2024 -o out.csv`"),
        ("evaluate, answers kept", "the same, a repeated run: DuckDB's answers kept"),
        ("import pandas", '`python -c "import pandas"`'),
        ("help", "`kaohe --help`"),
    ):
        rows.append(
            f"| {shown} | {_s(_small(state, name, 'wall'))} | {_s(_small(state, name, 'cpu'))} "
            f"| {_s(_small(state, name, 'rss_mb'))} |"
        )
    count = len(state.small.get("evaluate", []))
    out = [
        "## rules/2024 at 429 units (the bundled rules and samples)\n",
        f"Whole processes, alternating, medians of {count}:\n",
        "| command | wall s | CPU s | peak MB |",
        "|---|---:|---:|---:|",
        *rows,
        "",
    ]
    if state.cores:
        shown = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in state.cores.items())
        out += [
            "In-process warm `evaluate_year` (given its plan, median of 50, `compete.py core`): "
            + shown
            + "\n"
        ]
    return out
