"""Where a position lies in a YAML rule file, read from the text around it (a buffer
being typed need not parse), and what the JSON Schema of that file kind allows there.

The schemas are the ones the loader checks against (schemas/*.schema.json, read through
``rules.schema_fast.schema_files``); this module only walks them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import field
from functools import cache
from pathlib import Path

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.records import data_record
from kaohe_rules.rules.assemble import RULESET_FILE
from kaohe_rules.rules.loader import YMap, load_file
from kaohe_rules.rules.schema_fast import schema_files

ITEM = "[]"  # a step into a list's items
FORMULA = "#/$defs/表达式"  # the schema of every formula and condition (common.schema.json)
_KEY = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([^\s:#{}\[\],"'][^:#{}\[\],]*?))\s*:(?:\s|$)""")
_LEAD = re.compile(r"^(\s*)((?:-\s+)*)(.*)$")
_MODELINE = re.compile(r"\$schema=\S*?(\w+)\.schema\.json")


@data_record
class Place:
    """The path of keys down to a position (``ITEM`` for a list item), whether the
    position is where a key is written, and the text typed there so far."""

    path: tuple[str, ...]
    at_key: bool
    typed: str
    siblings: tuple[str, ...] = field(default=())


def place(lines: Sequence[str], line: int, column: int) -> Place:
    """The place of (``line``, ``column``), 1-based, in a YAML document's ``lines``."""
    text = lines[line - 1][: column - 1] if 0 < line <= len(lines) else ""
    lead = _LEAD.match(text)
    indent = len(lead.group(1)) + len(lead.group(2))
    own: list[str] = [ITEM] * lead.group(2).count("-")
    rest = lead.group(3)
    at_key, typed = True, rest
    found = _KEY.match(rest)
    if found:
        key = _key_of(found)
        value = rest[found.end() :]
        own.append(key)
        at_key, typed = _in_flow(value, own)
    parents = _parents(lines, line - 1, indent)
    siblings = _siblings(lines, line - 1, indent) if at_key and not found else ()
    return Place(tuple(parents + own), at_key, typed.strip(), tuple(siblings))


def _key_of(found: re.Match) -> str:
    return next(g for g in found.groups() if g is not None).strip()


def _in_flow(value: str, path: list[str]) -> tuple[bool, str]:
    """Inside ``{a: 1, b`` after a key: a key of that mapping; else the value typed."""
    opened = value.rfind("{")
    if opened < 0 or "}" in value[opened:]:
        return False, value
    inner = re.split(r",", value[opened + 1 :])[-1]
    found = _KEY.match(inner)
    if found:
        path.append(_key_of(found))
        return False, inner[found.end() :]
    return True, inner


def _parents(lines: Sequence[str], before: int, indent: int) -> list[str]:
    out: list[str] = []
    for raw in reversed(lines[:before]):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        lead = _LEAD.match(raw)
        start = len(lead.group(1))
        content = start + len(lead.group(2))
        if content < indent:
            found = _KEY.match(lead.group(3))
            if found:
                out.append(_key_of(found))
            indent = content
        if lead.group(2) and start < indent:
            out.append(ITEM)
            indent = start
        if indent == 0:
            break
    return list(reversed(out))


def _siblings(lines: Sequence[str], at: int, indent: int) -> Iterator[str]:
    """The keys already written at ``indent`` in the mapping around line ``at`` (0-based)."""
    for step in (-1, 1):
        row = at + step
        while 0 <= row < len(lines):
            raw = lines[row]
            row += step
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            start = len(raw) - len(raw.lstrip(" "))
            if start < indent:
                break
            found = _KEY.match(raw) if start == indent else None
            if found:
                yield _key_of(found)


# ---- the schemas


@cache
def _schemas() -> dict[str, dict]:
    return {uri.rsplit("/", 1)[-1]: contents for uri, contents in schema_files().items()}


