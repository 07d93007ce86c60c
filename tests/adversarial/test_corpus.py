"""The adversarial corpus: every case runs through the real ``kaohe`` entry point.

Cases live in ``cases/*.yaml`` (one file per kind: rules, expr, data, cli). Each case
builds a small working folder in ``tmp_path`` (a copy of ``base/`` plus the files the
case writes, replaces or deletes, or a generated huge input), runs ``kaohe`` there with
the case's arguments and checks the expected outcome: the exit code, no traceback or
internal error, the stable error code with its file, line and column, and for runs that
succeed, the results of the named units. See README.md.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import signal
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kaohe_rules.cli import main

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
KINDS = ("rules", "expr", "data", "cli")
MINIMUM_CASES = 150
TIME_LIMIT = 20  # seconds per case; a hang is a finding, not a stuck test run

# "file:line:column: error KHnnn", "file: error KHnnn" (a whole file) or "error KHnnn" (an argument)
DIAGNOSTIC = re.compile(
    r"^(?:(?P<file>[^\n]+?)(?::(?P<line>\d+):(?P<column>\d+))?: )?"
    r"(?P<severity>error|warning) (?P<code>KH\d{3})\b",
    re.MULTILINE,
)


@dataclass
class Case:
    kind: str
    id: str
    spec: dict = field(repr=False)

    @property
    def xfail(self) -> str | None:
        return self.spec.get("xfail")


def load_cases() -> list[Case]:
    cases = []
    for kind in KINDS:
        entries = yaml.safe_load((HERE / "cases" / f"{kind}.yaml").read_text(encoding="utf-8"))
        for spec in entries:
            cases.append(Case(kind, spec["id"], spec))
    for folder in sorted((HERE / "folders").iterdir()):
        spec = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
        spec.setdefault("id", folder.name)
        spec["folder"] = folder
        cases.append(Case(spec["kind"], spec["id"], spec))
    return cases


CASES = load_cases()


def _params():
    for case in CASES:
        marks = []
        if case.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
        yield pytest.param(case, id=f"{case.kind}-{case.id}", marks=marks)


# --- generated inputs: too big to commit, built at run time ---------------------------


def _gen_big_yaml(tmp: Path, target: str, megabytes: int = 50) -> None:
    """Grow ``target`` past ``megabytes`` MB with a long list under a new top-level key."""
    path = tmp / target
    line = "  - 这是一行用来把文件撑大的文本，没有任何意义\n"
    chunk = line * 20000
    with path.open("a", encoding="utf-8") as out:
        out.write("\n说明:\n")
        size = path.stat().st_size
        while size < megabytes * 1024 * 1024:
            out.write(chunk)
            size += len(chunk.encode("utf-8"))


def _gen_deep_yaml(tmp: Path, target: str, depth: int = 10000, flow: bool = False) -> None:
    """``depth`` levels of nesting under a new top-level key: flow ``[[[…]]]`` or block
    sequences ``- - - … 1`` on one line (block mappings would need 50 MB of indentation)."""
    body = "[" * depth + "]" * depth if flow else "\n  " + "- " * depth + "1"
    with (tmp / target).open("a", encoding="utf-8") as out:
        out.write("\n说明: " + body + "\n")


def _gen_alias_bomb(tmp: Path, target: str, levels: int = 9) -> None:
    """The billion-laughs pattern: each level lists the previous one ten times."""
    lines = ["\n说明:", '  - &a0 ["哈"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"  - &a{i} [{refs}]")
    with (tmp / target).open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def _gen_long_expression(tmp: Path, size: int = 1_000_000) -> list[str]:
    text = "+".join(["1"] * (size // 2))
    return ["expr", text]


def _gen_long_string(tmp: Path, size: int = 1001) -> list[str]:
    return ["expr", '"' + "长" * size + '"']


def _gen_long_argument(tmp: Path, size: int, text: str = "1") -> list[str]:
    """One command-line argument of ``size`` characters (a number of 5,000 digits)."""
    return [text * size]


def _gen_deep_expression(tmp: Path, depth: int = 10000, call: str = "") -> list[str]:
    return ["expr", f"{call}(" * depth + "1" + ")" * depth]


def _gen_deep_negation(tmp: Path, depth: int = 5000) -> list[str]:
    return ["expr", "-" * depth + "1"]


def _gen_big_formula_in_rules(tmp: Path, size: int = 1_000_000) -> None:
    path = tmp / "rules" / "丙.yaml"
    text = path.read_text(encoding="utf-8")
    old = "计分: 基础分 / 100 * 权重"
    assert old in text
    path.write_text(text.replace(old, "计分: 基础分 / 100 * 权重" + " + 0" * (size // 4)), "utf-8")


def _gen_many_rows(tmp: Path, rows: int = 50_000) -> None:
    """A data file with a great many rows, each for a unit not in the roster."""
    with (tmp / "data" / "多.csv").open("w", encoding="utf-8") as out:
        out.write("编号,基础分\n")
        for i in range(rows):
            out.write(f"X{i:06d},1\n")


def _gen_xlsx(tmp: Path, variant: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    header = ["编号", "基础分"]
    if variant == "merged":
        sheet.append(header)
        sheet.append(["B01", 90])
        sheet.append(["B02", None])
        sheet.merge_cells("B2:B3")  # B02 would silently take nothing: 90 is B01's
    elif variant == "formula":
        sheet.append(header)
        sheet.append(["B01", "=40+50"])  # never computed: openpyxl stores no cached value
    elif variant == "hidden":
        sheet.append(header)
        sheet.append(["B01", 90])
        hidden = book.create_sheet("草稿")
        hidden.append(["编号", "基础分"])
        hidden.append(["B01", "草稿里的乱写"])
        hidden.sheet_state = "hidden"
    elif variant == "date":
        import datetime

        sheet.append(header)
        sheet.append(["B01", datetime.datetime(2024, 3, 1)])
    elif variant == "text_number":
        sheet.append(header)
        sheet.append(["B01", "九十"])
    elif variant == "empty":
        pass
    elif variant == "xfd":  # one cell at the last place a sheet has: 17 billion cells from A1
        sheet.append(header)
        sheet["XFD1048576"] = 1
    elif variant == "rows":
        sheet.append(header)
        for unit in ("B01", "B02", "B03"):
            sheet.append([unit, 90])
    elif variant in ("lying_dimension", "no_dimension", "rows_out_of_order"):
        sheet.append(header)
        sheet.append(["B01", 90])
        sheet.append(["B02", 80])
    elif variant == "two_sheets":
        sheet.append(header)
        sheet.append(["B01", 90])
        second = book.create_sheet("补充")
        second.append(header)
        second.append(["B01", 91])
    elif variant == "percent":
        sheet.append(header)
        sheet.append(["B01", 90])
        sheet["B2"].number_format = "0%"
    elif variant == "bool":
        sheet.append(["编号", "事故"])
        sheet.append(["B01", True])
    else:  # pragma: no cover - a typo in cases/data.yaml
        raise ValueError(variant)
    # blank the CSV cells the workbook now gives, so that nothing is given twice
    book.save(tmp / "data" / "附表.xlsx")
    _edit_sheet_xml(tmp / "data" / "附表.xlsx", variant)
    data = tmp / "data" / "数据.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    given = ("merged", "formula", "hidden", "date", "text_number", "percent", "two_sheets")
    if variant in (*given, "lying_dimension", "no_dimension"):
        lines = [_blank_column(line, 2) if line.startswith("B01") else line for line in lines]
        if variant == "merged":
            lines = [_blank_column(line, 2) if line.startswith("B02") else line for line in lines]
    if variant in ("bool", "lying_dimension", "no_dimension"):
        column = 8 if variant == "bool" else 2
        changed = ("B01",) if variant == "bool" else ("B01", "B02")
        lines = [_blank_column(line, column) if line[:3] in changed else line for line in lines]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _edit_sheet_xml(path: Path, variant: str) -> None:
    """What openpyxl never writes: a <dimension> that lies or is missing, rows out of order."""
    import zipfile

    if variant not in ("lying_dimension", "no_dimension", "rows_out_of_order"):
        return
    with zipfile.ZipFile(path) as book:
        parts = {info.filename: book.read(info.filename) for info in book.infolist()}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name].decode("utf-8")
    dimension = re.search(r"<dimension ref=\"[^\"]*\" */>", xml)[0]
    if variant == "lying_dimension":  # says one cell: a reader trusting it reads nothing
        xml = xml.replace(dimension, '<dimension ref="A1:A1" />')
    elif variant == "no_dimension":
        xml = xml.replace(dimension, "")
    else:  # row 3 before row 2: a streaming reader would drop row 2 silently
        rows = re.findall(r"<row r=\"[23]\".*?</row>", xml)
        xml = xml.replace(rows[0] + rows[1], rows[1] + rows[0])
    parts[name] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for part, body in parts.items():
            book.writestr(part, body)


def _gen_xlsx_bomb(tmp: Path, megabytes: int = 100) -> None:
    """A workbook of ~400 KB whose sheet is ``megabytes`` MB of identical rows (ratio ~250)
    and whose <dimension> says A1:J1, written without openpyxl to keep it fast."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "数据"
    book.active.append(["编号", "基础分"])
    buffer = io.BytesIO()
    book.save(buffer)
    row = "<row>" + "<c><v>1</v></c>" * 10 + "</row>"
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
        '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:J1"/>'
        "<sheetData>"
    )
    chunk = (row * 1000).encode()
    target = tmp / "data" / "附表.xlsx"
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for info in source.infolist():
            if not info.filename.endswith("sheet1.xml"):
                out.writestr(info, source.read(info.filename))
                continue
            with out.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(head.encode())
                for _ in range(megabytes * 1024 * 1024 // len(chunk)):
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")


def _gen_wide_csv(tmp: Path, columns: int, target: str = "data/宽.csv") -> None:
    """A CSV file of ``columns`` unknown columns c0, c1, … and one row for J01."""
    header = "编号," + ",".join(f"c{i}" for i in range(columns))
    (tmp / target).write_text(header + "\nJ01," + ",".join(["1"] * columns) + "\n", "utf-8")


def _gen_parquet(tmp: Path, target: str = "data/附表.parquet") -> None:
    """A wide Parquet file: 编号 and two data columns for B01."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"编号": ["B01"], "问题数": [1.0], "表彰数": [2.0]})
    pq.write_table(table, tmp / target)


def _gen_xlsx_far_cells(tmp: Path, sheets: int, last: str) -> None:
    """A workbook of ``sheets`` visible sheets, each only A1 (编号) and one value at
    ``last``: a few KB that read from A1 is rows × columns cells per sheet."""
    from openpyxl import Workbook

    book = Workbook()
    for index in range(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = f"S{index}"
        sheet["A1"] = "编号"
        sheet[last] = 1
    book.save(tmp / "data" / "附表.xlsx")


def _gen_parquet_rows(tmp: Path, rows: int, long: bool = False) -> None:
    """A Parquet file of ``rows`` rows of one repeated value (B01's 问题数), dictionary- and
    run-length-encoded: a few KB whatever ``rows``; long form (编号, 指标, 值) or wide."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    def repeated(text: str):
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), [text])

    columns = {"编号": repeated("B01")}
    if long:
        columns |= {"指标": repeated("问题数"), "值": pa.array(np.ones(rows))}
    else:
        columns["问题数"] = pa.array(np.ones(rows))
    pq.write_table(pa.table(columns), tmp / "data" / "附表.parquet", compression="zstd")


