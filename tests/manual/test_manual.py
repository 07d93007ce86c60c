"""`kaohe doc`: the indicator manual written as DOCX and HTML, read back as a reader
(python-docx, html.parser) sees it."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from tests.chromium import console, png_size, run_chromium
from tests.conftest import ROOT

HOSTILE = Path(__file__).parent / "hostile"


def _doc(rules: Path | str, output: Path, cwd: Path = ROOT) -> tuple[int, str]:
    here = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, ["doc", str(rules), "-o", str(output)])
    finally:
        os.chdir(here)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("manual")
    paths = {}
    for year in ("2023", "2024"):
        for suffix in (".docx", ".html"):
            path = folder / f"{year}{suffix}"
            code, output = _doc(f"rules/{year}", path)
            assert code == 0, output
            paths[f"{year}{suffix}"] = path
    return paths


# --- DOCX ----------------------------------------------------------------------------


def _docx_blocks(path: Path) -> list[tuple[str, object]]:
    """The document in order: ("Heading n"/"Title"/style, text) for paragraphs and
    ("table", rows of cell texts) for tables."""
    document = docx.Document(str(path))
    paragraphs = {p._p: p for p in document.paragraphs}
    tables = {t._tbl: t for t in document.tables}
    blocks = []
    for element in document.element.body.iterchildren():
        if element in paragraphs:
            paragraph = paragraphs[element]
            blocks.append((paragraph.style.name, paragraph.text))
        elif element in tables:
            rows = [[cell.text for cell in row.cells] for row in tables[element].rows]
            blocks.append(("table", rows))
    return blocks


def _table_after(blocks, style: str, text: str) -> list[list[str]]:
    index = blocks.index((style, text))
    kind, rows = blocks[index + 1]
    assert kind == "table", blocks[index + 1]
    return rows


def test_docx_has_the_domains_papers_and_an_indicator(written) -> None:
    blocks = _docx_blocks(written["2024.docx"])
    assert blocks[0] == ("Title", "2024 年度浙江省综合考核（示意）")
    assert blocks[1] == ("Subtitle", "考核指标及评分细则")
    domains = [text for style, text in blocks if style == "Heading 1"]
    assert domains == [
        "市县领域",
        "省直部门单位领域",
        "省属企业领域",
        "高校领域",
        "开发区（园区）领域",
        "专项考核：营商环境",
    ]
    papers = _table_after(blocks, "Heading 2", "考卷与权重")
    assert papers[0] == ["考卷", "名称", "权重", "计分"]
    assert papers[2] == ["发展", "高质量发展绩效考卷", "55", "12 个指标，满分合计 55 分"]
    rows = dict(_table_after(blocks, "Heading 3", "地区生产总值增速")[1:])
    assert rows["单位"] == "%"
    assert rows["满分"] == "6 分"
    assert rows["目标值"] == "5.5%" and rows["下限值"] == "3%"
    assert rows["计分方法"] == "线性"
    assert rows["计分规则"] == (
        "达到或高于目标值 5.5% 得满分 6 分；不高于下限值 3% 得 0 分；介于两者之间按线性插值。"
    )
    assert rows["公式"] == "满分 * linear(值, 下限值, 目标值)"
    assert rows["牵头单位"] == "省发展改革委" and rows["责任人"] == "政府主要负责人"


def test_docx_one_heading_and_table_per_indicator(written) -> None:
    from kaohe_rules.pipeline import load_rules

    ruleset = load_rules(ROOT / "rules" / "2024").resolved.ruleset
    blocks = _docx_blocks(written["2024.docx"])
    indicators = [text for style, text in blocks if style == "Heading 3"]
    expected = [i.name for d in ruleset.scored() for i in d.all_indicators()]
    assert sorted(indicators) == sorted(expected)
    for index, (style, _text) in enumerate(blocks):
        if style == "Heading 3":
            assert blocks[index + 1][0] == "table"
            assert blocks[index + 1][1][0] == ["项目", "内容"]


def test_docx_variants_adjustments_tiers(written) -> None:
    blocks = _docx_blocks(written["2024.docx"])
    start = blocks.index(("Heading 1", "省直部门单位领域"))
    section = blocks[start:]
    variants = _table_after(section, "Heading 2", "一单位一策")
    assert variants[0] == ["单位", "不考核的指标", "增设的指标", "调整"]
    by_unit = {row[0]: row for row in variants[1:]}
    assert by_unit["省财政厅"][3] == (
        "预算执行率 的目标值为 98%；预算执行率 的满分为 8 分；"
        "服务基层和市县发展评价 的满分为 4 分；服务基层和市县发展评价 的最低分为 2 分"
    )
    assert by_unit["省高级人民法院"][1:3] == [
        "行政复议纠错率、政务服务好差评满意率",
        "审判质效评估得分",
    ]
    tiers = _table_after(section, "Normal", "按顺序逐条判定，单位由第一条适用的规则定等次。")
    assert tiers[2] == [
        "2",
        "第三等次",
        '排名末 round_half_up(人数 * 10%) 名；但 类别 == "其他单位" 的单位除外',
    ]
    adjust = _table_after(section, "Heading 2", "加分与扣分")
    assert ["扣分", "问题扣分", "问题数 * 0.2", "3 分"] in adjust
    assert ("Normal", "加分合计不超过 3 分；扣分合计不超过 6 分。") in section
    vetoes = _table_after(section, "Normal", "满足下列任一条件的单位被否决。")
    assert ["重大安全事故", "重大事故数 > 0"] in vetoes


def test_added_indicator_says_whom_it_applies_to(written) -> None:
    blocks = _docx_blocks(written["2024.docx"])
    rows = dict(_table_after(blocks, "Heading 3", "重大项目投资完成率")[1:])
    assert rows["适用单位"] == "省发展改革委"
    assert rows["目标值"] == "100%"


# --- HTML ----------------------------------------------------------------------------


class _Reader(HTMLParser):
    """Tags opened, and the text of each element, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list]] = []
        self.texts: list[tuple[str, str]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))
        if tag not in ("meta",):
            self._open.append(tag)

    def handle_endtag(self, tag) -> None:
        assert self._open and self._open[-1] == tag, (tag, self._open)
        self._open.pop()

    def handle_data(self, data) -> None:
        if self._open and data.strip():
            self.texts.append((self._open[-1], data))


