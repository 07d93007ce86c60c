"""The columnar writer (outputs/columns_out.py) writes the bytes the row writer writes.

What is proved: numbers as text by columns (number_text.py) equal numbers.plain's text
for any double, rounded or not (hypothesis); text cells equal csv.writer's and
json.dumps' (hypothesis, every character class they quote or escape); and whole files,
CSV and JSON, are byte for byte the row writer's on every real input the project has
(the official rule sets with their samples and the half year, every rule-set fixture
under tests/ with data, random rule sets, a generated benchmark workload), in chunks of
a few rows too. The Parquet file holds the CSV's cells, typed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe_rules.cli import cli
from kaohe_rules.dsl.numeric import round_vector
from kaohe_rules.outputs import columns_out, report, table_columns
from kaohe_rules.outputs.number_text import number_texts, readings
from kaohe_rules.outputs.numbers import as_read, plain
from kaohe_rules.outputs.table_columns import TEXT, Column
from tests.conftest import ROOT, edited_copy
from tests.reference.paths import KaoheError, Source, evaluate_fast, inputs
from tests.reference.random_rules import Case, rule_sets
from tests.reference.test_fixtures import FIXTURES, OFFICIAL

SPECIAL = [0.1 + 0.2, 1e16, 1e15, 1e-5, 1e-4, 9.99e-5, -0.0, 0.0, 2.0**63, 2.0**53 + 1, 5e-324]
SPECIAL += [1.7976931348623157e308, math.inf, -math.inf, math.nan, 123456789012345.6, -0.00012]


def _csv_text(value: float) -> str:
    return str(plain(value))


def _json_text(value: float) -> str:
    return json.dumps(plain(value))


def _texts(values: list[float], write, places: int | None = None) -> list[str | None]:
    return number_texts(np.array(values, dtype=np.float64), write, places).to_pylist()


def _expected(values: list[float], write) -> list[str | None]:
    return [None if v != v else write(v) for v in values]


floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(SPECIAL)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(floats, max_size=40), digits=st.integers(0, 10))
def test_number_text_is_plain_text(values: list[float], digits: int) -> None:
    """Any double, and any double rounded to 精度 as scores are: the text str(plain(v))
    and json.dumps(plain(v)) give, whether the places are known or not."""
    rounded = (round_vector(np.array(values, dtype=np.float64), digits) + 0.0).tolist()
    for write in (_csv_text, _json_text):
        assert _texts(values, write) == _expected(values, write)
        assert _texts(rounded, write) == _expected(rounded, write)
        assert _texts(rounded, write, digits) == _expected(rounded, write)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(floats | st.decimals(-1e6, 1e6, places=6).map(float), max_size=40))
def test_readings_are_as_read(values: list[float]) -> None:
    """Data values as read at 15 digits (指标得分 值): numbers.as_read's text."""
    found = _texts(readings(np.array(values, dtype=np.float64)) + 0.0, _csv_text)
    assert found == [None if as_read(v) is None else str(as_read(v)) for v in values]


def test_number_text_proves_a_million_scores_by_columns() -> None:
    """Not vacuous: the columns do the work (no value left to the reference)."""
    scores = round_vector(np.random.default_rng(1).uniform(-50, 150, 10_000), 4) + 0.0
    left = []
    texts = number_texts(scores, lambda v: left.append(v) or _csv_text(v), 4)
    assert left == [] and texts.to_pylist() == _expected(scores.tolist(), _csv_text)


text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", ",", '"', "a\nb", "a\rb", "\\", "\x00", "\x7f", "\u2028", "甲,乙", ' "x" ', "\t"]
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(text | st.none(), text | st.none()), min_size=1, max_size=8))
def test_text_cells_as_csv_writer_and_json_dumps(rows) -> None:
    chunk = [Column(TEXT, pa.array([row[i] for row in rows], pa.string())) for i in (0, 1)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        ["" if v is None else v for v in r] for r in rows
    )
    assert b"".join(columns_out.csv_rows([chunk])).decode() == out.getvalue()
    found = b"".join(columns_out.json_object([("t", columns_out.json_rows(["a", "b"], [chunk]))]))
    body = {"t": [dict(zip("ab", row, strict=True)) for row in rows]}
    assert found.decode() == json.dumps(body, ensure_ascii=False, indent=1) + "\n"


def _evaluate(source: Source):
    try:
        resolved, data = inputs(source)
        return evaluate_fast(resolved, data)
    except KaoheError:
        return None


def _same_files(evaluation) -> None:
    for suffix in (".csv", ".json"):
        rows = report.render(evaluation, suffix, columnar=False)
        columns = report.render(evaluation, suffix, columnar=True)
        assert columns == rows, suffix


def _name(source: Source) -> str:
    return f"{source.rules.relative_to(ROOT)}+{source.data.name}" + (" H1" if source.half else "")


@pytest.mark.parametrize("source", OFFICIAL + FIXTURES, ids=_name)
def test_files_equal_the_row_writers(source: Source) -> None:
    evaluation = _evaluate(source)
    if evaluation is None:
        pytest.skip("refused before scoring")
    _same_files(evaluation)
    _parquet_holds_the_csv(evaluation)