def _gen_roster_long_header(tmp: Path, columns: int) -> None:
    """名单.csv whose first column name is a quoted 140,000-character text (over the csv
    module's field limit) followed by ``columns`` more names."""
    header = '"' + "a" * 140_000 + '",' + ",".join(f"c{i}" for i in range(columns))
    (tmp / "rules" / "名单.csv").write_text(header + "\n", encoding="utf-8")
    roster = "属性:\n  类型: 文本\n  规模: 文本\n单位: 名单.csv\n"
    (tmp / "rules" / "名单.yaml").write_text(roster, encoding="utf-8")


def _gen_roster_xlsx(tmp: Path) -> None:
    """The roster's units in rules/名单.xlsx (as tests/scale/roster_csv has them in CSV)."""
    import csv

    from openpyxl import Workbook

    source = HERE.parent / "scale" / "roster_csv" / "名单.csv"
    lines = [line for line in source.read_text("utf-8-sig").splitlines() if line[:1] != "#"]
    book = Workbook()
    for row in csv.reader(lines):
        book.active.append(row)
    book.save(tmp / "rules" / "名单.xlsx")
    roster = "属性:\n  类型: 文本\n  规模: 文本\n单位: 名单.xlsx\n"
    (tmp / "rules" / "名单.yaml").write_text(roster, encoding="utf-8")


