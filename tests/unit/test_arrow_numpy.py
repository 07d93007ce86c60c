"""read/arrow_numpy.py converts through buffers exactly as pyarrow's own conversions do
(which import pandas), for every type, null, slice and chunking the readers meet."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.read.arrow_numpy import numbers_array, text_array, texts, to_numpy

KINDS = [pa.int8(), pa.int32(), pa.int64(), pa.uint16(), pa.float32(), pa.float64()]
floats = st.floats(allow_nan=False, width=32)


def _same(got: np.ndarray, want: np.ndarray) -> bool:
    return got.dtype == want.dtype and np.array_equal(got, want, equal_nan=want.dtype.kind == "f")


@settings(deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    values=st.lists(st.one_of(st.none(), st.integers(0, 100)), max_size=40),
    start=st.integers(0, 5),
    length=st.integers(0, 40),
)
def test_numbers_to_numpy_as_pyarrow_does(kind, values, start, length) -> None:
    array = pa.array(values, type=kind).slice(start, length)
    assert _same(to_numpy(array), array.to_numpy(zero_copy_only=False))


@settings(deadline=None)
@given(
    values=st.lists(st.booleans(), max_size=70),
    start=st.integers(0, 9),
    length=st.integers(0, 70),
)
def test_truth_values_to_numpy_as_pyarrow_does(values, start, length) -> None:
    array = pa.array(values, type=pa.bool_()).slice(start, length)
    assert _same(to_numpy(array), array.to_numpy(zero_copy_only=False))


@settings(deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.booleans()), max_size=30), start=st.integers(0, 9))
def test_truth_values_with_nulls_as_pyarrow_gives_them(values, start) -> None:
    array = pa.array(values, type=pa.bool_()).slice(start)
    want = array.to_numpy(zero_copy_only=False)
    got = to_numpy(array)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


@settings(deadline=None)
@given(chunks=st.lists(st.lists(st.one_of(st.none(), floats), max_size=10), min_size=1, max_size=4))
def test_chunked_arrays_are_joined(chunks) -> None:
    array = pa.chunked_array([pa.array(c, type=pa.float64()) for c in chunks])
    assert _same(to_numpy(array), array.to_numpy())


@settings(deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=30))
def test_texts_both_ways(values) -> None:
    built = text_array(values)
    assert built.equals(pa.array(values, type=pa.string()))
    assert texts(built).tolist() == values
    assert texts(built.slice(1)).tolist() == values[1:]


@settings(deadline=None)
@given(
    values=st.lists(st.integers(-1000, 1000), max_size=30),
    missing=st.lists(st.booleans(), max_size=30),
    kind=st.sampled_from([np.float64, np.int32, np.int64, bool]),
)
def test_numbers_to_arrow_as_pyarrow_does(values, missing, kind) -> None:
    size = min(len(values), len(missing))
    array = np.array(values[:size]).astype(kind)
    mask = np.array(missing[:size], dtype=bool)
    assert numbers_array(array, mask).equals(pa.array(array, mask=mask))
    assert numbers_array(array).equals(pa.array(array))


def test_none_of_it_imports_pandas() -> None:
    script = (
        "import sys, numpy as np\n"
        "from kaohe_rules.read.arrow_numpy import numbers_array, text_array, texts, to_numpy\n"
        "to_numpy(numbers_array(np.arange(3.0), np.array([0, 1, 0], bool)))\n"
        "to_numpy(numbers_array(np.array([True, False])))\n"
        "texts(text_array(['甲', None]))\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
