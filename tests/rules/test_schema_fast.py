"""The compiled schema test (rules/schema_fast.py) gives jsonschema's verdict: over every
document of every rule folder in the repository (the broken ones of tests/rules_bad
first among them) and over random edits of the bundled rules. A document it calls valid
skips jsonschema, so a wrong "valid" would hide a schema error: never allowed."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.rules import schema, schema_fast
from kaohe_rules.rules.assemble import assemble
from kaohe_rules.rules.build import domain_documents

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = sorted(
    p.parent
    for top in ("rules", "tests")
    for p in (ROOT / top).rglob("规则集.yaml")
    if ".venv" not in p.parts
)


def _documents(folder: Path) -> list[tuple[object, str]]:
    try:
        assembled = assemble(folder)
    except KaoheError:
        return []  # a file problem: the schema never sees these documents
    documents = [(assembled.ruleset, "ruleset")]
    if assembled.roster is not None:
        documents.append((assembled.roster, "roster"))
    documents += [(doc, "domain") for doc in domain_documents(assembled).values()]
    documents += [(doc, "special") for doc in assembled.specials.values()]
    return documents


def _jsonschema_valid(document: object, kind: str) -> bool:
    return not any(True for _ in schema._validators()[kind].iter_errors(document))


def test_every_schema_compiles() -> None:
    for kind in schema.KINDS:
        assert schema_fast.compiled(kind) is not None, kind


def test_the_corpus_is_large_and_has_both_verdicts() -> None:
    verdicts = [
        _jsonschema_valid(doc, kind) for folder in FOLDERS for doc, kind in _documents(folder)
    ]
    assert len(FOLDERS) > 150 and len(verdicts) > 500
    assert verdicts.count(False) > 40 and verdicts.count(True) > 300


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_verdict_as_jsonschema(folder: Path) -> None:
    for document, kind in _documents(folder):
        assert schema_fast.is_valid(document, kind) == _jsonschema_valid(document, kind)


BUNDLED = _documents(ROOT / "rules" / "2024") + _documents(ROOT / "rules" / "2023")
REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.floats(-1e3, 1e3, allow_nan=False),
    st.sampled_from(
        ["", "x", "10%", "1.5％", "-3%", "记零分", "剔除折算", "报错", "数值", "真假", "文本"]
    ),
    st.sampled_from(["a b", "前列", "末位", "9名称", "名称", "满分", "线性", "分档", "优秀"]),
    st.just([]),
    st.just({}),
    st.lists(st.sampled_from(["a", 1, None]), max_size=2),
)


def _paths(node: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _plain(node: object) -> object:
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edits_get_the_same_verdict(data) -> None:
    """Replace, delete or add one value somewhere in a bundled document."""
    source, kind = data.draw(st.sampled_from(BUNDLED))
    document = copy.deepcopy(_plain(source))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)))
        if not path:
            continue
        *parent_path, last = path
        parent = document
        for step in parent_path:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[last] = data.draw(REPLACEMENTS)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["说明", "未知键", "权重", "名称", "2"]))] = data.draw(
                REPLACEMENTS
            )
    assert schema_fast.is_valid(document, kind) == _jsonschema_valid(document, kind)
