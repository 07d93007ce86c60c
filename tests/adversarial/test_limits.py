"""The limits of the data readers (issue 19): each limit's environment variable lowers and
raises it, reading stays linear in a header's width, and a workbook's sheet is scanned for
its true extent whatever its <dimension> says. The corpus (cases/data.yaml) runs the same
refusals through the whole command."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from kaohe_rules import limits
from kaohe_rules.cli import cli
from kaohe_rules.read import columnar
from kaohe_rules.read.bounds import CODES
from kaohe_rules.read.cells import SheetProblem
from kaohe_rules.read.csv import read_csv
from kaohe_rules.read.parquet import read_parquet
from kaohe_rules.read.workbook import RATIO_FLOOR_BYTES, scan_sheet
from kaohe_rules.read.xlsx import read_workbook
from tests.conftest import ROOT

BASE = ROOT / "tests" / "adversarial" / "base"


def _csv(tmp: Path) -> tuple[Path, int]:
    path = tmp / "表.csv"
    path.write_text("编号,基础分,增速\nJ01,1,2\n", encoding="utf-8")
    return path, path.stat().st_size


def _workbook(tmp: Path, rows: int = 3, filler: int = 0) -> Path:
    book = Workbook()
    book.active.title = "数据"
    book.active.append(["编号", "基础分"])
    for index in range(rows - 1):
        book.active.append([f"J{index:02d}", 1])
    if filler:  # a hidden sheet of repeated cells: one large, well compressed member
        hidden = book.create_sheet("填充")
        hidden.sheet_state = "hidden"
        for _ in range(filler):
            hidden.append([1] * 20)
    path = tmp / "表.xlsx"
    book.save(path)
    return path


def _largest_member(path: Path) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return max(archive.infolist(), key=lambda info: info.file_size)


def _read(path: Path) -> str | None:
    """The code of the refusal reading ``path`` gives, or None when it reads."""
    try:
        if path.suffix == ".xlsx":
            read_workbook(path)
        elif path.suffix == ".parquet":
            read_parquet(path)
        else:
            read_csv(path, None)
    except SheetProblem as problem:
        return problem.diagnostic.code
    return None


def _total_bytes(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _parquet(tmp: Path, rows: int = 5) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp / "表.parquet"
    table = pa.table({"编号": [f"J{i:02d}" for i in range(rows)], "基础分": [1.0] * rows})
    pq.write_table(table, path)
    return path


def _ratio_input(tmp: Path) -> tuple[Path, int]:
    path = _workbook(tmp, filler=8000)
    member = _largest_member(path)
    assert member.file_size > RATIO_FLOOR_BYTES
    return path, member.file_size // member.compress_size


# limit -> (make the input, and the value at which it just reads)
INPUTS = {
    "DATA_FILE_BYTES": _csv,
    "CSV_COLUMNS": lambda tmp: (_csv(tmp)[0], 3),
    "XLSX_ROWS": lambda tmp: (_workbook(tmp), 3),
    "XLSX_COLUMNS": lambda tmp: (_workbook(tmp), 2),
    "XLSX_CELLS": lambda tmp: (_workbook(tmp), 6),
    # all the members together are larger than any one of them
    "XLSX_MEMBER_BYTES": lambda tmp: (path := _workbook(tmp), _total_bytes(path)),
    "XLSX_RATIO": _ratio_input,
    "DATA_ROWS": lambda tmp: (_parquet(tmp), 5),
    "PARQUET_CELLS": lambda tmp: (_parquet(tmp), 10),
}


def test_csv_rows_are_counted_as_they_are_read(tmp_path, monkeypatch) -> None:
    path, _size = _csv(tmp_path)
    path.write_text("编号,基础分\n" + "J01,1\n" * 3, encoding="utf-8")
    monkeypatch.setenv(limits.DATA_ROWS.variable, "2")
    with pytest.raises(SheetProblem) as refused:
        read_csv(path, None)
    assert refused.value.diagnostic.code == "KH329"
    assert refused.value.diagnostic.span.line == 4  # the third row: the first over the limit
    monkeypatch.setenv(limits.DATA_ROWS.variable, "3")
    assert _read(path) is None


def _many_members(tmp: Path, count: int, size: int) -> Path:
    """A workbook with ``count`` extra members of ``size`` zero bytes each: each under the
    size below which a member's ratio is not checked, together far over it."""
    path = _workbook(tmp)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            archive.writestr(f"xl/media/填充{index}.bin", b"\0" * size)
    return path


