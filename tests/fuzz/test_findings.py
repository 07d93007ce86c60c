"""Faults the fuzzers found (tests/fuzz/FINDINGS.md), pinned as minimal inputs.

Each test asserts the correct behaviour; all five faults are fixed, so these are plain
regression tests (each was marked xfail(strict=True) until its fix landed).
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from tests.fuzz.oracles import check_diagnostics, golden_rules
from tests.fuzz.strategies import GOLDEN_DATA, GOLDEN_RULES


def _data_with(tmp_path: Path, name: str, content: bytes) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(GOLDEN_DATA, folder)
    (folder / name).write_bytes(content)
    return folder


def _refused(folder: Path, code: str) -> None:
    with pytest.raises(KaoheError) as raised:
        read_data(folder, golden_rules().resolved.ruleset)
    check_diagnostics(raised.value.diagnostics)
    assert code in {d.code for d in raised.value.diagnostics}


def test_finding_1_below_minimum_of_item_without_maximum(tmp_path: Path) -> None:
    text = (GOLDEN_DATA / "数据.csv").read_text(encoding="utf-8")
    text = text.replace("J01,甲一,100,10,50,95,0,0,", "J01,甲一,100,10,50,95,-1,0,")
    _refused(_data_with(tmp_path, "数据.csv", text.encode()), "KH305")


def _workbook_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["编号", "基础分"])
    book.active.append(["B01", 90])
    book.save(buffer)
    return buffer.getvalue()


def test_finding_2_workbook_with_damaged_compressed_data(tmp_path: Path) -> None:
    data = bytearray(_workbook_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("[Content_Types].xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start] = 0x07  # deflate block header: final block of the reserved type 11
    _refused(_data_with(tmp_path, "数据.xlsx", bytes(data)), "KH308")


def test_finding_3_zip_file_that_is_no_workbook(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    _refused(_data_with(tmp_path, "数据.xlsx", buffer.getvalue()), "KH308")


def _rules_with(tmp_path: Path, name: str, content: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(GOLDEN_RULES, folder)
    (folder / name).write_text(content, encoding="utf-8")
    return folder


@pytest.mark.parametrize("value", ["!!int x", "!!float x"])
def test_finding_4_explicit_number_tag_on_text(tmp_path: Path, value: str) -> None:
    text = (GOLDEN_RULES / "丙.yaml").read_text(encoding="utf-8")
    folder = _rules_with(tmp_path, "丙.yaml", text.replace("权重: 100", f"权重: {value}"))
    with pytest.raises(KaoheError) as raised:
        load_rules(folder)
    check_diagnostics(raised.value.diagnostics)


@pytest.mark.parametrize("document", ["~", "[]", "1", "! x"])
def test_finding_5_ruleset_file_that_is_no_mapping(tmp_path: Path, document: str) -> None:
    folder = _rules_with(tmp_path, "规则集.yaml", document)
    with pytest.raises(KaoheError) as raised:
        load_rules(folder)
    check_diagnostics(raised.value.diagnostics)


def test_finding_1_through_the_command_exits_1_without_internal_error(tmp_path: Path) -> None:
    text = (GOLDEN_DATA / "数据.csv").read_text(encoding="utf-8")
    text = text.replace("J01,甲一,100,10,50,95,0,0,", "J01,甲一,100,10,50,95,-1,0,")
    folder = _data_with(tmp_path, "数据.csv", text.encode())
    args = ["evaluate", "--rules", str(GOLDEN_RULES), "--data", str(folder)]
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1 and "KH305" in result.output
