"""Faults a second review found in the columnar reader, the CSV roster and their neighbours,
each pinned by the smallest input that showed it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read import columnar
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT

SAMPLES = ROOT / "samples" / "2024"
SPECIAL = ROOT / "tests" / "special"


@pytest.fixture(scope="module")
def resolved():
    return load_rules(ROOT / "rules" / "2024").resolved


def _long(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLES, folder)
    path = folder / "指标值.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return folder


def _both(folder: Path, resolved, monkeypatch):
    out = []
    for size in (10**12, 0):
        monkeypatch.setattr(columnar, "MIN_BYTES", size)
        monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", size)
        try:
            out.append(read_data(folder, resolved.ruleset))
        except KaoheError as error:
            out.append(sorted(d.code for d in error.diagnostics))
    return out


@pytest.mark.parametrize("written", ["nan", "NaN", "1e305"])
def test_a_value_the_row_reader_refuses_is_refused_by_columns_too(
    resolved, tmp_path, monkeypatch, written
) -> None:
    def edit(lines):
        index = next(i for i, x in enumerate(lines) if ",地区生产总值增速," in x)
        lines[index] = lines[index].rsplit(",", 1)[0] + "," + written
        return lines

    rows, columns = _both(_long(tmp_path, edit), resolved, monkeypatch)
    assert rows == columns == ["KH304"]


def test_a_padded_header_is_read_as_the_row_reader_reads_it(
    resolved, tmp_path, monkeypatch
) -> None:
    def edit(lines):
        lines[1] = " " + lines[1]  # " 编号,名称,指标,值": the unit column is still 编号
        return lines

    rows, columns = _both(_long(tmp_path, edit), resolved, monkeypatch)
    assert rows.columns.keys() == columns.columns.keys()
    for name, column in rows.columns.items():
        if column.dtype == object:
            assert list(column) == list(columns.columns[name]), name
        else:
            assert np.array_equal(column, columns.columns[name], equal_nan=True), name


def test_kh314_names_the_right_line_after_blank_lines(resolved, tmp_path, monkeypatch) -> None:
    def edit(lines):
        # a value for an indicator 淳安县 (a 市县 unit) does not have, after two blank lines
        return [*lines[:5], "", "", *lines[5:], "330127,淳安县,重大项目投资完成率,0.9"]

    folder = _long(tmp_path, edit)
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", 0)
    data = read_data(folder, resolved.ruleset)
    assert data.fast_files
    found = [w for w in evaluate_year(resolved, data).warnings if w.code == "KH314"]
    total = len((folder / "指标值.csv").read_text(encoding="utf-8").splitlines())
    assert [w.span.line for w in found] == [total]


def test_a_data_file_that_cannot_be_read_is_kh308(tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SPECIAL / "data", data)
    (data / "目录.csv").mkdir()
    args = ["evaluate", "--rules", str(SPECIAL / "rules"), "--data", str(data)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "KH308" in result.output, result.output


def test_a_damaged_roster_workbook_is_kh308(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "tests" / "scale" / "roster_csv", rules)
    (rules / "名单.xlsx").write_bytes(b"x")
    roster = rules / "名单.yaml"
    roster.write_text(roster.read_text("utf-8").replace("名单.csv", "名单.xlsx"), "utf-8")
    with pytest.raises(KaoheError) as raised:
        load_rules(rules)
    assert [d.code for d in raised.value.diagnostics] == ["KH308"]


@pytest.mark.parametrize("value", ["!!int ²", "!!int ０１"])
def test_an_int_tag_on_other_digits_is_kh212(tmp_path, value) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(SPECIAL / "rules", rules)
    path = rules / "规则集.yaml"
    path.write_text(path.read_text("utf-8").replace("年度: 2024", f"年度: {value}"), "utf-8")
    with pytest.raises(KaoheError) as raised:
        load_rules(rules)
    assert [d.code for d in raised.value.diagnostics] == ["KH212"]


def test_a_quote_inside_plain_text_is_not_blamed_for_a_later_error(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(SPECIAL / "rules", rules)
    path = rules / "规则集.yaml"
    text = path.read_text("utf-8").replace("名称: 黄金测试\n", '名称: 黄金测试\n说明: 屏幕 5" 大\n')
    path.write_text(text.replace("  缺失数据: 记零分", "\t缺失数据: 记零分"), "utf-8")
    with pytest.raises(KaoheError) as raised:
        load_rules(rules)
    assert [d.code for d in raised.value.diagnostics] == ["KH203"]


def test_output_into_a_parquet_data_folder_is_refused(tmp_path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    data.mkdir()
    for source in (SPECIAL / "data").iterdir():
        table = pcsv.read_csv(source, read_options=pcsv.ReadOptions(skip_rows=1))
        pq.write_table(table, data / f"{source.stem}.parquet")
    out = data / "结果.csv"
    args = ["evaluate", "--rules", str(SPECIAL / "rules"), "--data", str(data), "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "KH313" in result.output, result.output
    assert not out.exists()
