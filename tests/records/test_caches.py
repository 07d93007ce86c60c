"""What the records stage keeps between runs in the user's cache folder (read/records/
cache.py, plan.py, kept.py; decisions 116 and 117): compiled queries, a Parquet file's
columns and DuckDB's answers for unchanged files. A second run on the same rules and
records imports neither sqlglot nor duckdb and gives the same bytes; a changed
declaration or record file is computed again; a broken or foreign file is never trusted;
KAOHE_RECORDS_CACHE says what may be reused."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe_rules import user_cache
from kaohe_rules.pipeline import run_year
from kaohe_rules.read.records import cache as caching
from tests.conftest import ROOT

HERE = ROOT / "tests" / "records"
RECORDS = "记录/满意度评价.csv"

# `kaohe evaluate` on the fixture in a fresh process, then which engines it imported.
SCRIPT = """
import sys
from kaohe_rules.cli import run
sys.argv = ["kaohe", "evaluate", "--rules", sys.argv[1], "--data", sys.argv[2], "-o", sys.argv[3]]
try:
    run()
except SystemExit as stop:
    assert not stop.code, stop.code
print(sorted(m for m in ("sqlglot", "duckdb") if m in sys.modules))
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("KAOHE_RECORDS_CACHE", "all")
    return tmp_path / "cache" / "kaohe-rules"


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    rules, data = tmp_path / "rules", tmp_path / "data"
    shutil.copytree(HERE / "rules", rules)
    shutil.copytree(HERE / "data", data)
    return rules, data


