"""The one place where a year runs: an ordered list of named stages, from rule files to a
fingerprinted result. Every command comes through here; none strings the stages itself.

Order matters: a stage runs only when the stages before it found no error, so
each stage can trust its input (the builder trusts the schema, the resolver
trusts the model, scoring trusts the checked rules and data) and a user sees the
first layer of problems, all at once. ``STAGES`` is the whole list; ``load_rules``
runs the rule stages alone (``kaohe validate``, ``kaohe test``), ``run_loaded`` the
year stages on rules already loaded (``kaohe diff --data`` loads two rule sets first).
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path

from kaohe_rules import model as m
from kaohe_rules.diagnostics import Collector, Diagnostic, KaoheError, Severity
from kaohe_rules.read.ahead import drop_all as drop_ahead
from kaohe_rules.read.data import read_ahead, read_data
from kaohe_rules.read.dataset import DataSet
from kaohe_rules.read.records.choice import DUCKDB, EngineChoice
from kaohe_rules.records import data_record
from kaohe_rules.rules import aggregations, meaning, schema, semantics
from kaohe_rules.rules.assemble import Assembled, assemble
from kaohe_rules.rules.build import build, domain_documents
from kaohe_rules.rules.half_year import half_year
from kaohe_rules.rules.resolve import Resolved, resolve
from kaohe_rules.score.engine import Evaluation, evaluate_year
from kaohe_rules.score.plan import Plan
from kaohe_rules.score.plan import build as build_plan

PERIODS = ("全年", "H1")  # H1: the half-year evaluation (cycle.half_year)

Progress = Callable[[int, int, str], None]  # (domains done, domains in all, the next one)


@data_record(frozen=False)
class Loaded:
    """A checked rule set and the warnings found on the way."""

    resolved: Resolved
    warnings: list[Diagnostic] = field(default_factory=list)


class ArchiveNotFound(Exception):
    """The history archive asked for does not exist: a usage error, not a rule or data
    problem (the CLI says it of --history-archive)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"找不到归档文件 {path}")
        self.path = path


@data_record
class Stage:
    """One named step: ``run`` reads what earlier stages left in the run and adds its own."""

    name: str
    run: Callable
    # A rule stage collects its problems; errors found here end the run before the next
    # stage. (The year stages raise theirs themselves: read_data, evaluate_year.)
    stops: bool = True


@data_record(frozen=False)
class _RuleRun:
    """What the rule stages have made so far of one rule set folder."""

    folder: Path
    root: Path | None
    errors: Collector = field(default_factory=Collector)
    assembled: Assembled | None = None
    ruleset: m.RuleSet | None = None
    resolved: Resolved | None = None


@data_record(frozen=False)
class _YearRun:
    """What the year stages have made so far of loaded rules and a data folder."""

    loaded: Loaded
    data_folder: Path | Callable[[m.RuleSet], Path]
    encoding: str | None
    period: str
    history_archive: Path | None
    lenient: bool
    progress: Progress | None
    fast: bool | None = None  # None: KAOHE_REFERENCE decides (score/engine.py)
    engine: EngineChoice = DUCKDB  # what runs the 记录汇总 queries
    rules: Resolved | None = None  # the rules as the period applies them
    plan: Plan | None = None  # what those rules and the roster fix before any data
    dataset: DataSet | None = None
    archived: str = ""  # a digest of the years taken from the history archive
    evaluation: Evaluation | None = None


def _assemble(run: _RuleRun) -> None:
    """Files → merged documents (inheritance, includes); raises on file problems."""
    run.assembled = assemble(run.folder, run.root)


def _schema(run: _RuleRun) -> None:
    """Every document against its JSON Schema, and the names files declare for themselves."""
    assembled, errors = run.assembled, run.errors
    documents = [(assembled.ruleset, "ruleset")]
    if assembled.roster is not None:
        documents.append((assembled.roster, "roster"))
    documents += [(doc, "domain") for doc in domain_documents(assembled).values()]
    documents += [(doc, "special") for doc in assembled.specials.values()]
    seen = set()
    for document, kind in documents:
        for diagnostic in schema.check_document(document, kind):
            # 通用 settings are checked in the rule set and again in each domain
            # that inherits them: report each place once, as the rule set sees it.
            key = (diagnostic.span, diagnostic.code)
            if key not in seen:
                seen.add(key)
                errors.add(diagnostic)
    for key, table in (("领域", assembled.domains), ("专项考核", assembled.specials)):
        for name, document in table.items():
            declared = document.get(key)
            if isinstance(declared, str) and declared != name:
                message = f"文件声明的{key}是 '{declared}'，而 规则集.yaml 把它列为 '{name}'"
                errors.error("KH221", message, document.values_at[key])
    if assembled.roster is None:
        errors.error("KH213", "规则集没有 名单（考核对象名单文件）", assembled.ruleset.span)


def _build(run: _RuleRun) -> None:
    """Valid documents → the frozen model (RuleSet)."""
    run.ruleset = build(run.assembled, run.errors)


