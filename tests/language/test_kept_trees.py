"""Formulas parsed in one run are kept for the next (dsl/kept_trees.py, decision 123): a
kept tree is the tree Lark gives, places included; a run whose formulas were all kept
neither imports Lark nor parses; a damaged or foreign file, or a tree no parse could give
(a wrong class, field, type, operator or depth), is parsed again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from kaohe_rules import user_cache
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.dsl import ast, kept_trees, parser
from kaohe_rules.dsl.printer import to_source
from kaohe_rules.source import Origin
from tests.conftest import ROOT
from tests.language.test_parse_memo import FORMULAS, _places
from tests.language.test_properties import ANY_EXPR

OWN = "<表达式自身>"

# `kaohe validate` in a fresh process; then whether it imported lark.
SCRIPT = """
import sys
from kaohe_rules.cli import run
sys.argv = ["kaohe", "validate", sys.argv[1]]
try:
    run()
except SystemExit as stop:
    print("exit", stop.code)
print("lark" in sys.modules)
"""


def _round_trip(text: str) -> tuple[ast.Node, ast.Node]:
    """The tree Lark gives for ``text`` and the one read back from its kept JSON."""
    fresh = parser._parse(text, Origin(file=OWN))
    raw = json.loads(json.dumps(kept_trees._encode(fresh, OWN)))
    return fresh, kept_trees._node(raw, OWN, 0)


def _bundled_formulas() -> list[str]:
    """Every formula text the bundled rule sets parse, as the resolver gives them."""
    import yaml

    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            found.add(value)

    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    texts = []
    for text in sorted(found):
        try:
            parser._parse(text, Origin(file=OWN))
        except KaoheError:
            continue  # a name or a label, not a formula
        texts.append(text)
    return texts


@pytest.mark.parametrize("text", FORMULAS)
def test_a_kept_tree_is_the_parsed_tree_places_included(text: str) -> None:
    fresh, kept = _round_trip(text)
    assert kept == fresh
    assert _places(kept) == _places(fresh)


def test_every_bundled_formula_comes_back_as_parsed() -> None:
    texts = _bundled_formulas()
    assert len(texts) > 100
    for text in texts:
        fresh, kept = _round_trip(text)
        assert kept == fresh and _places(kept) == _places(fresh), text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_EXPR)
def test_any_expression_comes_back_as_parsed(node: ast.Node) -> None:
    fresh, kept = _round_trip(to_source(node))
    assert kept == fresh and _places(kept) == _places(fresh)


def _fresh_store(monkeypatch, home: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setattr(kept_trees, "_STORE", kept_trees._Store())
    parser._PARSED.clear()


def _kept_texts(home: Path) -> list[str]:
    """The texts the store in ``home`` holds, in its order."""
    data = user_cache.read(home / "kaohe-rules" / "trees.json", kept_trees._key(), 1 << 20)
    return [text for text, _ in data["trees"]]


def _kept_then_fresh(monkeypatch, home: Path, texts: list[str]) -> None:
    """A run that parsed ``texts`` and kept them; then a new process's store."""
    _fresh_store(monkeypatch, home)
    for text in texts:
        parser.parse(text)
    kept_trees.save()
    _fresh_store(monkeypatch, home)


def test_a_second_process_neither_imports_lark_nor_changes_a_word(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", SCRIPT, str(ROOT / "rules" / "2024")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        for _ in range(2)
    ]
    first, second = runs
    assert first.stdout.splitlines()[-2:] == ["exit 0", "True"], first.stderr
    assert second.stdout.splitlines()[-2:] == ["exit 0", "False"], second.stderr
    assert first.stdout.splitlines()[:-1] == second.stdout.splitlines()[:-1]
    assert (tmp_path / "kaohe-rules" / "trees.json").is_file()


def test_a_refused_text_is_never_kept(tmp_path: Path, monkeypatch) -> None:
    _fresh_store(monkeypatch, tmp_path)
    with pytest.raises(KaoheError):
        parser.parse("值 +", Origin("a.yaml", 3, 5))
    parser.parse("值 + 1", Origin("a.yaml", 3, 5))
    kept_trees.save()
    assert _kept_texts(tmp_path) == ["值 + 1"]


def _kept_file(tmp_path: Path, monkeypatch, text: str) -> Path:
    """A store holding ``text``'s tree, written as a run leaves it."""
    _kept_then_fresh(monkeypatch, tmp_path, [text])
    return tmp_path / "kaohe-rules" / "trees.json"


def _rewrite(path: Path, change) -> None:
    """The store's data changed by ``change``, its checksum made to match."""
    kept = json.loads(path.read_text(encoding="utf-8"))
    change(kept["data"]["trees"])
    kept["sum"] = user_cache.checksum(kept["data"])
    path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")