def _read_html(path: Path) -> _Reader:
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.close()
    return reader


ALLOWED = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4"}
ALLOWED |= {"p", "table", "tr", "th", "td"}


def test_html_is_self_contained_and_well_formed(written) -> None:
    reader = _read_html(written["2024.html"])
    assert {tag for tag, _a in reader.tags} <= ALLOWED
    # no attribute that fetches anything: only lang, charset and class
    names = {name for _t, attrs in reader.tags for name, _v in attrs}
    assert names <= {"lang", "charset", "class"}
    assert "http" not in written["2024.html"].read_text(encoding="utf-8")


def test_html_has_the_same_content(written) -> None:
    reader = _read_html(written["2024.html"])
    assert ("h1", "2024 年度浙江省综合考核（示意）") in reader.texts
    domains = [text for tag, text in reader.texts if tag == "h2"]
    assert domains[0] == "市县领域" and domains[-1] == "专项考核：营商环境"
    texts = [text for _tag, text in reader.texts]
    start = texts.index("地区生产总值增速", texts.index("地区生产总值增速") + 1)
    row = texts[start : start + 40]
    assert row[row.index("计分规则") + 1].startswith("达到或高于目标值 5.5% 得满分 6 分")
    assert row[row.index("公式") + 1] == "满分 * linear(值, 下限值, 目标值)"


def test_html_renders_in_chromium(written, tmp_path) -> None:
    """The page as a browser builds it holds every text of the file, in order, with no
    console message, and its picture is not blank."""
    page = written["2024.html"]
    dom = run_chromium(page, "--dump-dom")
    assert console(dom.stderr) == []
    rendered = _Reader()
    rendered.feed(dom.stdout)
    rendered.close()
    assert rendered.texts == _read_html(page).texts
    shot = tmp_path / "manual.png"
    result = run_chromium(
        page, "--hide-scrollbars", "--window-size=900,1700", f"--screenshot={shot}"
    )
    assert console(result.stderr) == []
    data = shot.read_bytes()
    assert png_size(data) == (900, 1700)
    assert len(data) > 50_000  # text and tables, not a blank page


def test_hostile_names_stay_text(tmp_path) -> None:
    page = tmp_path / "细则.html"
    code, output = _doc(HOSTILE, page)
    assert code == 0, output
    reader = _read_html(page)
    assert {tag for tag, _a in reader.tags} <= ALLOWED  # no <script>, <img>, <b>, <i>
    texts = [text for _tag, text in reader.texts]
    assert "<script>alert('指标')</script>事故率" in texts
    assert "</td></tr></table><script>alert(2)</script>" in texts
    assert "&amp; 分管副职" in texts  # shown as typed, not decoded into "&"
    assert "按公式计分：如果 值 < 3% 则 满分 否则 0" in texts
    assert ("h1", '<script>alert("名称")</script> & 测试') in reader.texts
    document = tmp_path / "细则.docx"
    assert _doc(HOSTILE, document)[0] == 0
    headings = [t for s, t in _docx_blocks(document) if s == "Heading 3"]
    assert headings == ["<script>alert('指标')</script>事故率", "增速 \"引号\" & 'apostrophe'"]


