"""记录汇总 (issue 22) on the fixture in this folder: values aggregated from the record files
of data/记录/, explained and diffed; then one hostile change of the records or the rules
per test, each a coded problem at its place (docs/records.md)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError, Severity
from kaohe_rules.pipeline import load_rules, run_year
from tests.conftest import ROOT

HERE = ROOT / "tests" / "records"
RECORDS = "记录/满意度评价.csv"


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    rules, data = tmp_path / "rules", tmp_path / "data"
    shutil.copytree(HERE / "rules", rules)
    shutil.copytree(HERE / "data", data)
    return rules, data


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _ratings(data: Path) -> list[list[str]]:
    with open(data / RECORDS, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def _write(data: Path, rows: list[list[str]]) -> None:
    with open(data / RECORDS, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def _errors(rules: Path, data: Path) -> list:
    with pytest.raises(KaoheError) as raised:
        run_year(rules, data)
    return raised.value.diagnostics


def _rule_errors(rules: Path) -> list:
    with pytest.raises(KaoheError) as raised:
        load_rules(rules)
    return raised.value.diagnostics


def _values(evaluation, name: str) -> dict[str, float | None]:
    results = evaluation.data.records[name]
    return {uid: inputs.value for uid, inputs in results.units.items()}


def test_the_fixture_aggregates_as_pandas_does() -> None:
    import pandas as pd

    evaluation = run_year(HERE / "rules", HERE / "data")
    records = pd.read_csv(HERE / "data" / RECORDS, dtype=str)
    records["评分"] = records["评分"].astype(float)
    valid = records[records["有效"] == "是"]
    means = valid.groupby(["被评单位", "评价方向"])["评分"].mean().unstack()
    combined = (means["上评下"] * 0.4 + means["下评上"] * 0.6).to_dict()
    share = valid.groupby("被评单位")["评分"].apply(lambda s: (s >= 80).mean()).to_dict()
    monitoring = pd.read_parquet(HERE / "data" / "记录" / "监测记录.parquet")
    serious = monitoring[monitoring["等级"] == "重大"].groupby("单位名称").size()
    ids = {u.name: u.id for u in evaluation.resolved.ruleset.units}
    expected_count = {ids[name]: float(serious.get(name, 0)) for name in ids}
    assert _values(evaluation, "满意度") == pytest.approx(combined)
    assert _values(evaluation, "好评率") == pytest.approx(share)
    assert _values(evaluation, "重大问题数") == pytest.approx(expected_count)
    assert not [w for w in evaluation.warnings if w.code.startswith("KH5")]


def test_the_records_make_part_of_the_fingerprint(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    before = run_year(rules, data).fingerprint
    rows = _ratings(data)
    rows[1][2] = "99"
    _write(data, rows)
    assert run_year(rules, data).fingerprint != before


def test_explain_shows_the_aggregation_and_its_inputs() -> None:
    args = ["explain", "--rules", str(HERE / "rules"), "--data", str(HERE / "data"), "淳安县"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "【记录汇总】" in text
    assert "记录 记录/满意度评价.csv，单位列 被评单位（按编号），本单位 10 条" in text
    assert "组 上评下：筛选后 4 条，值 86.75" in text
    assert "按 评价方向 分组，合成 上评下 * 0.4 + 下评上 * 0.6 = 86.6" in text
    assert '筛选 等级 == "重大"；度量 计数' in text


def test_explain_has_no_records_section_without_aggregations() -> None:
    args = ["explain", "--rules", "tests/rulesets/mini", "--data", "tests/rulesets/mini_data"]
    result = CliRunner().invoke(cli, [*args, "淳安县"])
    assert "记录汇总" not in result.output


def test_diff_shows_a_changed_declaration(tmp_path: Path) -> None:
    rules, _ = _copy(tmp_path)
    _edit(rules / "规则集.yaml", "上评下 * 0.4 + 下评上 * 0.6", "上评下 * 0.5 + 下评上 * 0.5")
    _edit(rules / "规则集.yaml", "度量: 计数", "度量: 去重计数\n    列: 月份")
    result = CliRunner().invoke(cli, ["diff", str(HERE / "rules"), str(rules)])
    assert result.exit_code == 0, result.output
    assert (
        "修改 记录汇总 满意度 的 合成：上评下 * 0.4 + 下评上 * 0.6 → 上评下 * 0.5" in result.output
    )
    assert "修改 记录汇总 重大问题数 的 度量：计数 → 去重计数" in result.output
    assert "修改 记录汇总 重大问题数 的 列：（无） → 月份" in result.output


# Hostile records: each a coded error or warning naming the file (and line where DuckDB does).


def test_a_missing_file_is_kh560_at_its_declaration(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    (data / "记录" / "监测记录.parquet").unlink()
    [found] = _errors(rules, data)
    assert (found.code, found.span.file, found.span.line) == (
        "KH560",
        str(rules / "规则集.yaml"),
        29,
    )
    assert "记录/监测记录.parquet" in found.message


def test_a_malformed_row_is_kh562_with_its_line(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    rows = _ratings(data)
    rows[7] = rows[7][:2]  # line 8 of the file: two cells under a header of four
    _write(data, rows)
    [found] = _errors(rules, data)
    assert found.code == "KH562"
    assert (found.span.file, found.span.line) == (str(data / RECORDS), 8)
    assert "Expected Number of Columns: 4 Found: 2" in found.message


def test_a_file_that_is_not_utf8_is_kh562(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    path = data / RECORDS
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    [found] = _errors(rules, data)
    assert found.code == "KH562" and "UTF-8" in found.message


def test_non_numbers_in_the_measured_column_are_counted_with_examples(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    rows = _ratings(data)
    rows[3][2], rows[12][2], rows[20][2] = "九十", "85%", "九十"
    _write(data, rows)
    [found] = _errors(rules, data)
    assert found.code == "KH564" and found.span.file == str(data / RECORDS)
    assert "有 3 个值不是" in found.message and "'85%'" in found.message


def test_unknown_units_are_a_warning_with_counts_and_examples(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    before = _values(run_year(rules, data), "满意度")
    rows = _ratings(data)
    rows += [
        ["339999", "上评下", "90", "是"],
        ["339999", "下评上", "80", "是"],
        ["", "上评下", "70", "是"],
    ]
    _write(data, rows)
    evaluation = run_year(rules, data)
    warnings = [w for w in evaluation.warnings if w.code == "KH565"]
    assert len(warnings) == 1  # one per file, not one per declaration over it
    assert "3 条记录没有汇总到任何单位" in warnings[0].message
    assert "339999" in warnings[0].message and "另有 1 条记录单位列是空的" in warnings[0].message
    assert _values(evaluation, "满意度") == pytest.approx(before)


def test_a_file_of_no_records_is_a_warning_and_every_value_missing(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _write(data, _ratings(data)[:1])
    evaluation = run_year(rules, data)
    assert [w.code for w in evaluation.warnings if w.code == "KH566"] == ["KH566"]
    assert evaluation.data.records["满意度"].units == {}
    indicator = evaluation.domains[0]
    assert all(score == 0 for score in indicator.scores["满意度"])  # 缺失数据: 记零分


def test_a_unit_without_records_gets_missing_and_is_named(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _write(data, [row for row in _ratings(data) if row[0] != "330328"])
    evaluation = run_year(rules, data)
    [warning] = [w for w in evaluation.warnings if w.code == "KH567" and "满意度" in w.message]
    assert "1 个单位由记录汇总不出值（文成县）" in warning.message
    assert "330328" not in evaluation.data.records["满意度"].units
    assert warning.severity is Severity.WARNING


def test_a_filter_naming_a_missing_column_is_kh561_at_the_name(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _edit(
        rules / "规则集.yaml",
        '筛选: 有效 == "是"\n    度量: 平均值',
        '筛选: 有校 == "是"\n    度量: 平均值',
    )
    [found] = _errors(rules, data)
    assert (found.code, found.span.line, found.span.column) == ("KH561", 15, 9)
    assert found.hint == "是否应为 '有效'？"


def test_an_unknown_unit_column_is_kh561(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _edit(rules / "规则集.yaml", "单位列: 单位名称", "单位列: 单位")
    [found] = _errors(rules, data)
    assert found.code == "KH561" and "'单位'" in found.message


def test_a_value_also_in_the_data_files_is_kh568(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    (data / "数据.csv").write_text(
        "编号,党建评分,好评率\n330100,92,80%\n330127,88,\n330328,85,\n330122,90,\n",
        encoding="utf-8",
    )
    [found] = _errors(rules, data)
    assert found.code == "KH568" and found.span.line == 21


def test_a_group_no_record_has_is_kh569(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _edit(rules / "规则集.yaml", "上评下 * 0.4 + 下评上 * 0.6", "上评下 * 0.4 + 下平上 * 0.6")
    [found] = _errors(rules, data)
    assert found.code == "KH569" and "下平上" in found.message
    assert "上评下、下评上" in found.hint


def test_negative_weights_are_kh570(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _edit(
        rules / "规则集.yaml",
        "度量: 平均值\n    列: 评分",
        "度量: 加权平均\n    列: 评分\n    权重: 评分",
    )
    rows = _ratings(data)
    rows[2][2] = "-5"
    _write(data, rows)
    codes = [d.code for d in _errors(rules, data)]
    assert codes == ["KH570"]


def test_a_function_that_compares_units_is_kh563_in_a_filter(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _edit(rules / "规则集.yaml", '筛选: 等级 == "重大"', "筛选: rank(月份) <= 3")
    [found] = _errors(rules, data)
    assert (found.code, found.span.line, found.span.column) == ("KH563", 32, 9)


def test_a_type_error_over_parquet_columns_is_the_languages_code(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _edit(rules / "规则集.yaml", '筛选: 等级 == "重大"', "筛选: 等级 > 3")
    [found] = _errors(rules, data)
    assert found.code == "KH132" and found.span.line == 32


# Checks of the rules alone (kaohe validate): no records needed.


@pytest.mark.parametrize(
    ("old", "new", "code", "line"),
    [
        ("  好评率:\n    文件", "  好平率:\n    文件", "KH550", 21),
        ("度量: 占比", "度量: 占必", "KH551", 25),
        ("度量: 平均值", "度量: 分位数\n    分位: 90", "KH552", 17),
        ("度量: 平均值\n    列: 评分", "度量: 平均值", "KH553", 16),
        ("文件: 记录/监测记录.parquet", "文件: ../记录/监测记录.parquet", "KH554", 29),
        ("文件: 记录/监测记录.parquet", "文件: 监测记录.parquet", "KH554", 29),
        ('筛选: 等级 == "重大"', '筛选: 等级 == "重大" and 等级 == "一般"', "KH555", 32),
        ('筛选: 等级 == "重大"', "筛选: 月份 > 12 and 月份 < 1", "KH555", 32),
        ('筛选: 等级 == "重大"', "筛选: false", "KH555", 32),
        (
            '单位列: 被评单位\n    筛选: 有效 == "是"\n    度量: 占比',
            '单位列: 评价人\n    筛选: 有效 == "是"\n    度量: 占比',
            "KH556",
            23,
        ),
        ('筛选: 等级 == "重大"', '筛选: 等级 == "重大" and', "KH102", 32),
    ],
    ids=[
        "unknown-name",
        "measure",
        "percentile",
        "needs-column",
        "outside",
        "top-level",
        "never-equal",
        "never-range",
        "false",
        "two-unit-columns",
        "syntax",
    ],
)
def test_rule_checks(tmp_path: Path, old: str, new: str, code: str, line: int) -> None:
    rules, _ = _copy(tmp_path)
    _edit(rules / "规则集.yaml", old, new)
    found = [d for d in _rule_errors(rules) if d.code == code]
    assert found and found[0].span.line == line, [(d.code, d.span.line, d.message) for d in found]


def test_a_percentile_written_as_a_whole_number_gets_a_hint(tmp_path: Path) -> None:
    rules, _ = _copy(tmp_path)
    _edit(rules / "规则集.yaml", "度量: 平均值", "度量: 分位数\n    分位: 90")
    [found] = [d for d in _rule_errors(rules) if d.code == "KH552"]
    assert found.hint == "写成百分数，如 分位: 90%"


def test_a_satisfiable_filter_is_not_reported(tmp_path: Path) -> None:
    rules, _ = _copy(tmp_path)
    _edit(rules / "规则集.yaml", '筛选: 等级 == "重大"', "筛选: 月份 >= 1 and 月份 <= 1")
    load_rules(rules)


def test_the_fixture_is_valid_and_its_records_readable() -> None:
    load_rules(HERE / "rules")
    header = _ratings(HERE / "data")[0]
    assert header == ["被评单位", "评价方向", "评分", "有效"]


def test_all_aggregations_over_one_file_are_one_query(monkeypatch) -> None:
    from kaohe_rules.read.records import engine

    queries = []
    run = engine.DuckDB.run

    def counted(self, sql, source):
        queries.append((source.declared, sql))
        return run(self, sql, source)

    monkeypatch.setattr(engine.DuckDB, "run", counted)
    run_year(HERE / "rules", HERE / "data")
    assert [declared for declared, _ in queries] == [RECORDS, "记录/监测记录.parquet"]
    assert queries[0][1].count("FILTER(WHERE") >= 6  # 满意度's two groups and 好评率
    # Two levels (decision 112): the records are first grouped by the raw categories the
    # conditions compare (有效, 评价方向, the unit column) and by the truth of 评分 >= 80;
    # the conditions on categories are evaluated on those groups, not on each record.
    outer, inner = queries[0][1].split(" FROM (", 1)
    grouped = inner[inner.index("GROUP BY") :]
    assert all(f'"{name}"' in grouped for name in ("有效", "评价方向", "被评单位"))
    assert """TRIM(CAST("有效" AS TEXT))""" in outer and '"有效" AS TEXT' not in inner
    assert "80" in grouped and "80" not in outer


def test_a_distinct_count_or_a_quantile_reads_the_records_themselves(tmp_path: Path) -> None:
    """A median cannot be summed up from groups: the file's query aggregates the records,
    each expression of a record computed once in an inner select (decision 110)."""
    from kaohe_rules.read.records import query

    rules, data = _copy(tmp_path)
    _edit(rules / "规则集.yaml", "度量: 平均值", "度量: 中位数")
    ruleset = load_rules(rules).resolved.ruleset
    built = _built(query, ruleset, data)
    outer, inner = built.split(" FROM (", 1)
    per_record = inner.split(") AS per_record", 1)[0]
    assert "QUANTILE_CONT" in outer and "TRIM" not in outer and "GROUP BY" not in per_record


def _built(query, ruleset, data: Path) -> str:
    from kaohe_rules.read.records import compile as compiling
    from kaohe_rules.read.records.source import Source, csv_header, language_type

    path = data / RECORDS
    columns = tuple((name, language_type("VARCHAR")) for name in csv_header(path))
    source = Source(RECORDS, path, (path,), "csv", columns)
    problems: list = []
    compiled = [compiling.compile_one(a, source, problems) for a in ruleset.aggregations[:2]]
    assert problems == []
    return query.build(source, compiled)[0].sql(dialect="duckdb")


@pytest.mark.parametrize(
    ("condition", "categories"),
    [
        ('有效 == "是"', {"有效"}),
        ('有效 in ["是", "待定"] and 评分 >= 80', {"有效"}),
        ('not (有效 != "否")', {"有效"}),
        ('(if 有效 == "是" then 评价方向 else "无") == "上评下"', {"有效"}),
        ("评分 == 100", set()),
    ],
)
def test_the_columns_grouped_as_categories(tmp_path: Path, condition, categories) -> None:
    """Only columns compared as text for equality or membership group the records: a
    column chosen per record (if … then), or read as a number, is tested per record."""
    from kaohe_rules.read.records import compile as compiling
    from kaohe_rules.read.records.levels import categories as found
    from kaohe_rules.read.records.source import Source, csv_header, language_type

    rules, data = _copy(tmp_path)
    share = "\n    度量: 占比"
    _edit(rules / "规则集.yaml", '筛选: 有效 == "是"' + share, f"筛选: '{condition}'" + share)
    ruleset = load_rules(rules).resolved.ruleset
    path = data / RECORDS
    columns = tuple((name, language_type("VARCHAR")) for name in csv_header(path))
    source = Source(RECORDS, path, (path,), "csv", columns)
    problems: list = []
    compiled = compiling.compile_one(ruleset.aggregations[1], source, problems)
    assert problems == [] and found([compiled.filter]) == categories


def test_the_same_query_renders_as_spark_sql() -> None:
    """The seam for Spark: the query is a tree, not DuckDB text."""
    from kaohe_rules.read.records import compile as compiling
    from kaohe_rules.read.records import query
    from kaohe_rules.read.records.source import Source, csv_header, language_type

    ruleset = load_rules(HERE / "rules").resolved.ruleset
    path = HERE / "data" / RECORDS
    columns = tuple((name, language_type("VARCHAR")) for name in csv_header(path))
    source = Source(RECORDS, path, (path,), "csv", columns)
    problems: list = []
    compiled = [compiling.compile_one(a, source, problems) for a in ruleset.aggregations[:2]]
    built, _layout = query.build(source, compiled)
    spark = built.sql(dialect="spark")
    assert problems == [] and "`评分`" in spark and "PERCENTILE" not in spark
    # Grouped by the unit key on the first level's rows (decision 112).
    assert spark.endswith("AS per_category GROUP BY TRIM(CAST(`被评单位` AS STRING))")


def test_a_folder_of_files_is_one_table(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    rows = _ratings(data)
    folder = data / "记录" / "分片"
    folder.mkdir()
    for part, chunk in enumerate((rows[1:20], rows[20:])):
        with open(folder / f"第{part}批.csv", "w", encoding="utf-8", newline="") as stream:
            csv.writer(stream, lineterminator="\n").writerows([rows[0], *chunk])
    before = _values(run_year(rules, data), "满意度")
    _edit(
        rules / "规则集.yaml",
        f'文件: {RECORDS}\n    单位列: 被评单位\n    筛选: 有效 == "是"\n    度量: 平均值',
        '文件: 记录/分片\n    单位列: 被评单位\n    筛选: 有效 == "是"\n    度量: 平均值',
    )
    assert _values(run_year(rules, data), "满意度") == pytest.approx(before)


@pytest.mark.parametrize(
    ("name", "decoy"),
    [("评价[1].csv", "评价1.csv"), ("评价*.csv", "评价2.csv"), ("评价?.csv", "评价3.csv")],
)
def test_a_file_name_is_never_read_as_a_pattern(tmp_path: Path, name: str, decoy: str) -> None:
    """DuckDB reads a path as a glob: 评价[1].csv would read 评价1.csv, 评价*.csv every
    file it matches. The declared file, and only it, is read."""
    rules, data = _copy(tmp_path)
    before = _values(run_year(rules, data), "满意度")
    folder = data / "记录"
    (folder / RECORDS.split("/")[1]).rename(folder / name)
    with open(folder / name, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    with open(folder / decoy, "w", encoding="utf-8", newline="") as stream:
        header, *body = rows
        csv.writer(stream, lineterminator="\n").writerows(
            [header, *[[*r[:2], "0", r[3]] for r in body]]
        )
    _edit(rules / "规则集.yaml", f"文件: {RECORDS}", f"文件: 记录/{name}")
    assert _values(run_year(rules, data), "满意度") == before


@pytest.mark.parametrize(("folder", "decoy"), [("数据[1]", "数据1"), ("数据*", "数据2")])
def test_a_data_folder_named_like_a_pattern_is_read(tmp_path: Path, folder: str, decoy: str):
    """The folder's name is escaped too, and DuckDB still may open it (its allowed
    folders are compared with the escaped path)."""
    rules, data = _copy(tmp_path)
    before = _values(run_year(rules, data), "满意度")
    named = data.rename(tmp_path / folder)
    shutil.copytree(named, tmp_path / decoy)
    path = tmp_path / decoy / RECORDS
    with open(path, encoding="utf-8", newline="") as stream:
        header, *body = list(csv.reader(stream))
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(
            [header, *[[*r[:2], "0", r[3]] for r in body]]
        )
    assert _values(run_year(rules, named), "满意度") == before


def test_running_out_of_memory_is_kh571(monkeypatch) -> None:
    monkeypatch.setenv("KAOHE_LIMIT_RECORDS_MEMORY_MB", "1")
    found = _errors(HERE / "rules", HERE / "data")
    assert {d.code for d in found} == {"KH571"}
    assert "KAOHE_LIMIT_RECORDS_MEMORY_MB" in found[0].hint


def test_a_damaged_parquet_file_is_kh562(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    (data / "记录" / "监测记录.parquet").write_bytes(b"not parquet")
    [found] = _errors(rules, data)
    assert found.code == "KH562" and found.span.file.endswith("监测记录.parquet")


def test_a_parquet_text_column_measured_as_a_number_is_kh564(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _edit(rules / "规则集.yaml", "度量: 计数\n", "度量: 平均值\n    列: 等级\n")
    [found] = _errors(rules, data)
    assert found.code == "KH564" and "'一般'" in found.message
    assert found.span.file.endswith("监测记录.parquet")


def test_explain_says_when_a_unit_has_no_records(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    _write(data, [row for row in _ratings(data) if row[0] != "330328"])
    args = ["explain", "--rules", str(rules), "--data", str(data), "文成县"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "  · 满意度：缺失" in result.output
    assert "记录中没有本单位的记录，值缺失，按缺失数据政策处理" in result.output


def test_the_engine_opens_no_file_outside_the_records_folders(tmp_path: Path) -> None:
    import duckdb

    from kaohe_rules.read.records.engine import DuckDB

    engine = DuckDB([tmp_path])
    try:
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            engine.connection.sql(f"SELECT * FROM read_csv('{HERE / 'data' / RECORDS}')")
    finally:
        engine.close()
