"""Issue 20: the engine against DuckDB and hand-written numpy, end to end, on a realistic workload.

    python bench/scale/run.py [--sizes 429 10000 100000 1000000] [--repeat 3]
                              [--root /tmp/kaohe-scale/r20] [--out bench/scale/RESULTS.md]

For each size: generate the workload (generate.py, cached under --root), then, rounds
alternating competitors and input forms, (a) each competitor as a whole process from the
files to a result CSV (wall, CPU = the child's user + sys from os.wait4, peak RSS) and
(b) the same in a process that has already imported what it needs (compete.py files);
then cross-check every result file against numpy's from the long CSV (exit 1 naming the
units on any difference), and (c) time the engine's and numpy's scoring cores alternating
in one process. Then the bundled rules/2024 case, profiles, and RESULTS.md (report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
# rules/2024 aggregates records: its compiled query is reused, as on every run after a
# user's first, but the records are aggregated on every run (docs/records.md).
os.environ["KAOHE_RECORDS_CACHE"] = "queries"

import report  # noqa: E402  (the script's folder is on the path)

PY = sys.executable
KAOHE = str(Path(PY).parent / "kaohe")
IMPLS = ("engine", "duckdb", "numpy")
FORMS = ("data-csv", "data-parquet", "data-wide-parquet", "data-wide-csv")


@dataclass
class Run:
    """One process: wall and CPU seconds, peak RSS in MB; ``stopped`` says why a run did
    not finish (its error, or the timeout or memory guard)."""

    wall: float
    cpu: float
    rss_mb: float
    stopped: str | None = None


@dataclass
class Cell:
    """The runs of one competitor on one input form, one way (whole / files)."""

    n: int
    impl: str
    form: str
    kind: str  # "whole": a fresh process end to end; "files": in-process after imports
    runs: list[Run] = field(default_factory=list)

    @property
    def stopped(self) -> str | None:
        return next((r.stopped for r in self.runs if r.stopped), None)

    def median(self, what: str) -> float | None:
        done = [getattr(r, what) for r in self.runs if r.stopped is None]
        return statistics.median(done) if done else None

    def peak(self) -> float | None:
        done = [r.rss_mb for r in self.runs if r.stopped is None]
        return max(done) if done else None


@dataclass
class State:
    """Everything measured, saved after each step so --report-only can rewrite RESULTS.md."""

    cells: list[Cell] = field(default_factory=list)
    paired: dict[int, dict] = field(default_factory=dict)
    rows: dict[int, int] = field(default_factory=dict)  # values given, per N
    checks: dict[int, str] = field(default_factory=dict)
    small: dict[str, list[dict]] = field(default_factory=dict)
    cores: dict[str, float] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    args: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> State:
        raw = json.loads(path.read_text(encoding="utf-8"))
        cells = []
        for c in raw.pop("cells"):
            runs = [Run(**r) for r in c.pop("runs")]
            cells.append(Cell(runs=runs, **c))
        state = cls(cells=cells, **raw)
        state.paired = {int(k): v for k, v in state.paired.items()}
        state.rows = {int(k): v for k, v in state.rows.items()}
        state.checks = {int(k): v for k, v in state.checks.items()}
        return state

    def cell(self, n: int, impl: str, form: str, kind: str) -> Cell:
        for c in self.cells:
            if (c.n, c.impl, c.form, c.kind) == (n, impl, form, kind):
                return c
        made = Cell(n, impl, form, kind)
        self.cells.append(made)
        return made


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_measured(args: list[str], timeout: float, rss_limit_mb: float):
    """Run a child; (Run, stdout). A watchdog kills it past ``timeout`` seconds or
    ``rss_limit_mb`` of resident memory (the machine is shared): the Run says so."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    chunks: dict[str, bytes] = {}
    stopped: list[str] = []

    def drain(name: str, stream) -> None:  # a large output must not block the child
        chunks[name] = stream.read()

    done = threading.Event()

    def guard() -> None:
        # Not proc.poll(): it would reap the child before os.wait4 reads its usage.
        while not done.wait(0.1):
            if time.perf_counter() - start > timeout:
                stopped.append(f"stopped after {timeout:.0f} s")
            elif _rss_mb(proc.pid) > rss_limit_mb:
                stopped.append(f"stopped above {rss_limit_mb:,.0f} MB")
            if stopped:
                proc.kill()
                return

    threads = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
        threading.Thread(target=guard, daemon=True),
    ]
    for t in threads:
        t.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    for t in threads[:2]:
        t.join()
    code = os.waitstatus_to_exitcode(status)
    out = chunks.get("out", b"").decode(errors="replace")
    err = chunks.get("err", b"").decode(errors="replace")
    reason = stopped[0] if stopped else None
    if reason is None and code != 0:
        reason = _first_problem(err) or f"exit {code}"
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, reason)
    return run, out


