"""The Spark engine gives DuckDB's results exactly: every output of the one query per
record file (counts, checks, every measure) on the phase-1 fixture, on hostile records
and on random record sets, then whole evaluations and the documented example.

Rows are compared by ``repr``, so two numbers are the same only to the last bit.
"""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules, run_year
from kaohe_rules.read.records import compile as compiling
from kaohe_rules.read.records import query as querying
from kaohe_rules.read.records.aggregate import _source, aggregate
from kaohe_rules.read.records.choice import EngineChoice
from kaohe_rules.read.records.engine import DuckDB
from tests.conftest import ROOT
from tests.doc_examples import examples, run
from tests.records import test_properties as props
from tests.spark.conftest import MASTER, needs_spark

pytestmark = needs_spark

HERE = ROOT / "tests" / "records"
SPARK = EngineChoice("spark", MASTER)
RULESET = load_rules(HERE / "rules").resolved.ruleset


@pytest.fixture(scope="module")
def spark():
    from kaohe_rules.read.records.spark import Spark

    return Spark(MASTER)  # the process's one session: every test below shares it


def _rows(engine, ruleset, folder: Path) -> dict[str, list[str]]:
    """Each record file's query rows on ``engine``, sorted, as text (exact to the bit)."""
    out = {}
    by_file: dict[str, list] = {}
    for aggregation in ruleset.aggregations:
        by_file.setdefault(aggregation.file, []).append(aggregation)
    for declared, declarations in by_file.items():
        source = _source(engine, folder, declared)
        problems: list = []
        compiled = [compiling.compile_one(a, source, problems) for a in declarations]
        assert not problems, problems
        query, _layout = querying.build(source, compiled)
        engine.provide(source)
        rows = engine.run(query.sql(dialect=engine.dialect), source)
        out[declared] = sorted(repr(row) for row in rows)
    return out


def _same_rows(spark, ruleset, folder: Path) -> None:
    duck = DuckDB([folder.resolve(), *[p.resolve() for p in folder.rglob("*") if p.is_dir()]])
    try:
        want = _rows(duck, ruleset, folder)
    finally:
        duck.close()
    assert _rows(spark, ruleset, folder) == want


def _outcome(ruleset, folder: Path, choice: EngineChoice | None):
    """What aggregate gives: every unit's inputs and the warnings, or the errors."""
    try:
        found = aggregate(ruleset, folder, *([choice] if choice else []))
    except KaoheError as error:
        return [(d.code, d.message, d.span and d.span.line) for d in error.diagnostics]
    units = {name: repr(sorted(result.units.items())) for name, result in found.results.items()}
    return units, [(d.code, d.message) for d in found.warnings]


def _same_outcome(ruleset, folder: Path):
    """The same values and warnings; errors with the same codes at the same places (the
    engines word a malformed row differently)."""
    want, got = _outcome(ruleset, folder, None), _outcome(ruleset, folder, SPARK)
    if isinstance(want, list):
        assert [(c, line) for c, _, line in got] == [(c, line) for c, _, line in want]
    else:
        assert got == want
    return want


def test_the_fixture_gives_duckdbs_rows_exactly(spark) -> None:
    _same_rows(spark, RULESET, HERE / "data")
    _same_outcome(RULESET, HERE / "data")


def test_a_whole_evaluation_is_the_same(tmp_path: Path) -> None:
    from kaohe_rules.outputs.report import render

    duck = run_year(HERE / "rules", HERE / "data")
    spark = run_year(HERE / "rules", HERE / "data", engine=SPARK)
    assert render(spark, ".json") == render(duck, ".json")
    assert spark.fingerprint == duck.fingerprint


RATINGS = "记录/满意度评价.csv"


