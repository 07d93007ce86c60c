"""Dataclasses whose comparison, hash and repr are shared functions, not compiled code.

``dataclasses.dataclass`` compiles the source of each method it adds, for each class, when
the module is imported: six compilations for a frozen class, about a millisecond, and
``kaohe evaluate`` imports some eighty dataclasses (decision 68). ``data_record`` lets
``dataclass`` make what needs code of its own (``__init__``, and a frozen class's
``__setattr__`` and ``__delattr__``) and gives ``__eq__``, ``__hash__`` and ``__repr__`` as
functions of the class's fields that behave as the compiled ones do: the same tuples
compared and hashed, the same text, ``...`` for a recursive repr. tests/unit/test_records.py
holds each against ``dataclass`` itself.

This module imports nothing from the package.
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T", bound=type)

# The options of dataclass that data_record takes; for the others (order, unsafe_hash,
# weakref_slot) use dataclass itself.
_OPTIONS = frozenset({"init", "repr", "eq", "frozen", "slots", "kw_only", "match_args"})


def data_record(cls: T | None = None, /, **options: Any) -> T | Callable[[T], T]:
    """``@dataclass(frozen=True, **options)`` with shared ``__eq__``, ``__hash__`` and
    ``__repr__`` (see the module's docstring): ``@data_record``, ``@data_record(slots=True)``;
    ``@data_record(frozen=False)`` for a mutable class (unhashable, as dataclass makes it)."""
    unknown = set(options) - _OPTIONS
    if unknown:
        raise TypeError(f"data_record() does not take {sorted(unknown)}: use dataclass")

    def wrap(cls: T) -> T:
        return _make(cls, options)

    return wrap if cls is None else wrap(cls)


def _make(cls: T, options: dict[str, Any]) -> T:
    own = cls.__dict__
    wants_repr = options.get("repr", True) and "__repr__" not in own
    wants_eq = options.get("eq", True) and "__eq__" not in own
    # dataclass's rule: a __hash__ the class body sets is kept, unless it is the None
    # Python puts there for a class that defines __eq__.
    class_hash = own.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (
        class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in own)
    )
    frozen = options.get("frozen", True)
    made = dataclasses.dataclass(cls, **{**options, "frozen": frozen, "repr": False, "eq": False})
    fields = dataclasses.fields(made)
    if wants_repr:
        _set(made, "__repr__", _repr_fn(tuple(f.name for f in fields if f.repr)))
    if options.get("eq", True):
        compared = _key([f.name for f in fields if f.compare])
        if wants_eq:
            _set(made, "__eq__", _eq_fn(compared))
        if not explicit_hash and not frozen:
            made.__hash__ = None  # a mutable object compared by value has no hash
        elif not explicit_hash:
            hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
            _set(made, "__hash__", _hash_fn(_key(hashed)))
    return made


def _set(cls: type, name: str, fn: Callable) -> None:
    fn.__name__ = name
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, fn)


def _key(names: list[str]) -> Callable[[object], tuple]:
    """The tuple of the fields ``names`` of an object, as the compiled methods build it
    (a tuple even of one field: tuples compare their items by identity first)."""
    if len(names) >= 2:
        return attrgetter(*names)
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return lambda obj: ()


def _eq_fn(key: Callable[[object], tuple]) -> Callable:
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash_fn(key: Callable[[object], tuple]) -> Callable:
    def __hash__(self):
        return hash(key(self))

    return __hash__


def _repr_fn(names: tuple[str, ...]) -> Callable:
    running: set[tuple[int, int]] = set()

    def __repr__(self):
        key = id(self), get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
            return f"{self.__class__.__qualname__}({shown})"
        finally:
            running.discard(key)

    return __repr__
