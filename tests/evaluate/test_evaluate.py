"""Evaluating a year: the hand-derived golden year, data checks, outputs, the main job."""

from __future__ import annotations

import csv
import json
import random
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.outputs.explain import explain, render_text
from kaohe_rules.outputs.report import render, result_rows, write_atomically
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "evaluate"
BAD = Path(__file__).parent / "data_bad"


def _evaluate(rules: Path = GOLDEN / "rules", data: Path = GOLDEN / "data"):
    loaded = load_rules(rules)
    return evaluate_year(loaded.resolved, read_data(data, loaded.resolved.ruleset))


def _expected() -> list[dict]:
    lines = (GOLDEN / "expected.csv").read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


@pytest.fixture(scope="module")
def golden():
    return _evaluate()


def test_golden_year_matches_the_hand_derivation(golden) -> None:
    header, rows = result_rows(golden)
    actual = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    expected = _expected()
    assert len(expected) == len(actual) == 25
    for want in expected:
        got = actual[want["编号"]]
        assert got["类别"] == want["类别"], want["编号"]
        assert got["总分"] == pytest.approx(float(want["总分"]), abs=1e-9), want["编号"]
        assert (got["名次"], got["等次"]) == (int(want["名次"]), want["等次"]), want["编号"]
        assert (got["先进单位"], got["重点关注"]) == (want["先进单位"], want["重点关注"])


def test_missing_data_policies(golden) -> None:
    first = golden.domains[0]
    j07 = first.index("J07")
    assert first.excluded["成本率"][j07] and first.papers["业绩"][j07] == pytest.approx(34.5)
    codes = [(w.code, w.message) for w in golden.warnings]
    assert any(c == "KH306" and "乙五" in m and "记零分" in m for c, m in codes)
    assert any(c == "KH306" and "甲七" in m and "剔除" in m for c, m in codes)


