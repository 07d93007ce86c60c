"""Issue 8: one million units end to end, the engine against its best peers, side by side.

    python bench/scale/run.py [--sizes 429 10000 100000 1000000] [--repeat 3]
                              [--root /tmp/kaohe-scale] [--out bench/scale/RESULTS.md]

For each size: generate the workload (generate.py, cached under --root), run each
competitor in its own subprocess (compete.py; peak RSS from wait4), run each as a whole
process on the CSV data (`kaohe evaluate -o out.csv` for the engine), cross-check all
results (totals within 1e-9, identical ranks and tiers; exits 1 on any mismatch), then
print one table and write it, the machine and the versions to RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from reference import Results  # noqa: E402  (the script's folder is on the path)

PY = sys.executable


@dataclass
class Row:
    impl: str
    n: int
    load_s: float | None = None
    from_loaded_s: float | None = None
    core_s: float | None = None
    whole_s: float | None = None
    peak_mb: float | None = None  # the in-process measurement's subprocess
    whole_peak_mb: float | None = None
    notes: list[str] = field(default_factory=list)
    # Engine rows: the scoring core against numpy's alternating in one process (compete.py
    # paired), seconds (medians) of each.
    paired_core_s: float | None = None
    paired_numpy_s: float | None = None

    @property
    def paired_ratio(self) -> float | None:
        if self.paired_core_s is None or not self.paired_numpy_s:
            return None
        return self.paired_core_s / self.paired_numpy_s


def run_measured(args: list[str]) -> tuple[float, float, str, str, int]:
    """Wall seconds, peak RSS (MB, the child's own from os.wait4), stdout, stderr, exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    out_chunks, err_chunks = [], []
    # Drain the pipes in threads so a large output cannot block the child.
    import threading

    def drain(stream, sink) -> None:
        sink.append(stream.read())

    threads = [
        threading.Thread(target=drain, args=(proc.stdout, out_chunks)),
        threading.Thread(target=drain, args=(proc.stderr, err_chunks)),
    ]
    for t in threads:
        t.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = b"".join(out_chunks).decode(errors="replace")
    err = b"".join(err_chunks).decode(errors="replace")
    return wall, usage.ru_maxrss / 1024, out, err, proc.returncode


def generate(n: int, root: Path) -> Path:
    folder = root / f"n{n}"
    if not (folder / "数据.parquet").is_file() or not (folder / "rules" / "名单.csv").is_file():
        print(f"generating {n:,} units …", flush=True)
        subprocess.run(
            [PY, str(HERE / "generate.py"), str(n), "--out", str(folder)], check=True, cwd=ROOT
        )
    return folder


def measure_in_process(impl: str, folder: Path, repeat: int, load_repeat: int) -> Row:
    save = folder / f"result-{impl}.npz"
    args = [PY, str(HERE / "compete.py"), impl, str(folder), "--repeat", str(repeat)]
    args += ["--load-repeat", str(load_repeat), "--save", str(save)]
    _wall, peak, out, err, code = run_measured(args)
    if code != 0:
        raise SystemExit(f"{impl} failed on {folder}:\n{err[-3000:]}")
    info = json.loads(out.strip().splitlines()[-1])
    row = Row(impl, info["n"], info["load_s"], info["from_loaded_s"], info["core_s"])
    row.peak_mb = peak
    if "rules_s" in info:
        row.notes.append(f"load_rules {info['rules_s']:.2f} s")
    if "first_s" in info:
        row.notes.append(
            f"first evaluate_year {info['first_s']:.3f} s (builds the roster columns, "
            "cached per rule set; the median is of later calls)"
        )
    if "threads" in info:
        row.notes.append(f"DuckDB threads {info['threads']}")
    return row


def measure_paired(row: Row, folder: Path, rounds: int) -> None:
    """The engine's scoring core and numpy's, alternating in one process (compete.py)."""
    args = [PY, str(HERE / "compete.py"), "paired", str(folder), "--repeat", str(rounds)]
    _wall, _peak, out, err, code = run_measured(args)
    if code != 0:
        raise SystemExit(f"paired core timing failed on {folder}:\n{err[-3000:]}")
    info = json.loads(out.strip().splitlines()[-1])
    row.paired_core_s, row.paired_numpy_s = info["engine_core_s"], info["numpy_core_s"]


def measure_whole(impl: str, folder: Path, n: int, repeat: int) -> tuple[float, float, str]:
    out = folder / f"whole-{impl}.csv"
    note = ""
    if impl == "engine":
        rules, data = str(folder / "rules"), str(folder / "data")
        command = [str(Path(PY).parent / "kaohe")]
        args = [*command, "evaluate", "--rules", rules, "--data", data, "-o", str(out)]
    else:
        args = [PY, str(HERE / "compete.py"), impl, str(folder), "--whole", "-o", str(out)]
    walls, peaks = [], []
    for _ in range(repeat):
        wall, peak, _o, err, code = run_measured(args)
        if code != 0:
            raise SystemExit(f"{impl} (whole process) failed on {folder}:\n{err[-3000:]}")
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), max(peaks), note


