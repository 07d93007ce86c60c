"""`kaohe fmt`: one canonical layout for rule files, keeping every comment.

Keys follow the order of the JSON Schema (规则集: 年度, 名称, …; 指标: 名称, 单位,
满分, 方向, 计分方法, …), names chosen by the author (indicator ids, domains) keep
the author's order, indentation is two spaces, lists are indented under their
key, and long lines are never wrapped. Formula text is left exactly as written:
rewriting it would change the author's choice of Chinese or English keywords.

A mapping with full-line comments between its keys keeps its key order, because
YAML attaches such a comment to the key above it and moving keys would move the
comment away from the line it describes.
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kaohe_rules.resources import data_path

KIND_BY_NAME = {"规则集.yaml": "ruleset", "名单.yaml": "roster"}
SPECIAL_FOLDER = "专项"  # special assessment files live in this folder of a rule set


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    # A deletion in a revision is written ~ (docs/rules.md); keep that spelling.
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "~")
    )
    return yaml


@cache
def _schemas() -> dict[str, dict]:
    folder = data_path("schemas")
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in folder.glob("*.schema.json")
    }


def _resolve(schema: dict, file: str) -> tuple[dict, str]:
    """Follow ``$ref`` (within or across the schema files) to the schema it names."""
    while isinstance(schema, dict) and "$ref" in schema:
        target, _, pointer = schema["$ref"].partition("#")
        file = target or file
        schema = _schemas()[file]
        for part in pointer.strip("/").split("/") if pointer else ():
            schema = schema[part]
    return schema, file


def _child(schema: dict, file: str, key: object) -> tuple[dict, str]:
    """The schema of ``key``'s value inside a mapping (or of an item inside a list)."""
    schema, file = _resolve(schema, file)
    if not isinstance(schema, dict):
        return {}, file
    if key is None:
        return _resolve(schema.get("items", {}), file)
    properties = schema.get("properties", {})
    if key in properties:
        return _resolve(properties[key], file)
    return _resolve(schema.get("additionalProperties", {}) or {}, file)


def _line_comment_after(tokens: object) -> bool:
    """Whether comment tokens hold a full-line comment below their own line."""
    for token in tokens or ():
        for part in token if isinstance(token, list) else [token]:
            value = getattr(part, "value", "") or ""
            if "\n" in value.rstrip("\n") and "#" in value.split("\n", 1)[1]:
                return True
    return False


def _comment_above(node: object) -> bool:
    """Whether a nested mapping starts with full-line comments above its first key."""
    comment = getattr(node, "ca", None) and node.ca.comment
    return bool(comment and len(comment) > 1 and comment[1])


def _has_inner_comments(mapping: CommentedMap) -> bool:
    return any(_line_comment_after(tokens) for tokens in mapping.ca.items.values())


def _reorder(mapping: CommentedMap, order: list[str], pin_first: bool = False) -> None:
    keys = list(mapping.keys())
    rank = {k: (order.index(k) if k in order else len(order), i) for i, k in enumerate(keys)}
    if pin_first and keys:
        rank[keys[0]] = (-1, 0)  # a comment above the mapping belongs to its first key
    wanted = sorted(keys, key=lambda k: rank[k])
    if wanted == keys or _has_inner_comments(mapping):
        return
    entries = [(k, mapping[k], mapping.ca.items.get(k)) for k in wanted]
    for key in keys:
        del mapping[key]
    for key, value, comment in entries:
        mapping[key] = value
        if comment is not None:
            mapping.ca.items[key] = comment


def _walk(node: object, schema: dict, file: str, pin_first: bool = False) -> None:
    if isinstance(node, CommentedMap):
        resolved, _here = _resolve(schema, file)
        order = list(resolved.get("properties", {})) if isinstance(resolved, dict) else []
        _reorder(node, order, pin_first)
        for key, value in node.items():
            _walk(value, *_child(schema, file, key), pin_first=_comment_above(value))
    elif isinstance(node, CommentedSeq):
        for item in node:
            _walk(item, *_child(schema, file, None))


def schema_for(path: Path) -> str:
    """Which schema a rule file follows: by its name, or its folder for test cases."""
    if path.parent.name == "tests":
        return "tests.schema.json"
    if path.parent.name == SPECIAL_FOLDER:
        return "special.schema.json"
    return f"{KIND_BY_NAME.get(path.name, 'domain')}.schema.json"


def format_text(text: str, schema_file: str) -> str:
    """The canonical form of one rule file's text."""
    yaml = _yaml()
    document = yaml.load(text)
    if document is None:
        return text
    _walk(document, _schemas()[schema_file], schema_file)
    out = io.StringIO()
    yaml.dump(document, out)
    text = out.getvalue().rstrip("\n") + "\n"
    if isinstance(document, CommentedSeq):
        # A top-level list (test cases) starts at the margin, as people write it.
        text = "".join(
            line[2:] if line.startswith("  ") else line for line in text.splitlines(True)
        )
    return text


def rule_files(folder: Path) -> list[Path]:
    """The YAML files of a rule set folder, special assessments and test cases included:
    every entry but folders, so that a pipe, a device or a loop among them is reported
    (assemble.folder_file_problem), not skipped."""
    files = sorted(folder.glob("*.yaml")) + sorted((folder / SPECIAL_FOLDER).glob("*.yaml"))
    files += sorted((folder / "tests").glob("*.yaml"))
    return [f for f in files if f.is_symlink() or not f.is_dir()]