def _first_problem(err: str) -> str:
    """The line of stderr that names the problem (a KH code if there is one)."""
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    coded = [line for line in lines if " KH" in line or line.startswith("KH")]
    return (coded or lines[-1:] or [""])[0][:300]


def generate(n: int, root: Path) -> Path:
    """The workload of ``n`` units under ``root``, made (again) unless one made by this
    version of generate.py and workload.py is there."""
    from generate import generator_version

    folder = root / f"n{n}"
    complete = folder / "COMPLETE"
    fields = complete.read_text().split() if complete.is_file() else []
    if fields[3:4] != [generator_version()]:
        if folder.exists():
            print(f"{folder}: made by another version of generate.py; made again", flush=True)
            shutil.rmtree(folder)
        print(f"generating {n:,} units …", flush=True)
        subprocess.run(
            [PY, str(HERE / "generate.py"), str(n), "--out", str(folder)], check=True, cwd=ROOT
        )
    return folder


def whole_args(impl: str, folder: Path, form: str, out: Path) -> list[str]:
    if impl == "engine":
        rules, data = str(folder / "rules"), str(folder / form)
        return [KAOHE, "evaluate", "--rules", rules, "--data", data, "-o", str(out)]
    script = "reference.py" if impl == "numpy" else "duck.py"
    return [PY, str(HERE / script), form, str(folder), "-o", str(out)]


def measure(state: State, n: int, folder: Path, args) -> None:
    """Rounds of every (form, competitor), whole process then in-process, alternating."""
    outs = folder / "out"
    outs.mkdir(exist_ok=True)
    repeat = 1 if n > args.once_above else args.repeat
    for round_ in range(repeat):
        for kind in args.kinds:
            for form in args.forms:
                for impl in args.impls:
                    cell = state.cell(n, impl, form, kind)
                    if cell.stopped:  # refused or too slow once: not again
                        continue
                    whole = state.cell(n, impl, form, "whole").stopped
                    if kind == "files" and whole:  # the same work in-process would be too
                        cell.runs.append(Run(0.0, 0.0, 0.0, f"not run (whole process: {whole})"))
                        continue
                    out = outs / f"{kind}-{impl}-{form}.csv"
                    out.unlink(missing_ok=True)
                    if kind == "whole":
                        run, _ = run_measured(whole_args(impl, folder, form, out), *args.guard)
                    else:
                        command = [PY, str(HERE / "compete.py"), "files", impl, form, str(folder)]
                        run, text = run_measured([*command, "-o", str(out)], *args.guard)
                        if run.stopped is None:
                            info = json.loads(text.strip().splitlines()[-1])
                            run.wall, run.cpu = info["wall_s"], info["cpu_s"]
                    cell.runs.append(run)
                    shown = run.stopped or f"{run.wall:.2f} s wall, {run.cpu:.2f} s CPU"
                    print(
                        f"  N={n:,} {kind} {impl} {form} [{round_ + 1}/{repeat}]: {shown}, "
                        f"{run.rss_mb:,.0f} MB",
                        flush=True,
                    )
                    state.save(args.root / "results.json")


