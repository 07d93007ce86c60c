"""Records under a --records-root (decision 113): found, checked and read through Spark's
Hadoop FileSystem at a ``file:///`` root outside the data folder, they give what DuckDB
gives on the same records in the data folder, byte for byte but for the fingerprint,
which is of the files' listing (decision 114); every problem is a code, never a Java stack.

Spark in local mode, the process's one session (tests/spark/conftest.py).
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from kaohe_rules.diagnostics import KaoheError, render_text
from kaohe_rules.pipeline import load_rules, run_year
from kaohe_rules.read.records.aggregate import aggregate
from kaohe_rules.read.records.choice import EngineChoice
from tests.conftest import ROOT
from tests.spark.conftest import MASTER, needs_spark

pytestmark = needs_spark

HERE = ROOT / "tests" / "records"
RULES = HERE / "rules"
RULESET = load_rules(RULES).resolved.ruleset
RATINGS, CHECKS = "记录/满意度评价.csv", "记录/监测记录.parquet"


def _spark(root: Path | str) -> EngineChoice:
    """Written as Spark takes paths: not percent-encoded (Path.as_uri would encode)."""
    uri = f"file://{root}" if isinstance(root, Path) else root
    return EngineChoice("spark", MASTER, uri)


def _data_without_records(tmp_path: Path) -> Path:
    """The fixture's data files, without its 记录 folder: records must come from the root."""
    data = tmp_path / "data"
    shutil.copytree(HERE / "data", data, ignore=shutil.ignore_patterns("记录"))
    return data


def _root(tmp_path: Path) -> Path:
    """A records root outside the data folder holding the fixture's records."""
    root = tmp_path / "集群" / "考核 2024"  # a space and Chinese, as real paths have
    shutil.copytree(HERE / "data" / "记录", root / "记录")
    return root


def _without_fingerprint(evaluation, suffix: str) -> bytes:
    from kaohe_rules.outputs.report import render

    return render(evaluation, suffix).replace(evaluation.fingerprint.encode(), b"<fingerprint>")


def _same_results(local, remote) -> None:
    for suffix in (".csv", ".json"):
        assert _without_fingerprint(remote, suffix) == _without_fingerprint(local, suffix)


def test_a_file_root_outside_the_data_folder_gives_duckdbs_results(tmp_path: Path) -> None:
    root = _root(tmp_path)
    local = run_year(RULES, HERE / "data")
    remote = run_year(RULES, _data_without_records(tmp_path), engine=_spark(root))
    _same_results(local, remote)
    # Taken by their listing, not their SHA-256: not the local fingerprint (decision 114).
    listed = sorted(f.uri for f in remote.data.remote_files)
    assert listed == sorted(f"file:{root / declared}" for declared in (RATINGS, CHECKS))
    assert remote.fingerprint != local.fingerprint
    assert [f.name for f in remote.data.files] == ["数据.csv"]  # no local record file
    # kaohe explain says where the records were found, and otherwise what it says locally.
    where = f"（记录根 file://{root}）"
    said = _explained(remote)
    assert said.count(where) == 3  # 满意度, 好评率, 重大问题数
    assert said.replace(where, "") == _explained(local)


def _explained(evaluation) -> str:
    from kaohe_rules.outputs.explain import explain, render_text

    text = render_text(explain(evaluation, "淳安县"))
    return text.replace(evaluation.fingerprint, "<fingerprint>")


def test_warnings_name_a_remote_file_as_a_local_one(tmp_path: Path) -> None:
    """Records for units the roster does not know (KH565): the warning in the results names
    the file by its name, not by the cluster's address, as a local file is named."""
    local_data = tmp_path / "local"
    shutil.copytree(HERE / "data", local_data)
    root = _root(tmp_path)
    for folder in (local_data, root):
        with open(folder / RATINGS, "a", encoding="utf-8") as stream:
            stream.write("999999,上评下,90,是\n")
    local = run_year(RULES, local_data)
    remote = run_year(RULES, _data_without_records(tmp_path), engine=_spark(root))
    assert "KH565" in [w.code for w in remote.warnings]
    _same_results(local, remote)
    assert str(root).encode() not in _without_fingerprint(remote, ".json")


