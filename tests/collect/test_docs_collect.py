"""docs/collect.md's file excerpts (```text blocks) against real runs; its console
examples are run by tests/language/test_docs.py."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.collect.conftest import kaohe
from tests.conftest import ROOT

DOC = ROOT / "docs" / "collect.md"
SAMPLES = ROOT / "samples" / "2024"


def _blocks() -> list[str]:
    return re.findall(r"^```text\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)


@pytest.fixture
def collected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tests/collect/returned collected, with the rest of samples/2024 beside it."""
    monkeypatch.chdir(ROOT)  # paths as the page writes them
    data = tmp_path / "数据"
    result = kaohe("collect", "rules/2024", "tests/collect/returned", "-o", data)
    assert result.exit_code == 0, result.output
    for name in ("年度数据.csv", "历史.csv"):
        shutil.copy(SAMPLES / name, data / name)
    shutil.copytree(SAMPLES / "记录", data / "记录")  # 上评下, 下评上 (记录汇总)
    given = {tuple(line.split(",")[0:3:2]) for line in _lines(data / "填报指标值.csv")[2:]}
    rest = [
        line
        for line in _lines(SAMPLES / "指标值.csv")
        if tuple(line.split(",")[0:3:2]) not in given
    ]
    assert len(rest) == len(_lines(SAMPLES / "指标值.csv")) - len(given)
    (data / "指标值.csv").write_text("\n".join(rest) + "\n", encoding="utf-8")
    return data


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_the_collected_file_as_shown(collected: Path) -> None:
    shown = next(b for b in _blocks() if b.startswith("# kaohe collect"))
    assert (collected / "填报指标值.csv").read_text(encoding="utf-8") == shown


def test_explain_cites_the_cell_as_shown(collected: Path) -> None:
    shown = next(b for b in _blocks() if "〔填报 " in b)
    result = kaohe("explain", "--rules", "rules/2024", "--data", collected, "330200")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for line in shown.splitlines():
        assert line in lines, line


def test_collecting_again_as_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second collection's report: every line shown, in order; the lines the page
    leaves out (…) are the 21 lead units that returned nothing."""
    shown = next(b for b in _blocks() if b.startswith("$ kaohe collect"))
    command, *expected = shown.splitlines()
    monkeypatch.chdir(tmp_path)
    for folder in ("rules", "tests"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    assert kaohe("collect", "rules/2024", "tests/collect/returned", "-o", "数据").exit_code == 0
    result = kaohe(*command.split()[2:])
    assert result.exit_code == 0, result.output
    real = result.output.splitlines()
    left_out = [line for line in real if line not in expected]
    assert len(left_out) == 21 and all("未交回填报表" in line for line in left_out)
    assert [line for line in real if line in expected] == [e for e in expected if e != "  …"]