def _set(index: tuple, value: object):
    """A change to the first kept tree (each is kept as a JSON text of its own)."""

    def change(trees: list) -> None:
        tree = target = json.loads(trees[0][1])
        for step in index[:-1]:
            target = target[step]
        target[index[-1]] = value
        trees[0][1] = json.dumps(tree, ensure_ascii=False)

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set((0,), "Import"),  # a class that is not a node
        _set((1,), "*"),  # Member's value: a str where a node stands
        _set((2,), ["Name", "x", [1, 1, 1, 2]]),  # Member's items: not a list
        _set((3,), 1),  # negated: a number where a truth value stands
        _set((4,), [1, 1, 1]),  # a place of three numbers
        _set((4,), [1, 1, 1, True]),  # a truth value where a number stands
        _set((1, 2), 1e400),  # an infinite number where a place stands (json: Infinity)
        _set((1, 0), "Number"),  # a Name's fields read as a Number's
        lambda trees: trees[0].append("extra"),
        lambda trees: trees.append(["x"]),
    ],
)
def test_a_hand_made_tree_is_parsed_again(tmp_path: Path, monkeypatch, change) -> None:
    text = "值 in [1, 2]"
    path = _kept_file(tmp_path, monkeypatch, text)
    assert kept_trees.tree(text, OWN) is not None
    _fresh_store(monkeypatch, tmp_path)
    _rewrite(path, change)
    assert kept_trees.tree(text, OWN) is None
    placed = parser.parse(text, Origin("a.yaml", 7, 9))
    fresh = parser._parse(text, Origin("a.yaml", 7, 9))
    assert placed == fresh and _places(placed) == _places(fresh)