def cross_check(state: State, n: int, folder: Path, args) -> list[str]:
    """Every result file against numpy's from the long CSV; the problems found."""
    base_path = folder / "out" / "whole-numpy-data-csv.csv"
    if not base_path.is_file():
        return [f"N = {n:,}: numpy's result from data-csv is missing: nothing to compare"]
    pairs = []
    for kind in ("whole", "files"):
        for form in args.forms:
            for impl in args.impls:
                path = folder / "out" / f"{kind}-{impl}-{form}.csv"
                if path.is_file() and not state.cell(n, impl, form, kind).stopped:
                    pairs.append(f"{impl} {form} ({kind})={path}")
    command = [PY, str(HERE / "check.py"), str(base_path), *pairs]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    problems, tiers, compared = found["problems"], found["tiers"], len(pairs)
    state.checks[n] = (
        f"{compared} result files agree with numpy's (long CSV); tiers 1/2/3 = "
        + "/".join(map(str, tiers))
        if not problems
        else "MISMATCH: " + "; ".join(problems)
    )
    return problems


def paired(state: State, n: int, folder: Path, args) -> None:
    command = [
        PY,
        str(HERE / "compete.py"),
        "paired",
        str(folder),
        "--repeat",
        str(args.paired_rounds),
    ]
    found = _last_json(command, args, state, f"the alternating core timing at N = {n:,}")
    if found is not None:
        state.paired[n] = found
        print(f"  N={n:,} cores alternating: {found}", flush=True)


def _last_json(command: list[str], args, state: State, what: str) -> dict | None:
    """The JSON of a measured job's last line; None, with a note saying why, when it
    stopped (timed out, over the memory limit, failed)."""
    run, text = run_measured(command, *args.guard)
    if run.stopped is not None:
        state.notes.append(f"- {what} failed: {run.stopped}")
        return None
    return json.loads(text.strip().splitlines()[-1])


# `kaohe evaluate` on the bundled rules and samples, but the output file
SMALL_EVALUATE = ("evaluate", "--rules", "rules/2024", "--data", "samples/2024", "-o")


def small_case(state: State, folder429: Path | None, args) -> None:
    """rules/2024 at 429 units: `kaohe evaluate -o`, `import pandas`, `kaohe --help`,
    alternating; then warm evaluate_year on rules/2024 and on the synthetic 429."""
    out = args.root / "small-out.csv"
    # The records aggregated on every run (this process's KAOHE_RECORDS_CACHE=queries),
    # and a repeated run that finds DuckDB's answers kept (docs/records.md).
    kept = ["env", "KAOHE_RECORDS_CACHE=all", KAOHE, *SMALL_EVALUATE, str(out)]
    commands = {
        "evaluate": [KAOHE, *SMALL_EVALUATE, str(out)],
        "evaluate, answers kept": kept,
        "import pandas": [PY, "-c", "import pandas"],
        "help": [KAOHE, "--help"],
    }
    state.small = {name: [] for name in commands}
    for _ in range(max(args.repeat, 5)):
        for name, command in commands.items():
            run, _ = run_measured(command, *args.guard)
            state.small[name].append(asdict(run))
    sources = {"rules/2024": (ROOT / "rules/2024", ROOT / "samples/2024")}
    if folder429 is not None:
        sources["synthetic 429"] = (folder429 / "rules", folder429 / "data-csv")
    for name, (rules, data) in sources.items():
        command = [PY, str(HERE / "compete.py"), "core", str(rules), str(data), "--repeat", "50"]
        found = _last_json(command, args, state, f"evaluate_year on {name}")
        if found is not None:
            state.cores[name] = found["core_s"]


def profiles(state: State, args) -> None:
    compete = [PY, str(HERE / "compete.py")]
    jobs = {
        "whole, rules/2024 (429)": [
            *compete,
            *("profile-whole", "--top", "10"),
            *SMALL_EVALUATE,
            str(args.root / "p.csv"),
        ]
    }
    for n in args.profile_sizes:
        folder = args.root / f"n{n}"
        if not (folder / "COMPLETE").is_file():
            continue
        jobs[f"core, N = {n:,}"] = [*compete, "profile-core", str(folder)]
        jobs[f"whole, N = {n:,} (long CSV)"] = [
            *compete, "profile-whole", "--top", "10", "evaluate", "--rules", str(folder / "rules"),
            "--data", str(folder / "data-csv"), "-o", str(args.root / "p.csv"),
        ]  # fmt: skip
    for name, command in jobs.items():
        print(f"profile: {name} …", flush=True)
        found = _last_json(command, args, state, f"profile {name}")
        if found is not None:
            state.profiles[name] = found["profile"]


