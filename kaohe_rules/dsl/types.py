"""The language's types: 数值, 真假, 文本, lists and records, plus the type of ``missing``."""

from __future__ import annotations

from kaohe_rules.records import data_record


@data_record(slots=True, eq=False)
class Type:
    """A value type; ``elem`` for lists, ``fields`` for records."""

    kind: str
    elem: Type | None = None
    fields: tuple[tuple[str, Type], ...] = ()

    # Types are compared per cell by the data readers (kind == TEXT), nearly always with
    # the same shared object: identity first, then the fields as a dataclass compares them.
    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if other.__class__ is not Type:
            return NotImplemented
        return (self.kind, self.elem, self.fields) == (other.kind, other.elem, other.fields)

    def __hash__(self) -> int:
        return hash((self.kind, self.elem, self.fields))

    @property
    def label(self) -> str:
        """The type's name as policy staff read it."""
        if self.kind == "list":
            return f"{self.elem.label}列表" if self.elem else "列表"
        return _LABELS[self.kind]

    def field(self, name: str) -> Type | None:
        """The type of a record field, or None."""
        return dict(self.fields).get(name)


_LABELS = {
    "number": "数值",
    "bool": "真假值",
    "text": "文本",
    "missing": "缺失值",
    "any": "任意值",
    "record": "记录",
}

NUMBER = Type("number")
BOOL = Type("bool")
TEXT = Type("text")
MISSING = Type("missing")
ANY = Type("any")  # the type of an expression that already has an error


def list_of(elem: Type) -> Type:
    """The type of a list whose items are ``elem``."""
    return Type("list", elem)


def record(**fields: Type) -> Type:
    """A record type, e.g. what ``history(1)`` returns."""
    return Type("record", fields=tuple(sorted(fields.items())))


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two values (for if-branches and lists), or None.

    ``missing`` fits every type, and ``any`` (an erroneous part) fits everything
    so one mistake is reported once.
    """
    if a == b:
        return a
    if a in (MISSING, ANY):
        return b
    if b in (MISSING, ANY):
        return a
    if a.kind == "list" and b.kind == "list":
        elem = unify(a.elem, b.elem)
        return list_of(elem) if elem else None
    return None


def accepts(expected: Type, actual: Type) -> bool:
    """Whether a value of type ``actual`` may stand where ``expected`` is required."""
    if expected == ANY or actual in (ANY, MISSING):
        return True
    if expected.kind == "list" and actual.kind == "list":
        return actual.elem is None or accepts(expected.elem, actual.elem)
    return expected == actual


def parse_type(text: str) -> Type:
    """A type from its name in rule files and the CLI: number, bool, text (or 数值, 真假, 文本)."""
    return {
        "number": NUMBER,
        "数值": NUMBER,
        "bool": BOOL,
        "真假": BOOL,
        "text": TEXT,
        "文本": TEXT,
    }[text]
