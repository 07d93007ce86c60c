"""The compiled record queries kept between runs (read/records/plan.py, decision 116): a
second run takes the query from the user's cache folder without importing sqlglot and
gives the same results; a changed declaration or column is compiled again; a broken or
foreign cache file is never trusted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe_rules.pipeline import run_year
from kaohe_rules.read.records import plan as planning
from tests.conftest import ROOT

HERE = ROOT / "tests" / "records"

# `kaohe evaluate` on the fixture, then whether sqlglot was imported.
SCRIPT = """
import sys
from kaohe_rules.cli import run
sys.argv = ["kaohe", "evaluate", "--rules", sys.argv[1], "--data", sys.argv[2], "-o", sys.argv[3]]
try:
    run()
except SystemExit as stop:
    assert not stop.code, stop.code
print("sqlglot" in sys.modules)
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "kaohe-rules"


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    rules, data = tmp_path / "rules", tmp_path / "data"
    shutil.copytree(HERE / "rules", rules)
    shutil.copytree(HERE / "data", data)
    return rules, data


def _evaluate(rules: Path, data: Path, out: Path) -> bool:
    """Run the command in a fresh process; whether it imported sqlglot."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(rules), str(data), str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1] == "True"


def test_a_second_run_takes_the_query_from_the_cache(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    first, second = tmp_path / "一.csv", tmp_path / "二.csv"
    assert _evaluate(rules, data, first) is True  # compiled: sqlglot imported
    kept = sorted(cache.glob("records-*.json"))
    assert len(kept) == 2  # one query per record file
    assert _evaluate(rules, data, second) is False  # from the cache: no sqlglot
    assert second.read_bytes() == first.read_bytes()


def test_a_changed_declaration_is_compiled_again(tmp_path: Path, cache: Path) -> None:
    rules, data = _copy(tmp_path)
    before = run_year(rules, data)
    path = rules / "规则集.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("条件: 评分 >= 80", "条件: 评分 >= 90"),
        encoding="utf-8",
    )
    after = run_year(rules, data)
    shares = [r.data.records["好评率"] for r in (before, after)]
    changed = [uid for uid in shares[0].units if shares[0].units[uid] != shares[1].units[uid]]
    assert changed  # the stricter condition changed some unit's share: not a stale query
    assert len(list(cache.glob("records-*.json"))) == 3


@pytest.mark.parametrize(
    "broken",
    [
        "{not json",
        json.dumps({"key": "someone else's", "sql": "SELECT 1"}),
        json.dumps({"key": None, "sql": 1, "layout": {}, "groups": []}),
        "",
    ],
)
def test_a_broken_or_foreign_cache_file_is_compiled_again(
    tmp_path: Path, cache: Path, broken: str
) -> None:
    rules, data = _copy(tmp_path)
    want = run_year(rules, data).data.records["满意度"].units
    files = sorted(cache.glob("records-*.json"))
    for file in files:
        file.write_text(broken, encoding="utf-8")
    assert run_year(rules, data).data.records["满意度"].units == want
    for file in files:  # compiled again and kept again, whole
        assert json.loads(file.read_text(encoding="utf-8"))["sql"].startswith("SELECT")


def test_a_file_whose_key_differs_is_not_taken(tmp_path: Path, cache: Path) -> None:
    """A file under the right name holding another key (a truncated name's collision, a
    copy from elsewhere) is not read as this query."""
    rules, data = _copy(tmp_path)
    run_year(rules, data)
    for file in cache.glob("records-*.json"):
        kept = json.loads(file.read_text(encoding="utf-8"))
        kept["key"] = "0" * 64
        kept["sql"] = "SELECT 'wrong'"
        file.write_text(json.dumps(kept), encoding="utf-8")
    result = run_year(rules, data)  # would fail or give nonsense with the foreign SQL
    assert result.data.records["满意度"].units


def test_an_unwritable_cache_folder_costs_only_the_compile(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    rules, data = _copy(tmp_path)
    assert run_year(rules, data).data.records["满意度"].units


def test_old_queries_are_pruned(tmp_path: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(planning, "KEEP", 2)
    rules, data = _copy(tmp_path)
    path = rules / "规则集.yaml"
    text = path.read_text(encoding="utf-8")
    for bound in (70, 80, 90):
        path.write_text(text.replace("评分 >= 80", f"评分 >= {bound}"), encoding="utf-8")
        run_year(rules, data)
    assert len(list(cache.glob("records-*.json"))) == 2