def _with_ratings(tmp_path: Path, edit) -> Path:
    data = tmp_path / "data"
    shutil.copytree(HERE / "data", data)
    with open(data / RATINGS, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    rows = edit(rows)
    with open(data / RATINGS, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    return data


# Cells that DuckDB's and Spark's own casts read differently, blank and quoted cells.
TEXTS = [
    "85", " 85 ", "+85", "-0", "85.", ".5", "8.5e1", "1E2", "1e400", "+-1", "1_000", "inf",
    "nan", "Infinity", "1.5d", "85%", "九十", "８５", "0x10", "\t85", "85\n", "", " ", "1,000",
]  # fmt: skip


def _cells(rows):
    header, body = rows[0], rows[1:]
    at = header.index("评分")
    for row, text in zip(body, TEXTS * 3, strict=False):
        row[at] = text
    return [header, *body]


def test_number_texts_blank_and_quoted_cells_read_alike(spark, tmp_path: Path) -> None:
    data = _with_ratings(tmp_path, _cells)
    _same_rows(spark, RULESET, data)
    errors = _same_outcome(RULESET, data)
    assert [e[0] for e in errors] == ["KH564"]  # the non-numbers, counted with examples


STRANGERS = [["999999", "上评下", "9", "是"], ["", "上评下", "1", "是"]]  # unknown, blank
HOSTILE = {
    "unknown units": lambda rows: [*rows, *STRANGERS],
    "no records": lambda rows: rows[:1],
    "malformed row": lambda rows: [*rows[:5], rows[5][:3], *rows[6:]],
    "a unit without records": lambda rows: [r for r in rows if r[0] != "330328"],
    "filter keeps none": lambda rows: [r if r[0] != "330122" else [*r[:3], "否"] for r in rows],
    "a quoted line break": lambda rows: [*rows, ["330100", "上评下", "90", "是\n"]],
}  # fmt: skip


@pytest.mark.parametrize("edit", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_records_give_the_same_codes_and_values(tmp_path: Path, edit) -> None:
    _same_outcome(RULESET, _with_ratings(tmp_path, edit))


def test_a_group_no_record_has_is_named_alike_with_the_columns_values(tmp_path: Path) -> None:
    """KH569's hint lists the group column's values: one query tree, rendered per engine."""
    rules = tmp_path / "rules"
    shutil.copytree(HERE / "rules", rules)
    path = rules / "规则集.yaml"
    text = path.read_text(encoding="utf-8").replace("下评上 * 0.6", "下平上 * 0.6")
    path.write_text(text, encoding="utf-8")
    ruleset = load_rules(rules).resolved.ruleset
    found = []
    for choice in (None, SPARK):
        with pytest.raises(KaoheError) as raised:
            aggregate(ruleset, HERE / "data", *([choice] if choice else []))
        found.append([(d.code, d.message, d.hint) for d in raised.value.diagnostics])
    assert found[1] == found[0]
    assert [(code, hint) for code, _m, hint in found[0]] == [
        ("KH569", "该列的值有：上评下、下评上")
    ]


def _all_measures() -> tuple:
    """Every measure, plain and filtered (on a category and a number: both levels of the
    query, decision 112) and grouped, over one file: one query."""
    out = []
    for measure in props.MEASURES:
        if measure in QUANTILES:
            continue
        for filtered, grouped in (("none", False), ("category and number", True)):
            declaration = props._declaration(measure, filtered, grouped, 0.9)
            name = f"{measure}-{filtered}"
            out.append(dataclasses.replace(declaration, name=name, file="记录/r.csv"))
    return tuple(out)


QUANTILES = ("median", "percentile")  # KH576 on Spark
ALL = _all_measures()


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same record sets every run: a failure here is reproducible
    phases=(Phase.explicit, Phase.generate),  # shrinking through Spark takes many minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=props.record_sets)
def test_random_records_give_duckdbs_rows_exactly(spark, tmp_path_factory, kind, rows) -> None:
    if not {r[1] for r in rows} >= {"上评下", "下评上"}:
        rows = [*rows, ("339999", "上评下", 1.0, 1.0, "是"), ("339999", "下评上", 2.0, 1.0, "否")]
    folder = tmp_path_factory.mktemp("records")
    declared = props._write(folder, rows, kind)
    declarations = tuple(dataclasses.replace(d, file=declared) for d in ALL)
    _same_rows(spark, dataclasses.replace(props.RULESET, aggregations=declarations), folder)


def test_quantiles_are_kh576_on_spark_before_it_starts(tmp_path: Path) -> None:
    median = dataclasses.replace(props._declaration("median", "none", False, 0.5), name="满意度")
    ruleset = dataclasses.replace(props.RULESET, aggregations=(median,))
    with pytest.raises(KaoheError) as raised:
        aggregate(ruleset, tmp_path, SPARK)
    assert [d.code for d in raised.value.diagnostics] == ["KH576"]


RECORDS_DOC = ROOT / "docs" / "records.md"
SPARK_EXAMPLES = [e for e in examples(RECORDS_DOC) if "--engine spark" in e.command]


def test_the_documented_spark_examples() -> None:
    assert SPARK_EXAMPLES
    for example in SPARK_EXAMPLES:
        _code, output = run(example)
        assert output.rstrip("\n") == example.expected.rstrip("\n"), (
            f"{example.file}:{example.line}: `{example.command}` printed:\n{output}"
        )