def test_files_equal_in_chunks_of_a_few_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk ends inside a domain, the last JSON row in a chunk of its own."""
    evaluation = _evaluate(OFFICIAL[1])
    for rows in (1, 7, 64):
        monkeypatch.setattr(table_columns, "ROWS", rows)
        _same_files(evaluation)


def test_files_with_names_csv_quotes_and_json_escapes(tmp_path: Path) -> None:
    golden = ROOT / "tests" / "golden" / "evaluate"
    rules = edited_copy(
        golden / "rules", tmp_path / "rules", "名单.yaml", "名称: 甲一", '名称: "甲,\\"一\\"\\\\"'
    )
    evaluation = _evaluate(Source(rules, golden / "data"))
    assert evaluation is not None
    assert b'"\xe7\x94\xb2,""' in report.render(evaluation, ".csv", columnar=True)  # not vacuous
    _same_files(evaluation)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=rule_sets())
def test_files_equal_on_random_rule_sets(case: Case) -> None:
    with tempfile.TemporaryDirectory() as folder:
        evaluation = _evaluate(case.write(Path(folder)))
        if evaluation is not None:
            _same_files(evaluation)


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bench/scale workload of 3,000 units (its long CSV in data-csv/, rosters as CSV)."""
    folder = tmp_path_factory.mktemp("scale") / "n3000"
    generate = ROOT / "bench" / "scale" / "generate.py"
    subprocess.run([sys.executable, str(generate), "3000", "--out", str(folder)], check=True)
    return folder


def test_workload_files_and_the_default_choice(workload: Path, monkeypatch) -> None:
    evaluation = _evaluate(Source(workload / "rules", workload / "data-csv"))
    _same_files(evaluation)
    _parquet_holds_the_csv(evaluation)
    monkeypatch.setattr(report, "COLUMNAR_FROM", 3000)
    assert report.render(evaluation, ".csv") == report.render(evaluation, ".csv", columnar=False)
    calls = []
    monkeypatch.setattr(columns_out, "csv_rows", lambda chunks: calls.append(1) or [])
    report.render(evaluation, ".csv")
    assert calls == [1]  # from COLUMNAR_FROM units, by columns
    monkeypatch.setenv("KAOHE_REFERENCE", "1")
    report.render(evaluation, ".csv")
    assert calls == [1]  # the reference path asked for: by rows


@pytest.mark.parametrize(
    "units,suffix,loaded,expected",
    [
        (429, ".csv", False, False),
        (429, ".json", False, False),
        (3000, ".json", False, True),  # the row JSON writer runs the pure-Python encoder
        (3000, ".csv", False, False),  # pyarrow not loaded: not loaded for this
        (3000, ".csv", True, True),  # already loaded: by columns
        (19_999, ".csv", False, False),
        (20_000, ".csv", False, True),
    ],
)
def test_which_writer_by_units_format_and_what_is_loaded(
    units, suffix, loaded, expected, monkeypatch
) -> None:
    assert report._by_columns(units, suffix, loaded) is expected
    monkeypatch.setenv("KAOHE_REFERENCE", "1")
    assert report._by_columns(units, suffix, loaded) is False


def _parquet_holds_the_csv(evaluation) -> None:
    """Each Parquet cell, as the CSV writes it, is the CSV's cell; numbers are float64,
    名次 and 排名人数 int64, the fingerprint (and sample notice) in the metadata."""
    data = report.render(evaluation, ".parquet")
    assert data == report.render(evaluation, ".parquet")  # the same bytes every time
    table = pq.read_table(io.BytesIO(data))
    text = report.render(evaluation, ".csv").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert table.column_names == lines[1]
    assert table.schema.metadata[b"\xe6\x8c\x87\xe7\xba\xb9"].decode() == evaluation.fingerprint
    assert table.schema.field("名次").type == pa.int64()
    assert table.schema.field("总分").type == pa.float64()
    cells = [
        ["" if v is None else str(plain(v) if isinstance(v, float) else v) for v in row]
        for row in zip(*table.to_pydict().values(), strict=True)
    ]
    assert cells == lines[2:]


def test_cli_writes_parquet_and_refuses_other_suffixes(tmp_path: Path) -> None:
    runner = CliRunner()
    given = ["--rules", str(ROOT / "rules" / "2024"), "--data", str(ROOT / "samples" / "2024")]
    result = runner.invoke(cli, ["evaluate", *given, "-o", str(tmp_path / "结果.parquet")])
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "结果.parquet").num_rows == 429
    result = runner.invoke(cli, ["evaluate", *given, "-o", str(tmp_path / "结果.txt")])
    assert result.exit_code == 2
    assert ".csv、.json、.parquet 或 .xlsx" in result.output
    beside = str(ROOT / "samples" / "2024" / "结果.parquet")  # would be read as data next time
    result = runner.invoke(cli, ["evaluate", *given, "-o", beside])
    assert result.exit_code == 2 and "KH313" in result.output
    assert not Path(beside).exists()


def test_written_in_parts(tmp_path: Path) -> None:
    path = tmp_path / "结果.csv"
    report.write_atomically(path, iter([b"a", memoryview(b"bc"), b""]))
    assert path.read_bytes() == b"abc"