def _resolve(schema: dict, base: str, seen: list[str]) -> tuple[dict, str]:
    """``schema`` with its ``$ref`` followed (``seen`` records each one)."""
    for _ in range(20):
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not ref:
            return schema, base
        seen.append(ref)
        name, _hash, pointer = ref.partition("#")
        base = name or base
        target: object = _schemas().get(base, {})
        for step in filter(None, pointer.split("/")):
            target = target.get(step, {}) if isinstance(target, dict) else {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema, base


def _branches(schema: dict, base: str, seen: list[str]) -> list[tuple[dict, str]]:
    """The schema and the branches of its oneOf/anyOf/allOf, each resolved."""
    schema, base = _resolve(schema, base, seen)
    out = [(schema, base)]
    for word in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(word, ()):
            out += _branches(branch, base, seen)
    return out


def _step(schema: dict, base: str, key: str) -> tuple[dict, str] | None:
    for option, where in _branches(schema, base, []):
        if key == ITEM:
            if isinstance(option.get("items"), dict):
                return option["items"], where
            continue
        if key in option.get("properties", {}):
            return option["properties"][key], where
        for pattern, sub in option.get("patternProperties", {}).items():
            if re.search(pattern, key):
                return sub, where
        if isinstance(option.get("additionalProperties"), dict):
            return option["additionalProperties"], where
    return None


def schema_at(kind: str, path: Sequence[str]) -> tuple[dict, str] | None:
    """The schema (unresolved) and its file at ``path`` in a document of ``kind``."""
    base = f"{kind}.schema.json"
    schema: tuple[dict, str] | None = (_schemas().get(base, {}), base)
    for key in path:
        schema = _step(*schema, key) if schema else None
    return schema


def allowed_keys(kind: str, path: Sequence[str]) -> dict[str, str]:
    """The keys the schema names at ``path`` → their description ('' when none)."""
    found = schema_at(kind, path)
    if found is None:
        return {}
    out: dict[str, str] = {}
    for option, where in _branches(*found, []):
        for key, sub in option.get("properties", {}).items():
            out.setdefault(key, describe(sub, where))
    return out


def describe(schema: dict, base: str) -> str:
    """The description of a schema, its $ref's followed when it has none of its own."""
    if isinstance(schema, dict) and schema.get("description"):
        return schema["description"]
    resolved, _base = _resolve(schema, base, [])
    return resolved.get("description") or resolved.get("title") or ""


def value_kind(kind: str, path: Sequence[str]) -> tuple[bool, tuple[str, ...]]:
    """Whether the value at ``path`` is a formula, and the values it may take (enum)."""
    found = schema_at(kind, path)
    if found is None:
        return False, ()
    seen: list[str] = []
    options = _branches(*found, seen)
    formula = any(ref.endswith(FORMULA) for ref in seen)
    choices = [str(v) for option, _ in options for v in option.get("enum", ())]
    return formula, tuple(dict.fromkeys(choices))


def kind_of(path: Path, lines: Sequence[str], folder: Path | None) -> str | None:
    """The schema kind of a rule file: its ``$schema`` modeline, else its role in the
    规则集.yaml of ``folder`` (read through any buffers in effect)."""
    for text in lines[:3]:
        found = _MODELINE.search(text)
        if found and f"{found.group(1)}.schema.json" in _schemas():
            return found.group(1)
    if path.name == RULESET_FILE:
        return "ruleset"
    if folder is None:
        return None
    if path.resolve().is_relative_to(folder / "tests"):
        return "tests"
    return _role(path.resolve(), folder)


def _role(path: Path, folder: Path) -> str | None:
    try:
        document = load_file(folder / RULESET_FILE)
    except (KaoheError, OSError):
        return None
    if not isinstance(document, YMap):
        return None
    for key, kind in (("名单", "roster"), ("领域", "domain"), ("专项考核", "special")):
        written = document.get(key)
        names = written.values() if isinstance(written, dict) else [written]
        for name in names:
            if isinstance(name, str) and (folder / name).resolve() == path:
                return kind
    return None