def test_many_small_members_are_bounded_together(tmp_path, monkeypatch) -> None:
    small = RATIO_FLOOR_BYTES // 2
    path = _many_members(tmp_path, 40, small)  # 20 MB from ~1 KB: 1000 times
    with pytest.raises(SheetProblem) as refused:
        read_workbook(path)
    assert refused.value.diagnostic.code == "KH328"
    assert "个部件共从" in refused.value.diagnostic.message
    monkeypatch.setenv(limits.XLSX_RATIO.variable, "100000")
    monkeypatch.setenv(limits.XLSX_MEMBER_BYTES.variable, str(10 * small))
    with pytest.raises(SheetProblem) as refused:
        read_workbook(path)
    assert refused.value.diagnostic.code == "KH327"
    assert "个部件解压后共" in refused.value.diagnostic.message


def test_the_cell_limit_counts_every_sheet_of_a_workbook(tmp_path, monkeypatch) -> None:
    book = Workbook()
    for index in range(3):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = f"表{index}"
        sheet.append(["编号", "基础分"])
        sheet.append(["J01", 1])  # 4 cells each
    path = tmp_path / "表.xlsx"
    book.save(path)
    monkeypatch.setenv(limits.XLSX_CELLS.variable, "11")
    with pytest.raises(SheetProblem) as refused:
        read_workbook(path)
    found = refused.value.diagnostic
    assert (found.code, found.span.file, found.span.line) == ("KH326", f"{path}[表2]", 2)
    assert "前面的工作表有 8 个单元格" in found.message
    monkeypatch.setenv(limits.XLSX_CELLS.variable, "12")
    assert len(read_workbook(path).sheets) == 3


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_each_limit_is_lowered_and_raised_by_its_variable(name, tmp_path, monkeypatch) -> None:
    limit = getattr(limits, name)
    path, fits = INPUTS[name](tmp_path)
    monkeypatch.setenv(limit.variable, str(fits - 1))
    assert _read(path) == CODES[name]
    # the ratio is a whole number of times: at its value the member is still over it
    monkeypatch.setenv(limit.variable, str(fits + 1 if name == "XLSX_RATIO" else fits))
    assert _read(path) is None


def test_every_limit_of_the_readers_has_its_own_code() -> None:
    from kaohe_rules.diagnostics import CODES as KNOWN

    assert len(set(CODES.values())) == len(CODES)
    assert all(code in KNOWN for code in CODES.values())


def _unknown_columns(folder: Path, columns: int) -> Path:
    """The adversarial base rules and data, plus a wide file of ``columns`` unknown columns."""
    for part in ("rules", "data"):
        (folder / part).mkdir(parents=True)
        for file in (BASE / part).iterdir():
            (folder / part / file.name).write_bytes(file.read_bytes())
    header = "编号," + ",".join(f"c{i}" for i in range(columns))
    body = "J01," + ",".join(["1"] * columns)
    (folder / "data" / "宽.csv").write_text(f"{header}\n{body}\n", encoding="utf-8")
    return folder


def _lines_run(folder: Path, monkeypatch) -> int:
    """Python lines executed by `kaohe evaluate` on ``folder``: a count of work that does not
    depend on the machine's load, unlike a time limit."""
    import sys

    count = [0]

    def trace(_frame, event, _arg):
        if event == "line":
            count[0] += 1
        return trace

    monkeypatch.chdir(folder)
    sys.settrace(trace)
    try:
        result = CliRunner().invoke(cli, ["evaluate", "--rules", "rules", "--data", "data"])
    finally:
        sys.settrace(None)
    assert result.exit_code == 1 and "data/宽.csv:1:4: error KH302" in result.output
    return count[0]


