"""Oversized input is never echoed back whole (issue 19): a message quotes at most a
bounded part of it and says how long it was. Generated at run time: megabytes of
input are not committed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from tests.conftest import ROOT

BASE = ROOT / "tests" / "adversarial" / "base"
HUGE = 3_000_000


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(BASE / "rules", tmp_path / "rules")
    shutil.copytree(BASE / "data", tmp_path / "data")
    return tmp_path / "rules", tmp_path / "data"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("quoted", [False, True])
def test_a_huge_key_in_a_rule_file_is_not_echoed(tmp_path: Path, quoted: bool) -> None:
    rules, _data = _copy(tmp_path)
    key = "键" * HUGE
    _edit(rules / "规则集.yaml", "名单:", (f'"{key}"' if quoted else key) + ": 1\n名单:")
    result = CliRunner().invoke(cli, ["validate", str(rules)])
    assert result.exit_code == 1
    assert "KH2" in result.output  # refused with a code (KH201 or KH211)
    assert len(result.output) < 4000, len(result.output)


def test_a_huge_column_name_in_a_data_file_is_not_echoed(tmp_path: Path) -> None:
    rules, data = _copy(tmp_path)
    table = data / "数据.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    lines[at] += "," + "列" * HUGE
    lines[at + 1 :] = [line + ",1" for line in lines[at + 1 :] if line]
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["evaluate", "--rules", str(rules), "--data", str(data)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    # Refused with a code and the limit, the column name not echoed.
    assert "KH308" in result.output and "131072 个字符" in result.output, result.output
    assert len(result.output) < 4000, len(result.output)


def test_a_huge_message_is_cut_and_says_how_long_it_was() -> None:
    from kaohe_rules.diagnostics import Diagnostic, render_json, render_text

    found = Diagnostic("KH302", "未知的列 " + "列" * HUGE)
    text = render_text([found])
    assert len(text) < 1000 and f"共 {HUGE + 5} 个字符" in text
    assert len(render_json([found])) < 2000


def test_a_message_about_a_large_file_reads_one_line_of_it(tmp_path: Path, monkeypatch) -> None:
    """KH322 about a 64 MB file quotes its line 1 without reading the file into memory
    (review 2 of issue 19: a 3 GB file took 6.4 GB to show one line)."""
    import tracemalloc

    _copy(tmp_path)
    big = tmp_path / "data" / "大.csv"
    with open(big, "wb") as file:
        file.write(b"\xe7\xbc\x96\xe5\x8f\xb7,x\n")  # "编号,x", then 64 MB of NUL bytes
        file.truncate(64 << 20)
    monkeypatch.setenv("KAOHE_LIMIT_DATA_FILE_BYTES", "1000000")
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    try:
        result = CliRunner().invoke(cli, ["evaluate", "--rules", "rules", "--data", "data"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 1, result.output
    assert "KH322" in result.output and "    1 | 编号,x" in result.output
    assert peak < 32 << 20, peak


def test_source_lines_read_up_to_the_line_asked(tmp_path: Path) -> None:
    from kaohe_rules.source import LINE_BYTES, SourceLines

    path = tmp_path / "a.txt"
    text = "\ufeffab\r\nc\u2028d\n" + "x" * (3 * LINE_BYTES) + "\nlast\n"
    path.write_text(text, encoding="utf-8")
    lines = SourceLines()
    got = [lines.line(str(path), n) for n in (1, 2, 4, 5, 6, 3, 1)]
    assert got[:2] == ["ab", "c\u2028d"]  # only "\n" ends a line; the BOM is dropped
    assert got[2:5] == ["last", "", None]  # text ending in "\n" has an empty last line
    assert got[5] == "x" * LINE_BYTES  # a long line is cut, not held whole
    assert got[6] == "ab"


def test_source_lines_given_texts_are_quoted() -> None:
    from kaohe_rules.source import SourceLines

    assert SourceLines({"<表达式>": "1 +\n2"}).line("<表达式>", 2) == "2"