def _resolve(run: _RuleRun) -> None:
    """Every expression compiled against the names it may read."""
    run.resolved = resolve(run.ruleset, run.errors)


def _check(run: _RuleRun) -> None:
    """The rule set consistent with itself and its roster, then what the rules mean."""
    semantics.check(run.resolved, run.errors)
    aggregations.check(run.resolved.ruleset, run.errors)  # 记录汇总, before any records
    # What the rules mean (a comparison no unit can satisfy, a parameter nothing reads …):
    # after the consistency checks, whose errors would make these findings noise.
    meaning.check(run.resolved, run.errors)


RULE_STAGES = (
    Stage("assemble", _assemble),
    Stage("schema", _schema),
    Stage("build", _build),
    # An expression that does not compile and weights that do not add up are one layer
    # of problems for the writer of the rules: reported together, by the checks after.
    Stage("resolve", _resolve, stops=False),
    Stage("check", _check),
)


def _choose_data(run: _YearRun) -> None:
    """The data folder, when the caller picks it from the rules (the CLI's bundled sample
    of the rule set's declared year, and its check of --year against that year)."""
    if callable(run.data_folder):
        run.data_folder = run.data_folder(run.loaded.resolved.ruleset)


def _half_year(run: _YearRun) -> None:
    """The rules as the period applies them: half-year targets in H1 (KH235 when a paper
    would score nothing)."""
    whole = run.loaded.resolved
    run.rules = half_year(whole) if run.period == "H1" else whole


def _plan(run: _YearRun) -> None:
    """What the rules and the roster fix before any data, once per rule set (score/plan.py):
    rosters, categories, applicability, parameters, weights, orders, formulas ready to run."""
    run.plan = build_plan(run.rules)


def _read_data(run: _YearRun) -> None:
    """The data files, checked; 历史.csv gives the earlier years' results."""
    # Names are checked against the whole year's rules: half-year data may well
    # carry indicators that have no half-year target.
    ruleset = run.loaded.resolved.ruleset
    run.dataset = read_data(run.data_folder, ruleset, run.encoding, lenient=run.lenient)


def _records(run: _YearRun) -> None:
    """The values the rules aggregate from record files (记录汇总), joined to the data.
    The engine (DuckDB, or Spark) and sqlglot are imported here, and only for a rule set
    that declares some."""
    ruleset = run.loaded.resolved.ruleset
    if not ruleset.aggregations:
        return
    from kaohe_rules.read.records.aggregate import aggregate, join

    join(run.dataset, aggregate(ruleset, run.data_folder, run.engine), ruleset)


def _history(run: _YearRun) -> None:
    """Earlier years' results from the history archive into the data's history (the
    archive wins over 历史.csv for a year both give), and a digest of what was taken."""
    if run.history_archive is None:
        return
    from kaohe_rules.read import archive

    path = run.history_archive
    if not path.is_file():
        raise ArchiveNotFound(path)
    ruleset = run.loaded.resolved.ruleset
    ids = set(m.roster_column(ruleset.units, "编号"))
    taken = {
        key: record
        for key, record in archive.history_records(path).items()
        if key[0] in ids and key[1] < ruleset.year
    }
    run.dataset.history.update(taken)
    rows = sorted((f"{uid}\0{year}", record) for (uid, year), record in taken.items())
    run.archived = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def score_and_rank(
    resolved: Resolved,
    dataset: DataSet,
    *,
    progress: Progress | None = None,
    branches: dict | None = None,
    plan: Plan | None = None,
    fast: bool | None = None,
) -> Evaluation:
    """Every unit scored and ranked: engine.evaluate_year runs each domain through the
    stages of engine.STAGES (categories, indicators, papers, adjustments, totals, ranks,
    tiers, labels, specials), then the checks on the results (plausibility.py,
    result_checks.py) and the fingerprint of the files as read. ``branches`` collects
    the if-branches taken, for ``kaohe test``'s coverage; ``plan``: the rule set's plan
    (built when not given); ``fast=False`` runs the reference path (score/fast.py)."""
    return evaluate_year(resolved, dataset, progress, branches=branches, plan=plan, fast=fast)


def _score(run: _YearRun) -> None:
    run.evaluation = score_and_rank(
        run.rules, run.dataset, progress=run.progress, plan=run.plan, fast=run.fast
    )
    run.evaluation.period = run.period


def _fingerprint(run: _YearRun) -> None:
    """The files' fingerprint, with what else made these numbers: the archived years
    taken, and the half year (the same files give other numbers in H1)."""
    evaluation = run.evaluation
    if run.archived:
        evaluation.fingerprint = _stamped(evaluation.fingerprint, run.archived)
    if run.period == "H1":
        evaluation.fingerprint = _stamped(evaluation.fingerprint, "H1")


