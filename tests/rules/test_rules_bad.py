"""The corpus of broken rule sets: each is refused with its expected code and location.

Each folder of tests/rules_bad/ is one broken rule set (or, with ``rules:`` in
its expected.yaml, a folder holding several, of which one is validated) and an
``expected.yaml``: the code, and the file, line and column it must point at (and,
with ``hint:``, a text its hint must contain).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.pipeline import load_rules

CORPUS = Path(__file__).resolve().parent.parent / "rules_bad"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.yaml").is_file())


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_broken_rule_set_is_refused_at_the_right_place(case: Path) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    folder = case / expected.get("rules", ".")
    with pytest.raises(KaoheError) as raised:
        load_rules(folder, root=case)
    found = [
        (d.code, _relative(d.span.file, case), d.span.line, d.span.column)
        for d in raised.value.diagnostics
        if d.span is not None
    ]
    want = (expected["code"], expected["file"], expected["line"], expected["column"])
    assert want in found, f"expected {want}, got {found}"
    if "hint" in expected:  # the hint must lead to the cause (a quote, a colon, a choice)
        hints = [d.hint or "" for d in raised.value.diagnostics if d.code == expected["code"]]
        assert any(expected["hint"] in h for h in hints), hints


def _relative(file: str, case: Path) -> str:
    path = Path(file).resolve()
    return path.relative_to(case).as_posix() if path.is_relative_to(case) else file
