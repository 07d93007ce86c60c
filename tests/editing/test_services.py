"""kaohe_rules.editing on the rules root tests/editing/rules (2024 inherits 2023): the
diagnostics of kaohe validate with unsaved buffers, completions, hovers, positions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from kaohe_rules.cli import cli
from kaohe_rules.editing import affected_rule_sets, complete, diagnose, hover
from kaohe_rules.editing.positions import from_lsp, lines_of, to_lsp
from kaohe_rules.pipeline import load_rules

ROOT = Path(__file__).resolve().parent / "rules"
Y2023, Y2024 = ROOT / "2023", ROOT / "2024"
DOMAIN_2023, DOMAIN_2024 = Y2023 / "市县.yaml", Y2024 / "市县.yaml"


def _edited(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _at(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """(line, column), 1-based characters, of ``needle``'s first character plus ``offset``."""
    for number, line in enumerate(lines_of(text), 1):
        if needle in line:
            return number, line.index(needle) + 1 + offset
    raise AssertionError(needle)


def test_buffer_diagnostics_equal_kaohe_validate_of_the_saved_file(tmp_path: Path) -> None:
    broken = _edited(DOMAIN_2024, "    权重: 75\n", "    权重: 80\n")
    found = diagnose(ROOT, Y2024, {DOMAIN_2024: broken})
    # the same text saved in a copy, through the command
    shutil.copytree(ROOT, tmp_path / "rules")
    (tmp_path / "rules/2024/市县.yaml").write_text(broken, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--format", "json", str(tmp_path / "rules/2024")])
    expected = json.loads(result.output)
    assert result.exit_code == 1
    assert [d.code for d in found] == [e["code"] for e in expected]
    assert "KH225" in [d.code for d in found]
    for mine, theirs in zip(found, expected, strict=True):
        assert (mine.message, mine.hint, mine.severity.value) == (
            theirs["message"],
            theirs["hint"],
            theirs["severity"],
        )
        assert (mine.span.line, mine.span.column, mine.span.end_line, mine.span.end_column) == (
            theirs["line"],
            theirs["column"],
            theirs["end_line"],
            theirs["end_column"],
        )
        assert Path(mine.span.file).name == Path(theirs["file"]).name
        assert Path(mine.span.file).is_absolute()


def test_the_files_on_disk_are_read_again_after_the_buffers() -> None:
    broken = _edited(DOMAIN_2024, "    权重: 75\n", "    权重: 80\n")
    assert diagnose(ROOT, Y2024, {DOMAIN_2024: broken})
    assert all(d.severity.value == "warning" for d in diagnose(ROOT, Y2024, {}))
    load_rules(Y2024)  # raises if the buffer had stayed


def test_an_edit_of_2023_reaches_2024_and_keeps_each_problem_in_its_file() -> None:
    assert affected_rule_sets(ROOT, DOMAIN_2023, {}) == [Y2023, Y2024]
    assert affected_rule_sets(ROOT, Y2024 / "规则集.yaml", {}) == [Y2024]
    assert affected_rule_sets(ROOT, ROOT / "README.md", {}) == []
    # 2023's 党建 30 + 发展 70 = 100; 2024 patches 25 + 75. Raising 2023's 发展 alone
    # breaks 2023 only; 2024 sets both weights itself.
    broken = _edited(DOMAIN_2023, "    权重: 70\n", "    权重: 60\n")
    in_2023 = diagnose(ROOT, Y2023, {DOMAIN_2023: broken})
    sums = [d for d in in_2023 if d.code == "KH225"]
    assert sums and sums[0].span.file == str(DOMAIN_2023)
    # renaming 2023's paper 党建 leaves 2024's patch (党建: 权重: 25) a paper of its own:
    # 2023 alone is valid; 2024 has a problem in its own file and one in 2023's
    renamed = _edited(DOMAIN_2023, "  党建:\n", "  党建卷:\n")
    assert all(d.severity.value == "warning" for d in diagnose(ROOT, Y2023, {DOMAIN_2023: renamed}))
    in_2024 = {(d.code, d.span.file) for d in diagnose(ROOT, Y2024, {DOMAIN_2023: renamed})}
    assert ("KH231", str(DOMAIN_2024)) in in_2024
    assert ("KH225", str(DOMAIN_2023)) in in_2024


def test_a_buffer_that_is_not_yaml_is_a_diagnostic_and_completion_survives_it() -> None:
    broken = _edited(DOMAIN_2024, "  党建:\n", "  党建: [\n")
    found = diagnose(ROOT, Y2024, {DOMAIN_2024: broken})
    assert found and found[0].code.startswith("KH2")
    assert found[0].span.file == str(DOMAIN_2024)
    line, column = _at(broken, "权重: 25")
    assert complete(ROOT, Y2024, {DOMAIN_2024: broken}, DOMAIN_2024, line, column) is not None


def test_positions_with_chinese_and_an_astral_character() -> None:
    label = '    奖牌单位: 等次 == "第一🏅" and 问题数x > 0\n'
    text = _edited(DOMAIN_2024, "考卷:\n", f"标签:\n{label}考卷:\n")
    found = [d for d in diagnose(ROOT, Y2024, {DOMAIN_2024: text}) if d.code == "KH110"]
    line, column = _at(text, "问题数x")
    assert (found[0].span.line, found[0].span.column) == (line, column)
    lines = lines_of(text)
    # 🏅 is one character and two UTF-16 code units: the LSP column is one more
    assert to_lsp(lines, line, column) == (line - 1, column)
    assert from_lsp(lines, line - 1, column) == (line, column)
    assert to_lsp(lines, line, 5) == (line - 1, 4)  # before the emoji: the same count


def test_completion_of_schema_keys_with_their_descriptions() -> None:
    text = _edited(DOMAIN_2023, "    权重: 30\n", "    权重: 30\n    折\n")
    line, _ = _at(text, "    折")
    found = {c.label: c for c in complete(ROOT, Y2023, {DOMAIN_2023: text}, DOMAIN_2023, line, 6)}
    assert "折算" in found and found["折算"].kind == "键"
    assert "折算到考卷权重" in found["折算"].documentation
    assert "权重" not in found  # written already in that mapping


def test_completion_of_the_values_a_key_allows() -> None:
    text = DOMAIN_2023.read_text(encoding="utf-8")
    line, column = _at(text, "计分方法: 线性", len("计分方法: "))
    labels = [c.label for c in complete(ROOT, Y2023, {}, DOMAIN_2023, line, column)]
    assert {"线性", "分档", "功效系数"} <= set(labels)


def test_completion_inside_a_formula_offers_the_names_it_may_read() -> None:
    text = DOMAIN_2023.read_text(encoding="utf-8")
    line, column = _at(text, "党建评分 / 100", 2)
    found = {c.label: c for c in complete(ROOT, Y2023, {}, DOMAIN_2023, line, column)}
    assert found["党建评分"].kind == "数据项"
    assert found["权重"].kind == "名称"
    assert found["unit.山区县"].kind == "单位属性"
    assert found["linear"].kind == "函数" and found["linear"].detail.startswith("linear(")
    # a paper's formula is checked before papers exist: no paper, no indicator score name
    assert "发展" not in found
    ruleset = Y2023 / "规则集.yaml"  # 通用's label, checked in each domain
    label_line, label_column = _at(ruleset.read_text(encoding="utf-8"), "等次 == ", 0)
    in_label = {c.label for c in complete(ROOT, Y2023, {}, ruleset, label_line, label_column)}
    assert {"发展", "总分", "等次", "地区生产总值增速"} <= in_label


def test_hover_on_an_indicator_gives_its_definition() -> None:
    text = _edited(DOMAIN_2024, "    权重: 25\n", "    权重: 25\n    计分: 地区生产总值增速 * 0\n")
    line, column = _at(text, "地区生产总值增速 * 0", 3)
    found = hover(ROOT, Y2024, {DOMAIN_2024: text}, DOMAIN_2024, line, column)
    assert found is not None
    assert "按可比价格计算" in found.text  # 说明, from 2023's file
    assert "计分方法：线性" in found.text and "目标值 6%" in found.text
    assert found.definition.file == str(DOMAIN_2023)
    written = _at(DOMAIN_2023.read_text(encoding="utf-8"), "地区生产总值增速:")
    assert found.definition.line == written[0]
    assert (found.line, found.column) == (line, column - 3)


def test_hover_on_a_function_and_on_a_schema_key() -> None:
    ruleset = Y2023 / "规则集.yaml"
    line, column = _at(ruleset.read_text(encoding="utf-8"), "floor(人数", 1)
    found = hover(ROOT, Y2023, {}, ruleset, line, column)
    assert found is not None and "floor(x: 数值, digits: 数值 = 0) → 数值" in found.text
    text = DOMAIN_2023.read_text(encoding="utf-8")
    line, column = _at(text, "计分方法", 1)
    key = hover(ROOT, Y2023, {}, DOMAIN_2023, line, column)
    assert key is not None and "（键）" in key.text


def test_a_display_name_that_two_files_share_means_the_one_under_the_root(
    tmp_path: Path, monkeypatch
) -> None:
    """A rules repository with rules/2024/市县.yaml, worked on from its top: kaohe names
    the file rules/2024/市县.yaml, as it names the bundled one; the edited root decides."""
    from kaohe_rules.editing.files import real_path
    from kaohe_rules.resources import data_path

    shutil.copytree(ROOT, tmp_path / "rules")
    monkeypatch.chdir(tmp_path)
    edited = tmp_path / "rules" / "2024" / "市县.yaml"
    broken = _edited(edited, "    权重: 75\n", "    权重: 80\n")
    found = diagnose(tmp_path / "rules", tmp_path / "rules" / "2024", {edited: broken})
    assert {d.span.file for d in found if d.code == "KH225"} <= {
        str(edited.resolve()),
        str((tmp_path / "rules" / "2023" / "市县.yaml").resolve()),
    }
    assert any(d.code == "KH225" for d in found)
    bundled = data_path("rules", "2024", "市县.yaml").resolve()
    assert real_path("rules/2024/市县.yaml") == bundled  # display_path's own order
    assert real_path("rules/2024/市县.yaml", tmp_path) == edited.resolve()


def test_hover_on_a_name_the_stage_gives() -> None:
    text = DOMAIN_2023.read_text(encoding="utf-8")
    line, column = _at(text, "/ 100 * 权重", len("/ 100 * ") + 1)
    found = hover(ROOT, Y2023, {}, DOMAIN_2023, line, column)
    assert found is not None and "（名称）数值" in found.text and "考卷的权重" in found.text


def test_no_names_are_offered_in_a_record_filter() -> None:
    """A 记录汇总 筛选 reads the record file's columns, which no rule names: offering the
    names of another formula there would mislead."""
    rules = ROOT.parent.parent / "records" / "rules"
    path = rules / "规则集.yaml"
    line, column = _at(path.read_text(encoding="utf-8"), '筛选: 有效 == "是"', len("筛选: 有"))
    assert complete(rules.parent, rules, {}, path, line, column) == []


def test_a_file_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    """Checks are kept for the next request with the same buffers, but never past a
    change on disk: a file saved, or one added to a rule set's folder."""
    shutil.copytree(ROOT, tmp_path / "rules")
    root, year = tmp_path / "rules", tmp_path / "rules" / "2024"
    assert not [d for d in diagnose(root, year, {}) if d.code == "KH225"]
    domain = year / "市县.yaml"
    domain.write_text(_edited(domain, "    权重: 75\n", "    权重: 80\n"), encoding="utf-8")
    assert [d for d in diagnose(root, year, {}) if d.code == "KH225"]
    (year / "规则集.yaml").write_text(
        (year / "规则集.yaml")
        .read_text(encoding="utf-8")
        .replace("市县: 市县.yaml", "市县: 新.yaml"),
        encoding="utf-8",
    )
    assert "KH208" in {d.code for d in diagnose(root, year, {})}  # 新.yaml is not there
    (year / "新.yaml").write_text(_edited(DOMAIN_2024, "", ""), encoding="utf-8")
    assert "KH208" not in {d.code for d in diagnose(root, year, {})}