def keep_other_sizes(old: State, args) -> State:
    """The last run's state without the sizes about to be measured (a 1,000,000-unit run
    added to one of the smaller sizes, say). Its rounds and sizes stay in ``args``."""
    measuring = set(args.sizes)
    old.cells = [c for c in old.cells if c.n not in measuring]
    for table in (old.paired, old.rows, old.checks):
        for n in measuring:
            table.pop(n, None)
    old.args["sizes"] = sorted({*old.args["sizes"], *measuring})
    old.notes.append(
        f"- Sizes {', '.join(f'{n:,}' for n in sorted(measuring))} measured in a later run "
        f"(--repeat {args.repeat}, --once-above {args.once_above:,}) and added to the others."
    )
    return old


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[429, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every measurement")
    parser.add_argument("--once-above", type=int, default=100_000, help="above this N: 1 round")
    parser.add_argument("--impls", nargs="+", default=list(IMPLS), choices=IMPLS)
    parser.add_argument("--forms", nargs="+", default=list(FORMS), choices=FORMS)
    parser.add_argument(
        "--kinds",
        nargs="+",
        default=["whole", "files"],
        choices=["whole", "files"],
        help="whole processes, in-process runs, or both",
    )
    parser.add_argument("--root", type=Path, default=Path("/tmp/kaohe-scale/r20"))
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a process may take")
    parser.add_argument("--rss-limit", type=float, default=8000, help="MB a process may hold")
    parser.add_argument("--paired-max", type=int, default=1_000_000)
    parser.add_argument("--paired-rounds", type=int, default=15)
    parser.add_argument("--profile-sizes", type=int, nargs="*", default=[10_000, 1_000_000])
    parser.add_argument("--no-small", action="store_true", help="skip the rules/2024 case")
    parser.add_argument(
        "--keep-other-sizes",
        action="store_true",
        help="keep the last run's figures of the sizes not measured now (ROOT/results.json)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite --out from ROOT/results.json"
    )
    args = parser.parse_args()
    args.guard = (args.timeout, args.rss_limit)
    return args


def compile_bytecode() -> None:
    """Every competitor's Python compiled to bytecode first, as an installed package has it
    (pip compiles on install): with PYTHONDONTWRITEBYTECODE set, or a source file edited
    since its .pyc was written, each run would compile those modules again (0.15 s of a
    0.65 s `kaohe evaluate` once, for the modules edited in a session)."""
    import compileall

    import kaohe_rules

    for folder in (Path(kaohe_rules.__file__).parent, HERE):
        if not compileall.compile_dir(folder, quiet=1):
            raise SystemExit(f"could not compile the Python files under {folder}")


def main() -> None:
    args = parse()
    args.root.mkdir(parents=True, exist_ok=True)
    path = args.root / "results.json"
    if args.report_only:
        state = State.load(path)
        report.write(args.out, state)
        print(f"written to {args.out}")
        return
    compile_bytecode()
    state = State(args={k: v for k, v in vars(args).items() if k not in ("root", "out", "guard")})
    if args.keep_other_sizes and path.is_file():
        state = keep_other_sizes(State.load(path), args)
    problems = []
    for n in args.sizes:
        folder = generate(n, args.root)
        state.rows[n] = int((folder / "COMPLETE").read_text().split()[2])
        measure(state, n, folder, args)
        problems += cross_check(state, n, folder, args)
        print(f"  cross-check: {state.checks[n]}", flush=True)
        if n <= args.paired_max:
            paired(state, n, folder, args)
        state.save(path)
    if not args.no_small:
        print("rules/2024: kaohe evaluate, import pandas, kaohe --help …", flush=True)
        small = args.root / "n429"
        small_case(state, small if (small / "COMPLETE").is_file() else None, args)
        state.save(path)
    if args.profile_sizes is not None:
        profiles(state, args)
        state.save(path)
    report.write(args.out, state)
    print(f"written to {args.out}")
    if problems:
        print("MISMATCH:\n  " + "\n  ".join(problems), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