def _stamped(fingerprint: str, what: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{what}".encode()).hexdigest()[:16]


YEAR_STAGES = (
    Stage("choose data", _choose_data),
    Stage("half year", _half_year),
    Stage("plan", _plan),
    Stage("read data", _read_data),
    # After the data files: a value given both ways is an error (KH568), not overwritten.
    Stage("records", _records),
    Stage("history", _history),
    Stage("score and rank", _score),
    Stage("fingerprint", _fingerprint),
)

STAGES = RULE_STAGES + YEAR_STAGES


def load_rules(folder: Path, root: Path | None = None) -> Loaded:
    """The rule stages: files → merged documents → schema → model → compiled expressions
    → checks. ``root``: the folder above which ``继承`` may not reach (default: the parent).

    Raises KaoheError with every problem of the first stage that found errors.
    """
    checked = check_rules(folder, root)
    if checked.failed:
        raise KaoheError(checked.diagnostics)
    return Loaded(checked.resolved, checked.diagnostics)


@data_record
class Checked:
    """The rule stages run as far as they went: what ``kaohe validate`` reports, and what
    was made on the way (an editor completes names from a rule set that has errors)."""

    diagnostics: list[Diagnostic]  # the failing stage's problems, or the warnings
    failed: bool
    assembled: Assembled | None = None
    resolved: Resolved | None = None  # compiled, if the stages got that far


def check_rules(folder: Path, root: Path | None = None) -> Checked:
    """``load_rules`` without raising: the problems it would raise or return, and the
    documents and compiled rules made before it stopped (kaohe_rules.editing)."""
    run = _RuleRun(folder, root)
    try:
        with _no_gc_pauses():
            for stage in RULE_STAGES:
                stage.run(run)
                if stage.stops:
                    run.errors.raise_if_errors()
    except KaoheError as error:
        return Checked(error.diagnostics, True, run.assembled, run.resolved)
    warnings = [d for d in run.errors.items if d.severity is Severity.WARNING]
    return Checked(warnings, False, run.assembled, run.resolved)


def plan_rules(loaded: Loaded) -> Plan:
    """The plan stage alone, for commands that need what the rules and roster fix but no
    data (``kaohe template``, ``kaohe collect``): each domain's units, and which of them
    each indicator applies to with which parameters."""
    return build_plan(loaded.resolved)


@contextmanager
def _no_gc_pauses():
    """Loading builds many small objects and few cycles: the cycle collector's passes
    over them only cost time (they grow with the heap and made loading superlinear)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_year(
    rules_folder: Path,
    data_folder: Path | Callable[[m.RuleSet], Path],
    *,
    encoding: str | None = None,
    period: str = "全年",
    history_archive: Path | None = None,
    lenient: bool = False,
    progress: Progress | None = None,
    fast: bool | None = None,
    engine: EngineChoice = DUCKDB,
) -> Evaluation:
    """Every stage: the rule set of ``rules_folder`` applied to the data of ``data_folder``.

    See :func:`run_loaded` for the options. Raises KaoheError for problems in the rules
    or the data, ArchiveNotFound for a ``history_archive`` that does not exist.
    """
    if isinstance(data_folder, Path):
        read_ahead(data_folder, encoding)  # digests and a parse taken while the rules load
    try:
        return run_loaded(
            load_rules(rules_folder),
            data_folder,
            encoding=encoding,
            period=period,
            history_archive=history_archive,
            lenient=lenient,
            progress=progress,
            fast=fast,
            engine=engine,
        )
    finally:
        drop_ahead()  # read_data drops what it does not take; this, when it never ran


def run_loaded(
    loaded: Loaded,
    data_folder: Path | Callable[[m.RuleSet], Path],
    *,
    encoding: str | None = None,
    period: str = "全年",
    history_archive: Path | None = None,
    lenient: bool = False,
    progress: Progress | None = None,
    fast: bool | None = None,
    engine: EngineChoice = DUCKDB,
) -> Evaluation:
    """The year stages on rules already loaded.

    ``data_folder`` may be a function of the rule set that picks the folder (once the
    rules say their year); ``encoding`` of CSV files (None: UTF-8 or GB18030, detected);
    ``period`` 全年 or H1; ``history_archive`` a ``kaohe publish`` archive whose earlier
    years join 历史.csv; ``lenient`` ignores data names the rules do not know (for one data
    set under two years' rules); ``progress(done, total, domain)`` is told as each domain
    starts; ``fast=False`` runs the reference path (score/fast.py; None: the environment
    variable KAOHE_REFERENCE decides); ``engine`` runs the 记录汇总 queries (DuckDB by
    default, or Spark: read/records/choice.py).
    """
    if period not in PERIODS:
        raise ValueError(f"period is one of {PERIODS}, not {period!r}")
    run = _YearRun(
        loaded, data_folder, encoding, period, history_archive, lenient, progress, fast, engine
    )
    for stage in YEAR_STAGES:
        stage.run(run)
    return run.evaluation


__all__ = [
    "PERIODS",
    "STAGES",
    "ArchiveNotFound",
    "KaoheError",
    "Loaded",
    "Stage",
    "load_rules",
    "read_ahead",
    "run_loaded",
    "run_year",
    "score_and_rank",
]
