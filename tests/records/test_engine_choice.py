"""--engine, --spark-master and --records-root without Spark itself: the options are
refused or reported with their codes (KH518, KH572, KH573, KH576, KH579), never run on
DuckDB instead, and the number pattern both engines share (decision 97). tests/spark runs
Spark itself."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.read.records import spark
from tests.conftest import ROOT

HERE = ROOT / "tests" / "records"
ARGS = ["evaluate", "--rules", str(HERE / "rules"), "--data", str(HERE / "data")]


def _run(*more: str):
    return CliRunner().invoke(cli, [*ARGS, *more])


def test_spark_master_without_engine_spark_is_refused() -> None:
    result = _run("--spark-master", "spark://host:7077")
    assert result.exit_code == 2
    assert "KH518" in result.output and "--engine spark" in result.output


@pytest.mark.parametrize("command", [[], ["explain", "淳安县"]], ids=["evaluate", "explain"])
def test_records_root_without_engine_spark_is_kh579(command) -> None:
    words = [*(command or ["evaluate"]), *ARGS[1:], "--records-root", "hdfs://nn:8020/记录"]
    result = CliRunner().invoke(cli, words)
    assert result.exit_code == 2
    assert "KH579" in result.output and "--engine spark" in result.output
    assert "杭州市" not in result.output  # not run on DuckDB with the data folder's records


def test_records_root_on_diff_with_data_without_engine_spark_is_kh579() -> None:
    rules = str(HERE / "rules")
    words = ["diff", rules, rules, "--data", str(HERE / "data"), "--records-root", "file:///x"]
    result = CliRunner().invoke(cli, words)
    assert result.exit_code == 2 and "KH579" in result.output


@pytest.mark.parametrize("root", ["/mnt/记录", "记录", "file:记录", "hdfs:"])
def test_a_records_root_that_is_not_an_absolute_uri_is_kh579(root: str, monkeypatch) -> None:
    monkeypatch.setattr(spark, "_session", lambda master: pytest.fail("Spark was started"))
    result = _run("--engine", "spark", "--records-root", root)
    assert result.exit_code == 2
    assert "KH579" in result.output and "hdfs://主机:8020/记录" in result.output


def test_an_unknown_engine_is_kh510() -> None:
    result = _run("--engine", "flink")
    assert result.exit_code == 2 and "KH510" in result.output


def test_without_pyspark_engine_spark_is_kh572(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = _run("--engine", "spark", "--spark-master", "local[3]")
    assert result.exit_code == 1
    assert "error KH572 spark-not-installed" in result.output
    assert "pip install 'kaohe-rules[spark]'" in result.output
    assert "Traceback" not in result.output and "杭州市" not in result.output  # not DuckDB


def test_without_java_engine_spark_is_kh573(monkeypatch) -> None:
    fake = types.ModuleType("pyspark.sql")
    fake.SparkSession = object
    monkeypatch.setitem(sys.modules, "pyspark", types.ModuleType("pyspark"))
    monkeypatch.setitem(sys.modules, "pyspark.sql", fake)
    monkeypatch.setenv("JAVA_HOME", "/nonexistent/java")
    result = _run("--engine", "spark", "--spark-master", "local[3]")
    assert result.exit_code == 1
    assert "error KH573 spark-no-java" in result.output and "/nonexistent/java" in result.output


def test_a_quantile_on_spark_is_kh576_at_its_measure(tmp_path: Path, monkeypatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(HERE / "rules", rules)
    path = rules / "规则集.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("度量: 平均值", "度量: 中位数", 1), encoding="utf-8")
    monkeypatch.setattr(spark, "_session", lambda master: pytest.fail("Spark was started"))
    result = CliRunner().invoke(
        cli, ["evaluate", "--rules", str(rules), "--data", str(HERE / "data"), "--engine", "spark"]
    )
    assert result.exit_code == 1
    assert "规则集.yaml:16:" in result.output  # at 度量
    assert "error KH576 quantile-not-on-spark" in result.output


@pytest.mark.parametrize(
    ("text", "number"),
    [("85", True), (" 85 ", True), ("+8.5e1", True), (".5", True), ("85.", True),
     ("+-1", False), ("1_000", False), ("inf", False), ("nan", False), ("\t85", False),
     ("1.5d", False), ("０", False)],
)  # fmt: skip
def test_the_number_pattern(text: str, number: bool) -> None:
    import duckdb
    import sqlglot.expressions as exp

    from kaohe_rules.read.records.compile import number_from_text

    sql = number_from_text(exp.Literal.string(text)).sql(dialect="duckdb")
    found = duckdb.connect().execute(f"SELECT {sql}").fetchone()[0]
    assert (found is not None) is number


def test_analyze_trend_reads_each_years_records_under_root_slash_year(monkeypatch) -> None:
    """Like --data-root: one folder a year, named by the year (decision 113)."""
    from kaohe_rules.cli import analyze
    from kaohe_rules.cli.evaluate import engine_choice

    seen = []

    def evaluate_options(*_args, **_kwargs):
        seen.append(engine_choice())
        if len(seen) == 2:
            raise RuntimeError("stop: the choices are all this test needs")

    monkeypatch.setattr(analyze, "evaluate_options", evaluate_options)
    monkeypatch.setattr(analyze, "_warn", lambda *_args: None)
    words = ["analyze", "trend", "--years", "2023", "2024", "--engine", "spark"]
    CliRunner().invoke(cli, [*words, "--records-root", "hdfs://nn:8020/考核/"])
    assert [(c.name, c.records_root) for c in seen] == [
        ("spark", "hdfs://nn:8020/考核/2023"),
        ("spark", "hdfs://nn:8020/考核/2024"),
    ]