@pytest.mark.parametrize("least_bytes", [0, 1 << 40], ids=["by-columns", "by-rows"])
def test_unknown_columns_are_read_in_time_linear_in_the_header(
    tmp_path, monkeypatch, least_bytes
) -> None:
    """Once quadratic (20,000 columns took 226 s by rows; by columns, each unknown column's
    header cell was found by splitting the header line again): four times the columns may
    cost about four times the Python lines executed (less: loading the rules is the same),
    not sixteen. Both readers are held to it, whatever test ran before (a file this small
    goes by columns only once pyarrow is loaded)."""
    monkeypatch.setenv(limits.CSV_COLUMNS.variable, "300000")
    monkeypatch.setattr(columnar, "MIN_BYTES", least_bytes)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", least_bytes)
    lines = [
        _lines_run(_unknown_columns(tmp_path / str(k), columns), monkeypatch)
        for k, columns in enumerate((1_000, 1_000, 4_000))  # the first imports what it needs
    ]
    assert lines[2] < 5 * lines[1], lines


def test_200000_unknown_columns_are_each_reported(tmp_path, monkeypatch) -> None:
    columns = 200_000
    _unknown_columns(tmp_path, columns)
    monkeypatch.setenv(limits.CSV_COLUMNS.variable, "300000")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["evaluate", "--rules", "rules", "--data", "data"])
    assert result.exit_code == 1, result.output
    assert "data/宽.csv:1:4: error KH302" in result.output
    assert f"另有 {columns - 100} 个问题未列出" in result.output


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _scan(body: str, every_cell: bool = False):
    xml = f'<worksheet xmlns="{MAIN}"><dimension ref="A1"/><sheetData>{body}</sheetData>'
    xml += "</worksheet>"
    return scan_sheet(io.BytesIO(xml.encode()), "表", "表.xlsx[表]", every_cell)


@pytest.mark.parametrize(
    "body,extent",
    [
        ("", (0, 0)),
        ('<row r="1"><c r="A1"><v>1</v></c></row><row r="7"><c r="C7"><v>2</v></c></row>', (7, 3)),
        ("<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>", (2, 2)),
        ('<row r="1"><c r="A1"><v>1</v></c><c r="Z1" s="3"/></row><row r="9"/>', (1, 1)),
        ('<row r="2"><c r="B2" t="inlineStr"><is><t>x</t></is></c></row>', (2, 2)),
    ],
    ids=["empty", "by-reference", "no-references", "styled-empties", "inline-string"],
)
def test_the_scan_finds_the_extent_of_values_whatever_the_dimension(body, extent) -> None:
    scan = _scan(body)
    assert (scan.rows, scan.columns) == extent


def test_for_pandas_every_cell_and_row_counts() -> None:
    scan = _scan('<row r="1"><c r="A1"><v>1</v></c><c r="Z1" s="3"/></row><row r="9"/>', True)
    assert (scan.rows, scan.columns) == (9, 26)


@pytest.mark.parametrize(
    "cell,unsaved",
    [
        ("<c r='B2'><f>1+1</f><v>2</v></c>", None),
        ("<c r='B2'><f>1+1</f></c>", (2, 2, "=1+1")),
        ("<c r='B2'><f>1+1</f><v/></c>", (2, 2, "=1+1")),
        ("<c r='B2'><f t='shared' si='0'/></c>", (2, 2, "（共享公式）")),
        ("<c r='B2' t='str'><f>A1</f><v>x</v></c>", None),
    ],
    ids=["saved", "no-value", "empty-value", "shared", "text-result"],
)
def test_the_scan_finds_formulas_without_a_saved_value(cell, unsaved) -> None:
    scan = _scan(f"<row r='1'><c r='A1'><v>1</v></c></row><row r='2'>{cell}</row>")
    assert scan.unsaved == unsaved


