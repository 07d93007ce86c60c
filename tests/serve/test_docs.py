"""docs/serve.md's console examples run as written, and its screenshots are real PNGs."""

from __future__ import annotations

import pytest

from tests.chromium import png_size
from tests.conftest import ROOT
from tests.doc_examples import examples, run

PAGE = ROOT / "docs" / "serve.md"
EXAMPLES = examples(PAGE)


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) == 2


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"serve.md:{e.line}")
def test_documented_output(example, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    code, output = run(example)
    assert code == 2
    assert output.rstrip("\n") == example.expected.rstrip("\n"), output


@pytest.mark.parametrize("name", ["serve-editor.png", "serve-impact.png"])
def test_screenshots_are_linked_and_present(name: str) -> None:
    assert f"]({name})" in PAGE.read_text(encoding="utf-8")
    width, height = png_size((ROOT / "docs" / name).read_bytes())
    assert width >= 1000 and height >= 600
