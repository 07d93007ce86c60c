"""What must hold for any input, fuzzed or not, at each entry point.

Each ``check_*`` function takes one fuzz input (see strategies.py) and a scratch
folder, runs one entry point and raises:

- ``Fault`` (an AssertionError) when a property is broken: an error without a code
  or location, an incomplete result, a traceback or a bad exit code from the CLI;
- whatever the engine raised, when it is not a KaoheError (an uncaught exception).

A KaoheError is a correct answer to bad input, as long as each of its diagnostics
carries a known code and a location.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kaohe_rules.diagnostics import CODES, Diagnostic, KaoheError, render_json, render_text
from tests.fuzz.limit_cases import LimitCase
from tests.fuzz.strategies import (
    GOLDEN_DATA,
    GOLDEN_RULES,
    CsvCase,
    EvaluateCase,
    ExprCase,
    RulesCase,
    WorkbookCase,
    official_formulas,
)

if TYPE_CHECKING:
    from kaohe_rules.dsl import Scope
    from kaohe_rules.pipeline import Loaded
    from kaohe_rules.score.engine import Evaluation


class Fault(AssertionError):
    """A property of the engine does not hold for this input."""


def _require(condition: object, message: str) -> None:
    if not condition:
        raise Fault(message)


# ---------------------------------------------------------------------------
# diagnostics
# ---------------------------------------------------------------------------


def _line_count(file: str, sources: dict[str, str]) -> int | None:
    """How many lines the file of a span has (generously), or None when unknown."""
    if file in sources:
        return len(sources[file].splitlines()) + 1
    path = Path(file)
    if not path.is_file():
        return None
    data = path.read_bytes()
    counts = [len(data.decode(enc, "replace").splitlines()) for enc in ("utf-8", "latin-1")]
    return max(counts) + 1


def check_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, str] | None = None) -> None:
    """Every diagnostic has a known code, a message and a location inside its file."""
    sources = sources or {}
    for d in diagnostics:
        _require(d.code in CODES, f"unknown code {d.code!r}: {d.message}")
        _require(d.message, f"{d.code} without a message")
        where = d.span
        _require(where is not None, f"{d.code} without a location: {d.message}")
        _require(where.file, f"{d.code} without a file: {d.message}")
        _require(
            where.line >= 1 and where.column >= 1,
            f"{d.code} at line {where.line}, column {where.column}: {d.message}",
        )
        lines = _line_count(where.file, sources)
        _require(
            lines is None or where.line <= lines,
            f"{d.code} at line {where.line} of a file of {lines} lines: {d.message}",
        )
    # The renderings the commands print must work on whatever was found.
    render_text(diagnostics, limit=20)
    render_json(diagnostics)


# ---------------------------------------------------------------------------
# (a) expressions
# ---------------------------------------------------------------------------


@cache
def _expr_scope() -> Scope:
    from kaohe_rules.dsl import Scope, Symbol
    from kaohe_rules.rules.resolve import FUNCTIONS

    types = official_formulas().types
    return Scope([Symbol(n, t) for n, t in types.items()], functions=FUNCTIONS)


_SAMPLE = {
    "number": [0.0, 1.5, None, -2.0, 1e300],
    "bool": [True, False, None, True, False],
    "text": ["优秀", "第一等次", None, "", "设区市"],
}


def check_expression(case: ExprCase) -> str:
    """Parse and check one expression; when it compiles, evaluate it over five units.

    Returns the outcome: ``refused`` (a located KaoheError) or ``compiled``.
    """
    from kaohe_rules.dsl import Origin, Population, compile_expression
    from kaohe_rules.dsl.evaluate import evaluate
    from kaohe_rules.dsl.scalar import evaluate_one
    from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT

    origin = Origin(case.file, case.line, case.column, case.continuation_column)
    expect = {None: None, "number": NUMBER, "bool": BOOL, "text": TEXT}[case.expect]
    try:
        compiled = compile_expression(case.text, _expr_scope(), origin, expect)
    except KaoheError as error:
        _check_expression_errors(case, error.diagnostics)
        return "refused"
    types = {n: t for n, t in official_formulas().types.items() if n in compiled.names}
    rows = [
        {n: _SAMPLE[t.kind][i] for n, t in types.items() if t.kind in _SAMPLE} for i in range(5)
    ]
    population = Population.from_rows(
        rows, {n: t for n, t in types.items() if t.kind in _SAMPLE}, groups=list("aabbb")
    )
    # Line bounds are checked against the text only when it starts the file.
    sources = {case.file: case.text} if (case.line, case.column) == (1, 1) else {}
    try:
        _column, warnings = evaluate(compiled, population)
        for i in range(5):
            evaluate_one(compiled, population, i)
    except KaoheError as error:
        check_diagnostics(error.diagnostics, sources)
        return "compiled"
    check_diagnostics(warnings, sources)
    return "compiled"


def _check_expression_errors(case: ExprCase, diagnostics: list[Diagnostic]) -> None:
    _require(diagnostics, "KaoheError without diagnostics")
    for d in diagnostics:
        _require(d.span is not None, f"{d.code} without a location: {d.message}")
        _require(d.span.file == case.file, f"{d.code} in file {d.span.file!r}, not {case.file!r}")
        _require(
            d.span.line >= case.line,
            f"{d.code} at line {d.span.line}, before the expression (line {case.line})",
        )
    if case.line == 1 and case.column == 1:
        check_diagnostics(diagnostics, {case.file: case.text})
    else:
        check_diagnostics(diagnostics)


# ---------------------------------------------------------------------------
# (b) rule files
# ---------------------------------------------------------------------------


def check_rules(case: RulesCase, scratch: Path) -> str:
    """Load and validate an edited rule set; the outcome: ``refused`` or ``loaded``."""
    from kaohe_rules.pipeline import load_rules

    folder, root = case.materialize(scratch)
    try:
        loaded = load_rules(folder, root)
    except KaoheError as error:
        _require(error.diagnostics, "KaoheError without diagnostics")
        check_diagnostics(error.diagnostics)
        return "refused"
    check_diagnostics(loaded.warnings)
    return "loaded"


# ---------------------------------------------------------------------------
# (c) data files and the evaluation of a year
# ---------------------------------------------------------------------------


@cache
def golden_rules() -> Loaded:
    """The golden rule set, loaded once (the data fuzzers only edit data)."""
    from kaohe_rules.pipeline import load_rules

    return load_rules(GOLDEN_RULES)


def check_complete(evaluation: Evaluation) -> None:
    """Every unit of the roster has exactly one result with a total, a rank and a tier."""
    from kaohe_rules.outputs.report import result_rows

    roster = [u.id for u in evaluation.resolved.ruleset.units]
    seen: list[str] = []
    for domain in evaluation.domains:
        for i, unit in enumerate(domain.units):
            seen.append(unit.id)
            total = float(domain.total[i])
            _require(math.isfinite(total), f"{unit.id} has no total ({total})")
            rank, size = int(domain.rank[i]), int(domain.size[i])
            _require(1 <= rank <= size, f"{unit.id} has rank {rank} of {size}")
            tier = domain.tier[i]
            _require(isinstance(tier, str) and tier, f"{unit.id} has no tier ({tier!r})")
    _require(sorted(seen) == sorted(roster), "the results do not cover the roster once each")
    result_rows(evaluation)


def check_data(case: CsvCase | WorkbookCase, scratch: Path) -> str:
    """Read edited data for the golden rules; when it reads, evaluate the year.

    Returns the outcome: ``refused`` (reading or evaluating) or ``evaluated``.
    """
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year

    loaded = golden_rules()
    folder = case.materialize(scratch)
    try:
        data = read_data(folder, loaded.resolved.ruleset)
    except KaoheError as error:
        _require(error.diagnostics, "KaoheError without diagnostics")
        check_diagnostics(error.diagnostics)
        return "refused"
    check_diagnostics(data.warnings)
    try:
        evaluation = evaluate_year(loaded.resolved, data)
    except KaoheError as error:
        check_diagnostics(error.diagnostics)
        return "refused"
    check_diagnostics(evaluation.warnings)
    check_complete(evaluation)
    return "evaluated"


@contextmanager
def _environment(variables: dict[str, str]):
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@cache
def _golden_totals() -> dict[str, float]:
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year

    loaded = golden_rules()
    evaluation = evaluate_year(loaded.resolved, read_data(GOLDEN_DATA, loaded.resolved.ruleset))
    return _totals(evaluation)


def _totals(evaluation) -> dict[str, float]:
    return {
        unit.id: float(domain.total[i])
        for domain in evaluation.domains
        for i, unit in enumerate(domain.units)
    }


def check_limits(case: LimitCase, scratch: Path) -> str:
    """Read the golden data in another form under the case's limits. Over a limit: a
    refusal with that limit's code (or KH308 for a damaged file); a read: the golden
    results, whatever the sheet's XML said; any refusal located, with a known code.

    Returns the outcome: ``refused <codes>`` or ``read``."""
    from kaohe_rules import limits
    from kaohe_rules.read.bounds import CODES as LIMIT_CODES
    from kaohe_rules.read.data import read_data
    from kaohe_rules.score.engine import evaluate_year

    loaded = golden_rules()
    folder = case.materialize(scratch)
    settings = {getattr(limits, n).variable: str(v) for n, v in case.settings().items()}
    over = {LIMIT_CODES[name] for name in case.over()}
    with _environment(settings):
        try:
            data = read_data(folder, loaded.resolved.ruleset)
        except KaoheError as error:
            check_diagnostics(error.diagnostics)
            codes = {d.code for d in error.diagnostics}
            allowed = over | case.excused
            _require(allowed, f"refused within every limit: {sorted(codes)}")
            _require(codes & allowed, f"refused with {sorted(codes)}, over {sorted(over)}")
            return "refused " + "/".join(sorted(codes))
    _require(not over, f"read although over {sorted(over)}")
    evaluation = evaluate_year(loaded.resolved, data)
    check_complete(evaluation)
    _require(_totals(evaluation) == _golden_totals(), "read to other results than the CSV")
    return "read"


# ---------------------------------------------------------------------------
# (d) the evaluate command
# ---------------------------------------------------------------------------

_LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>-?\d+):(?P<column>-?\d+): error KH\d{3} ")


def evaluate_args(case: EvaluateCase, rules: Path, data: Path, scratch: Path) -> list[str]:
    """The command line of one evaluate case."""
    args = ["evaluate", "--rules", str(rules), "--data", str(data), *case.options]
    if case.output:
        args += ["-o", str(scratch / case.output)]
    return args


def check_evaluate(case: EvaluateCase, scratch: Path) -> str:
    """Run ``kaohe evaluate`` through click's CliRunner and judge its exit and output.

    Returns the outcome: ``exit 0``, ``exit 1`` or ``exit 2``.
    """
    from click.testing import CliRunner

    from kaohe_rules.cli import cli

    rules, data = case.materialize(scratch)
    result = CliRunner().invoke(cli, evaluate_args(case, rules, data, scratch))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    output = result.output
    _require("Traceback" not in output, "a traceback in the output:\n" + output[-2000:])
    _require(result.exit_code in (0, 1, 2), f"exit code {result.exit_code}:\n{output[-2000:]}")
    if result.exit_code == 1:
        errors = [line for line in output.splitlines() if re.search(r"\berror KH\d{3} ", line)]
        _require(errors, "exit code 1 without an error line:\n" + output[-2000:])
        for line in errors:
            found = _LOCATED.match(line)
            _require(found, f"an error without code or location: {line}")
            _require(
                int(found["line"]) >= 1 and int(found["column"]) >= 1,
                f"an error at line/column below 1: {line}",
            )
    elif result.exit_code == 0:
        _check_output_complete(case, rules, scratch, result.stdout)
    return f"exit {result.exit_code}"


def _check_output_complete(case: EvaluateCase, rules: Path, scratch: Path, stdout: str) -> None:
    from kaohe_rules.pipeline import load_rules

    roster = [u.id for u in load_rules(rules).resolved.ruleset.units]
    if case.output is None:
        starts = {line.split()[0] for line in stdout.splitlines() if line.split()}
        missing = [uid for uid in roster if uid not in starts]
        _require(not missing, f"units without a result line: {missing}")
        return
    rows = _result_rows(scratch / case.output)
    ids = [str(row.get("编号")) for row in rows]
    _require(sorted(ids) == sorted(roster), f"results for {sorted(ids)}, roster {sorted(roster)}")
    for row in rows:
        total, rank, tier = row.get("总分"), row.get("名次"), row.get("等次")
        _require(total not in (None, "") and math.isfinite(float(total)), f"no total in {row}")
        _require(rank not in (None, "") and int(float(rank)) >= 1, f"no rank in {row}")
        _require(tier not in (None, ""), f"no tier in {row}")


def _result_rows(path: Path) -> list[dict]:
    _require(path.is_file(), f"exit code 0 but no output file {path.name}")
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))["结果"]
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        lines = [line for line in text.splitlines() if not line.startswith("#")]
        return list(csv.DictReader(io.StringIO("\n".join(lines))))
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True)["结果"]
    values = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in values[0]]
    return [dict(zip(header, row, strict=False)) for row in values[1:] if any(row)]


def run_case(target: str, case: object, scratch: Path) -> str:
    """Run the entry point of ``target`` (a key of strategies.CI_EXAMPLES) on one input."""
    entry = target.split(".")[0]
    if entry == "expr":
        return check_expression(case)  # type: ignore[arg-type]
    if entry == "rules":
        return check_rules(case, scratch)  # type: ignore[arg-type]
    if target == "data.limits":
        return check_limits(case, scratch)  # type: ignore[arg-type]
    if entry == "data":
        return check_data(case, scratch)  # type: ignore[arg-type]
    return check_evaluate(case, scratch)  # type: ignore[arg-type]


CHECKS = {
    "expr": "check_expression",
    "rules": "check_rules",
    "data": "check_data",
    "data.limits": "check_limits",
    "evaluate": "check_evaluate",
}
