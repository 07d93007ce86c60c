"""规则集 未知数据: data naming what the rules do not know, refused, warned once a name, or
dropped and counted — the same from the row reader and the columnar reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError, Severity
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read import columnar
from kaohe_rules.read.data import read_data
from tests.conftest import edited_copy

HERE = Path(__file__).resolve().parent / "unknown_data"
RULES, DATA = HERE / "rules", HERE / "data"
WARNED = [
    ("宽表.csv", 2, 10, "常住人口", 3),
    ("宽表.csv", 2, 15, "备案人", 3),
    ("指标值.csv", 4, 8, "旧指标", 2),
]


def _rules(tmp_path: Path, policy: str) -> Path:
    return edited_copy(RULES, tmp_path / "rules", "规则集.yaml", "未知数据: 警告", policy)


def _places(diagnostics) -> list[tuple]:
    return sorted((Path(d.span.file).name, d.span.line, d.span.column, d.code) for d in diagnostics)


@pytest.mark.parametrize("columnar_bytes", [10**12, 0], ids=["row reader", "columnar"])
def test_warn_gives_one_warning_a_name_with_its_place(columnar_bytes, monkeypatch) -> None:
    monkeypatch.setattr(columnar, "MIN_BYTES", columnar_bytes)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", columnar_bytes)
    data = read_data(DATA, load_rules(RULES).resolved.ruleset)
    fast = [f.path.name for f in data.fast_files]
    assert fast == ([] if columnar_bytes else ["宽表.csv", "指标值.csv"])
    warned = [w for w in data.warnings if w.code == "KH302"]
    assert all(w.severity is Severity.WARNING for w in warned)
    assert _places(warned) == [(f, line, col, "KH302") for f, line, col, _n, _c in WARNED]
    for _f, _l, _c, name, count in WARNED:
        assert any(f"'{name}'，它的 {count} 个值没有读入" in w.message for w in warned)
    # the known values are read as always
    assert list(data.columns["完成率"][:4]) == [100, 80, 70, 60]


@pytest.mark.parametrize("columnar_bytes", [10**12, 0], ids=["row reader", "columnar"])
def test_ignore_gives_no_warning_but_keeps_the_count(columnar_bytes, tmp_path, monkeypatch):
    monkeypatch.setattr(columnar, "MIN_BYTES", columnar_bytes)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", columnar_bytes)
    rules = _rules(tmp_path, "未知数据: 忽略")
    data = read_data(DATA, load_rules(rules).resolved.ruleset)
    assert not [w for w in data.warnings if w.code == "KH302"]
    assert data.ignored == {"常住人口": 3, "备案人": 3, "旧指标": 2}


@pytest.mark.parametrize("columnar_bytes", [10**12, 0], ids=["row reader", "columnar"])
def test_refuse_is_the_default_and_names_every_place(columnar_bytes, tmp_path, monkeypatch):
    monkeypatch.setattr(columnar, "MIN_BYTES", columnar_bytes)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", columnar_bytes)
    rules = _rules(tmp_path, "")
    with pytest.raises(KaoheError) as raised:
        read_data(DATA, load_rules(rules).resolved.ruleset)
    found = _places(raised.value.diagnostics)
    # as before: every header and every row naming an unknown name is an error
    assert ("指标值.csv", 4, 8, "KH302") in found and ("指标值.csv", 6, 8, "KH302") in found
    assert ("宽表.csv", 2, 10, "KH302") in found and len(found) == 5


def test_many_rows_naming_an_unknown_indicator_give_one_warning(tmp_path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    lines = ["编号,指标,值"] + [f"330100,统计{i % 2},{i}" for i in range(200_000)]
    (folder / "指标值.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = read_data(folder, load_rules(RULES).resolved.ruleset)  # above MIN_BYTES: columnar
    assert [f.path.name for f in data.fast_files] == ["指标值.csv"]
    warned = [w for w in data.warnings if w.code == "KH302"]
    assert _places(warned) == [("指标值.csv", 2, 8, "KH302"), ("指标值.csv", 3, 8, "KH302")]
    assert all("100000 个值" in w.message for w in warned)


def test_evaluate_says_how_many_it_ignored(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "未知数据: 忽略")
    args = ["evaluate", "--rules", str(rules), "--data", str(DATA)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "有 3 个规则集中没有的名称未读入（共 8 个值）：常住人口、备案人、旧指标" in result.stderr
    warned = CliRunner().invoke(cli, ["evaluate", "--rules", str(RULES), *args[3:]])
    assert "有 3 条警告" in warned.stderr and "未读入" not in warned.stderr


def test_a_wrong_setting_is_refused(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "未知数据: 不管")
    result = CliRunner().invoke(cli, ["validate", str(rules)])
    assert result.exit_code == 1
    assert "规则集.yaml:6:7: error KH214" in result.output
    assert "可选：报错、警告、忽略" in result.output


@pytest.mark.parametrize("fast", [False, True], ids=["row reader", "columnar"])
def test_parquet_warns_at_the_same_row(fast, tmp_path, monkeypatch) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if not fast:  # Parquet goes to the columnar reader whatever its size: decline it
        monkeypatch.setattr(columnar, "try_read", lambda *_args: False)
    folder = tmp_path / "data"
    folder.mkdir()
    options = pcsv.ReadOptions(skip_rows=1)
    pq.write_table(pcsv.read_csv(DATA / "指标值.csv", options), folder / "指标值.parquet")
    data = read_data(folder, load_rules(RULES).resolved.ruleset)
    assert [f.path.name for f in data.fast_files] == (["指标值.parquet"] if fast else [])
    # rows counted from the header as line 1; the 指标 column is the second
    assert _places(data.warnings)[0] == ("指标值.parquet", 3, 2, "KH302")
    assert "'旧指标'，它的 2 个值没有读入" in data.warnings[0].message
