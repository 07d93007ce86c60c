"""The corpus of rule sets that load but mean something else than was meant.

Each folder of tests/rules_warn/ is a small rule set that validates, and an
``expected.yaml`` listing every warning it must give (code, file, line, column);
``warnings: []`` marks a case written the right way, which must give none. The
official rule sets give no warning at all: a check that fires on them is a false alarm.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kaohe_rules.pipeline import load_rules
from tests.conftest import ROOT

CORPUS = Path(__file__).resolve().parent.parent / "rules_warn"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.yaml").is_file())
MEANING = {"KH233", "KH236", "KH237", "KH238", "KH239", "KH240", "KH241", "KH242"}


def test_every_meaning_check_has_a_case() -> None:
    wanted = set()
    for case in CASES:
        expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
        wanted |= {w["code"] for w in expected["warnings"]}
    assert wanted >= MEANING - {"KH236"}  # KH236 is an error: tests/rules_bad/value_not_a_choice*
    assert any(p.name.startswith("good") for p in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_rule_set_gives_exactly_its_warnings(case: Path) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    loaded = load_rules(case, root=case)
    found = sorted(
        (
            w.code,
            Path(w.span.file).resolve().relative_to(case).as_posix(),
            w.span.line,
            w.span.column,
        )
        for w in loaded.warnings
    )
    want = sorted((w["code"], w["file"], w["line"], w["column"]) for w in expected["warnings"])
    assert found == want, [w.message for w in loaded.warnings]
    for warning in loaded.warnings:
        assert warning.hint or warning.code == "KH233", warning  # each leads to its cause


@pytest.mark.parametrize("year", ["2023", "2024"])
def test_official_rule_sets_give_no_warning(year: str) -> None:
    assert load_rules(ROOT / "rules" / year).warnings == []