def _blank_column(line: str, index: int) -> str:
    cells = line.split(",")
    cells[index] = ""
    return ",".join(cells)


def _gen_symlink(tmp: Path, link: str, to: str) -> None:
    (tmp / link).symlink_to(to)


def _gen_long_number(
    tmp: Path, target: str, old: str, digits: int, before: str = "", after: str = ""
) -> None:
    """``old`` in ``target`` replaced by a number of ``digits`` nines, with ``before`` and
    ``after`` around it (a 5,000-digit 精度 is 5 KB better made than committed)."""
    path = tmp / target
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {target}"
    path.write_text(text.replace(old, before + "9" * digits + after, 1), encoding="utf-8")


GENERATORS = {
    "symlink": _gen_symlink,
    "big_yaml": _gen_big_yaml,
    "deep_yaml": _gen_deep_yaml,
    "alias_bomb": _gen_alias_bomb,
    "long_expression": _gen_long_expression,
    "deep_expression": _gen_deep_expression,
    "deep_negation": _gen_deep_negation,
    "long_string": _gen_long_string,
    "long_argument": _gen_long_argument,
    "big_formula_in_rules": _gen_big_formula_in_rules,
    "many_rows": _gen_many_rows,
    "xlsx": _gen_xlsx,
    "long_number": _gen_long_number,
    "xlsx_bomb": _gen_xlsx_bomb,
    "wide_csv": _gen_wide_csv,
    "parquet": _gen_parquet,
    "roster_xlsx": _gen_roster_xlsx,
    "xlsx_far_cells": _gen_xlsx_far_cells,
    "parquet_rows": _gen_parquet_rows,
    "roster_long_header": _gen_roster_long_header,
}