def cross_check(folder: Path, impls: list[str]) -> str:
    """Every competitor's arrays against numpy's; raise SystemExit on any difference."""
    base = Results.load(folder / "result-numpy.npz")
    problems = []
    for impl in impls:
        other = Results.load(folder / f"result-{impl}.npz")
        if len(other.ids) != len(base.ids) or not (other.ids == base.ids).all():
            problems.append(f"{impl}: different units")
            continue
        gap = float(np.max(np.abs(other.total - base.total))) if len(base.total) else 0.0
        if not gap <= 1e-9:
            worst = int(np.argmax(np.abs(other.total - base.total)))
            problems.append(
                f"{impl}: totals differ by up to {gap:g} (unit {base.ids[worst]}: "
                f"{other.total[worst]!r} vs numpy {base.total[worst]!r})"
            )
        if not (other.rank == base.rank).all():
            bad = int(np.sum(other.rank != base.rank))
            problems.append(f"{impl}: {bad} ranks differ")
        if not (other.tier == base.tier).all():
            bad = int(np.sum(other.tier != base.tier))
            problems.append(f"{impl}: {bad} tiers differ")
    if problems:
        raise SystemExit(f"MISMATCH at {folder.name}:\n  " + "\n  ".join(problems))
    counts = np.bincount(base.tier, minlength=4)[1:]
    return f"{len(impls)} implementations agree; tiers 1/2/3 = {counts[0]}/{counts[1]}/{counts[2]}"


def small_case(repeat: int) -> tuple[float, float]:
    kaohe = str(Path(PY).parent / "kaohe")
    walls_k, walls_p = [], []
    for _ in range(repeat):
        walls_k.append(run_measured([kaohe, "evaluate"])[0])
        walls_p.append(run_measured([PY, "-c", "import pandas"])[0])
    return statistics.median(walls_k), statistics.median(walls_p)


