"""Arrow arrays to numpy and back through their buffers, never through pyarrow's
conversions: ``Array.to_numpy``, ``pa.array`` and ``pa.scalar`` import pandas on first
use (about 0.25 s, a third of `kaohe evaluate` at 10,000 units), though nothing here
needs it. pyarrow's compute functions, its readers and ``from_buffers`` do not.

Only what the readers and writers use: numbers and truth values to numpy (a null as NaN,
as ``to_numpy(zero_copy_only=False)`` gives it), text to an object array of str, and
numpy numbers or Python strings to Arrow. tests/unit/test_arrow_numpy.py holds each equal
to pyarrow's own conversion.
"""

from __future__ import annotations

import numpy as np


def to_numpy(array) -> np.ndarray:
    """A numeric or boolean Arrow array (or chunked array) as numpy: integers and floats
    as their own dtype, booleans as bool; where a value is null NaN, integers then as
    float64, and booleans an object array with None (as pyarrow gives each)."""
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    kind = array.type
    size, offset = len(array), array.offset
    validity, data = array.buffers()[:2]
    if pa.types.is_boolean(kind):
        bits = np.frombuffer(data, dtype=np.uint8) if size else np.zeros(0, np.uint8)
        truth = np.unpackbits(bits, bitorder="little", count=offset + size)[offset:].astype(bool)
        if not array.null_count:
            return truth
        out = truth.astype(object)  # as pyarrow gives it: True, False or None
        out[~_bits(validity, offset, size)] = None
        return out
    dtype = np.dtype(kind.to_pandas_dtype()) if _primitive(kind) else None
    if dtype is None:
        raise TypeError(f"not a number array: {kind}")
    values = np.frombuffer(data, dtype=dtype, count=offset + size)[offset:] if size else None
    values = np.zeros(0, dtype=dtype) if values is None else values
    if not array.null_count:
        return values
    present = _bits(validity, offset, size)
    # a copy (the buffer is Arrow's, read-only); integers become float64 to hold NaN
    out = values.astype(values.dtype if values.dtype.kind == "f" else np.float64)
    out[~present] = np.nan
    return out


def _primitive(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def _bits(buffer, offset: int, size: int) -> np.ndarray:
    raw = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little", count=offset + size)[offset:].astype(bool)


def texts(array) -> np.ndarray:
    """An Arrow text array (or chunked array) as an object array of str (None: null)."""
    out = np.empty(len(array), dtype=object)
    out[:] = array.to_pylist()
    return out


def numbers_array(values: np.ndarray, missing: np.ndarray | None = None):
    """A numpy array of numbers (or booleans) as an Arrow array; ``missing`` (bool) marks
    the nulls."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    if values.dtype == bool:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
        kind = pa.bool_()
    else:
        data = pa.py_buffer(values)
        kind = pa.from_numpy_dtype(values.dtype)
    validity = None
    if missing is not None and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(kind, len(values), [validity, data])


def text_array(strings) -> object:
    """Python strings (None: null) as an Arrow string array.

    No Python loop over the cells (one over a million cells cost more than the rest of
    writing the output): the strings are joined with NUL between them and encoded once,
    and each one's end is where a NUL byte stands, less the NULs before it."""
    import pyarrow as pa

    if not isinstance(strings, list):  # a numpy array's own tolist is the quick way
        strings = strings.tolist() if isinstance(strings, np.ndarray) else list(strings)
    size = len(strings)
    validity = None
    try:
        joined = "\0".join(strings)
    except TypeError:  # a None among them (anything else is the caller's error)
        cells = np.empty(size, dtype=object)
        cells[:] = strings
        missing = np.equal(cells, None)
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
        cells[missing] = ""
        strings = cells.tolist()
        joined = "\0".join(strings)
    if joined.count("\0") != max(size - 1, 0):
        return _text_array_by_cell(strings, validity)  # a NUL inside a string
    raw = joined.encode("utf-8")
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 0)
    data = raw.replace(b"\0", b"")
    kind, offsets = _offsets(size, len(data))
    offsets[1:size] = ends - np.arange(len(ends))
    offsets[size] = len(data)
    return pa.Array.from_buffers(kind, size, [validity, pa.py_buffer(offsets), pa.py_buffer(data)])


def _text_array_by_cell(strings: list[str], validity) -> object:
    import pyarrow as pa

    encoded = list(map(str.encode, strings))
    data = b"".join(encoded)
    kind, offsets = _offsets(len(strings), len(data))
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    return pa.Array.from_buffers(
        kind, len(strings), [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _offsets(size: int, total: int) -> tuple[object, np.ndarray]:
    """The array type and a zeroed offsets buffer for ``size`` strings of ``total`` bytes."""
    import pyarrow as pa

    large = total >= 2**31
    offsets = np.zeros(size + 1, dtype=np.int64 if large else np.int32)
    return (pa.large_string() if large else pa.string()), offsets


def text_scalar(text: str | None):
    """A string scalar for a compute function (a Python str there would be converted by
    pa.scalar, which imports pandas); None: a null string."""
    return text_array([text])[0]


def truth_scalar(value: bool):
    """A boolean scalar for a compute function (as text_scalar)."""
    return numbers_array(np.array([value]))[0]
