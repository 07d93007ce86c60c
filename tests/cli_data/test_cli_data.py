"""Which data a command computes (never a guess), the sample notice, and numbers in files.

Fixtures: ``rules/`` + ``data/`` are a user's own small year (labels 风险系数 = 问题数 × 0.1,
binary noise for 问题数 3, and 问题分 = 问题数 × 2, whole numbers); ``rules_2031/`` is the
same rule set for a year that has no bundled sample.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.read.bundled import NOTICE

HERE = Path(__file__).parent
RULES, DATA, RULES_2031 = HERE / "rules", HERE / "data", HERE / "rules_2031"
ROOT = HERE.parent.parent
OWN = ["--rules", str(RULES), "--data", str(DATA)]


def kaohe(*words: object):
    result = CliRunner().invoke(cli, [str(w) for w in words], catch_exceptions=False)
    return result.exit_code, result.output


# -- no silent default on data ------------------------------------------------------------

COMMANDS = [
    ["evaluate"],
    ["explain", "杭州市"],
    ["report"],
    ["feedback"],
    ["attribute"],
    ["publish"],
    ["analyze", "indicators"],
    ["analyze", "domains"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_rules_without_data_is_a_usage_error_with_a_hint(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # publish and report must not write anything
    code, output = kaohe(*command, "--rules", RULES)
    assert code == 2, output
    assert "error KH501 data-not-chosen" in output
    assert "没有给数据" in output
    assert "提示: 用 --data 数据文件夹 指定数据" in output and "加 --sample" in output
    assert list(tmp_path.iterdir()) == []


def test_data_without_rules_or_year_is_refused():
    code, output = kaohe("evaluate", "--data", DATA)
    assert code == 2
    assert "error KH501 data-not-chosen: 只给了 --data，没有说按哪个规则集计算" in output
    assert "--rules" in output and "--year" in output


def test_sample_and_data_together_are_refused():
    code, output = kaohe("evaluate", *OWN, "--sample")
    assert code == 2
    assert "KH501" in output and "--sample 与 --data 不能同时使用" in output


def test_sample_is_the_rule_sets_declared_year_not_its_folder_name(tmp_path):
    # A rule set in a folder named 2024 that declares 2031: no sample, not samples/2024.
    folder = tmp_path / "2024"
    shutil.copytree(RULES_2031, folder)
    code, output = kaohe("evaluate", "--rules", folder, "--sample")
    assert code == 2
    assert "error KH502 no-sample-data: 没有 2031 年度的内置示例数据" in output
    assert "2023、2024" in output


def test_half_year_sample_refused_where_there_is_none():
    code, output = kaohe("evaluate", "--year", "2023", "--period", "H1")
    assert code == 2
    assert "KH502" in output and "2023 年度半年评估" in output


def test_rules_with_sample_computes_the_bundled_sample_and_says_so():
    code, output = kaohe("evaluate", "--rules", ROOT / "rules" / "2024", "--sample")
    demo_code, demo = kaohe("evaluate")
    assert code == demo_code == 0
    assert output == demo
    assert NOTICE in output.splitlines()


def test_year_and_data_use_the_bundled_rules(tmp_path):
    data = tmp_path / "我的数据"
    shutil.copytree(ROOT / "samples" / "2024", data)
    code, output = kaohe("evaluate", "--year", "2024", "--data", data)
    assert code == 0, output
    assert "共 429 个考核对象" in output


# -- the notice, in every output of the demo, in none of the user's ------------------------


def test_demo_terminal_says_sample_next_to_the_fingerprint():
    code, output = kaohe("evaluate")
    assert code == 0
    lines = output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("共 429 个考核对象"))
    assert lines[at + 1] == "数据：内置的合成示例数据（并非真实考核数据）"


def test_demo_files_say_sample(tmp_path):
    for suffix in ("csv", "json", "xlsx"):
        code, output = kaohe("evaluate", "-o", tmp_path / f"结果.{suffix}")
        assert code == 0 and NOTICE in output
    first = (tmp_path / "结果.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith("# 指纹 ") and first.endswith(f" · {NOTICE}")
    body = json.loads((tmp_path / "结果.json").read_text(encoding="utf-8"))
    assert body["示例数据"] is True and body["数据说明"] == NOTICE
    book = _workbook(tmp_path / "结果.xlsx")
    assert book.active.title == "说明"
    assert [c.value for c in book["说明"][1]] == ["数据", NOTICE]


def test_own_data_files_say_nothing_of_samples(tmp_path):
    code, output = kaohe("evaluate", *OWN)
    assert code == 0 and "示例" not in output
    for suffix in ("csv", "json", "xlsx"):
        code, output = kaohe("evaluate", *OWN, "-o", tmp_path / f"结果.{suffix}")
        assert code == 0 and "示例" not in output
    first = (tmp_path / "结果.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first == "# 指纹 42508b784a72140b"
    body = json.loads((tmp_path / "结果.json").read_text(encoding="utf-8"))
    assert body["示例数据"] is False and "数据说明" not in body
    book = _workbook(tmp_path / "结果.xlsx")
    assert book.active.title == "结果"
    assert all("示例" not in str(c.value) for row in book["说明"].iter_rows() for c in row)


def test_explain_says_sample_in_text_and_json():
    code, text = kaohe("explain", "淳安县")
    assert code == 0 and text.splitlines()[2] == NOTICE
    code, out = kaohe("explain", "淳安县", "--format", "json")
    body = json.loads(out)
    assert body["示例数据"] is True and body["数据说明"] == NOTICE
    code, own = kaohe("explain", "杭州市", *OWN, "--format", "json")
    assert json.loads(own)["示例数据"] is False
    assert "示例" not in kaohe("explain", "杭州市", *OWN)[1]


def test_report_has_a_banner_only_for_the_sample(tmp_path):
    assert kaohe("report", "-o", tmp_path / "示例.html")[0] == 0
    assert kaohe("report", *OWN, "-o", tmp_path / "自己.html")[0] == 0
    sample = (tmp_path / "示例.html").read_text(encoding="utf-8")
    own = (tmp_path / "自己.html").read_text(encoding="utf-8")
    assert 'role="alert" style=' in sample and NOTICE in sample
    assert "示例" not in own


@pytest.mark.parametrize(
    "command",
    [["feedback"], ["attribute"], ["analyze", "domains"], ["analyze", "indicators"]],
    ids=" ".join,
)
def test_tables_of_other_commands_say_sample(command, tmp_path):
    code, output = kaohe(*command)
    assert code == 0 and NOTICE in output.splitlines()
    for suffix in ("csv", "json"):
        path = tmp_path / f"表.{suffix}"
        code, _ = kaohe(*command, "-o", path)
        text = path.read_text(encoding="utf-8-sig")
        assert "内置的合成示例数据（并非真实考核数据）" in text
    rows = list(csv.reader(io.StringIO((tmp_path / "表.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == "数据"
    code, own = kaohe(*command, *OWN)
    assert code == 0 and "示例" not in own


def test_diff_and_publish_say_sample(tmp_path):
    rules = ROOT / "rules" / "2024"
    code, output = kaohe("diff", rules, rules, "--data", ROOT / "samples" / "2024")
    assert code == 0 and NOTICE in output.splitlines()
    code, output = kaohe("diff", RULES, RULES, "--data", DATA, "--format", "json")
    assert json.loads(output)["示例数据"] is False
    code, output = kaohe("publish", "--archive", tmp_path / "归档.sqlite")
    assert code == 0 and NOTICE in output.splitlines()


def test_sample_recognised_by_content_wherever_it_is(tmp_path):
    """Copied elsewhere, the sample is still the sample: same fingerprint, same notice,
    same bytes, as the fingerprint already promises for the same inputs."""
    data = tmp_path / "看起来是我的数据"
    shutil.copytree(ROOT / "samples" / "2024", data)
    rules = ROOT / "rules" / "2024"
    kaohe("evaluate", "--rules", rules, "--data", data, "-o", tmp_path / "a.json")
    kaohe("evaluate", "-o", tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    # One file changed: the notice names the files that are still the sample.
    (data / "指标值.csv").write_text(
        (data / "指标值.csv").read_text(encoding="utf-8-sig") + "\n", encoding="utf-8"
    )
    _code, output = kaohe("evaluate", "--rules", rules, "--data", data)
    last = next(line for line in output.splitlines() if line.startswith("数据："))
    assert last.startswith("数据：其中 ")
    assert last.endswith("是内置的合成示例数据（并非真实考核数据）")
    assert "历史.csv" in last and "年度数据.csv" in last and "指标值.csv" not in last


# -- numbers in files are the terminal's numbers -------------------------------------------


def _terminal_cells() -> dict[tuple[str, str], str]:
    code, output = kaohe("evaluate", *OWN)
    assert code == 0
    lines = output.splitlines()
    header = lines[0].split()
    rows = lines[1 : next(i for i, line in enumerate(lines) if line.startswith("共 "))]
    return {
        (cells[0], name): cell
        for cells in (line.split() for line in rows)
        for name, cell in zip(header, cells, strict=True)
    }


def test_numbers_in_csv_json_xlsx_are_the_terminals(tmp_path):
    shown = _terminal_cells()
    for suffix in ("csv", "json", "xlsx"):
        assert kaohe("evaluate", *OWN, "-o", tmp_path / f"结果.{suffix}")[0] == 0
    lines = (tmp_path / "结果.csv").read_text(encoding="utf-8-sig").splitlines()
    from_csv = list(csv.DictReader(lines[1:]))
    from_json = json.loads((tmp_path / "结果.json").read_text(encoding="utf-8"))["结果"]
    sheet = _workbook(tmp_path / "结果.xlsx")["结果"]
    names = [c.value for c in sheet[1]]
    from_xlsx = [
        dict(zip(names, [c.value for c in row], strict=True)) for row in sheet.iter_rows(2)
    ]
    for row_csv, row_json, row_xlsx in zip(from_csv, from_json, from_xlsx, strict=True):
        unit = row_csv["编号"]
        for name in ("总分", "名次", "风险系数", "问题分"):
            assert row_csv[name] == shown[(unit, name)], (unit, name)
            assert _text(row_json[name]) == shown[(unit, name)], (unit, name)
            assert _text(row_xlsx[name]) == shown[(unit, name)], (unit, name)


def test_noise_and_whole_numbers(tmp_path):
    """风险系数 of 杭州市 is 3 × 0.1 (0.30000000000000004 in binary) and 问题分 is 6: the
    files write 0.3 and 6, never the noise nor 6.0."""
    for suffix in ("csv", "json"):
        kaohe("evaluate", *OWN, "-o", tmp_path / f"结果.{suffix}")
    text = (tmp_path / "结果.csv").read_text(encoding="utf-8-sig")
    assert "330100,杭州市,市县,设区市,27,62.5,0,1.5,否,88,1,1,第二等次,否,0.3,6\n" in text
    raw = (tmp_path / "结果.json").read_text(encoding="utf-8")
    assert "0000000" not in raw and ".0," not in raw and ".0\n" not in raw
    first = json.loads(raw)["结果"][0]
    assert first["风险系数"] == 0.3 and type(first["问题分"]) is int and first["问题分"] == 6
    assert type(first["总分"]) is int and type(first["名次"]) is int
    _code, out = kaohe("explain", "杭州市", *OWN, "--format", "json")
    labels = {label["标签"]: label for label in json.loads(out)["标签"]}
    assert labels["风险系数"]["计分"]["value"] == 0.3
    assert type(labels["问题分"]["计分"]["value"]) is int


def test_files_are_the_same_bytes_each_run(tmp_path):
    for suffix in ("csv", "json", "xlsx"):
        kaohe("evaluate", "-o", tmp_path / f"a.{suffix}")
        kaohe("evaluate", "-o", tmp_path / f"b.{suffix}")
        assert (tmp_path / f"a.{suffix}").read_bytes() == (tmp_path / f"b.{suffix}").read_bytes()


def _text(value: object) -> str:
    from kaohe_rules.source import cell_text

    return cell_text(value)


def _workbook(path: Path):
    from openpyxl import load_workbook

    return load_workbook(path)


def test_other_tables_write_whole_numbers_as_integers(tmp_path):
    """analyze: 满分 30 is 30, not 30.0, as the terminal shows. diff --data: a label that
    changes from 问题数 × 0.1 to 问题数 × 0.2 is [0.3, 0.6] for 杭州市, not binary noise."""
    code, out = kaohe("analyze", "indicators", *OWN, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {type(r["满分"]) for r in rows} == {int}
    changed = tmp_path / "rules"
    shutil.copytree(RULES, changed)
    ruleset = changed / "规则集.yaml"
    text = ruleset.read_text(encoding="utf-8").replace("问题数 * 0.1", "问题数 * 0.2")
    ruleset.write_text(text, encoding="utf-8")
    code, out = kaohe("diff", RULES, changed, "--data", DATA, "--format", "json")
    moved = {m["名称"]: m for m in json.loads(out)["影响"]}
    assert code == 0 and moved["杭州市"]["标签变化"]["风险系数"] == [0.3, 0.6]
    assert moved["文成县"]["标签变化"]["风险系数"] == [1.2, 2.4]
    assert "0000000" not in out
