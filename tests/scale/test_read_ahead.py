"""A long CSV file parsed ahead (read/ahead.py, while the rules load) is read exactly as
one parsed when the reader asks: the same values, the same problems at the same places;
a parse the reader does not take is stopped, and a file changed since is parsed again."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read import ahead, columnar
from kaohe_rules.read.data import read_ahead, read_data
from tests.conftest import ROOT, edited_copy
from tests.scale.test_columnar import _same

RULES = ROOT / "rules" / "2024"
SAMPLES = ROOT / "samples" / "2024"


@pytest.fixture(scope="module")
def ruleset():
    return load_rules(RULES).resolved.ruleset


@pytest.fixture
def small_blocks(monkeypatch):
    """Every CSV file read by columns, in blocks of 4 KB (指标值.csv: about fifty), with two
    blocks held ahead: the parse waits on its queue, as a large file's does."""
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", 0)
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 2 * 4096)
    opened: list[str] = []
    stream = columnar._csv_stream

    def counted(path, header_line, columns):
        if Path(path).name == "指标值.csv":  # the long file (the wide one is never ahead)
            opened.append(Path(path).name)
        return stream(path, header_line, columns)

    monkeypatch.setattr(columnar, "_csv_stream", counted)
    yield opened
    ahead.drop_all()


def _parse_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kaohe-parse-ahead"]


def _ended() -> bool:
    deadline = time.monotonic() + 10
    while _parse_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not _parse_threads()


def test_a_file_parsed_ahead_is_read_as_one_parsed_then(ruleset, small_blocks) -> None:
    plain = read_data(SAMPLES, ruleset)
    assert small_blocks == ["指标值.csv"]
    read_ahead(SAMPLES)
    time.sleep(0.2)  # the parse fills its two blocks and waits
    assert small_blocks == ["指标值.csv"] * 2
    parsed_ahead = read_data(SAMPLES, ruleset)
    assert small_blocks == ["指标值.csv"] * 2  # the reader took the parse: no third
    assert [f.path.name for f in parsed_ahead.fast_files] == ["年度数据.csv", "指标值.csv"]
    _same(plain, parsed_ahead)
    assert plain.digests == parsed_ahead.digests
    assert _ended()


def test_a_problem_parsed_ahead_is_reported_where_it_is(ruleset, tmp_path, small_blocks) -> None:
    # Deep in the file: the parse fails there, in the thread, and the row reader says where.
    folder = edited_copy(SAMPLES, tmp_path / "data", "指标值.csv", ",0.0", ",零点")
    with pytest.raises(KaoheError) as plain:
        read_data(folder, ruleset)
    read_ahead(folder)
    with pytest.raises(KaoheError) as parsed_ahead:
        read_data(folder, ruleset)
    assert len(small_blocks) == 2  # once for each read: the second was the one ahead
    codes = [(d.code, d.span) for d in plain.value.diagnostics]
    assert codes == [(d.code, d.span) for d in parsed_ahead.value.diagnostics]
    assert codes and codes[0][0] == "KH304"
    assert _ended()


def test_a_file_changed_after_its_parse_began_is_parsed_again(
    ruleset, tmp_path, small_blocks
) -> None:
    folder = edited_copy(SAMPLES, tmp_path / "data", "指标值.csv", ",0.0", ",0.0")
    read_ahead(folder)
    path = folder / "指标值.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("330100,杭州市,地区生产总值增速,0.0293", "330100,杭州市,地区生产总值增速,0.5"),
        encoding="utf-8",
    )
    data = read_data(folder, ruleset)
    assert small_blocks == ["指标值.csv"] * 2  # ahead (dropped), then the file as it is now
    assert data.columns["地区生产总值增速"][data.row["330100"]] == 0.5
    assert _ended()


