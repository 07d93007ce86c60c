"""A longer fuzzing run than CI's, with the strategies and oracles of tests/fuzz.

    python bench/fuzz.py --minutes 10 [--target expr|rules|data|evaluate|all]
                         [--out FOLDER] [--batch 50]

The time is shared round-robin between the fuzzers of the chosen entry points
(expr: random text, token soup, mutated rules/2024 formulas; rules: edited golden
and official rule sets; data: edited CSV and workbooks, and data near and over the
readers' limits with edited sheet XML and zip directories; evaluate: the whole
command through click's CliRunner). Each batch runs hypothesis with a fresh random
seed. A new kind of failure (an uncaught exception, or a broken property: an error
without code or location, an incomplete result, a traceback) is shrunk to a minimal
input, saved to FOLDER/<n>-<fuzzer>/ (the case, the files it makes, the traceback and
a repro.py) and from then on only counted. At the end it prints, per fuzzer, how
many inputs were tried, how the engine answered them, and the failures found.
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests.fuzz import strategies as S  # noqa: E402
from tests.fuzz.oracles import CHECKS, Fault, run_case  # noqa: E402

TARGETS = {
    "expr": ["expr.random_text", "expr.token_soup", "expr.mutated_formula"],
    "rules": ["rules.golden", "rules.official"],
    "data": ["data.csv", "data.xlsx", "data.limits"],
    "evaluate": ["evaluate.cli"],
}


@dataclass
class Failure:
    """One kind of failure: where it was first found and how often it came back."""

    number: int
    fuzzer: str
    signature: str
    summary: str
    folder: Path
    hits: int = 1


@dataclass
class Tally:
    """What one fuzzer did: inputs tried, the engine's answers, failures hit."""

    tried: int = 0
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    failing: int = 0
    seconds: float = 0.0


def signature(error: BaseException) -> str:
    """What makes two failures the same: the broken property, or the exception type and
    the innermost frame of the package (else of any library) that raised it."""
    if isinstance(error, Fault):
        head = str(error).split("\n")[0].split(": ")[0]
        return "Fault: " + re.sub(r"'[^']*'|\d+", "_", head)
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/kaohe_rules/" in f.filename]
    frame = (ours or frames or [None])[-1]
    where = f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" if frame else "?"
    return f"{type(error).__name__} at {where}"


# Faults already recorded in tests/fuzz/FINDINGS.md: (exception type, raising function).
KNOWN = {
    ("ValueError", "_check_range"): 1,
    ("error", "_workbook"): 2,  # zlib.error
    ("KeyError", "_workbook"): 3,
    ("ValueError", "_construct_int"): 4,
    ("ValueError", "_construct_float"): 4,
    ("TypeError", "assemble"): 5,
}


def known(key: str) -> str:
    """The label of a signature: the FINDINGS.md number of a known fault, or NEW."""
    words = key.split()
    number = KNOWN.get((words[0], words[-1])) if len(words) > 1 else None
    return f" (FINDINGS.md {number})" if number else " (NEW)"


def _summary(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".split("\n")[0]
    return text[:200]


REPRO = '''"""Replays fuzz failure {number} ({fuzzer}) with the project's venv."""

import datetime  # noqa: F401  (the case's repr may name it)
import sys
import tempfile
from math import inf, nan  # noqa: F401
from pathlib import Path

sys.path.insert(0, {root!r})

from tests.fuzz.oracles import {check}  # noqa: E402
from tests.fuzz.strategies import *  # noqa: E402,F403
from tests.fuzz.limit_cases import *  # noqa: E402,F403

case = {case}

with tempfile.TemporaryDirectory(prefix="kaohe-repro-") as scratch:
    print({check}({args}))
'''


def _save(out: Path, number: int, fuzzer: str, case: object, error: BaseException) -> Path:
    folder = out / f"{number:02d}-{fuzzer}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.txt").write_text(repr(case) + "\n", encoding="utf-8")
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    (folder / "traceback.txt").write_text("".join(lines), encoding="utf-8")
    entry = fuzzer.split(".")[0]
    args = "case" if entry == "expr" else "case, Path(scratch)"
    check = CHECKS.get(fuzzer, CHECKS[entry])
    script = REPRO.format(
        number=number, fuzzer=fuzzer, root=str(ROOT), check=check, case=repr(case), args=args
    )
    (folder / "repro.py").write_text(script, encoding="utf-8")
    if hasattr(case, "materialize"):
        files = folder / "files"
        files.mkdir(exist_ok=True)
        try:
            case.materialize(files)
        except Exception as problem:  # the files are a convenience; the case is the record
            (folder / "files-not-written.txt").write_text(repr(problem), encoding="utf-8")
    elif hasattr(case, "text"):
        (folder / "expression.txt").write_text(case.text, encoding="utf-8", errors="replace")
    return folder


