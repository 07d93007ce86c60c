"""Parsed formulas kept between runs in the user's cache folder, so that a run whose
formulas were all parsed before neither imports Lark nor parses (decision 123).

One file, ``trees.json``: each formula text with its tree in the text's own coordinates
(parser.py places it in the file), as JSON (no pickle), each tree a JSON text of its own:
the file then reads as a flat list of strings, and only the trees a run uses are decoded
(nested lists for 2,000 trees took 0.1 s to read and check, more than parsing saves). The
texts of the last run that
parsed something new first (those it parsed, then those it read), then older ones. It is
keyed by the code that makes or places a tree (the grammar, the parser, the node classes,
places, this module, Lark's version): after any change to these every entry is a miss. A
tree read back is checked against the node classes field by field (and operators against
the grammar's) before it is used, else that text is parsed again; a file not of that form
is no entry. A refused text is never kept: its diagnostic always comes from Lark. The file
is rewritten once, when the process ends, only if it parsed a text the file did not hold.
Like the records' cache it trusts the user's own folder: the checks catch damage and older
code, not a tree hand-edited into another valid one.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import math
import threading
from pathlib import Path

from kaohe_rules import user_cache
from kaohe_rules.dsl import ast
from kaohe_rules.resources import data_path
from kaohe_rules.source import Span

MOST_TREES = 2_000
_MOST_BYTES = 4 << 20
_NAME = "trees.json"
# The modules whose code decides a tree or its places, beside this one and in the package.
_CODE = ("ast.py", "brackets.py", "kept_trees.py", "lark_parse.py", "parser.py")
_PACKAGE_CODE = ("records.py", "source.py")


class _Invalid(Exception):
    """A kept tree that is not one the node classes could hold."""


class _Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded: dict[str, str] | None = None  # text → its tree as JSON text, as read
        self.used: dict[str, str] = {}  # this process's texts, in order of first use
        self.new: set[str] = set()  # texts the file did not hold, parsed by this process
        self.registered = False


_STORE = _Store()
_KEY: list[str] = []


def tree(text: str, file: str) -> ast.Node | None:
    """The kept tree of ``text`` (its places in ``file``, the text's own coordinates), or
    None when none is kept or it is not a valid tree."""
    with _STORE.lock:
        raw = _loaded().get(text)
    if raw is None:
        return None
    try:
        node = _node(json.loads(raw), file, 0)
    except (_Invalid, TypeError, ValueError, IndexError, KeyError, RecursionError):
        return None
    with _STORE.lock:
        _STORE.used.setdefault(text, raw)
    return node


def keep(text: str, node: ast.Node, file: str) -> None:
    """Keep ``node``, the tree Lark gave for ``text`` and the parser took (never one it
    refused, for its depth or otherwise: the parser's MAX_DEPTH is within _MOST_LEVELS),
    for later runs."""
    if not _utf8(text):
        return
    try:
        raw = json.dumps(_encode(node, file), ensure_ascii=False, separators=(",", ":"))
    except _Invalid:
        return  # a place outside the text's own coordinates: never the case, never kept
    with _STORE.lock:
        if len(_STORE.new) >= MOST_TREES:
            return  # a long-running editor's process: what it keeps stays bounded
        _STORE.used[text] = raw
        _STORE.new.add(text)
        if not _STORE.registered:
            _STORE.registered = True
            atexit.register(save)


def save() -> None:
    """Write the file again: this process's trees first, then the others it held, within
    MOST_TREES and the size limit. Only when this process parsed a text it did not hold."""
    with _STORE.lock:
        if not _STORE.new or not _key():
            return
        folder = user_cache.folder()
        if folder is None:
            return
        # New texts first: were the file full of ones this run read, it would keep none.
        # Then what the file holds now (runs at the same time keep each other's), then
        # what it held when this run read it. Each text once, at its first place.
        trees = {t: raw for t, raw in _STORE.used.items() if t in _STORE.new}
        for held in (_STORE.used, _read(folder), _loaded()):
            for text, raw in held.items():
                trees.setdefault(text, raw)
        budget, kept = _MOST_BYTES // 2, []
        for text, raw in list(trees.items())[:MOST_TREES]:
            # as written: a control character in a text takes six bytes (\u001c)
            budget -= len(json.dumps([text, raw], ensure_ascii=False).encode("utf-8"))
            if budget < 0:
                break
            kept.append([text, raw])
        if user_cache.write(folder / _NAME, _key(), {"trees": kept}, _MOST_BYTES):
            _STORE.new.clear()


def _loaded() -> dict[str, str]:
    if _STORE.loaded is None:
        _STORE.loaded = _read(user_cache.folder() if _key() else None)
    return _STORE.loaded


def _read(folder: Path | None) -> dict[str, str]:
    """The file's texts and their trees as JSON text; none when it is not of that form."""
    data = user_cache.read(folder / _NAME, _key(), _MOST_BYTES) if folder else None
    trees = data.get("trees") if data else None
    if isinstance(trees, list) and all(_entry(e) for e in trees):
        return {text: raw for text, raw in trees}
    return {}


def _utf8(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8: a command-line argument's invalid bytes
    come as lone surrogates, which the file cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _entry(entry: object) -> bool:
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], str)
        and isinstance(entry[1], str)
    )


