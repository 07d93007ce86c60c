"""kaohe report: the HTML page's structure on the golden year, and rendering it in Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli.report import report
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.outputs.html_report import build_report
from kaohe_rules.pipeline import load_rules
from kaohe_rules.read.data import read_data
from kaohe_rules.score.engine import evaluate_year
from tests.chromium import console, png_size, run_chromium
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "evaluate"
CHARTS = ["tiers", "distribution", "papers", "trend", "problems"]


def _evaluate(rules: Path = GOLDEN / "rules", data: Path = GOLDEN / "data"):
    loaded = load_rules(rules)
    return evaluate_year(loaded.resolved, read_data(data, loaded.resolved.ruleset))


class Page(HTMLParser):
    """Every element with its attributes and the chart (svg) it is in; table rows' text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], str | None]] = []
        self.charts: list[str] = []
        self.rows: list[tuple[list[str], str]] = []
        self._chart: str | None = None
        self._row: list[str] | None = None
        self._row_class = ""
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "svg":
            self._chart = attributes.get("data-chart")
            self.charts.append(self._chart)
        self.elements.append((tag, attributes, self._chart))
        if tag == "tr":
            self._row, self._row_class = [], attributes.get("class", "")
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if tag == "svg":
            self._chart = None
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append((self._row, self._row_class))
            self._row = None

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def marks(self, chart: str, cls: str) -> list[dict[str, str]]:
        return [
            a
            for _tag, a, where in self.elements
            if where == chart and cls in a.get("class", "").split()
        ]


@pytest.fixture(scope="module")
def golden():
    return _evaluate()


@pytest.fixture(scope="module")
def page(golden) -> Page:
    return Page(build_report(golden))


def test_one_svg_per_chart(page) -> None:
    assert page.charts == CHARTS


def test_tier_counts_per_domain_and_category(page) -> None:
    segments = page.marks("tiers", "seg")
    counts = {
        (s["data-domain"], s["data-category"], s["data-tier"]): int(s["data-count"])
        for s in segments
    }
    assert len(segments) == len(counts) == 10  # only tiers a category has get a segment
    assert counts == {
        ("甲", "全部", "第一等次"): 1,
        ("甲", "全部", "第二等次"): 12,
        ("甲", "全部", "第三等次"): 2,
        ("乙", "大", "第一等次"): 1,
        ("乙", "大", "第二等次"): 2,
        ("乙", "小", "第一等次"): 1,
        ("乙", "小", "第二等次"): 2,
        ("丙", "全部", "第一等次"): 1,
        ("丙", "全部", "第二等次"): 1,
        ("丙", "全部", "第三等次"): 2,
    }
    # Best tier first along each bar.
    tiers = [s["data-tier"] for s in segments if s["data-domain"] == "甲"]
    assert tiers == ["第一等次", "第二等次", "第三等次"]


def test_distribution_has_every_unit_and_the_cut_lines(page) -> None:
    dots = page.marks("distribution", "dot")
    assert len(dots) == 25
    assert Counter(d["data-group"] for d in dots) == {
        "甲 · 全部": 15,
        "乙 · 大": 3,
        "乙 · 小": 3,
        "丙 · 全部": 4,
    }
    cuts = {
        (c["data-group"], c["data-kind"]): c["data-total"]
        for c in page.marks("distribution", "cut")
    }
    # Lowest 第一等次 and highest 第三等次 total per category; 乙 has no 第三等次 this year.
    assert cuts == {
        ("甲 · 全部", "top"): "100",
        ("甲 · 全部", "bottom"): "74",  # 甲十二, vetoed: above 甲十三 (71, 第二等次)
        ("乙 · 大", "top"): "88",
        ("乙 · 小", "top"): "77",
        ("丙 · 全部", "top"): "90",
        ("丙 · 全部", "bottom"): "70",
    }


def test_paper_contributions(page) -> None:
    bars = page.marks("papers", "bar")
    means = {(b["data-domain"], b["data-paper"]): b["data-mean"] for b in bars}
    # 甲 业绩: (60+55+55+48+46+43+34.5+40+40+37+37+34+31+26.5+25) / 15 = 612 / 15.
    assert means == {
        ("甲", "基础"): "40",
        ("甲", "业绩"): "40.8",
        ("乙", "业绩"): "66.5",
        ("丙", "业绩"): "75",
    }
    assert len(page.marks("papers", "weight")) == 4


def test_trend_of_the_first_unit_of_the_roster(page) -> None:
    points = page.marks("trend", "point")
    assert [(p["data-year"], p["data-rank"]) for p in points] == [
        ("2022", "1"),
        ("2023", "1"),
        ("2024", "1"),
    ]
    chips = page.marks("trend", "chip")
    assert [c["data-tier"] for c in chips] == ["第一等次"] * 3


def test_trend_of_a_chosen_unit(golden) -> None:
    chosen = Page(build_report(golden, unit="甲二"))
    points = chosen.marks("trend", "point")
    assert [(p["data-year"], p["data-rank"]) for p in points] == [
        ("2022", "1"),
        ("2023", "2"),
        ("2024", "2"),
    ]
    assert [c["data-tier"] for c in chosen.marks("trend", "chip")] == [
        "第一等次",
        "第一等次",
        "第二等次",
    ]
    # A unit without history has this year only.
    alone = Page(build_report(golden, unit="B03"))
    assert [p["data-year"] for p in alone.marks("trend", "point")] == ["2024"]
    with pytest.raises(KaoheError):
        build_report(golden, unit="没有这个单位")