def _split(target: Path, source: Path, parts: int) -> None:
    """``source`` (CSV or Parquet) written again as a folder ``target`` of ``parts`` files
    (each CSV with the header), beside a _SUCCESS marker as Spark's writers leave one."""
    import pyarrow.parquet as pq

    target.mkdir(parents=True)
    (target / "_SUCCESS").write_bytes(b"")
    if source.suffix == ".parquet":
        table = pq.read_table(source)
        size = -(-table.num_rows // parts)
        for index in range(parts):
            pq.write_table(table.slice(index * size, size), target / f"part-{index:05d}.parquet")
        return
    with open(source, encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    size = -(-len(rows) // parts)
    for index in range(parts):
        with open(target / f"part-{index:05d}.csv", "w", encoding="utf-8", newline="") as stream:
            body = rows[index * size : (index + 1) * size]
            csv.writer(stream, lineterminator="\n").writerows([header, *body])


def _split_records(folder: Path) -> None:
    """The two record files of ``folder/记录`` replaced by folders of three files each."""
    for declared in (RATINGS, CHECKS):
        whole = folder / declared
        moved = whole.with_name("whole" + whole.suffix)
        whole.rename(moved)
        _split(whole, moved, 3)
        moved.unlink()


def test_folders_of_csv_and_parquet_files_give_duckdbs_results(tmp_path: Path) -> None:
    local_data = tmp_path / "local"
    shutil.copytree(HERE / "data", local_data)
    _split_records(local_data)
    root = _root(tmp_path)
    _split_records(root)
    local = run_year(RULES, local_data)
    remote = run_year(RULES, _data_without_records(tmp_path), engine=_spark(root))
    _same_results(local, remote)
    names = [f.name for f in remote.data.remote_files]
    assert names == [f"part-{i:05d}.csv" for i in range(3)] + [
        f"part-{i:05d}.parquet" for i in range(3)
    ]  # in name order, the marker left out
    whole = run_year(RULES, HERE / "data")  # and the same values as the files unsplit
    assert _without_fingerprint(local, ".csv") == _without_fingerprint(whole, ".csv")


def test_file_names_with_glob_characters_are_read_as_named(tmp_path: Path) -> None:
    """Spark takes a path as a Hadoop glob: 评价[1].csv would read 评价1.csv (a character
    class) and never itself. Each file is read once, as named: the values of the whole."""
    root = _root(tmp_path)
    whole = root / RATINGS
    with open(whole, encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    whole.unlink()
    whole.mkdir()
    half = len(rows) // 2
    for name, body in (("评价[1].csv", rows[:half]), ("评价1.csv", rows[half:])):
        with open(whole / name, "w", encoding="utf-8", newline="") as stream:
            csv.writer(stream, lineterminator="\n").writerows([header, *body])
    remote = run_year(RULES, _data_without_records(tmp_path), engine=_spark(root))
    local = run_year(RULES, HERE / "data")
    assert _without_fingerprint(remote, ".csv") == _without_fingerprint(local, ".csv")


def _errors(root, data: Path = HERE / "data") -> list[tuple[str, str, int | None]]:
    """(code, message and hint, line) of each error aggregating from ``root`` gives."""
    with pytest.raises(KaoheError) as raised:
        aggregate(RULESET, data, _spark(root))
    text = render_text(raised.value.diagnostics)
    assert "Traceback" not in text and "at org.apache" not in text and "java." not in text
    return [
        (d.code, f"{d.message}｜{d.hint or ''}", d.span and d.span.line)
        for d in raised.value.diagnostics
    ]


def test_a_declared_file_absent_under_the_root_is_kh560_at_its_declaration(tmp_path) -> None:
    root = _root(tmp_path)
    (root / CHECKS).unlink()
    found = _errors(root)
    assert [(code, line) for code, _m, line in found] == [("KH560", 29)]  # 文件: of 重大问题数
    assert f"在记录根 file://{root} 中" in found[0][1]


@pytest.mark.parametrize(
    ("root", "says"),
    [
        ("file:///nonexistent/记录", "不存在"),
        ("file:///tmp/%E8%AE%B0%E5%BD%95", "不要百分号编码"),
        ("nosuch://host/记录", "文件系统不可用"),
        ("hdfs://127.0.0.1:1/记录", "连不上"),
        (RULES / "规则集.yaml", "是一个文件，不是文件夹"),
    ],
    ids=["absent", "percent-encoded", "unknown scheme", "unreachable", "a file"],
)
def test_a_bad_root_is_kh577_without_a_java_stack(root, says: str) -> None:
    found = _errors(root)
    assert [code for code, _m, _l in found] == ["KH577"]
    assert says in found[0][1]


def _bad_header(root: Path) -> None:
    (root / RATINGS).write_bytes("被评单位,评分\n".encode("gb18030") + b"330100,90\n")


def _duplicate_columns(root: Path) -> None:
    (root / RATINGS).write_text("被评单位,评分,评分\n330100,90,1\n", encoding="utf-8")


def _mixed_folder(root: Path) -> None:
    _split_records(root)
    shutil.copy(root / RATINGS / "part-00000.csv", root / CHECKS / "extra.csv")


def _empty_folder(root: Path) -> None:
    (root / RATINGS).unlink()
    (root / RATINGS).mkdir()
    (root / RATINGS / "说明.txt").write_text("空的", encoding="utf-8")


def _folder_in_folder(root: Path) -> None:
    _split_records(root)
    (root / RATINGS / "more.csv").mkdir()


@pytest.mark.parametrize(
    ("edit", "code", "says"),
    [
        (_bad_header, "KH562", "不是 UTF-8 编码"),
        (_duplicate_columns, "KH562", "重复或空的列名"),
        (_mixed_folder, "KH560", "一个文件夹中只用一种"),
        (_empty_folder, "KH560", "没有 CSV 或 Parquet 文件"),
        (_folder_in_folder, "KH562", "more.csv 是文件夹"),
    ],
    ids=["not utf-8", "duplicate columns", "mixed formats", "empty folder", "a folder inside"],
)
def test_files_under_the_root_are_checked_as_local_ones(tmp_path, edit, code, says) -> None:
    root = _root(tmp_path)
    edit(root)
    found = _errors(root)
    assert code in [c for c, _m, _l in found] and any(says in m for _c, m, _l in found)


def test_a_malformed_row_under_the_root_is_kh562_at_the_file(tmp_path: Path) -> None:
    """Not searched for line by line: that would read the records a second time."""
    root = _root(tmp_path)
    with open(root / RATINGS, "a", encoding="utf-8") as stream:
        stream.write("330100,上评下,90\n")
    found = _errors(root)
    assert [(code, line) for code, _m, line in found] == [("KH562", 1)]
    assert "列数与表头不同" in found[0][1]


def test_the_fingerprint_changes_with_a_record_file_and_says_what_it_is_of(tmp_path) -> None:
    root = _root(tmp_path)
    data = _data_without_records(tmp_path)
    ratings = root / RATINGS
    first = run_year(RULES, data, engine=_spark(root))
    again = run_year(RULES, data, engine=_spark(root))
    assert again.fingerprint == first.fingerprint  # the same listing, the same fingerprint
    stat = ratings.stat()
    text = ratings.read_text(encoding="utf-8")
    edited = text.replace(",87,", ",78,", 1)
    assert edited != text and len(edited) == len(text)
    ratings.write_text(edited, encoding="utf-8")  # the same length, other bytes
    os.utime(ratings, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    changed = run_year(RULES, data, engine=_spark(root))
    assert changed.fingerprint != first.fingerprint
    # What it does not guarantee (docs/records.md): the same length and modification time
    # put back, the listing is the same, and so is the fingerprint, whatever the bytes.
    os.utime(ratings, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert run_year(RULES, data, engine=_spark(root)).fingerprint == first.fingerprint


def test_records_changed_while_read_are_kh578(tmp_path: Path, monkeypatch) -> None:
    from kaohe_rules.read.records.spark import Spark

    root = _root(tmp_path)
    run = Spark.run

    def run_then_append(self, query, source):
        rows = run(self, query, source)
        if source.kind == "csv":  # a writer appends while the query reads
            with open(root / RATINGS, "a", encoding="utf-8") as stream:
                stream.write("330100,上评下,90,是\n")
        return rows

    monkeypatch.setattr(Spark, "run", run_then_append)
    found = _errors(root)
    assert [code for code, _m, _l in found] == ["KH578"]
    assert "在汇总期间被改动" in found[0][1]


def test_the_command_line_option_end_to_end(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kaohe_rules.cli import cli

    root, data = _root(tmp_path), _data_without_records(tmp_path)
    words = ["evaluate", "--rules", str(RULES), "--engine", "spark", "--spark-master", MASTER]
    remote = CliRunner().invoke(
        cli, [*words, "--data", str(data), "--records-root", f"file://{root}"]
    )
    local = CliRunner().invoke(
        cli, ["evaluate", "--rules", str(RULES), "--data", str(HERE / "data")]
    )
    assert remote.exit_code == local.exit_code == 0, remote.output
    assert remote.output.splitlines()[:-1] == local.output.splitlines()[:-1]  # but 指纹
    assert "指纹" in remote.output.splitlines()[-1]
