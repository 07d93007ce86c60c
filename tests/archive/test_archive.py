"""The results archive: publish seals a year, corrections add versions, history reads them."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.cli.archive import register
from kaohe_rules.outputs import archive
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from tests.conftest import ROOT
from tests.doc_examples import enter_scratch_checkout, examples

GOLDEN = ROOT / "tests" / "golden" / "evaluate"
HERE = Path(__file__).parent
FIXTURE = HERE / "归档.sqlite"  # golden year as version 1, data_changed as version 2
CHANGED = HERE / "data_changed"  # golden data with 甲一's 问题数 0 → 2: total 100 → 99
REASON = "更正甲一的问题数"


def _group() -> click.Group:
    group = click.Group("kaohe", commands=dict(cli.commands))
    register(group)
    return group


def kaohe(*words: str, env: dict | None = None):
    result = CliRunner().invoke(_group(), list(words), catch_exceptions=False, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def publish(path: Path, data: Path = GOLDEN / "data", *more: str):
    rules = str(GOLDEN / "rules")
    return kaohe("publish", "--rules", rules, "--data", str(data), "--archive", str(path), *more)


def _expected() -> dict[str, dict]:
    lines = (GOLDEN / "expected.csv").read_text(encoding="utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    return {row["编号"]: row for row in rows}


def _changed_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(GOLDEN / "data", data)
    table = data / "数据.csv"
    text = table.read_text(encoding="utf-8")
    old = "J01,甲一,100,10,50,95,0,0,否,优秀,,,"
    assert text.count(old) == 1
    table.write_text(text.replace(old, "J01,甲一,100,10,50,95,0,2,否,优秀,,,"), encoding="utf-8")
    return data


def test_publish_seals_the_golden_year(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    result = publish(path)
    assert result.exit_code == 0, result.output
    assert "已发布 2024 年度（全年）版本 1：25 个考核对象，指纹 60d894d6ce897295" in result.output
    sealed = archive.results(path, 2024)
    expected = _expected()
    assert [r["编号"] for r in sealed] == list(expected)
    for record in sealed:
        row = expected[record["编号"]]
        assert record["类别"] == row["类别"]
        assert record["总分"] == float(row["总分"])
        assert record["名次"] == int(row["名次"])
        assert record["等次"] == row["等次"]
        assert record["标签"] == {"先进单位": row["先进单位"], "重点关注": row["重点关注"]}
        assert record["版本"] == 1
    (only,) = archive.versions(path, 2024)
    assert only["版本"] == 1 and only["期间"] == "全年" and only["指纹"] == "60d894d6ce897295"
    assert only["原因"] is None and only["单位数"] == 25 and only["发布时间"].endswith("+00:00")
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == archive.SCHEMA_VERSION
    assert dict(connection.execute("SELECT key, value FROM meta"))["format"] == "kaohe-archive"
    connection.close()


def test_history_after_publishing(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    publish(path)
    result = kaohe("history", "乙三", "--archive", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "乙三（Y03）",
        "年度  领域  类别  总分  名次  等次      版本  来源",
        "2024  乙    大    88    1     第一等次  1     归档",
    ]
    result = kaohe("history", "B03", "--archive", str(path), "--format", "json")
    entry = json.loads(result.output)
    assert entry["编号"] == "B03" and entry["名称"] == "丙三"
    (year,) = entry["历年"]
    assert (year["年度"], year["总分"], year["名次"], year["等次"]) == (2024, 70, 3, "第三等次")
    assert (year["版本"], year["更正"], year["来源"]) == (1, False, "归档")


def test_republishing_the_same_inputs_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    publish(path)
    before = path.read_bytes()
    result = publish(path)
    assert result.exit_code == 0
    assert "已发布，指纹相同" in result.output
    assert path.read_bytes() == before
    # even with a reason: the same inputs are the same results
    assert publish(path, GOLDEN / "data", "--reason", "再发一次").exit_code == 0
    assert len(archive.versions(path, 2024)) == 1


def test_a_correction_needs_a_reason_and_adds_a_version(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    publish(path)
    changed = _changed_copy(tmp_path)
    before = path.read_bytes()
    refused = publish(path, changed)
    assert refused.exit_code == 1
    assert "KH405" in refused.output and "--reason" in refused.output
    assert "Traceback" not in refused.output
    assert path.read_bytes() == before

    result = publish(path, changed, "--reason", REASON)
    assert result.exit_code == 0, result.output
    assert "版本 2" in result.output and REASON in result.output
    first, second = archive.versions(path, 2024)
    assert (first["版本"], first["指纹"], first["原因"]) == (1, "60d894d6ce897295", None)
    assert (second["版本"], second["原因"]) == (2, REASON)
    assert second["指纹"] != first["指纹"]
    # both versions stay readable
    old = {r["编号"]: r for r in archive.results(path, 2024, version=1)}
    new = {r["编号"]: r for r in archive.results(path, 2024)}
    assert old["J01"]["总分"] == 100 and new["J01"]["总分"] == 99
    assert new["J01"]["版本"] == 2 and new["J01"]["等次"] == "第一等次"
    assert {k: v for k, v in old.items() if k != "J01"} == {
        k: dict(v, 版本=1) for k, v in new.items() if k != "J01"
    }
    shown = kaohe("history", "甲一", "--archive", str(path)).output.splitlines()
    assert shown[-1] == "2024  甲    全部  99    1     第一等次  2     归档（更正）"
    # the same corrected inputs again: no-op
    assert "已发布，指纹相同" in publish(path, changed, "--reason", REASON).output
    assert len(archive.versions(path, 2024)) == 2


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"this is not a database\n" * 100, "KH401"),
        (b"SQLite format 3\x00" + b"\xff" * 200, "KH401"),
    ],
)
def test_a_corrupt_archive_is_a_clear_error(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "归档.sqlite"
    path.write_bytes(content)
    for result in (publish(path), kaohe("history", "J01", "--archive", str(path))):
        assert result.exit_code == 1
        assert code in result.output and "Traceback" not in result.output
    assert path.read_bytes() == content


def test_an_sqlite_file_that_is_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "其他.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    result = publish(path)
    assert result.exit_code == 1 and "KH402" in result.output


def test_an_archive_from_a_newer_release(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    publish(path)
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {archive.SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()
    result = kaohe("history", "J01", "--archive", str(path))
    assert result.exit_code == 1 and "KH403" in result.output


def test_history_merges_csv_years_and_the_archive_wins(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    publish(path)
    older = tmp_path / "更早.csv"
    older.write_text(
        "编号,名称,年度,等次,总分,名次\n"
        "J01,甲一,2021,第二等次,88.5,3\n"
        "J01,甲一,2024,第三等次,1,25\n",  # the archive has 2024: it wins
        encoding="utf-8",
    )
    result = kaohe(
        "history",
        "甲一",
        "--archive",
        str(path),
        "--history-csv",
        str(GOLDEN / "data" / "历史.csv"),
        "--history-csv",
        str(older),
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "甲一（J01）",
        "年度  领域  类别  总分  名次  等次      版本  来源",
        "2021  —     —     88.5  3     第二等次  —     更早.csv",
        "2022  —     —     96    1     第一等次  —     历史.csv",
        "2023  —     —     97    1     第一等次  —     历史.csv",
        "2024  甲    全部  100   1     第一等次  1     归档",
    ]
    # only history files, no archive yet: units are found by 编号
    alone = kaohe(
        "history",
        "J02",
        "--archive",
        str(tmp_path / "没有.sqlite"),
        "--history-csv",
        str(GOLDEN / "data" / "历史.csv"),
    )
    assert alone.exit_code == 0
    assert alone.output.splitlines()[-1] == "2023  —     —     96    2     第一等次  —     历史.csv"


def test_unknown_unit(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    publish(path)
    result = kaohe("history", "丁一", "--archive", str(path))
    assert result.exit_code == 1
    assert "KH404" in result.output and "丁一" in result.output


def test_bad_history_csv(tmp_path: Path) -> None:
    bad = tmp_path / "坏.csv"
    bad.write_text("编号,年度,等次\nJ01,二〇二二,第一等次\n", encoding="utf-8")
    result = kaohe(
        "history", "J01", "--archive", str(tmp_path / "a.sqlite"), "--history-csv", str(bad)
    )
    assert result.exit_code == 1 and "KH310" in result.output


def test_history_records_have_the_dataset_history_shape(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    assert archive.history_records(path) == {}  # no archive yet
    publish(path)
    records = archive.history_records(path)
    expected = _expected()
    assert set(records) == {(unit, 2024) for unit in expected}
    assert records[("Y05", 2024)] == {"等次": "第二等次", "总分": 32.0, "名次": 3.0}
    # the same keys and value types as the reader of 历史.csv gives DataSet.history
    loaded = load_rules(GOLDEN / "rules")
    data = read_data(GOLDEN / "data", loaded.resolved.ruleset)
    sample = data.history[("J01", 2023)]
    assert set(sample) == set(records[("J01", 2024)])
    assert {k: type(v) for k, v in sample.items()} == {
        k: type(v) for k, v in records[("J01", 2024)].items()
    }


def test_default_archive_path_and_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAOHE_ARCHIVE", raising=False)
    rules, data = str(GOLDEN / "rules"), str(GOLDEN / "data")
    assert kaohe("publish", "--rules", rules, "--data", data).exit_code == 0
    assert (tmp_path / "考核归档.sqlite").exists()
    elsewhere = tmp_path / "环境.sqlite"
    env = {"KAOHE_ARCHIVE": str(elsewhere)}
    assert kaohe("publish", "--rules", rules, "--data", data, env=env).exit_code == 0
    assert len(archive.versions(elsewhere, 2024)) == 1
    assert kaohe("history", "J01", env=env).exit_code == 0


def test_half_year_is_its_own_key(tmp_path: Path) -> None:
    path = tmp_path / "归档.sqlite"
    publish(path)
    rules = tmp_path / "rules"  # the golden rules with half-year targets on every paper
    shutil.copytree(GOLDEN / "rules", rules)
    for name, old, new in [
        ("甲.yaml", "下限值: 0}", "下限值: 0, 半年目标值: 5}"),
        ("乙.yaml", "计分方法: 标杆值}", "计分方法: 标杆值, 半年目标值: 1}"),
    ]:
        text = (rules / name).read_text(encoding="utf-8")
        (rules / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    data = str(GOLDEN / "data")
    result = kaohe(
        "publish", "--rules", str(rules), "--data", data, "--archive", str(path), "--period", "H1"
    )
    assert result.exit_code == 0, result.output
    assert "（H1）版本 1" in result.output
    assert [(v["期间"], v["版本"]) for v in archive.versions(path, 2024)] == [
        ("H1", 1),
        ("全年", 1),
    ]
    # history and history_records read the full year only
    assert all(r["版本"] == 1 for r in archive.latest_results(path))
    assert len(archive.history_records(path)) == 25


def _build_fixture(path: Path) -> None:
    assert publish(path).exit_code == 0
    assert publish(path, CHANGED, "--reason", REASON).exit_code == 0


def _content(path: Path) -> list:
    connection = sqlite3.connect(path)
    found = [connection.execute("PRAGMA user_version").fetchall()]
    found += [connection.execute("SELECT * FROM meta ORDER BY key").fetchall()]
    found += [
        connection.execute(
            "SELECT id, year, period, version, fingerprint, reason, units FROM publication "
            "ORDER BY id"
        ).fetchall()
    ]
    found += [connection.execute("SELECT * FROM result ORDER BY rowid").fetchall()]
    connection.close()
    return found


def test_the_documented_archive_is_current(tmp_path: Path, update_golden: bool) -> None:
    fresh = tmp_path / "归档.sqlite"
    _build_fixture(fresh)
    if update_golden:
        shutil.copyfile(fresh, FIXTURE)
    assert _content(FIXTURE) == _content(fresh)


DOC = ROOT / "docs" / "archive.md"


@pytest.mark.parametrize("example", examples(DOC), ids=lambda e: f"{e.file.name}:{e.line}")
def test_documented_output(example, monkeypatch, tmp_path: Path) -> None:
    # Each example alone (the archive examples that need earlier versions read FIXTURE).
    enter_scratch_checkout(tmp_path, monkeypatch)
    monkeypatch.delenv("KAOHE_ARCHIVE", raising=False)
    before = FIXTURE.read_bytes()
    import shlex

    words = shlex.split(example.command)
    assert words[0] == "kaohe"
    result = CliRunner().invoke(_group(), words[1:], catch_exceptions=False)
    assert result.output.rstrip("\n") == example.expected.rstrip("\n"), (
        f"{example.file}:{example.line}: `{example.command}` printed:\n{result.output}"
    )
    assert FIXTURE.read_bytes() == before, "documented examples never change the fixture"


def test_the_page_has_examples() -> None:
    assert len(examples(DOC)) >= 5
