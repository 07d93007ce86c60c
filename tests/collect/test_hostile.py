"""Returned workbooks that are damaged or hostile: each is refused with its code at its
file (and sheet, cell), quickly and without a traceback, by the same guards that read
data workbooks (read/workbook.py); and the fixture workbooks docs/collect.md collects are
what their generator makes."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from kaohe_rules import limits
from tests.collect import make_fixtures
from tests.collect.clerk import fill, sample_values
from tests.collect.conftest import RULES, kaohe

HERE = Path(__file__).resolve().parent
PAGE = "xl/worksheets/sheet2.xml"  # 省海港委.xlsx: 填报说明, then 市县


def _filled(templates: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / "省海港委.xlsx"
    fill(templates / "省海港委.xlsx", target, sample_values())
    return target


def _rezip(path: Path, changed: dict[str, bytes | None]) -> None:
    """The workbook with members replaced, added, or (None) removed."""
    with zipfile.ZipFile(path) as source:
        members = {n: source.read(n) for n in source.namelist()}
    for name, content in changed.items():
        if content is None:
            members.pop(name)
        else:
            members[name] = content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members.items():
            target.writestr(name, content)
    path.write_bytes(out.getvalue())


def _refused(tmp_path: Path, workbook: Path, code: str, seconds: float = 10) -> str:
    started = time.perf_counter()
    result = kaohe("collect", RULES, workbook, "-o", tmp_path / "data")
    assert time.perf_counter() - started < seconds
    assert result.exit_code == 1, result.output
    assert f"error {code} " in result.output and "没有写出任何文件" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "data").exists()
    return result.output


def test_zip_bomb(templates: Path, tmp_path: Path) -> None:
    path = _filled(templates, tmp_path / "in")
    _rezip(path, {"xl/media/bomb.bin": bytes(64 * 1024 * 1024)})  # 64 MB of zeros: 64 KB
    assert path.stat().st_size < 200_000
    output = _refused(tmp_path, path, "KH328")
    assert f"{path}:1:1" in output and "xl/media/bomb.bin" in output


def test_sheet_declaring_a_million_rows_and_columns(templates: Path, tmp_path: Path) -> None:
    path = _filled(templates, tmp_path / "in")
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(PAGE)
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    _rezip(path, {PAGE: xml.replace(b"</sheetData>", far)})
    output = _refused(tmp_path, path, "KH326")
    assert f"{path}[市县]:1048576:16384" in output


def test_damaged_sheet_xml(templates: Path, tmp_path: Path) -> None:
    path = _filled(templates, tmp_path / "in")
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(PAGE)
    _rezip(path, {PAGE: xml[: len(xml) // 2]})
    assert "不是 Excel 工作簿或文件已损坏" in _refused(tmp_path, path, "KH532")


def test_hidden_sheet_deleted(templates: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = _filled(templates, tmp_path / "in")
    book = load_workbook(path)
    del book["模板信息"]
    book.save(path)
    assert "没有 模板信息 工作表" in _refused(tmp_path, path, "KH532")


def test_extra_sheet_holding_values(templates: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = _filled(templates, tmp_path / "in")
    book = load_workbook(path)
    book.create_sheet("补充")["B3"] = 0.05
    book.create_sheet("空白")  # an empty sheet is no loss and passes
    book.save(path)
    output = _refused(tmp_path, path, "KH534")
    assert f"{path}[补充]:3:2" in output and "多了有内容的工作表 '补充'" in output
    assert "空白" not in output


def test_csv_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "填报.xlsx"
    path.write_text("编号,指标,值\n330100,地区生产总值增速,0.05\n", encoding="utf-8")
    assert f"{path}:1:1" in _refused(tmp_path, path, "KH532")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe(tmp_path: Path) -> None:
    path = tmp_path / "管道.xlsx"
    os.mkfifo(path)
    assert "命名管道" in _refused(tmp_path, path, "KH532", seconds=5)


def test_file_over_the_size_limit(
    templates: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _filled(templates, tmp_path / "in")
    monkeypatch.setenv(limits.DATA_FILE_BYTES.variable, "1000")
    output = _refused(tmp_path, path, "KH322")
    assert "KAOHE_LIMIT_DATA_FILE_BYTES" in output


def test_fixtures_are_current(tmp_path: Path) -> None:
    """tests/collect/returned*/ hold what make_fixtures.py writes from today's rules and
    samples: the same sheets and cell values (openpyxl's XML differs byte-wise between
    its lxml and plain writers, so values are compared, not bytes)."""
    names = ("returned", "returned_wrong", "returned_again")
    made = tuple(tmp_path / n for n in names)
    make_fixtures.main(*made)
    for folder, committed in zip(made, (HERE / n for n in names), strict=True):
        names = sorted(p.name for p in committed.iterdir())
        assert sorted(p.name for p in folder.iterdir()) == names
        for name in names:
            assert _cells(folder / name) == _cells(committed / name), (
                f"{committed / name} is stale: run python -m tests.collect.make_fixtures"
            )


def _cells(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}