def test_a_parse_the_reader_does_not_take_is_stopped(ruleset, tmp_path, small_blocks) -> None:
    other = edited_copy(SAMPLES, tmp_path / "data", "指标值.csv", ",0.0", ",0.0")
    read_ahead(SAMPLES)
    time.sleep(0.2)
    assert _parse_threads()  # waiting on its full queue
    read_data(other, ruleset)  # another folder: the parse is never taken
    assert small_blocks == ["指标值.csv"] * 2
    assert _ended()


def test_nothing_is_parsed_ahead_for_another_encoding_or_a_small_file(monkeypatch) -> None:
    opened = []
    monkeypatch.setattr(columnar, "_csv_stream", lambda *args: opened.append(args))
    read_ahead(SAMPLES, "gb18030")
    read_ahead(SAMPLES)  # 指标值.csv is under MIN_BYTES: the row reader takes it
    assert opened == [] and not _parse_threads()


def test_a_long_parquet_file_is_read_ahead_too(ruleset, tmp_path, monkeypatch) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    folder = tmp_path / "data"
    shutil.copytree(SAMPLES, folder)
    long = folder / "指标值.csv"
    table = pcsv.read_csv(long, read_options=pcsv.ReadOptions(skip_rows=1))
    # row groups of 500 rows: several batches, of which the reader may hold one ahead
    pq.write_table(table, folder / "指标值.parquet", row_group_size=500)
    long.unlink()
    monkeypatch.setattr(ahead, "AHEAD_BYTES", 1)
    opened = []
    stream = columnar._parquet_stream

    def counted(path, columns):
        opened.append(Path(path).name)
        return stream(path, columns)

    monkeypatch.setattr(columnar, "_parquet_stream", counted)
    plain = read_data(folder, ruleset)
    read_ahead(folder)
    time.sleep(0.2)
    parsed_ahead = read_data(folder, ruleset)
    assert opened == ["指标值.parquet"] * 2  # once for each read: the second, ahead
    assert "指标值.parquet" in [f.path.name for f in parsed_ahead.fast_files]
    _same(plain, parsed_ahead)
    assert _ended()


def test_a_parse_that_ends_without_a_word_is_never_waited_on(ruleset, monkeypatch) -> None:
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    monkeypatch.setattr(ahead._Ahead, "_run", lambda self, open_stream: None)  # leaves nothing
    plain = read_data(SAMPLES, ruleset)
    read_ahead(SAMPLES)
    found = read_data(SAMPLES, ruleset)  # the reader gives up on it: read by rows instead
    assert "指标值.csv" not in [f.path.name for f in found.fast_files]
    _same(plain, found)


def test_rules_that_fail_to_load_leave_no_parse_running(tmp_path, small_blocks) -> None:
    # The data are never read, so read_data never drops the parse: run_year does (a parse
    # still inside pyarrow when the interpreter shut down crashed it, exit 139).
    from kaohe_rules import pipeline

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    with (rules / "规则集.yaml").open("a", encoding="utf-8") as stream:
        stream.write("垃圾: [\n")
    with pytest.raises(KaoheError):
        pipeline.run_year(rules, SAMPLES)
    assert small_blocks == ["指标值.csv"]  # it had been started
    assert not ahead._AHEAD and not _parse_threads()  # dropped, and its thread ended


def test_two_names_of_one_file_are_hashed_once_and_nothing_waits(tmp_path) -> None:
    # A link beside the file it names: one key for both; the hash thread once raised on
    # the second and every later file's digest waited for ever.
    folder = tmp_path / "data"
    shutil.copytree(SAMPLES, folder)
    (folder / "z年度数据副本.csv").symlink_to("年度数据.csv")
    script = (
        "import sys; from kaohe_rules.cli import run; "
        f"sys.argv = ['kaohe', 'evaluate', '--rules', {str(RULES)!r}, '--data', {str(folder)!r}]; "
        "run()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "KH303" in done.stdout + done.stderr  # each value given twice, as without the hash
    assert "Exception in thread" not in done.stderr