def test_error_policy_stops_the_run(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    text = (rules / "甲.yaml").read_text(encoding="utf-8").replace("剔除折算", "报错")
    (rules / "甲.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KaoheError) as raised:
        _evaluate(rules)
    [problem] = raised.value.diagnostics
    assert problem.code == "KH306" and "甲七" in problem.message
    assert Path(problem.span.file).name == "甲.yaml"


def test_variant_unit_is_scored_by_its_own_indicators(golden) -> None:
    second = golden.domains[1]
    y02 = second.index("Y02")
    assert not second.applicable["能耗"][y02] and second.applicable["专项"][y02]
    assert second.scores["专项"][y02] == pytest.approx(32)
    assert not second.applicable["专项"][second.index("Y01")]


def test_explanation_cites_rules_and_fills_in_numbers(golden) -> None:
    text = render_text(explain(golden, "甲七"))
    assert "甲七（J07）" in text and "剔除" in text
    assert "计入指标得分合计 23 ÷ 满分合计 40 × 60 = 34.5" in text
    assert "tests/golden/evaluate/rules/甲.yaml:" in text
    assert "3 * linear" not in text  # formulas show names and values, not our arithmetic
    assert "满分 * linear(值, 下限值, 目标值) = 30 * linear(7, 0, 10) = 21" in text
    assert "第 11 名，共 15 个单位" in text
    veto = render_text(explain(golden, "J12"))
    assert "一票否决 事故：成立" in veto and "第三等次：等次规则第 1 条" in veto


def test_explaining_an_unknown_or_ambiguous_unit(golden) -> None:
    with pytest.raises(KaoheError) as raised:
        explain(golden, "甲一百")
    assert raised.value.diagnostics[0].code == "KH301"


@pytest.mark.parametrize(
    "name,code,line,column",
    [
        # columns are character columns of the line, so the caret stands under the cell
        ("unknown_unit.csv", "KH301", 2, 1),
        ("unknown_unit_name.csv", "KH301", 2, 1),
        ("unknown_column.csv", "KH302", 1, 4),
        ("duplicate_value.csv", "KH303", 3, 5),
        ("not_a_number.csv", "KH304", 2, 5),
        ("long_form_not_a_number.csv", "KH304", 2, 8),
        ("out_of_range.csv", "KH305", 2, 5),
        ("invalid_choice.csv", "KH307", 2, 5),
        ("not_a_truth_value.csv", "KH304", 2, 5),
        ("ragged_row.csv", "KH308", 3, 1),
    ],
)
def test_bad_data_is_refused_with_file_row_and_column(tmp_path, name, code, line, column) -> None:
    shutil.copy(BAD / name, tmp_path / name)
    ruleset = load_rules(GOLDEN / "rules").resolved.ruleset
    with pytest.raises(KaoheError) as raised:
        read_data(tmp_path, ruleset)
    found = [(d.code, d.span.line, d.span.column) for d in raised.value.diagnostics]
    assert (code, line, column) in found


def test_gb18030_and_bom_files_read_alike(tmp_path: Path) -> None:
    text = (GOLDEN / "data" / "数据.csv").read_text(encoding="utf-8")
    for encoding in ("gb18030", "utf-8-sig"):
        folder = tmp_path / encoding
        folder.mkdir()
        (folder / "数据.csv").write_bytes(text.encode(encoding))
        shutil.copy(GOLDEN / "data" / "历史.csv", folder)
        assert result_rows(_evaluate(data=folder)) == result_rows(_evaluate())


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_outputs_are_byte_identical_and_independent_of_row_order(tmp_path, suffix) -> None:
    shuffled = tmp_path / "data"
    shuffled.mkdir()
    lines = (GOLDEN / "data" / "数据.csv").read_text(encoding="utf-8").splitlines()
    body = lines[2:]
    random.Random(7).shuffle(body)
    (shuffled / "数据.csv").write_text("\n".join(lines[:2] + body) + "\n", encoding="utf-8")
    shutil.copy(GOLDEN / "data" / "历史.csv", shuffled)
    first, again = render(_evaluate(), suffix), render(_evaluate(), suffix)
    other = render(_evaluate(data=shuffled), suffix)
    assert first == again
    if suffix == ".json":  # the fingerprint names the data's bytes, which the shuffle changed
        first, other = (json.loads(x)["结果"] for x in (first, other))
        assert first == other
    elif suffix == ".csv":
        assert first.split(b"\n", 1)[1] == other.split(b"\n", 1)[1]


def test_workbook_has_the_promised_sheets(golden, tmp_path: Path) -> None:
    path = tmp_path / "结果.xlsx"
    write_atomically(path, render(golden, ".xlsx"))
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.sheetnames == ["结果", "指标得分", "分类统计", "说明"]
    assert book["结果"].max_row == 26
    about = {name: value for name, value in book["说明"].values}
    assert about["指纹"] == golden.fingerprint
    assert zipfile.is_zipfile(path)


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old", encoding="utf-8")
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_inputs_are_not_modified(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in (GOLDEN / "data").iterdir()}
    _evaluate()
    assert before == {p: p.read_bytes() for p in (GOLDEN / "data").iterdir()}


def test_the_readme_main_job_prints_429_units() -> None:
    result = CliRunner().invoke(cli, ["evaluate"])
    assert result.exit_code == 0, result.output
    assert "共 429 个考核对象 · 2024 年度" in result.output
    assert len([line for line in result.stdout.splitlines() if line[:1].isalnum()]) >= 429


def test_evaluate_writes_a_file(tmp_path: Path) -> None:
    path = tmp_path / "结果.json"
    args = ["evaluate", "--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
    result = CliRunner().invoke(cli, [*args, "-o", str(path)])
    assert result.exit_code == 0
    body = json.loads(path.read_text(encoding="utf-8"))
    assert len(body["结果"]) == 25 and body["指纹"]


def test_explain_command_by_id_and_json() -> None:
    args = ["--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
    result = CliRunner().invoke(cli, ["explain", "Y02", *args, "--format", "json"])
    body = json.loads(result.stdout)
    assert body["单位"] == "乙二" and body["等次"]["等次"] == "第二等次"
    names = [i["指标"] for i in body["考卷"][0]["指标"]]
    assert names == ["利润", "专项"]


def test_workbook_data_reads_like_csv(tmp_path: Path) -> None:
    """XLSX input: visible sheets are read, hidden ones ignored, numbers stay numbers."""
    from openpyxl import Workbook

    lines = (GOLDEN / "data" / "数据.csv").read_text(encoding="utf-8").splitlines()[1:]
    rows = list(csv.reader(lines))
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    for row in rows:
        sheet.append([float(v) if v.replace(".", "", 1).isdigit() else v for v in row])
    hidden = book.create_sheet("草稿")
    hidden.append(["编号", "增速"])
    hidden.append(["J01", "这一页是隐藏的草稿"])
    hidden.sheet_state = "hidden"
    folder = tmp_path / "data"
    folder.mkdir()
    book.save(folder / "数据.xlsx")
    shutil.copy(GOLDEN / "data" / "历史.csv", folder)
    assert result_rows(_evaluate(data=folder)) == result_rows(_evaluate())