def test_a_damaged_or_foreign_file_is_no_entry(tmp_path: Path, monkeypatch) -> None:
    text = "max(a, b) * 2"
    path = _kept_file(tmp_path, monkeypatch, text)
    whole = path.read_bytes()
    renamed = whole.replace(b'\\"max\\"', b'\\"min\\"')  # inside the tree's own JSON text
    assert renamed != whole
    for broken in (whole[: len(whole) // 2], renamed, b"[]"):
        path.write_bytes(broken)
        _fresh_store(monkeypatch, tmp_path)
        assert kept_trees.tree(text, OWN) is None
    kept = json.loads(whole)
    kept["key"] = "0" * 64  # written by other code: another grammar or node classes
    path.write_text(json.dumps(kept), encoding="utf-8")
    _fresh_store(monkeypatch, tmp_path)
    assert kept_trees.tree(text, OWN) is None


def test_a_deep_hand_made_tree_is_no_entry(tmp_path: Path, monkeypatch) -> None:
    text = "-1"
    path = _kept_file(tmp_path, monkeypatch, text)
    deep: list = ["Number", 1.0, False, [1, 1, 1, 2]]
    for _ in range(kept_trees._MOST_LEVELS + 5):
        deep = ["Unary", "-", deep, [1, 1, 1, 2]]
    _rewrite(path, lambda trees: trees[0].__setitem__(1, json.dumps(deep)))
    assert kept_trees.tree(text, OWN) is None


def test_the_file_keeps_this_runs_formulas_first_and_at_most_so_many(
    tmp_path: Path, monkeypatch
) -> None:
    _kept_then_fresh(monkeypatch, tmp_path, [f"a + {k}" for k in range(5)])
    monkeypatch.setattr(kept_trees, "MOST_TREES", 4)
    parser.parse("a + 3")  # kept: used again
    parser.parse("b * 2")  # new
    kept_trees.save()
    assert _kept_texts(tmp_path) == ["b * 2", "a + 3", "a + 0", "a + 1"]


def test_an_unwritable_cache_folder_costs_only_the_parse(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    _fresh_store(monkeypatch, blocked)
    node = parser.parse("a + b")
    kept_trees.save()
    assert node == parser._parse("a + b", Origin())


def test_an_operator_the_grammar_never_writes_is_parsed_again(tmp_path, monkeypatch) -> None:
    path = _kept_file(tmp_path, monkeypatch, "2 + 3")
    _rewrite(path, _set((1,), "%"))
    assert kept_trees.tree("2 + 3", OWN) is None
    assert parser.parse("2 + 3") == parser._parse("2 + 3", Origin())


def test_a_bad_tree_costs_only_its_own_text(tmp_path: Path, monkeypatch) -> None:
    _kept_then_fresh(monkeypatch, tmp_path, ["a * b", "2 + 3"])
    _rewrite(
        tmp_path / "kaohe-rules" / "trees.json", lambda trees: trees[1].__setitem__(1, '["Nope"]')
    )
    assert kept_trees.tree("2 + 3", OWN) is None
    assert kept_trees.tree("a * b", OWN) == parser._parse("a * b", Origin(file=OWN))


def test_a_text_utf8_cannot_hold_is_parsed_but_not_kept(tmp_path: Path, monkeypatch) -> None:
    """A command-line argument's invalid bytes come as lone surrogates (`kaohe expr`)."""
    _fresh_store(monkeypatch, tmp_path)
    parser.parse('"\udcff" == "a"')
    parser.parse("a - 1")
    kept_trees.save()
    assert _kept_texts(tmp_path) == ["a - 1"]


def test_a_process_that_read_many_kept_texts_still_keeps_new_ones(tmp_path, monkeypatch) -> None:
    _kept_then_fresh(monkeypatch, tmp_path, [f"a + {k}" for k in range(4)])
    monkeypatch.setattr(kept_trees, "MOST_TREES", 4)
    for k in range(4):
        parser.parse(f"a + {k}")  # all read from the file
    parser.parse("b * 2")
    kept_trees.save()
    assert "b * 2" in _kept_texts(tmp_path)


def test_the_size_limit_counts_texts_as_written(tmp_path: Path, monkeypatch) -> None:
    """Control characters are spaces to the grammar and six bytes each in JSON: the file is
    kept within its limit by dropping old texts, never left unwritten."""
    _fresh_store(monkeypatch, tmp_path)
    monkeypatch.setattr(kept_trees, "_MOST_BYTES", 40_000)
    parser.parse("b + 1")
    for k in range(30):
        parser.parse("\x1c" * 2_000 + f"a{k}")
    kept_trees.save()
    data = user_cache.read(tmp_path / "kaohe-rules" / "trees.json", kept_trees._key(), 40_000)
    assert data is not None and data["trees"][0][0] == "b + 1"


def test_code_that_cannot_be_read_keeps_nothing(tmp_path: Path, monkeypatch) -> None:
    """A package installed without its .py files has no key: formulas are parsed, as
    before the store, never read from or written to a file keyed by nothing."""
    _fresh_store(monkeypatch, tmp_path)
    monkeypatch.setattr(kept_trees, "_KEY", [])
    monkeypatch.setattr(kept_trees, "_CODE", ("no_such_module.py",))
    assert parser.parse("a * 3") == parser._parse("a * 3", Origin())
    kept_trees.save()
    assert not (tmp_path / "kaohe-rules" / "trees.json").exists()


def test_a_text_refused_for_its_depth_is_never_kept(tmp_path: Path, monkeypatch) -> None:
    """Nested 150 deep: within what the store could hold, beyond what the parser takes."""
    _fresh_store(monkeypatch, tmp_path)
    text = "+".join(["1"] * 150)
    with pytest.raises(KaoheError) as caught:
        parser.parse(text)
    assert caught.value.diagnostics[0].code == "KH141"
    parser.parse("a / 2")
    kept_trees.save()
    assert _kept_texts(tmp_path) == ["a / 2"]


def test_runs_at_the_same_time_keep_each_others_texts(tmp_path: Path, monkeypatch) -> None:
    _kept_then_fresh(monkeypatch, tmp_path, ["a + 1"])
    parser.parse("a + 1")  # this run has read the file …
    other = kept_trees._STORE
    monkeypatch.setattr(kept_trees, "_STORE", kept_trees._Store())
    parser._PARSED.clear()
    parser.parse("b + 2")  # … another run keeps a text meanwhile …
    kept_trees.save()
    monkeypatch.setattr(kept_trees, "_STORE", other)
    parser._PARSED.clear()
    parser.parse("c + 3")  # … and this one then keeps its own
    kept_trees.save()
    assert _kept_texts(tmp_path) == ["c + 3", "a + 1", "b + 2"]


def test_a_named_pipe_in_place_of_a_kept_file_is_no_entry(tmp_path: Path, monkeypatch) -> None:
    """Opening a pipe for reading waits for a writer: every command would hang."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    _fresh_store(monkeypatch, tmp_path)
    folder = tmp_path / "kaohe-rules"
    folder.mkdir(mode=0o700)
    os.mkfifo(folder / "trees.json")
    assert user_cache.read(folder / "trees.json", "k", 1 << 20) is None
    assert kept_trees.tree("a + b", OWN) is None
    os.mkfifo(folder / "lark-table")
    assert not user_cache.regular_or_absent(folder / "lark-table")
    assert user_cache.regular_or_absent(folder / "absent")