def _evaluate(rules: Path, data: Path, out: Path) -> list[str]:
    """Run the command in a fresh process; the engines it imported."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(rules), str(data), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def _values(rules: Path, data: Path, name: str) -> dict:
    return {u: i.value for u, i in run_year(rules, data).data.records[name].units.items()}


def _entries(cache: Path, kind: str) -> list[Path]:
    return sorted(cache.glob(f"{kind}-*.json"))


def test_a_second_run_neither_compiles_nor_runs_duckdb(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    first, second = tmp_path / "一.csv", tmp_path / "二.csv"
    assert _evaluate(rules, data, first) == ["duckdb", "sqlglot"]
    assert len(_entries(cache, "query")) == 2  # one query per record file
    # each file's rows, and the Parquet file's columns
    assert len(_entries(cache, "answer")) == 3
    assert _evaluate(rules, data, second) == []
    assert second.read_bytes() == first.read_bytes()


def test_only_queries_are_reused_when_told(tmp_path: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setenv("KAOHE_RECORDS_CACHE", "queries")
    rules, data = _copy(tmp_path)
    _evaluate(rules, data, tmp_path / "一.csv")
    assert _evaluate(rules, data, tmp_path / "二.csv") == ["duckdb"]  # aggregated again
    assert _entries(cache, "answer") == []


def test_nothing_is_reused_when_off(tmp_path: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setenv("KAOHE_RECORDS_CACHE", "off")
    rules, data = _copy(tmp_path)
    _evaluate(rules, data, tmp_path / "一.csv")
    assert _evaluate(rules, data, tmp_path / "二.csv") == ["duckdb", "sqlglot"]
    # Parsed formulas (trees.json) are kept whatever this says: they are not records'.
    assert _entries(cache, "query") == _entries(cache, "answer") == []


def test_a_changed_declaration_is_compiled_again(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    before = _values(rules, data, "好评率")
    path = rules / "规则集.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("条件: 评分 >= 80", "条件: 评分 >= 90"), encoding="utf-8")
    after = _values(rules, data, "好评率")
    assert [u for u in before if before[u] != after[u]]  # not a stale query or answer
    assert len(_entries(cache, "query")) == 3


def test_a_changed_record_file_is_aggregated_again(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    before = _values(rules, data, "满意度")
    path = data / RECORDS
    with open(path, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    unit = rows[1][0]
    for row in rows[1:]:
        if row[0] == unit and row[3] == "是":
            row[2] = "0"  # every valid rating of one unit: its satisfaction falls
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    after = _values(rules, data, "满意度")
    assert after[unit] < before[unit]
    assert {u: v for u, v in after.items() if u != unit} == {
        u: v for u, v in before.items() if u != unit
    }


@pytest.mark.parametrize(
    "broken",
    [
        "{not json",
        json.dumps({"key": "someone else's", "sql": "SELECT 1"}),
        json.dumps({"key": None, "sql": 1, "layout": {}, "groups": []}),
        "",
        "[1, 2]",
    ],
)
def test_a_broken_or_foreign_cache_file_is_done_again(
    tmp_path: Path, cache: Path, broken: str
) -> None:
    rules, data = _copy(tmp_path)
    want = _values(rules, data, "满意度")
    files = sorted(cache.glob("*.json"))
    for file in files:
        file.write_text(broken, encoding="utf-8")
    assert _values(rules, data, "满意度") == want
    for file in files:  # done again and kept again, whole
        assert json.loads(file.read_text(encoding="utf-8"))["data"]


def test_an_entry_for_another_key_is_not_taken(tmp_path: Path, cache: Path) -> None:
    """A file under the right name holding another key (a truncated name's collision, a
    copy from elsewhere) is not read as this query or answer."""
    rules, data = _copy(tmp_path)
    want = _values(rules, data, "满意度")
    for file in cache.glob("*.json"):
        kept = json.loads(file.read_text(encoding="utf-8"))
        kept["key"] = "0" * 64
        kept["data"] = {"sql": "SELECT 'wrong'", "rows": [["330101", 1, 1, 0.0]]}
        kept["sum"] = user_cache.checksum(kept["data"])
        file.write_text(json.dumps(kept), encoding="utf-8")
    assert _values(rules, data, "满意度") == want


def test_an_unwritable_cache_folder_costs_only_the_work(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setenv("KAOHE_RECORDS_CACHE", "all")
    rules, data = _copy(tmp_path)
    assert _values(rules, data, "满意度")


def test_old_entries_are_pruned(tmp_path: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(caching, "KEEP", 2)
    rules, data = _copy(tmp_path)
    path = rules / "规则集.yaml"
    text = path.read_text(encoding="utf-8")
    for bound in (70, 80, 90):
        path.write_text(text.replace("评分 >= 80", f"评分 >= {bound}"), encoding="utf-8")
        run_year(rules, data)
    assert len(_entries(cache, "query")) == 2 and len(_entries(cache, "answer")) == 2


def test_a_hint_from_the_records_still_comes_from_them(tmp_path: Path, cache: Path) -> None:
    """KH569's hint names the values the records hold: on a run whose rows come from the
    cache, DuckDB is started to read them."""
    from kaohe_rules.diagnostics import KaoheError

    rules, data = _copy(tmp_path)
    path = rules / "规则集.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("上评下 * 0.4", "上级 * 0.4"), encoding="utf-8")
    hints = []
    for _ in range(2):
        with pytest.raises(KaoheError) as raised:
            run_year(rules, data)
        hints.append([d.hint for d in raised.value.diagnostics if d.code == "KH569"])
    assert hints[0] == hints[1] == ["该列的值有：上评下、下评上"]


def test_a_file_rewritten_with_its_size_and_times_put_back_is_read_again(
    tmp_path: Path, cache: Path
) -> None:
    """One process (the workbench) aggregates, the records change but keep their size and
    modification time (cp -p, rsync -t, touch -r): the answer is not the old one."""
    rules, data = _copy(tmp_path)
    before = _values(rules, data, "满意度")
    path = data / RECORDS
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    unit = lines[1].split(",")[0]
    changed = [
        line.replace(",9", ",1", 1) if line.startswith(unit + ",") and ",是" in line else line
        for line in lines
    ]
    assert changed != lines
    path.write_text("".join(changed), encoding="utf-8")
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = _values(rules, data, "满意度")
    assert after[unit] != before[unit]


def test_an_answer_too_large_to_read_back_is_not_written(
    tmp_path: Path, cache: Path, monkeypatch
) -> None:
    from kaohe_rules.read.records import kept

    monkeypatch.setattr(kept, "_MOST_BYTES", 64)
    rules, data = _copy(tmp_path)
    want = _values(rules, data, "满意度")
    assert _entries(cache, "answer") == [] and _values(rules, data, "满意度") == want


def _rewrite(file: Path, change) -> None:
    """Change a kept entry's data and write it back with a checksum that matches (as only
    someone deliberately editing the cache would)."""
    kept = json.loads(file.read_text(encoding="utf-8"))
    change(kept["data"])
    kept["sum"] = user_cache.checksum(kept["data"])
    file.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")


def test_an_entry_changed_without_its_checksum_is_not_taken(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    want = _values(rules, data, "满意度")
    for file in _entries(cache, "answer"):
        kept = json.loads(file.read_text(encoding="utf-8"))
        for row in kept["data"].get("rows", []):
            row[3] = 1.0  # a value changed, the checksum left
        file.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    assert _values(rules, data, "满意度") == want


def test_a_deeply_nested_cache_file_is_no_entry(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    want = _values(rules, data, "满意度")
    for file in cache.glob("*.json"):
        file.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert _values(rules, data, "满意度") == want


def test_a_kept_query_the_engine_refuses_is_compiled_again(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    want = _values(rules, data, "满意度")
    for file in _entries(cache, "answer"):
        file.unlink()
    for file in _entries(cache, "query"):
        _rewrite(file, lambda d: d.update(sql="SELEKT broken"))
    assert _values(rules, data, "满意度") == want
    for file in _entries(cache, "query"):  # kept again, compiled
        assert json.loads(file.read_text(encoding="utf-8"))["data"]["sql"].startswith("SELECT")


def test_a_cache_folder_others_may_write_is_not_used(tmp_path: Path, cache: Path) -> None:
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    rules, data = _copy(tmp_path)
    assert _values(rules, data, "满意度")
    assert list(cache.glob("*.json")) == []


def test_a_relative_cache_home_is_ignored(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAOHE_RECORDS_CACHE", "all")
    monkeypatch.chdir(tmp_path)
    assert user_cache.folder() == tmp_path / "home" / ".cache" / "kaohe-rules"


def test_a_misspelt_setting_is_kh503(tmp_path: Path, cache: Path, monkeypatch) -> None:
    """A typo would otherwise change nothing, silently: the command refuses to start."""
    monkeypatch.setenv("KAOHE_RECORDS_CACHE", "Queries")
    rules, data = _copy(tmp_path)
    command = "from kaohe_rules.cli import run; run()"
    args = ["evaluate", "--rules", str(rules), "--data", str(data), "-o", str(tmp_path / "x.csv")]
    done = subprocess.run(
        [sys.executable, "-c", command, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and "KH503" in done.stderr and "KAOHE_RECORDS_CACHE" in done.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_bad_record_row_under_a_kept_query_is_reported_once(
    tmp_path: Path, cache: Path, monkeypatch
) -> None:
    """The kept query is the one this code compiles: a malformed row is the records'
    fault, reported without running the query a second time."""
    from kaohe_rules.diagnostics import KaoheError
    from kaohe_rules.read.records import engine

    rules, data = _copy(tmp_path)
    run_year(rules, data)  # the queries kept
    with open(data / RECORDS, "a", encoding="utf-8") as stream:
        stream.write("330101,上评下\n")  # two fields of four
    calls = []
    run = engine.DuckDB.run

    def counted(self, sql, source):
        calls.append(source.declared)
        return run(self, sql, source)

    monkeypatch.setattr(engine.DuckDB, "run", counted)
    with pytest.raises(KaoheError) as raised:
        run_year(rules, data)
    assert [d.code for d in raised.value.diagnostics] == ["KH562"]
    assert calls.count(RECORDS) == 1
