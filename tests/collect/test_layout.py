"""The layout's small rules: sheet titles of their own, and the provenance explain reads."""

from __future__ import annotations

from pathlib import Path

from kaohe_rules.outputs.fill.layout import Page, _titled
from kaohe_rules.outputs.fill.store import mark, sources


def test_sheet_titles_alike_in_31_characters_are_kept_apart() -> None:
    long = "某某" * 16  # 32 characters: Excel keeps 31
    pages = [Page(d, (), ()) for d in (long, long + "甲", "a/b", "a_b", "填报说明")]
    titles = [p.title for p in _titled(pages)]
    assert titles == [long[:31], long[:28] + "（2）", "a_b", "a_b（2）", "填报说明（2）"]
    assert all(len(t) <= 31 for t in titles)


def test_sources_of_a_collection_edited_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "填报指标值.csv"
    path.write_text(mark("0") + "\n编号,指标,值\n330100,增速,0.05\n", encoding="utf-8")
    assert sources(path) == {}  # no 来源 column: no cells, and no crash
    path.write_text(mark("0") + "\n编号,名称,指标,值,来源\n330100,杭州市,增速,0.05\n", "utf-8")
    assert sources(path) == {("330100", "增速"): ""}
