"""The columnar reader (large long-format CSV and Parquet files) stores exactly what the row
reader stores, and hands every file it cannot prove clean back to the row reader, so
problems are still reported at their file, line and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read import columnar
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT, edited_copy

RULES = ROOT / "rules" / "2024"
SAMPLES = ROOT / "samples" / "2024"


@pytest.fixture(scope="module")
def resolved():
    return load_rules(RULES).resolved


def _read(folder: Path, resolved, columnar_bytes: int, monkeypatch):
    monkeypatch.setattr(columnar, "MIN_BYTES", columnar_bytes)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", columnar_bytes)
    return read_data(folder, resolved.ruleset)


def _same(a, b) -> None:
    assert a.columns.keys() == b.columns.keys()
    for name in a.columns:
        left, right = a.columns[name], b.columns[name]
        if left.dtype == object:
            assert list(left) == list(right), name
        else:
            assert np.array_equal(left, right, equal_nan=True), name
    assert (a.present == b.present).all()
    assert a.history == b.history


def test_both_readers_store_the_same_values(resolved, monkeypatch) -> None:
    rows = _read(SAMPLES, resolved, 10**12, monkeypatch)
    columns = _read(SAMPLES, resolved, 0, monkeypatch)
    # 指标值.csv (long) and 年度数据.csv (wide: numbers, 是/否, a 取值 item, empty cells)
    # are clean: read by columns; the history file is not.
    assert [f.path.name for f in columns.fast_files] == ["年度数据.csv", "指标值.csv"]
    assert rows.fast_files == []
    _same(rows, columns)


def test_parquet_gives_the_results_of_csv(resolved, tmp_path, monkeypatch) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    folder = tmp_path / "data"
    shutil.copytree(SAMPLES, folder)
    long = folder / "指标值.csv"
    table = pcsv.read_csv(long, read_options=pcsv.ReadOptions(skip_rows=1))
    pq.write_table(table, folder / "指标值.parquet")
    long.unlink()
    from_parquet = _read(folder, resolved, 0, monkeypatch)
    assert [f.path.name for f in from_parquet.fast_files] == ["年度数据.csv", "指标值.parquet"]
    _same(_read(SAMPLES, resolved, 10**12, monkeypatch), from_parquet)
    a = evaluate_year(resolved, from_parquet)
    b = evaluate_year(resolved, _read(SAMPLES, resolved, 10**12, monkeypatch))
    for x, y in zip(a.domains, b.domains, strict=True):
        assert np.array_equal(x.total, y.total) and list(x.tier) == list(y.tier)


def _long_copy(tmp_path: Path, old: str, new: str) -> Path:
    return edited_copy(SAMPLES, tmp_path / "data", "指标值.csv", old, new)


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("330100,杭州市,地区生产总值增速,", "330199,杭州市,地区生产总值增速,", "KH301"),
        (",地区生产总值增速,0.0", ",地区生产总值增数,0.0", "KH302"),
        (",地区生产总值增速,0.0", ",地区生产总值增速,零点", "KH304"),
    ],
)
def test_a_problem_in_a_large_file_is_reported_where_it_is(
    resolved, tmp_path, monkeypatch, old, new, code
) -> None:
    folder = _long_copy(tmp_path, old, new)
    with pytest.raises(KaoheError) as raised:
        _read(folder, resolved, 0, monkeypatch)
    found = [d for d in raised.value.diagnostics if d.code == code]
    assert found and found[0].span.file.endswith("指标值.csv")
    line = found[0].span.line
    wanted = new.split(",")[2] if code != "KH301" else new.split(",")[0]
    raw = (folder / "指标值.csv").read_text(encoding="utf-8").splitlines()[line - 1]
    assert wanted in raw  # the reported line is the edited one


def test_percent_and_thousands_in_a_large_file_are_read_as_the_row_reader_reads_them(
    resolved, tmp_path, monkeypatch
) -> None:
    folder = _long_copy(
        tmp_path, "330100,杭州市,地区生产总值增速,0.0", "330100,杭州市,地区生产总值增速,0.0"
    )
    path = folder / "指标值.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if ",地区生产总值增速," in line)
    unit, name, indicator, value = lines[index].split(",")
    lines[index] = f"{unit},{name},{indicator},{float(value) * 100:.2f}%"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = _read(folder, resolved, 0, monkeypatch)
    assert "指标值.csv" not in [f.path.name for f in data.fast_files]  # read row by row
    reference = _read(SAMPLES, resolved, 10**12, monkeypatch)
    row = data.row[unit]
    assert data.columns[indicator][row] == pytest.approx(reference.columns[indicator][row])


def test_a_value_given_twice_across_files_is_refused(resolved, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLES, folder)
    lines = (folder / "指标值.csv").read_text(encoding="utf-8").splitlines()
    (folder / "补充.csv").write_text("\n".join([lines[1], lines[2]]) + "\n", encoding="utf-8")
    with pytest.raises(KaoheError) as raised:
        _read(folder, resolved, 0, monkeypatch)
    assert [d.code for d in raised.value.diagnostics] == ["KH303"]