def test_the_documentation_lists_every_limit_with_its_code() -> None:
    page = (ROOT / "docs" / "evaluate.md").read_text(encoding="utf-8")
    section = page[page.index("## 输入的上限") :]
    section = section[: section.index("\n## ")]
    others = {"RULE_FILE_BYTES": "KH205", "INTEGER_DIGITS": "KH247", "RECORDS_MEMORY_MB": "KH571"}
    for limit in limits.ALL:
        code = CODES.get(limit.name) or others[limit.name]
        row = next(line for line in section.splitlines() if f"`{limit.variable}`" in line)
        assert row.rstrip().endswith(f"| {code} |"), row
        assert f"{limit.default:,}" in row, row


def test_history_csv_files_of_kaohe_history_are_bounded(tmp_path, monkeypatch) -> None:
    from kaohe_rules.diagnostics import KaoheError
    from kaohe_rules.read.history import read_history_csv

    path = tmp_path / "历史.csv"
    path.write_bytes((BASE / "data" / "历史.csv").read_bytes())
    for variable, value, code in (
        (limits.DATA_FILE_BYTES.variable, "10", "KH322"),
        (limits.CSV_COLUMNS.variable, "2", "KH323"),
    ):
        with monkeypatch.context() as patch:
            patch.setenv(variable, value)
            with pytest.raises(KaoheError) as raised:
                read_history_csv(path)
        assert [d.code for d in raised.value.diagnostics] == [code]


def test_a_large_file_too_wide_for_the_columnar_reader_is_refused_by_the_row_reader(
    tmp_path, monkeypatch
) -> None:
    """Over 4 MB a long CSV goes to the columnar reader first: it declines a header over
    the limit, and the row reader refuses it at the header, before reading rows."""
    from kaohe_rules.diagnostics import KaoheError
    from kaohe_rules.pipeline import load_rules
    from kaohe_rules.read import columnar
    from kaohe_rules.read.data import read_data

    folder = tmp_path / "data"
    folder.mkdir()
    rows = "J01,基础分,1\n" * (columnar.MIN_BYTES // 14 + 1)
    (folder / "长.csv").write_text("编号,指标,值\n" + rows, encoding="utf-8")
    assert (folder / "长.csv").stat().st_size >= columnar.MIN_BYTES
    monkeypatch.setenv(limits.CSV_COLUMNS.variable, "2")
    ruleset = load_rules(ROOT / "tests" / "golden" / "evaluate" / "rules").resolved.ruleset
    with pytest.raises(KaoheError) as raised:
        read_data(folder, ruleset)
    found = raised.value.diagnostics[0]
    assert (found.code, found.span.line, found.span.column) == ("KH323", 1, 7)


@pytest.mark.parametrize(
    ("raw", "value", "refusal"),
    [
        ("100", 100, None),
        (" 7 ", 7, None),
        ("50,000", 50_000, None),
        ("50_000", 50_000, None),
        ("1,000,000", 1_000_000, None),
        ("1,0,0", None, "不是正整数"),  # once read as 100
        ("1_0", None, "不是正整数"),  # once read as 10
        ("1,000_000", None, "不是正整数"),
        ("0", None, "不是正整数"),
        ("1.5", None, "不是正整数"),
        ("12345678901234567890123", None, "太大"),  # once called "不是正整数"
        ("9" * 5000, None, "太大"),
    ],
)
def test_a_limit_variable_is_digits_grouped_by_thousands_or_refused(
    raw, value, refusal, monkeypatch
) -> None:
    monkeypatch.setenv(limits.CSV_COLUMNS.variable, raw)
    if refusal is None:
        assert limits.CSV_COLUMNS.value() == value
        return
    with pytest.raises(limits.LimitSettingError, match=refusal):
        limits.CSV_COLUMNS.value()
