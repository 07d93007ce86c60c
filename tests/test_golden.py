"""Golden files: parse trees (tests/golden/parse) and rendered errors (tests/golden/errors).

Each ``<case>.expr`` has its expected output beside it; ``pytest --update-golden``
rewrites them from the current behaviour, to be reviewed as a diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kaohe_rules.diagnostics import KaoheError, render_text
from kaohe_rules.dsl import Scope, compile_expression, parse
from kaohe_rules.dsl.printer import dump, to_source
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT
from kaohe_rules.source import EXPR_SOURCE, SourceLines

GOLDEN = Path(__file__).parent / "golden"
SCOPE = Scope(
    {
        "研发投入强度": NUMBER,
        "得分": NUMBER,
        "x": NUMBER,
        "unit.山区县": BOOL,
        "unit.班子等次": TEXT,
    }
)


def _cases(kind: str) -> list[Path]:
    return sorted((GOLDEN / kind).glob("*.expr"))


def _compare(path: Path, actual: str, update: bool) -> None:
    if update:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", _cases("parse"), ids=lambda p: p.stem)
def test_parse_golden(path: Path, update_golden: bool) -> None:
    node = parse(path.read_text(encoding="utf-8"))
    printed = to_source(node)
    assert dump(parse(printed)) == dump(node), "printing and parsing again changes the tree"
    _compare(path.with_suffix(".ast"), f"{dump(node)}\n{printed}\n", update_golden)


@pytest.mark.parametrize("path", _cases("errors"), ids=lambda p: p.stem)
def test_error_golden(path: Path, update_golden: bool) -> None:
    text = path.read_text(encoding="utf-8")
    with pytest.raises(KaoheError) as raised:
        compile_expression(text, SCOPE)
    rendered = render_text(raised.value.diagnostics, SourceLines({EXPR_SOURCE: text}))
    _compare(path.with_suffix(".err"), rendered + "\n", update_golden)


def test_chinese_and_english_keywords_give_one_tree() -> None:
    chinese = parse((GOLDEN / "parse" / "chinese_keywords.expr").read_text(encoding="utf-8"))
    english = parse((GOLDEN / "parse" / "english_keywords.expr").read_text(encoding="utf-8"))
    assert chinese == english