def _key() -> str:
    """The key of the code that makes a tree; "" when that code cannot be read (a package
    without its .py files): then nothing is kept or read."""
    if not _KEY:
        here = Path(__file__).resolve().parent
        files = [
            data_path("grammar", "kaohe.lark"),
            *(here / name for name in _CODE),
            *(here.parent / name for name in _PACKAGE_CODE),
        ]
        try:
            _KEY.append(user_cache.code_digest(files, ("lark",)))
        except OSError:
            _KEY.append("")
    return _KEY[0]


# How each field of each node class is written: a JSON value of one kind, read back only
# as that kind. The classes' annotations decide, so a new node class or field is covered
# (an annotation not listed here fails at import, and the round-trip tests cover the rest).
_KINDS = {
    "str": ("str", None),
    "float": ("float", None),
    "bool": ("bool", None),
    "Node": ("node", None),
    "ListExpr": ("node", "ListExpr"),
    "tuple[Node, ...]": ("nodes", None),
    "tuple[Keyword, ...]": ("nodes", "Keyword"),
    "Span": ("span", None),
}
_CLASSES = {
    cls.__name__: cls
    for cls in vars(ast).values()
    if isinstance(cls, type) and issubclass(cls, ast.Node) and cls is not ast.Node
}
_FIELDS = {
    name: tuple((f.name, _KINDS[f.type]) for f in dataclasses.fields(cls))
    for name, cls in _CLASSES.items()
}
# The operators the grammar writes into each node (lark_parse.py): any other is no tree.
_OPERATORS = {
    "Unary": frozenset({"-", "not"}),
    "Binary": frozenset({"+", "-", "*", "/"}),
    "Compare": frozenset({"==", "!=", "<", "<=", ">", ">="}),
    "Logic": frozenset({"and", "or"}),
}
_MOST_LEVELS = 200  # a tree read back: the parser takes trees up to its MAX_DEPTH (100) deep


def _encode(node: object, file: str) -> list:
    name = type(node).__name__
    out: list = [name]
    for field, (kind, _) in _FIELDS[name]:
        value = getattr(node, field)
        if kind == "node":
            out.append(_encode(value, file))
        elif kind == "nodes":
            out.append([_encode(child, file) for child in value])
        elif kind == "span":
            if value.file != file:
                raise _Invalid(name)
            out.append([value.line, value.column, value.end_line, value.end_column])
        else:
            out.append(value)
    return out


def _node(raw: object, file: str, level: int, only: str | None = None) -> ast.Node:
    if level > _MOST_LEVELS or not isinstance(raw, list) or not raw:
        raise _Invalid(raw)
    name = raw[0]
    fields = _FIELDS.get(name) if isinstance(name, str) else None
    if fields is None or len(raw) != len(fields) + 1 or only not in (None, name):
        raise _Invalid(name)
    values = [
        _value(kind, item, file, level) for (_, kind), item in zip(fields, raw[1:], strict=True)
    ]
    if name in _OPERATORS and values[0] not in _OPERATORS[name]:
        raise _Invalid(values[0])
    return _CLASSES[name](*values)


def _value(kind: tuple[str, str | None], item: object, file: str, level: int) -> object:
    shape, only = kind
    if shape == "node":
        return _node(item, file, level + 1, only)
    if shape == "nodes":
        if not isinstance(item, list):
            raise _Invalid(item)
        return tuple(_node(child, file, level + 1, only) for child in item)
    if shape == "span":
        if not (isinstance(item, list) and len(item) == 4):
            raise _Invalid(item)
        if not all(type(n) is int and 0 < n < 1 << 31 for n in item):
            raise _Invalid(item)
        return Span(file, *item)
    expected = {"str": str, "float": float, "bool": bool}[shape]
    if type(item) is not expected or (shape == "float" and not math.isfinite(item)):
        raise _Invalid(item)
    return item
