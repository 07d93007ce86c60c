"""The corpus of data and result checks at evaluate (KH315-KH321, plausibility.py and
result_checks.py): each folder of tests/data_checks/ is a small rule set (rules/) and its
data (data/) with an ``expected.yaml`` listing exactly the checks' diagnostics that must
come out, with code, severity, file, line and column; ``expect: []`` is a case done right,
where none of them may."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year

CORPUS = Path(__file__).resolve().parent
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.yaml").is_file())
CODES = {f"KH{n}" for n in range(315, 322)}


def diagnostics(case: Path) -> list[Diagnostic]:
    """What evaluating the case gives: its warnings, or the errors that refused it."""
    loaded = load_rules(case / "rules")
    data = read_data(case / "data", loaded.resolved.ruleset)
    try:
        return evaluate_year(loaded.resolved, data).warnings
    except KaoheError as error:
        return error.diagnostics


def _row(d: Diagnostic, case: Path) -> dict:
    path = Path(d.span.file).resolve()
    file = path.relative_to(case).as_posix() if path.is_relative_to(case) else d.span.file
    where = {"file": file, "line": d.span.line, "column": d.span.column}
    return {"code": d.code, "severity": d.severity.value, **where}


def test_every_check_has_a_firing_case_and_the_corpus_has_a_clean_one() -> None:
    fired = set()
    for case in CASES:
        expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
        fired |= {e["code"] for e in expected["expect"]}
    assert fired == CODES
    assert any(not yaml.safe_load((c / "expected.yaml").read_text())["expect"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_data_check_fires_exactly_where_expected(case: Path) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))["expect"]
    found = [_row(d, case) for d in diagnostics(case) if d.code in CODES]
    key = lambda row: (row["code"], row["file"], row["line"], row["column"])  # noqa: E731
    assert sorted(found, key=key) == sorted(expected, key=key)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_read_by_columns_is_checked_and_located_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """The columnar reader (columnar.py, for big long-format files) fills the same columns:
    the same check fires, at the 值 cell of the row (a Parquet row counts from line 2)."""
    from kaohe_rules.read import columnar

    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    monkeypatch.setattr(columnar, "LOADED_MIN_BYTES", 0)  # read this small file by columns too
    case = CORPUS / "unit_error"
    lines = (case / "data" / "数据.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    long = [["编号", "指标", "值"]]  # plain numbers: a "6.1%" cell sends a file to the row reader
    for row in rows:
        for name, value in zip(header[2:], row[2:], strict=True):
            number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
            long.append([row[0], name, f"{number:g}"])
    data = tmp_path / "data"
    data.mkdir()
    if suffix == ".csv":
        text = "\n".join(",".join(r) for r in long) + "\n"
        (data / "数据.csv").write_text(text, encoding="utf-8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {name: [r[i] for r in long[1:]] for i, name in enumerate(long[0])}
        columns["值"] = [float(v) for v in columns["值"]]
        pq.write_table(pa.table(columns), data / "数据.parquet")
    loaded = load_rules(case / "rules")
    read = read_data(data, loaded.resolved.ruleset)
    assert read.fast_files, "the file was read by the columnar reader"
    [found] = [w for w in evaluate_year(loaded.resolved, read).warnings if w.code == "KH317"]
    line = 1 + 6 * 3 - 1  # 泰顺县 is the 6th unit, 地区生产总值增速 its second of three rows
    assert (Path(found.span.file).name, found.span.line) == (f"数据{suffix}", line)
    if suffix == ".csv":
        assert found.span.column == len("330329,地区生产总值增速,") + 1


def test_a_full_width_percent_unit_is_the_same_unit(tmp_path: Path) -> None:
    """单位: "％" reads as "%": the percent-scale check still knows the indicator."""
    import shutil

    case = tmp_path / "case"
    shutil.copytree(CORPUS / "percent_scale_rule", case)
    domain = case / "rules" / "市县.yaml"
    domain.write_text(domain.read_text(encoding="utf-8").replace('"%"', '"％"'), encoding="utf-8")
    assert '"％"' in domain.read_text(encoding="utf-8")
    assert [d.code for d in diagnostics(case) if d.code in CODES] == ["KH315", "KH315"]


def test_evaluate_format_json_prints_the_results_with_every_warning(tmp_path: Path) -> None:
    """`kaohe evaluate --format json` (for CI) prints what -o 结果.json writes: the results
    and, under 警告, each warning with its code and place."""
    import json

    from click.testing import CliRunner

    from kaohe_rules.cli import cli

    case = CORPUS / "not_discriminating"
    given = ["evaluate", "--rules", str(case / "rules"), "--data", str(case / "data")]
    printed = CliRunner().invoke(cli, [*given, "--format", "json"])
    assert printed.exit_code == 0, printed.output
    written = CliRunner().invoke(cli, [*given, "-o", str(tmp_path / "结果.json")])
    assert written.exit_code == 0, written.output
    found = json.loads(printed.stdout)
    assert found == json.loads((tmp_path / "结果.json").read_text(encoding="utf-8"))
    assert [(w["code"], w["line"]) for w in found["警告"] if w["code"] in CODES] == [("KH319", 13)]
