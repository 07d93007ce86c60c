"""kaohe analyze: figures derived by hand from tests/golden/evaluate/README.md.

甲（全部，15 个单位）
  增速得分 30,27,27,24,24,21,21,18,18,15,15,12,9,4.5,3：合计 268.5，平均 17.9；满分 1 个
  → 1/15 = 0.0667；没有零分。成本率：甲七剔除，其余 14 个都是 20 → 不区分。
  排名值得分 10,8,8,4 和 11 个 2：合计 52，平均 3.4667。基础（公式）都是 40 → 不区分。
  总分合计 1212.5，平均 80.8333，中位数（第 8 个）80；等次 1/12/2。
  业绩合计 612，平均 40.8，占 40.8/80.8333 = 0.5047；基础 40/80.8333 = 0.4948；
  加分 (2+1)/15 = 0.2，扣分 (2+0.5)/15 = 0.1667。
乙 大：利润 60,30,48 平均 46；能耗只有乙一 20、乙三 40（乙二删除）；专项只有乙二 32（1 个单位，
  不标不区分）；总分 80,62,88 平均 76.6667，中位数 80。
乙 小：利润 60,0,45 平均 35，零分 1/3；能耗 0,32,32 平均 21.3333；总分 60,32,77 平均 56.3333。
丙：业绩（公式，满分 100）90,80,70,60 平均 75；等次 1/1/2。

趋势：第一年（2023）是黄金数据，第二年（2024）是 data_next/（甲二 增速 2.5，甲十五 增速 9.5，
乙五 利润 40，新增 丙五 基础分 85）。
  甲二 业绩 7.5+20+8 = 35.5，总分 75.5；甲十五 业绩 28.5+20+2 = 50.5，总分 40+50.5+1 = 91.5。
  名次：甲一 1、甲三 2、甲十五 3、甲四…甲十一 4–10 不变、甲二 11、甲七 12、甲十二 13、
  甲十三 14、甲十四 15。变化：甲十五 +12、甲三 +1；甲二 −9、甲七、甲十二、甲十三、甲十四 各 −1。
  等次：甲十二否决；末位 2 个否决占 1 个，另取甲十四 → 第三等次；甲十五 → 第二等次。
  乙 小：标杆 40，乙四 60、乙五 60+32 = 92、乙六 45+32 = 77
    → 乙五 1（+2）、乙六 2（−1）、乙四 3（−1）。
  丙：丙一 90、丙五 85、丙二 80、丙三 70、丙四 60 → 丙二、丙三、丙四 各 −1，丙五 新增无变化。
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kaohe_rules.cli.analyze import analyze
from kaohe_rules.outputs.analysis import domain_table, indicator_table, tier_order, trend
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "evaluate"
NEXT = Path(__file__).parent / "data_next"
GOLDEN_ARGS = ["--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
B05 = "  - {编号: B05, 名称: 丙五, 领域: 丙, 类型: 丙}\n"


def _evaluate(rules: Path, data: Path):
    loaded = load_rules(rules)
    return evaluate_year(loaded.resolved, read_data(data, loaded.resolved.ruleset))


@pytest.fixture(scope="module")
def golden():
    return _evaluate(GOLDEN / "rules", GOLDEN / "data")


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> tuple[Path, Path]:
    """Rules and data roots with one folder per year: 2023 the golden year, 2024 the next."""
    base = tmp_path_factory.mktemp("trend")
    rules, data = base / "rules", base / "data"
    shutil.copytree(GOLDEN / "rules", rules / "2023")
    shutil.copytree(GOLDEN / "rules", rules / "2024")
    with (rules / "2024" / "名单.yaml").open("a", encoding="utf-8") as roster:
        roster.write(B05)
    shutil.copytree(GOLDEN / "data", data / "2023")
    shutil.copytree(NEXT, data / "2024")
    return rules, data


def _invoke(*args: str):
    result = CliRunner().invoke(analyze, list(args), catch_exceptions=False)
    return result


def _rows(table) -> dict[tuple, dict]:
    return {(r["领域"], r["类别"], r["指标"]): r for r in table.records()}


# -- indicators ------------------------------------------------------------------------------


def test_indicators_of_the_golden_year(golden) -> None:
    table = indicator_table(golden)
    rows = _rows(table)
    growth = rows[("甲", "全部", "增速")]
    assert growth["考卷"] == "业绩" and (growth["满分"], growth["权重"]) == (30.0, 0.3)
    assert (growth["单位数"], growth["剔除数"]) == (15, 0)
    assert (growth["平均分"], growth["最低分"], growth["最高分"]) == (17.9, 3.0, 30.0)
    assert (growth["满分占比"], growth["零分占比"], growth["不区分"]) == (0.0667, 0.0, "否")
    cost = rows[("甲", "全部", "成本率")]
    assert (cost["单位数"], cost["剔除数"], cost["平均分"]) == (14, 1, 20.0)
    assert (cost["满分占比"], cost["不区分"]) == (1.0, "是")
    place = rows[("甲", "全部", "排名值")]
    assert (place["平均分"], place["最低分"], place["最高分"]) == (3.4667, 2.0, 10.0)
    assert place["满分占比"] == 0.0667
    base = rows[("甲", "全部", "（公式）")]
    assert (base["考卷"], base["满分"], base["权重"], base["不区分"]) == ("基础", 40.0, 0.4, "是")

    profit = rows[("乙", "大", "利润")]
    assert (profit["单位数"], profit["平均分"], profit["满分占比"]) == (3, 46.0, 0.3333)
    energy = rows[("乙", "大", "能耗")]
    assert (energy["单位数"], energy["平均分"], energy["满分占比"]) == (2, 30.0, 0.5)
    special = rows[("乙", "大", "专项")]
    assert (special["单位数"], special["平均分"], special["不区分"]) == (1, 32.0, "否")
    small = rows[("乙", "小", "利润")]
    assert (small["平均分"], small["最低分"], small["零分占比"]) == (35.0, 0.0, 0.3333)
    small_energy = rows[("乙", "小", "能耗")]
    assert (small_energy["平均分"], small_energy["零分占比"]) == (21.3333, 0.3333)
    assert ("乙", "小", "专项") not in rows  # only 乙二 (大) has it
    third = rows[("丙", "全部", "（公式）")]
    assert (third["满分"], third["权重"], third["平均分"], third["满分占比"]) == (100, 1, 75, 0)

    order = [(r[0], r[1], r[3]) for r in table.rows]
    assert order[:4] == [
        ("甲", "全部", "（公式）"),
        ("甲", "全部", "增速"),
        ("甲", "全部", "成本率"),
        ("甲", "全部", "排名值"),
    ]
    assert len(order) == 10


def test_indicators_as_text_and_json() -> None:
    result = _invoke("indicators", *GOLDEN_ARGS)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "领域",
        "类别",
        "考卷",
        "指标",
        "满分",
        "权重",
        "单位数",
        "剔除数",
        "平均分",
        "最低分",
        "最高分",
        "满分占比",
        "零分占比",
        "不区分",
    ]
    expected = ["增速", "30", "0.3", "15", "0", "17.9", "3", "30", "0.0667", "0", "否"]
    assert lines[2].split()[3:] == expected
    assert lines[-1] == "2024 年度 · 指纹 60d894d6ce897295"
    # Columns line up by display width: 不区分 starts at the same terminal column in every row.
    from kaohe_rules.source import display_width

    starts = {display_width(line[: line.rindex(" ") + 1]) for line in lines[1:-1]}
    assert len(starts) == 1

    result = _invoke("indicators", *GOLDEN_ARGS, "--format", "json")
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 10
    assert rows[1]["指标"] == "增速" and rows[1]["平均分"] == 17.9


# -- domains ---------------------------------------------------------------------------------


def test_domains_of_the_golden_year(golden) -> None:
    table = domain_table(golden)
    assert table.header[:6] == ["领域", "类别", "单位数", "第一等次", "第二等次", "第三等次"]
    rows = {(r["领域"], r["类别"]): r for r in table.records()}
    assert list(rows) == [("甲", "全部"), ("乙", "大"), ("乙", "小"), ("丙", "全部")]
    first = rows[("甲", "全部")]
    assert (first["单位数"], first["第一等次"], first["第二等次"], first["第三等次"]) == (
        15,
        1,
        12,
        2,
    )
    assert (first["平均总分"], first["最低总分"], first["最高总分"]) == (80.8333, 66.0, 100.0)
    assert first["总分中位数"] == 80.0
    assert (first["基础平均分"], first["基础占比"]) == (40.0, 0.4948)
    assert (first["业绩平均分"], first["业绩占比"]) == (40.8, 0.5047)
    assert (first["平均加分"], first["平均扣分"]) == (0.2, 0.1667)
    big, small = rows[("乙", "大")], rows[("乙", "小")]
    assert (big["单位数"], big["第一等次"], big["第二等次"], big["第三等次"]) == (3, 1, 2, 0)
    assert (big["平均总分"], big["总分中位数"], big["业绩占比"]) == (76.6667, 80.0, 1.0)
    assert big["基础平均分"] is None and big["基础占比"] is None  # 乙 has no 基础 paper
    assert (small["平均总分"], small["最低总分"], small["总分中位数"]) == (56.3333, 32.0, 60.0)
    third = rows[("丙", "全部")]
    assert (third["第一等次"], third["第二等次"], third["第三等次"]) == (1, 1, 2)
    assert (third["平均总分"], third["总分中位数"]) == (75.0, 75.0)


def test_tiers_are_ordered_best_first(golden) -> None:
    # 甲.yaml names 第三等次 first (否决, 末位); 前列 gives 第一等次, the default 第二等次.
    assert tier_order([d.domain for d in golden.domains]) == ["第一等次", "第二等次", "第三等次"]


def test_domains_as_csv_and_xlsx(tmp_path: Path) -> None:
    result = _invoke("domains", *GOLDEN_ARGS, "--format", "csv")
    assert result.exit_code == 0
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0][:4] == ["领域", "类别", "单位数", "第一等次"]
    assert table[1][:7] == ["甲", "全部", "15", "1", "12", "2", "80.8333"]
    assert len(table) == 5

    path = tmp_path / "领域.csv"
    assert _invoke("domains", *GOLDEN_ARGS, "-o", str(path)).exit_code == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig").startswith("领域,类别,")

    path = tmp_path / "领域.xlsx"
    result = _invoke("domains", *GOLDEN_ARGS, "-o", str(path))
    assert result.exit_code == 0 and "已写出" in result.stdout
    book = load_workbook(path)
    assert book.sheetnames == ["领域分析", "说明"]
    sheet = book["领域分析"]
    rows = list(sheet.values)
    assert rows[0][:3] == ("领域", "类别", "单位数") and len(rows) == 5
    assert rows[1][:6] == ("甲", "全部", 15, 1, 12, 2)
    first = path.read_bytes()
    assert _invoke("domains", *GOLDEN_ARGS, "-o", str(path)).exit_code == 0
    assert path.read_bytes() == first  # byte-for-byte reproducible
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_xlsx_needs_an_output_file() -> None:
    result = CliRunner().invoke(analyze, ["domains", *GOLDEN_ARGS, "--format", "xlsx"])
    assert result.exit_code == 2 and "-o" in result.output


# -- trend -----------------------------------------------------------------------------------

RANKS_2024 = {
    "J01": 1, "J03": 2, "J15": 3, "J04": 4, "J05": 5, "J06": 6, "J08": 7, "J09": 8, "J10": 9,
    "J11": 10, "J02": 11, "J07": 12, "J12": 13, "J13": 14, "J14": 15,
    "Y03": 1, "Y01": 2, "Y02": 3, "Y05": 1, "Y06": 2, "Y04": 3,
    "B01": 1, "B05": 2, "B02": 3, "B03": 4, "B04": 5,
}  # fmt: skip
CHANGES = {
    "J15": 12, "J03": 1, "J02": -9, "J07": -1, "J12": -1, "J13": -1, "J14": -1,
    "Y05": 2, "Y04": -1, "Y06": -1, "B02": -1, "B03": -1, "B04": -1,
}  # fmt: skip


@pytest.fixture(scope="module")
def two_years(golden, roots):
    rules, data = roots
    return [(2024, _evaluate(rules / "2024", data / "2024")), (2023, golden)]


def test_trend_ranks_and_changes(two_years) -> None:
    result = trend(two_years)
    rows = {r["编号"]: r for r in result.table.records()}
    assert result.table.header[4:7] == ["2023年总分", "2023年名次", "2023年等次"]
    assert len(rows) == 26
    assert {uid: r["2024年名次"] for uid, r in rows.items()} == RANKS_2024
    changes = {uid: r["名次变化"] for uid, r in rows.items() if r["名次变化"]}
    assert changes == CHANGES
    assert rows["B05"]["2023年名次"] is None and rows["B05"]["名次变化"] is None
    assert (rows["J15"]["2023年总分"], rows["J15"]["2024年总分"]) == (66.0, 91.5)
    assert (rows["J15"]["2023年等次"], rows["J15"]["2024年等次"]) == ("第三等次", "第二等次")
    assert (rows["J14"]["2023年等次"], rows["J14"]["2024年等次"]) == ("第二等次", "第三等次")
    assert (rows["Y06"]["2023年等次"], rows["Y06"]["2024年等次"]) == ("第一等次", "第二等次")
    assert rows["J02"]["2024年总分"] == 75.5 and rows["Y05"]["2024年总分"] == 92.0
    marks = {uid: r["升降"] for uid, r in rows.items() if r["升降"]}
    assert marks == {
        "J15": "上升第1",
        "J03": "上升第2",
        "J02": "下降第1",
        "J07": "下降第2",
        "J12": "下降第3",
        "J13": "下降第4",
        "J14": "下降第5",
        "Y05": "上升第1",
        "Y04": "下降第1",
        "Y06": "下降第2",
        "B02": "下降第1",
        "B03": "下降第2",
        "B04": "下降第3",
    }
    movers = [(r[0], r[1], r[2], r[4], r[6], r[7], r[8]) for r in result.movers.rows]
    assert movers[:3] == [
        ("甲", "全部", "上升", "J15", 15, 3, 12),
        ("甲", "全部", "上升", "J03", 3, 2, 1),
        ("甲", "全部", "下降", "J02", 2, 11, -9),
    ]
    assert len(movers) == 13


def test_trend_top_cuts_each_group(two_years) -> None:
    result = trend(two_years, top=2)
    falling = [r[4] for r in result.movers.rows if r[:3] == ["甲", "全部", "下降"]]
    assert falling == ["J02", "J07"]  # J07, J12, J13, J14 all fell by 1: 编号 decides


def test_trend_command(roots, tmp_path: Path) -> None:
    rules, data = roots
    where = ["--rules-root", str(rules), "--data-root", str(data)]
    result = _invoke("trend", "--years", "2023", "2024", *where, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["编号"] for r in rows[:2]] == ["J01", "J02"]
    assert {r["编号"]: r["名次变化"] for r in rows if r["名次变化"]} == CHANGES

    text = _invoke("trend", "--years", "2023,2024", *where).stdout
    assert "升降最多（每个领域、类别）：" in text
    assert "2023–2024 年度 · 共 26 个考核对象" in text

    path = tmp_path / "趋势.xlsx"
    assert _invoke("trend", *where, "-o", str(path)).exit_code == 0  # all years of the root
    sheet = load_workbook(path)["年度趋势"]
    header = next(sheet.values)
    assert header[-2:] == ("名次变化", "升降") and "2024年名次" in header


def test_trend_needs_two_years(roots) -> None:
    rules, data = roots
    where = ["--rules-root", str(rules), "--data-root", str(data)]
    result = CliRunner().invoke(analyze, ["trend", "--years", "2024", *where])
    assert result.exit_code == 2 and "两个年度" in result.output
    result = CliRunner().invoke(analyze, ["trend", "--years", "二〇二四", *where])
    assert result.exit_code == 2