class Fuzzer:
    """Runs batches of one fuzzer until the time is up, keeping the tallies."""

    def __init__(self, name: str, out: Path, failures: dict[str, Failure]) -> None:
        self.name, self.out, self.failures = name, out, failures
        self.tally = Tally()
        self.strategy = S.strategy(name)
        self.last: tuple[object, BaseException] | None = None

    def one(self, case: object) -> None:
        self.tally.tried += 1
        with tempfile.TemporaryDirectory(prefix="kaohe-fuzz-") as scratch:
            try:
                self.tally.outcomes[run_case(self.name, case, Path(scratch))] += 1
            except Exception as error:
                self.tally.failing += 1
                key = signature(error)
                if key in self.failures:  # a known failure: counted, not shrunk again
                    self.failures[key].hits += 1
                    return
                self.last = (case, error)
                raise

    def batch(self, examples: int) -> None:
        start = time.monotonic()
        run = settings(
            max_examples=examples,
            derandomize=False,
            database=None,
            deadline=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )(given(self.strategy)(self.one))
        run = seed(random.getrandbits(64))(run)
        try:
            run()
        except Exception as raised:
            case, error = self.last if self.last is not None else (None, raised)
            key = signature(error)
            if key not in self.failures:
                number = len(self.failures) + 1
                folder = _save(self.out, number, self.name, case, error)
                self.failures[key] = Failure(number, self.name, key, _summary(error), folder)
                print(
                    f"  新发现 #{number} [{self.name}] {key}{known(key)}\n    → {folder}",
                    flush=True,
                )
            self.last = None
        self.tally.seconds += time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, required=True)
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    parser.add_argument("--out", type=Path, help="where failures are saved (default: a temp dir)")
    parser.add_argument("--batch", type=int, default=50, help="examples per hypothesis run")
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="kaohe-fuzz-findings-"))
    out.mkdir(parents=True, exist_ok=True)
    names = [n for t, ns in TARGETS.items() if args.target in (t, "all") for n in ns]
    failures: dict[str, Failure] = {}
    fuzzers = [Fuzzer(name, out, failures) for name in names]
    print(f"fuzzing {', '.join(names)} for {args.minutes:g} min; failures → {out}", flush=True)

    deadline = time.monotonic() + args.minutes * 60
    rounds = 0
    while time.monotonic() < deadline:
        for fuzzer in fuzzers:
            if time.monotonic() >= deadline:
                break
            # The slow fuzzers get smaller batches, so each gets a fair share of rounds.
            slow = fuzzer.name in ("rules.official", "evaluate.cli", "data.xlsx", "data.limits")
            fuzzer.batch(max(args.batch // (4 if slow else 1), 5))
        rounds += 1

    print(f"\n{'fuzzer':<22}{'inputs':>8}{'per s':>8}  outcomes; failing inputs")
    total = 0
    for fuzzer in fuzzers:
        t = fuzzer.tally
        total += t.tried
        rate = t.tried / t.seconds if t.seconds else 0.0
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(t.outcomes.items()))
        print(f"{fuzzer.name:<22}{t.tried:>8}{rate:>8.1f}  {outcomes}; failing {t.failing}")
    print(f"{'total':<22}{total:>8}  ({rounds} rounds)")
    print(f"\n{len(failures)} kinds of failure" + (":" if failures else "."))
    for f in sorted(failures.values(), key=lambda f: f.number):
        print(f"  #{f.number} [{f.fuzzer}] {f.signature}{known(f.signature)} (hit {f.hits}×)")
        print(f"     {f.summary}")
        print(f"     {f.folder}")


if __name__ == "__main__":
    main()
