"""Every console example in the documentation runs and prints exactly what the page shows."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.doc_examples import enter_scratch_checkout, examples, run, update

DOCS = [
    ROOT / "docs" / "language.md",
    ROOT / "docs" / "rules.md",
    ROOT / "docs" / "evaluate.md",
    ROOT / "docs" / "review.md",
    ROOT / "docs" / "cycle.md",
    ROOT / "docs" / "analysis.md",
    ROOT / "docs" / "report.md",
    ROOT / "docs" / "archive.md",
    ROOT / "docs" / "special.md",
    ROOT / "docs" / "ci.md",
    ROOT / "docs" / "collect.md",
    ROOT / "docs" / "records.md",
    ROOT / "docs" / "editors.md",
    ROOT / "docs" / "errors.md",
    ROOT / "README.md",
]
# Examples on the Spark engine need pyspark and Java: tests/spark runs them.
EXAMPLES = [
    e for path in DOCS if path.exists() for e in examples(path) if "--engine spark" not in e.command
]


def test_the_reference_has_examples() -> None:
    assert len(examples(ROOT / "docs" / "language.md")) >= 40


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.file.name}:{e.line}")
def test_documented_output(example, update_golden: bool, monkeypatch, tmp_path) -> None:
    enter_scratch_checkout(tmp_path, monkeypatch)
    if update_golden:
        update(example.file)
    _code, output = run(example)
    assert output.rstrip("\n") == example.expected.rstrip("\n"), (
        f"{example.file}:{example.line}: `{example.command}` printed:\n{output}"
    )


def test_every_builtin_is_documented() -> None:
    from kaohe_rules.dsl.functions import BUILTINS

    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    undocumented = [name for name in BUILTINS if f"{name}(" not in text]
    assert not undocumented, f"functions missing from docs/language.md: {undocumented}"