def test_problem_summary(page) -> None:
    bars = page.marks("problems", "bar")
    # 甲: 增速 below 18 for 甲十–甲十五 (6), 排名值 below 6 for 甲四–甲十五 (12);
    # 乙: 利润 乙二 30 and 乙五 0 (missing, scored zero), 能耗 乙一 20 and 乙四 0; 丙 has none.
    assert {b["data-domain"]: int(b["data-count"]) for b in bars} == {"甲": 18, "乙": 4, "丙": 0}


def test_problem_summary_follows_the_domains_problem_rule(tmp_path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    with (rules / "甲.yaml").open("a", encoding="utf-8") as file:
        file.write("问题清单: {得分率低于: 30%}\n")
    bars = Page(build_report(_evaluate(rules))).marks("problems", "bar")
    # 甲 at 30%: 增速 below 9 is 甲十四 4.5 and 甲十五 3 (甲十三's 9 is not below);
    # 排名值 below 3 is 甲五–甲十五 at 2 (11). 乙 keeps the default 60%.
    assert {b["data-domain"]: int(b["data-count"]) for b in bars} == {"甲": 13, "乙": 4, "丙": 0}


def test_indicator_table_flags_indicators_without_spread(page) -> None:
    table = [cells for cells, _cls in page.rows if len(cells) == 10 and cells[0] != "领域"]
    assert [(c[0], c[2]) for c in table] == [
        ("甲", "增速"),
        ("甲", "成本率"),
        ("甲", "排名值"),
        ("乙", "利润"),
        ("乙", "能耗"),
        ("乙", "专项"),
    ]
    flagged = [cells[2] for cells, cls in page.rows if cls == "flagged"]
    assert flagged == ["成本率"]  # 专项 scores one unit only: no spread to judge
    cost = next(c for c in table if c[2] == "成本率")
    # 14 units counted (甲七 excluded), all at full marks.
    assert cost[3:9] == ["14", "20", "20", "100%", "100%", "0"]


def test_self_contained_and_escaped(page, golden, tmp_path) -> None:
    text = build_report(golden)
    assert not re.search(r"https?://", text)
    for tag, attributes, _chart in page.elements:
        assert tag not in ("script", "link", "img", "iframe", "object"), tag
        for name in ("src", "href", "xlink:href"):
            value = attributes.get(name, "")
            assert not value or value.startswith("#"), (tag, name, value)
    assert '<meta charset="utf-8">' in text and '<html lang="zh-CN">' in text
    assert "@media print" in text

    rules = tmp_path / "rules"
    shutil.copytree(GOLDEN / "rules", rules)
    roster = rules / "名单.yaml"
    roster.write_text(
        roster.read_text(encoding="utf-8").replace("名称: 甲一,", '名称: "甲<一>&\'",'),
        encoding="utf-8",
    )
    odd = build_report(_evaluate(rules))
    assert "甲&lt;一&gt;&amp;&#x27;" in odd and "甲<一>" not in odd
    Page(odd)


def test_byte_identical_across_runs(tmp_path) -> None:
    runner = CliRunner()
    outputs = []
    for n in range(2):
        path = tmp_path / f"{n}.html"
        arguments = ["--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
        result = runner.invoke(report, [*arguments, "-o", str(path)])
        assert result.exit_code == 0, result.output
        assert "已写出" in result.output
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] == build_report(_evaluate()).encode("utf-8")


def test_cli_defaults_and_errors(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(report, [])  # bundled rules and samples, 考核报告.html
    assert result.exit_code == 0, result.output
    text = (tmp_path / "考核报告.html").read_text(encoding="utf-8")
    assert Page(text).charts == CHARTS
    golden = ["--rules", str(GOLDEN / "rules"), "--data", str(GOLDEN / "data")]
    result = runner.invoke(report, [*golden, "--unit", "甲一百"])
    assert result.exit_code == 1 and "KH301" in result.output
    result = runner.invoke(report, [*golden, "-o", "报告.txt"])
    assert result.exit_code == 2 and ".html" in result.output


# -- in a browser ----------------------------------------------------------------------


def _png_pixels(data: bytes) -> bytes:
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    return zlib.decompress(b"".join(chunks))


def test_console_check_catches_errors(tmp_path) -> None:
    """The check below would see a script error: it is not vacuous."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>missing();</script>", encoding="utf-8")
    result = run_chromium(bad, "--dump-dom")
    assert any("Uncaught ReferenceError" in line for line in console(result.stderr))


def test_renders_in_chromium(golden, tmp_path) -> None:
    path = tmp_path / "考核报告.html"
    path.write_bytes(build_report(golden).encode("utf-8"))

    dom = run_chromium(path, "--dump-dom")
    assert console(dom.stderr) == []
    rendered = Page(dom.stdout)
    assert rendered.charts == CHARTS
    assert len(rendered.marks("tiers", "seg")) == 10
    assert len(rendered.marks("distribution", "dot")) == 25
    assert len(rendered.marks("distribution", "cut")) == 6
    assert len(rendered.marks("papers", "bar")) == 4
    assert len(rendered.marks("trend", "point")) == 3
    assert len(rendered.marks("problems", "bar")) == 3

    shot = tmp_path / "report.png"
    result = run_chromium(
        path, "--hide-scrollbars", "--window-size=900,2500", f"--screenshot={shot}"
    )
    assert console(result.stderr) == []
    data = shot.read_bytes()
    assert png_size(data) == (900, 2500)
    assert len(data) > 50_000  # text and charts, not a blank page
    pixels = _png_pixels(data)
    assert len(set(pixels[: len(pixels) // 2])) > 100  # many colours in the upper half (charts)
