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
