"""records.data_record behaves as dataclass (frozen unless it says frozen=False): the same
repr text, equality and hash (tuples of the same fields), the same frozen errors, fields and
replace, on classes of each shape the package declares, and on each of the package's own."""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
from dataclasses import field

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kaohe_rules
from kaohe_rules.records import data_record

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN included: a tuple compares its items by identity first
    st.text(max_size=5),
    st.tuples(st.integers(), st.text(max_size=3)),
)


def _shapes(decorate, slotted: bool):
    """The same class bodies under ``decorate``: the shapes the package's records take."""
    kw = {"slots": True} if slotted else {}

    @decorate(**kw)
    class Empty:
        pass

    @decorate(**kw)
    class One:
        a: object

    @decorate(**kw)
    class Many:
        a: object
        b: object = None
        c: object = field(default=None, compare=False, repr=False)
        d: object = field(default=None, hash=False)
        e: tuple = field(default=())

    @decorate(**kw)
    class Hashed:
        a: object
        b: object = None

        def __hash__(self) -> int:
            return 7

    @decorate(**kw)
    class Base:
        pass

    @decorate(**kw)
    class Child(Base):
        a: object
        b: object = None

    return {"Empty": Empty, "One": One, "Many": Many, "Hashed": Hashed, "Child": Child}


def _frozen_dataclass(**kw):
    return dataclasses.dataclass(frozen=True, **kw)


def _mutable_record(**kw):
    return data_record(frozen=False, **kw)


KINDS = {  # the reference dataclass, and data_record as the package writes it
    "frozen": (_frozen_dataclass, data_record),
    "mutable": (dataclasses.dataclass, _mutable_record),
}


@pytest.fixture(params=[False, True], ids=["dict", "slots"])
def pair(request):
    return _shapes(_frozen_dataclass, request.param), _shapes(data_record, request.param)


def _build(classes, name, values):
    cls = classes[name]
    count = len(dataclasses.fields(cls))
    return cls(*values[:count])


def _same(reference, ours, values_a, values_b, frozen: bool = True) -> None:
    for name in reference:
        ref_a, ref_b = _build(reference, name, values_a), _build(reference, name, values_b)
        our_a, our_b = _build(ours, name, values_a), _build(ours, name, values_b)
        assert repr(our_a) == repr(ref_a)
        assert (our_a == our_b) == (ref_a == ref_b)
        assert (our_a == our_a) == (ref_a == ref_a)
        assert (our_a != our_b) == (ref_a != ref_b)
        assert our_a.__eq__(object()) is NotImplemented
        try:
            expected = hash(ref_a)
        except TypeError:
            with pytest.raises(TypeError):
                hash(our_a)
        else:
            assert hash(our_a) == expected
        assert [f.name for f in dataclasses.fields(our_a)] == [
            f.name for f in dataclasses.fields(ref_a)
        ]
        for fld in dataclasses.fields(our_a):
            if frozen:
                with pytest.raises(dataclasses.FrozenInstanceError):
                    setattr(our_a, fld.name, 1)
        if dataclasses.fields(our_a):
            first = dataclasses.fields(our_a)[0].name
            assert dataclasses.replace(our_a, **{first: 5}) == dataclasses.replace(
                our_a, **{first: 5}
            )
            assert repr(dataclasses.replace(our_a, **{first: 5})) == repr(
                dataclasses.replace(ref_a, **{first: 5})
            )


@given(st.lists(VALUES, min_size=5, max_size=5), st.lists(VALUES, min_size=5, max_size=5))
def test_records_behave_as_dataclasses(values_a, values_b) -> None:
    for kind, (make_reference, make_ours) in KINDS.items():
        for slotted in (False, True):
            reference, ours = _shapes(make_reference, slotted), _shapes(make_ours, slotted)
            _same(reference, ours, values_a, values_b, kind == "frozen")
            _same(reference, ours, values_a, values_a, kind == "frozen")


def test_nan_is_equal_to_itself_in_a_field(pair) -> None:
    reference, ours = pair
    nan = math.nan
    assert (ours["One"](nan) == ours["One"](nan)) == (
        reference["One"](nan) == reference["One"](nan)
    )
    assert ours["One"](nan) == ours["One"](nan)
    assert ours["One"](float("nan")) != ours["One"](float("nan"))


def test_a_recursive_repr_shows_dots(pair) -> None:
    reference, ours = pair
    ref, our = reference["One"]([]), ours["One"]([])
    ref.a.append(ref)
    our.a.append(our)
    assert repr(our) == repr(ref) == "One(a=[...])".replace("One", type(our).__qualname__)


def test_options_record_cannot_honour_are_refused() -> None:
    with pytest.raises(TypeError, match="order"):
        data_record(order=True)


def _record_classes():
    for info in pkgutil.walk_packages(kaohe_rules.__path__, "kaohe_rules."):
        if ".cli" in info.name or ".outputs" in info.name:
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == info.name
                and dataclasses.is_dataclass(value)
                and getattr(value.__eq__, "__module__", "") == "kaohe_rules.records"
            ):
                yield value


def test_the_package_uses_records_for_its_frozen_model() -> None:
    names = {cls.__qualname__ for cls in _record_classes()}
    assert {"Span", "Origin", "Expr", "Indicator", "RuleSet", "Number", "Call"} <= names


@pytest.mark.parametrize("cls", list(_record_classes()), ids=lambda c: c.__qualname__)
def test_each_record_compares_its_compared_fields(cls) -> None:
    """The methods of each data_record class read exactly the fields dataclass would."""
    fields = dataclasses.fields(cls)
    compared = tuple(f.name for f in fields if f.compare)
    shown = tuple(f.name for f in fields if f.repr)

    class Probe:
        __class__ = cls  # what __eq__ and __repr__ look at

        def __init__(self, tag: str) -> None:
            for f in fields:
                object.__setattr__(self, f.name, f"{tag}.{f.name}")

    a, b = Probe("x"), Probe("x")
    assert cls.__eq__(a, b) is True
    if cls.__repr__.__module__ == "kaohe_rules.records":
        expected = ", ".join(f"{n}={getattr(a, n)!r}" for n in shown)
        assert cls.__repr__(a) == f"{cls.__qualname__}({expected})"
    for name in compared:
        c = Probe("x")
        object.__setattr__(c, name, "other")
        assert cls.__eq__(a, c) is False
    if cls.__hash__ is None:
        assert not cls.__dataclass_params__.frozen
    elif cls.__hash__.__module__ == "kaohe_rules.records":
        hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
        assert cls.__hash__(a) == hash(tuple(getattr(a, n) for n in hashed))
