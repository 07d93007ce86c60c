"""Whether a document is valid under its schema, decided by the schemas compiled once to
Python closures: a valid document (the usual case) needs neither jsonschema nor its
import. Only a document that fails goes to jsonschema (schema.py), which says why.

Each closure gives jsonschema's verdict for its keyword (Draft 2020-12, the same type
checks); tests/rules/test_schema_fast.py holds the two equal over every rule file in
the repository and over random edits of them. A schema that uses a keyword this
module does not know is not compiled: every document of it then goes to jsonschema.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable
from functools import cache
from urllib.parse import unquote, urljoin

from kaohe_rules.resources import data_path

Check = Callable[[object], bool]

# Keywords that only annotate: they never make a document invalid.
_ANNOTATIONS = frozenset({"$schema", "$defs", "title", "description", "examples", "$comment"})


class Unsupported(Exception):
    """A schema keyword (or a form of one) this compiler does not know."""


@cache
def schema_files() -> dict[str, dict]:
    """The shipped schemas by their $id."""
    found = {}
    for path in sorted(data_path("schemas").glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        found[contents["$id"]] = contents
    return found


@cache
def compiled(kind: str) -> Check | None:
    """The validity test of ``<kind>.schema.json``, or None when it cannot be compiled."""
    files = schema_files()
    uri = next((u for u in files if u.rsplit("/", 1)[-1] == f"{kind}.schema.json"), None)
    if uri is None:
        return None
    try:
        return _Compiler(files).schema(files[uri], uri)
    except Unsupported:
        return None


def is_valid(document: object, kind: str) -> bool | None:
    """True when ``document`` is valid; False when it is not; None when undecided."""
    check = compiled(kind)
    return None if check is None else check(document)


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _is_integer(x: object) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


class _Compiler:
    """Schemas to closures; a $ref is compiled once and may be recursive."""

    def __init__(self, files: dict[str, dict]) -> None:
        self.files = files
        self.refs: dict[str, list[Check]] = {}

    def schema(self, schema: object, base: str) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise Unsupported(repr(schema))
        checks = [
            self.keyword(key, value, schema, base)
            for key, value in schema.items()
            if key not in _ANNOTATIONS and not (key == "$id" and value == base)
        ]
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(check(x) for check in checks)

    def keyword(self, key: str, value: object, schema: dict, base: str) -> Check:
        method = getattr(self, "k_" + key.lstrip("$"), None)
        if method is None:
            raise Unsupported(key)
        return method(value, schema, base)

    def k_type(self, value, schema, base) -> Check:
        names = [value] if isinstance(value, str) else list(value)
        if not all(name in _TYPES for name in names):
            raise Unsupported(f"type {names}")
        tests = [_TYPES[name] for name in names]
        return lambda x: any(test(x) for test in tests)

    def k_enum(self, value, schema, base) -> Check:
        # jsonschema compares a text to a text by ==; other members compare in ways of
        # their own (1 is not True): not needed by our schemas, so not compiled.
        if not all(type(v) is str for v in value):
            raise Unsupported("enum")
        allowed = frozenset(value)
        return lambda x: isinstance(x, str) and x in allowed

    def k_pattern(self, value, schema, base) -> Check:
        search = re.compile(value).search
        return lambda x: not isinstance(x, str) or search(x) is not None

    def k_minLength(self, value, schema, base) -> Check:
        return lambda x: not isinstance(x, str) or len(x) >= value

    def k_maxLength(self, value, schema, base) -> Check:
        return lambda x: not isinstance(x, str) or len(x) <= value

    def k_minimum(self, value, schema, base) -> Check:
        return lambda x: not _is_number(x) or not x < value

    def k_maximum(self, value, schema, base) -> Check:
        return lambda x: not _is_number(x) or not x > value

    def k_minItems(self, value, schema, base) -> Check:
        return lambda x: not isinstance(x, list) or len(x) >= value

    def k_minProperties(self, value, schema, base) -> Check:
        return lambda x: not isinstance(x, dict) or len(x) >= value

    def k_required(self, value, schema, base) -> Check:
        names = list(value)
        return lambda x: not isinstance(x, dict) or all(name in x for name in names)

    def k_properties(self, value, schema, base) -> Check:
        each = [(name, self.schema(sub, base)) for name, sub in value.items()]
        return lambda x: (
            not isinstance(x, dict) or all(check(x[name]) for name, check in each if name in x)
        )

    def k_additionalProperties(self, value, schema, base) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        known = frozenset(schema.get("properties", {}))
        if value is False:
            return lambda x: not isinstance(x, dict) or all(k in known for k in x)
        if not isinstance(value, dict):  # true: nothing to check
            return lambda x: True
        check = self.schema(value, base)
        return lambda x: (
            not isinstance(x, dict) or all(check(v) for k, v in x.items() if k not in known)
        )

    def k_propertyNames(self, value, schema, base) -> Check:
        check = self.schema(value, base)
        return lambda x: not isinstance(x, dict) or all(check(k) for k in x)

    def k_items(self, value, schema, base) -> Check:
        if "prefixItems" in schema:
            raise Unsupported("prefixItems")
        check = self.schema(value, base)
        return lambda x: not isinstance(x, list) or all(check(item) for item in x)

    def k_oneOf(self, value, schema, base) -> Check:
        branches = [self.schema(sub, base) for sub in value]
        return lambda x: sum(1 for branch in branches if branch(x)) == 1

    def k_not(self, value, schema, base) -> Check:
        check = self.schema(value, base)
        return lambda x: not check(x)

    def k_ref(self, value, schema, base) -> Check:
        target = urljoin(base, value)
        if target not in self.refs:
            self.refs[target] = slot = []  # filled below; a recursive $ref reads it late
            resource, _, pointer = target.partition("#")
            if resource not in self.files:
                raise Unsupported(target)
            slot.append(self.schema(_pointed(self.files[resource], pointer), resource))
        slot = self.refs[target]
        return lambda x: slot[0](x)


def _pointed(document: object, pointer: str) -> object:
    """The part of ``document`` a JSON pointer (a URI fragment) names."""
    node = document
    for part in unquote(pointer).split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise Unsupported(pointer)
    return node