# --- the same rules, the same bytes; two years compare -----------------------------


def test_same_rules_same_bytes(written, tmp_path) -> None:
    for name in ("2024.docx", "2024.html"):
        again = tmp_path / name
        # another run, from another folder, naming the rules by an absolute path
        code, output = _doc(ROOT / "rules" / "2024", again, cwd=tmp_path)
        assert code == 0, output
        assert again.read_bytes() == written[name].read_bytes(), name


def test_two_years_differ_indicator_by_indicator(written) -> None:
    old = written["2023.html"].read_text(encoding="utf-8").splitlines()
    new = written["2024.html"].read_text(encoding="utf-8").splitlines()
    diff = list(difflib.unified_diff(old, new, lineterm="", n=0))
    # 2024 raised 重点工作任务完成率 from 12 to 16 points: one row changes within its block
    hunk = "\n".join(diff)
    assert "-<tr><td>满分</td><td>12 分</td></tr>\n+<tr><td>满分</td><td>16 分</td></tr>" in hunk
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert len(changed) < len(new) / 2  # a revision, not a rewrite


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules, output, code, words",
    [
        ("rules/nowhere", "x.html", "KH513", ["找不到规则集文件夹"]),
        ("rules/2024", "细则.pdf", "KH515", [".docx 或 .html"]),
        ("rules/2024", "no/such/folder/x.docx", "KH513", ["不存在"]),
        ("rules/2024", "", "KH507", ["文件名是空的"]),
    ],
)
def test_usage_errors(tmp_path, rules, output, code, words) -> None:
    target = str(tmp_path / output) if output else ""
    exit_code, printed = _doc(rules, target)
    assert exit_code == 2, printed
    assert code in printed and all(w in printed for w in words), printed
    assert "Traceback" not in printed


def test_bad_rules_are_reported_with_place(tmp_path) -> None:
    bad = ROOT / "tests" / "rules_bad" / "weights_not_100"
    assert bad.is_dir()
    exit_code, printed = _doc(bad, tmp_path / "x.html")
    assert exit_code == 1
    assert "error KH" in printed and ".yaml:" in printed
    assert not (tmp_path / "x.html").exists()


def test_an_unwritable_output_is_kh313() -> None:
    # /sys refuses new files even to root (tests/cycle does the same)
    exit_code, printed = _doc("rules/2024", "/sys/细则.html")
    assert exit_code == 2, printed
    assert "/sys/细则.html: error KH313 output-unwritable: 无法写出：没有权限" in printed
    assert "Traceback" not in printed


def test_html_needs_no_docx_nor_openpyxl(tmp_path) -> None:
    script = (
        "import sys\n"
        f"sys.argv = ['kaohe', 'doc', 'rules/2024', '-o', {str(tmp_path / 'x.html')!r}]\n"
        "from kaohe_rules.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('docx', 'openpyxl', 'pandas') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]", done.stdout + done.stderr


def test_the_category_note_follows_the_ranking_scope() -> None:
    """排名 范围: 领域 ranks and counts tier quotas over the whole domain: the manual must
    not say 类别 there."""
    from kaohe_rules.outputs.manual import Paragraph, build_manual
    from kaohe_rules.pipeline import load_rules

    notes = {}
    for name, folder in (("类别", ROOT / "rules" / "2024"), ("领域", HOSTILE.parent / "methods")):
        blocks = build_manual(load_rules(folder).resolved.ruleset).blocks
        notes[name] = next(b.text for b in blocks if isinstance(b, Paragraph) and "类别" in b.text)
    assert notes["类别"] == "每个单位属于一个类别，名次和等次名额在类别内计算。"
    assert notes["领域"] == "每个单位属于一个类别；名次和等次名额在整个领域内计算。"


def test_xlsx_bytes_do_not_depend_on_lxml() -> None:
    """python-docx installs lxml, which openpyxl would otherwise switch to for XML: the
    package keeps openpyxl on its own writer (tests/snapshot holds the bytes)."""
    script = "import lxml, kaohe_rules, openpyxl\nprint(openpyxl.LXML)\n"
    env = {k: v for k, v in os.environ.items() if k != "OPENPYXL_LXML"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip() == "False", done.stdout + done.stderr