# -- report -------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    return {
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "CPU": cpu,
        "OS": platform.platform(),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("numpy", "pandas", "duckdb", "pyarrow", "zen-engine", "kaohe-rules"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(rows: list[Row]) -> str:
    head = (
        "| implementation | N | load s | from loaded s | core s | whole process s | "
        "peak MB (in-process / whole) | from loaded × DuckDB | from loaded × numpy | "
        "core × numpy | µs/unit (from loaded) |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    by = {(r.impl, r.n): r for r in rows}
    for r in rows:
        duck, hand = by.get(("duckdb", r.n)), by.get(("numpy", r.n))

        def ratio(base: Row | None, row: Row = r) -> str:
            if base is None or base.from_loaded_s in (None, 0) or row.from_loaded_s is None:
                return "—"
            return f"{row.from_loaded_s / base.from_loaded_s:.2f}"

        core = "—"
        if r.paired_ratio is not None:
            core = f"{r.paired_ratio:.2f} ‡"
        elif hand is not None and hand.core_s and r.core_s is not None:
            core = f"{r.core_s / hand.core_s:.2f}"
        per_unit = "—" if r.from_loaded_s is None else f"{r.from_loaded_s / r.n * 1e6:.2f}"
        peak = f"{_s(r.peak_mb)} / {_s(r.whole_peak_mb)}"
        lines.append(
            f"| {r.impl} | {r.n:,} | {_s(r.load_s)} | {_s(r.from_loaded_s)} | {_s(r.core_s)} "
            f"| {_s(r.whole_s)} | {peak} | {ratio(duck)} | {ratio(hand)} | {core} | {per_unit} |"
        )
    return head + "\n".join(lines) + "\n"


def _wide_mb(n: int) -> float:
    return n * 40 * 8 / 1e6


def _long_mb(n: int) -> float:
    return (n * 40 * (4 + 4 + 8) + n * (8 + 4)) / 1e6


def targets(rows: list[Row], small: tuple[float, float] | None) -> list[str]:
    """The issue's targets against this run's figures, each line saying met or not."""
    at = {(r.impl, r.n): r for r in rows}
    lines = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    for n in sorted({r.n for r in rows}):
        engine, duck, numpy = at.get(("engine", n)), at.get(("duckdb", n)), at.get(("numpy", n))
        zen = at.get(("zen", n))
        if n >= 100_000 and engine and duck:
            ratio = engine.from_loaded_s / duck.from_loaded_s
            lines.append(
                f"- From loaded, engine / DuckDB at {n:,}: {ratio:.2f} (target < 1.0): "
                + verdict(ratio < 1.0)
            )
        if n == 100_000 and engine and zen:
            times = zen.from_loaded_s / engine.from_loaded_s
            lines.append(
                f"- zen-engine / engine at {n:,}: {times:.0f}x (target ≥ 20x): "
                + verdict(times >= 20)
            )
        if engine and numpy and engine.core_s and numpy.core_s:
            apart = engine.core_s / numpy.core_s
            ratio = engine.paired_ratio
            if ratio is None:
                ratio, how = apart, "separate processes"
            else:
                how = f"alternating in one process; in separate processes {apart:.2f}"
            lines.append(
                f"- Scoring core, engine / numpy at {n:,}: {ratio:.2f} ({how}; target ≤ 1.5): "
                + verdict(ratio <= 1.5)
            )
        if n == 1_000_000 and engine and engine.whole_peak_mb:
            wide, long = engine.whole_peak_mb / _wide_mb(n), engine.whole_peak_mb / _long_mb(n)
            lines.append(
                f"- Peak RSS of `kaohe evaluate` at {n:,}: {engine.whole_peak_mb:,.0f} MB = "
                f"{long:.1f}x the long table ({verdict(long < 3)}), {wide:.1f}x the wide array "
                f"({verdict(wide < 3)}); in-process {engine.peak_mb:,.0f} MB, which holds two "
                "evaluations at once (the timing loop's last result while the next runs)"
            )
    per_unit = [
        f"{r.n:,}: {r.from_loaded_s / r.n * 1e6:.2f}"
        for r in sorted(rows, key=lambda r: r.n)
        if r.impl == "engine" and r.n >= 10_000 and r.from_loaded_s
    ]
    lines.append("- µs per unit from loaded, engine: " + ", ".join(per_unit))
    if small is not None:
        ratio = small[0] / small[1]
        text = f"- Small case / import pandas: {ratio:.1f}x (target ≤ 3x): "
        lines.append(text + verdict(ratio <= 3))
    return lines


def write_report(
    path: Path,
    rows: list[Row],
    checks: dict[int, str],
    small: tuple[float, float] | None,
    repeat: int,
    notes: list[str],
    core_repeat: int = 7,
) -> str:
    m, v = machine(), versions()
    parts = [
        "# bench/scale results (issue 8)\n",
        "Generated by `python bench/scale/run.py` on "
        + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        + ".",
        f"Medians of {repeat} runs for loads and whole processes, of {core_repeat} for "
        "the in-memory computations (from loaded, core), unless a note says otherwise. "
        "2 cores: timings are "
        "noisy, ratios measured in one run more trustworthy than absolute seconds.\n",
        "Machine: " + ", ".join(f"{k} {val}" for k, val in m.items()) + "\n",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + "\n",
        "## Table\n",
        "- *load*: data file into memory (engine: `read_data` on the CSV folder, "
        "which also pivots and checks every value; others: the Parquet table and 名单.csv).",
        "- *from loaded*: from the data in memory to the result arrays (total, rank, tier). "
        "For the engine this is `evaluate_year` on the DataSet that read_data built.",
        "- *core*: from the units x indicators array to the results (engine: `evaluate_year` "
        "again; its DataSet.columns *is* that array, column by column).",
        "- *whole process*: a fresh process reading the CSV data and writing a result CSV "
        "(`kaohe evaluate --rules R --data D -o out.csv` for the engine).",
        "- *peak MB*: peak RSS of the measuring subprocess (wait4 ru_maxrss).",
        "- ratios are of *from loaded* seconds, but *core × numpy*.",
        "- ‡ *core × numpy* of an engine row: the engine's and numpy's scoring cores timed "
        "alternating in one process (`compete.py paired`: rounds of 5 calls of each), the "
        "ratio of their medians; they then share the machine's moment, where separate "
        "processes minutes apart do not. The *core s* column is the separate process's.\n",
        table(rows),
        "\nValues table in memory, two ways: *wide* = the N x 40 float64 array the scoring "
        "reads; *long* = the long-format table (unit, 指标, 值; N x 40 rows) as a columnar "
        "reader holds it, ids dictionary-encoded (int32 + int32 + float64 a row, plus the "
        "distinct ids): "
        + ", ".join(
            f"{n:,}: {_wide_mb(n):.1f} / {_long_mb(n):.1f} MB" for n in sorted({r.n for r in rows})
        )
        + "\n",
        "## Memory against the values table\n",
        "Peak RSS (in-process / whole process; both include the interpreter and its "
        "libraries, ~110-180 MB) divided by the wide and by the long values table "
        "(target at 1,000,000: under 3x):\n",
        *[
            f"- {r.impl} at N = {r.n:,}: {_s(r.peak_mb)} / {_s(r.whole_peak_mb)} MB = "
            f"{r.peak_mb / _wide_mb(r.n):.1f}x wide, {r.peak_mb / _long_mb(r.n):.1f}x long"
            + (
                f" (whole: {r.whole_peak_mb / _wide_mb(r.n):.1f}x wide, "
                f"{r.whole_peak_mb / _long_mb(r.n):.1f}x long)"
                if r.whole_peak_mb
                else ""
            )
            for r in rows
            if r.peak_mb is not None and r.n >= 100_000
        ],
        "",
        "## Targets\n",
        *targets(rows, small),
        "",
        "## Cross-check\n",
        *[f"- N = {n:,}: {text}" for n, text in sorted(checks.items())],
        "",
    ]
    if small is not None:
        parts += [
            "## The small case\n",
            f"`kaohe evaluate` on the bundled 429 units, whole process: {small[0]:.2f} s; "
            f'`python -c "import pandas"`: {small[1]:.2f} s '
            f"(ratio {small[0] / small[1]:.1f}x; target: within 3x).\n",
        ]
    if notes:
        parts += ["## Notes\n", *[f"- {n}" for n in notes], ""]
    text = "\n".join(parts)
    path.write_text(text, encoding="utf-8")
    return text


def save_state(path: Path, rows: list[Row], checks: dict, small, notes: list[str]) -> None:
    """Everything measured so far, so that --report-only can rewrite RESULTS.md."""
    state = {
        "rows": [r.__dict__ for r in rows],
        "checks": {str(k): v for k, v in checks.items()},
        "small": small,
        "notes": notes,
    }
    path.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")


def load_state(path: Path) -> tuple[list[Row], dict[int, str], tuple | None, list[str]]:
    state = json.loads(path.read_text(encoding="utf-8"))
    rows = [Row(**r) for r in state["rows"]]
    checks = {int(k): v for k, v in state["checks"].items()}
    small = tuple(state["small"]) if state["small"] else None
    return rows, checks, small, state["notes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[429, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each load and whole process")
    parser.add_argument(
        "--core-repeat",
        type=int,
        default=7,
        help="runs of each in-memory computation (from loaded, core): short and noisy",
    )
    parser.add_argument("--root", type=Path, default=Path("/tmp/kaohe-scale"))
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--zen-max", type=int, default=100_000, help="largest N for zen-engine")
    parser.add_argument(
        "--engine-max",
        type=int,
        default=1_000_000,
        help="largest N for the engine through 名单.csv and read_data",
    )
    parser.add_argument(
        "--slow-repeat-above",
        type=int,
        default=10_000,
        help="above this N, the engine's read_data and whole process are timed once",
    )
    parser.add_argument(
        "--whole-once-above",
        type=int,
        default=100_000,
        help="above this N, every whole-process measurement is timed once",
    )
    parser.add_argument(
        "--paired-max",
        type=int,
        default=100_000,
        help="up to this N, the engine's and numpy's cores are also timed alternating",
    )
    parser.add_argument(
        "--paired-rounds", type=int, default=15, help="rounds of the alternating timing"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite --out from the last run's ROOT/results.json without measuring",
    )
    args = parser.parse_args()
    args.root.mkdir(parents=True, exist_ok=True)
    state = args.root / "results.json"
    if args.report_only:
        rows, checks, small, notes = load_state(state)
        write_report(args.out, rows, checks, small, args.repeat, notes, args.core_repeat)
        print(table(rows))
        return
    rows: list[Row] = []
    checks: dict[int, str] = {}
    notes: list[str] = []
    for n in args.sizes:
        folder = generate(n, args.root)
        impls = ["numpy", "duckdb", "engine-array"]
        if n <= args.engine_max:
            impls.insert(0, "engine")
        else:
            notes.append(
                f"N = {n:,}: the engine through 名单.yaml + read_data was not run "
                f"(--engine-max {args.engine_max:,}); engine-array gives its scoring core."
            )
        if n <= args.zen_max:
            impls.append("zen")
        slow = n > args.slow_repeat_above
        for impl in impls:
            load_repeat = 1 if (impl == "engine" and slow) else args.repeat
            print(f"N={n:,} {impl} …", flush=True)
            row = measure_in_process(impl, folder, args.core_repeat, load_repeat)
            if impl == "engine" and slow:
                row.notes.append("read_data timed once")
            if impl != "engine-array":
                once = (impl == "engine" and slow) or n > args.whole_once_above
                whole_repeat = 1 if once else args.repeat
                row.whole_s, row.whole_peak_mb, note = measure_whole(impl, folder, n, whole_repeat)
                if note:
                    row.notes.append(note)
                if whole_repeat == 1:
                    row.notes.append("whole process timed once")
            if impl == "engine" and n <= args.paired_max:
                print(f"N={n:,} engine and numpy cores alternating …", flush=True)
                measure_paired(row, folder, args.paired_rounds)
            rows.append(row)
            save_state(state, rows, checks, None, notes)
            print(
                f"  load {_s(row.load_s)} s, from loaded {_s(row.from_loaded_s)} s, "
                f"core {_s(row.core_s)} s, whole {_s(row.whole_s)} s, "
                f"peak {_s(row.peak_mb)} / {_s(row.whole_peak_mb)} MB  {'; '.join(row.notes)}",
                flush=True,
            )
        checks[n] = cross_check(folder, impls)
        print(f"  cross-check: {checks[n]}", flush=True)
    for r in rows:
        for note in r.notes:
            notes.append(f"{r.impl} at N = {r.n:,}: {note}")
    print("small case: kaohe evaluate (429 bundled) vs python -c 'import pandas' …", flush=True)
    small = small_case(args.repeat)
    save_state(state, rows, checks, small, notes)
    write_report(args.out, rows, checks, small, args.repeat, notes, args.core_repeat)
    print(table(rows))
    print(f"small case: kaohe evaluate {small[0]:.2f} s, import pandas {small[1]:.2f} s")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
