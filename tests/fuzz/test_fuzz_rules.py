"""(b) Fuzzing the rule loader and validator: one file of a rule set edited.

Edits: byte flips, truncation, deleted or duplicated lines, renamed keys, values of
another type, inserted YAML constructs (anchors, tags, documents, deep nesting…),
other encodings and line endings. load_rules must answer with the loaded rules or a
KaoheError whose diagnostics each have a code and a place in an existing line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from tests.fuzz import strategies as S
from tests.fuzz.oracles import check_rules


@S.ci_settings("rules.golden")
@given(S.strategy("rules.golden"))
def test_edited_golden_rules(case: S.RulesCase) -> None:
    with tempfile.TemporaryDirectory(prefix="kaohe-fuzz-") as scratch:
        check_rules(case, Path(scratch))


@S.ci_settings("rules.official")
@given(S.strategy("rules.official"))
def test_edited_official_rules(case: S.RulesCase) -> None:
    with tempfile.TemporaryDirectory(prefix="kaohe-fuzz-") as scratch:
        check_rules(case, Path(scratch))