# --- building the working folder -------------------------------------------------------


def _encode(entry) -> bytes:
    if isinstance(entry, str):
        return entry.encode("utf-8")
    text = entry["text"] * entry.get("repeat", 1)
    body = text.encode(entry.get("encoding", "utf-8"))
    # prefix and suffix are raw bytes, written as \xNN escapes in the case file
    return (
        entry.get("prefix", "").encode("latin-1") + body + entry.get("suffix", "").encode("latin-1")
    )


def build(case: Case, tmp: Path) -> list[str]:
    spec = case.spec
    for part in spec.get("base", ["rules", "data"]):
        shutil.copytree(BASE / part, tmp / part)
    if "folder" in spec:
        for item in spec["folder"].iterdir():
            if item.name == "case.yaml":
                continue
            if item.is_dir():
                shutil.copytree(item, tmp / item.name, dirs_exist_ok=True)
            else:
                shutil.copy(item, tmp / item.name)
    for name in spec.get("delete", []):
        target = tmp / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    for name, pairs in spec.get("replace", {}).items():
        path = tmp / name
        text = path.read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, f"{case.id}: {old!r} is not in {name}"
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")
    for name, entry in spec.get("files", {}).items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(entry, dict) and entry.get("append"):
            with path.open("ab") as out:
                out.write(_encode(entry))
        else:
            path.write_bytes(_encode(entry))
    args = [str(a) for a in spec.get("args", [])]
    if "generate" in spec:
        generator = dict(spec["generate"])
        produced = GENERATORS[generator.pop("name")](tmp, **generator)
        if produced:
            args = args + produced
    return args


# --- running the real entry point -------------------------------------------------------


@dataclass
class Run:
    exit_code: int | str
    output: str

    def diagnostics(self) -> list[tuple[str, str | None, int | None, int | None]]:
        return [
            (
                m["code"],
                m["file"],
                int(m["line"]) if m["line"] else None,
                int(m["column"]) if m["column"] else None,
            )
            for m in DIAGNOSTIC.finditer(self.output)
        ]


class _TooSlow(Exception):
    pass


def _alarm(signum, frame):
    raise _TooSlow


def run_kaohe(args: list[str], stdin: str | None = None, env: dict | None = None) -> Run:
    """Run ``kaohe ARGS`` as the installed script does: ``main()`` with sys.argv, and the
    case's environment variables (a lowered limit: KAOHE_LIMIT_…)."""
    runner = CliRunner()
    saved_argv = sys.argv
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    variables = {"KAOHE_DEBUG": None, **{k: str(v) for k, v in (env or {}).items()}}
    try:
        with runner.isolation(input=stdin, env=variables) as (_, _, mixed):
            sys.argv = ["kaohe", *args]
            extra = ""
            try:
                main()
                code: int | str = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            except _TooSlow:
                code, extra = "timeout", f"\n[超过 {TIME_LIMIT} 秒没有结束]"
            except BaseException:  # escaped past main(): a real traceback
                code, extra = "traceback", "\n" + traceback.format_exc()
            sys.stdout.flush()
            sys.stderr.flush()
            output = mixed.getvalue().decode("utf-8", "replace") + extra
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = saved_argv
    return Run(code, output)


