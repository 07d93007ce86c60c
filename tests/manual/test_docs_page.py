"""docs/doc.md shows real output: its console examples run as written, its HTML excerpts
are verbatim parts of the generated page, its diff excerpt is part of the real diff."""

from __future__ import annotations

import difflib
import re

import pytest

from tests.conftest import ROOT
from tests.doc_examples import enter_scratch_checkout, examples, run, update

PAGE = ROOT / "docs" / "doc.md"
EXAMPLES = examples(PAGE)


def _blocks(kind: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{kind}\n(.*?)^```", text, re.S | re.M)


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 4
    assert len(_blocks("html")) == 2 and len(_blocks("diff")) == 1


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"doc.md:{e.line}")
def test_documented_output(example, update_golden: bool, monkeypatch, tmp_path) -> None:
    enter_scratch_checkout(tmp_path, monkeypatch)
    if update_golden:
        update(example.file)
    _code, output = run(example)
    assert output.rstrip("\n") == example.expected.rstrip("\n"), output


def _page(year: str, tmp_path) -> list[str]:
    path = tmp_path / f"{year}.html"
    code, output = run_doc(year, path)
    assert code == 0, output
    return path.read_text(encoding="utf-8").splitlines()


def run_doc(year: str, path) -> tuple[int, str]:
    from click.testing import CliRunner

    from kaohe_rules.cli import cli

    result = CliRunner().invoke(cli, ["doc", str(ROOT / "rules" / year), "-o", str(path)])
    return result.exit_code, result.output


def test_html_excerpts_are_real(tmp_path) -> None:
    page = "\n".join(_page("2024", tmp_path)) + "\n"
    for excerpt in _blocks("html"):
        assert excerpt in page, excerpt


def test_diff_excerpt_is_real(tmp_path) -> None:
    old, new = _page("2023", tmp_path), _page("2024", tmp_path)
    diff = "\n".join(difflib.unified_diff(old, new, lineterm="", n=0)) + "\n"
    for line in _blocks("diff")[0].splitlines():
        assert f"\n{line}\n" in diff, line