def _same_file(found: str | None, want: str, tmp: Path) -> bool:
    if found is None:
        return False
    found = re.sub(r"\[[^\]]*\]$", "", found)  # a workbook names its sheet: 附表.xlsx[数据]
    if found == want:
        return True
    path = Path(found)
    if not path.is_absolute():
        path = tmp / path
    return path.resolve() == (tmp / want).resolve()


def check(case: Case, run: Run, tmp: Path, before: dict[str, bytes]) -> None:
    expect = case.spec["expect"]
    shown = f"kaohe {' '.join(case.spec.get('args', []))[:200]}\n{run.output[-4000:]}"
    assert "Traceback" not in run.output, f"traceback:\n{shown}"
    assert "内部错误" not in run.output and run.exit_code != 3, f"internal error:\n{shown}"
    assert run.exit_code == expect["exit"], (
        f"exit {run.exit_code}, expected {expect['exit']}\n{shown}"
    )
    if "code" in expect:
        want_file = expect.get("file", "<表达式>" if case.kind == "expr" else None)
        found = run.diagnostics()
        matches = [
            d
            for d in found
            if d[0] == expect["code"]
            and (want_file is None or _same_file(d[1], want_file, tmp))
            and ("line" not in expect or d[2] == expect["line"])
            and ("column" not in expect or d[3] == expect["column"])
        ]
        want = (expect["code"], want_file, expect.get("line"), expect.get("column"))
        assert matches, f"expected {want}, found {found}\n{shown}"
    for fragment in expect.get("contains", []):
        assert fragment in run.output, f"{fragment!r} not in output\n{shown}"
    if "prints" in expect:
        lines = [line.strip() for line in run.output.splitlines()]
        assert str(expect["prints"]) in lines, (
            f"{expect['prints']!r} is not a line of the output\n{shown}"
        )
    for fragment in expect.get("not_contains", []):
        assert fragment not in run.output, f"{fragment!r} in output\n{shown}"
    if "units" in expect:
        body = json.loads((tmp / "out.json").read_text(encoding="utf-8"))
        rows = {row["编号"]: row for row in body["结果"]}
        for unit, fields in expect["units"].items():
            assert unit in rows, f"{unit} not in results: {sorted(rows)}"
            for key, value in fields.items():
                got = rows[unit].get(key)
                if isinstance(value, float | int) and not isinstance(value, bool):
                    assert got == pytest.approx(value, abs=1e-9), (unit, key, got, value)
                else:
                    assert got == value, (unit, key, got, value)
        if "unit_count" in expect:
            assert len(rows) == expect["unit_count"]
    for name in expect.get("unchanged", []):
        assert (tmp / name).read_bytes() == before[name], f"{name} was changed"
    for name in expect.get("file_exists", []):
        assert (tmp / name).is_file(), f"{name} was not written"
    for name in expect.get("file_absent", []):
        assert not (tmp / name).exists(), f"{name} should not have been written"


@pytest.mark.parametrize("case", list(_params()))
def test_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = build(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    before = {
        name: (tmp_path / name).read_bytes() for name in case.spec["expect"].get("unchanged", [])
    }
    run = run_kaohe(args, case.spec.get("stdin"), case.spec.get("env"))
    check(case, run, tmp_path, before)


# --- the corpus itself --------------------------------------------------------------------


def test_corpus_is_large_enough_and_the_readme_counts_are_honest() -> None:
    counts = {kind: sum(case.kind == kind for case in CASES) for kind in KINDS}
    assert sum(counts.values()) >= MINIMUM_CASES, counts
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for kind, count in counts.items():
        assert f"| {kind} | {count} |" in readme, f"README count for {kind} should be {count}"
    assert f"| 合计 | {sum(counts.values())} |" in readme


def test_case_ids_are_unique_and_every_case_says_what_it_expects() -> None:
    ids = [(case.kind, case.id) for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert "expect" in case.spec and "exit" in case.spec["expect"], case.id
        assert case.spec.get("note"), f"{case.id}: every case says in Chinese what it tries"
        if case.spec["expect"]["exit"] == 1 and case.kind != "cli":
            assert "code" in case.spec["expect"], f"{case.id}: an error case names its code"


def test_findings_are_recorded() -> None:
    findings = (HERE / "FINDINGS.md").read_text(encoding="utf-8")
    for case in CASES:
        if case.xfail:
            number = re.fullmatch(r"finding (\d+)", case.xfail)
            assert number, f"{case.id}: xfail reason should be 'finding N'"
            assert f"## {number[1]}." in findings, f"finding {number[1]} is not in FINDINGS.md"


def test_committed_corpus_is_small() -> None:
    size = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    assert size < 2 * 1024 * 1024
