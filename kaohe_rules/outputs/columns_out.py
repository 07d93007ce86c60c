"""The columnar writer: a table's chunks of typed columns (table_columns.py) as CSV
rows, JSON rows or Parquet, each chunk by whole columns in pyarrow.

The CSV and JSON text is byte for byte what report.py's row writer gives: numbers
through number_text.py; text as csv.writer (QUOTE_MINIMAL) and json.dumps
(ensure_ascii=False) write it, computed by columns for the text that needs nothing
done to it and by those writers themselves, one cell at a time, for any text holding
a character they quote or escape. A chunk's rows are joined into one string array
whose data buffer is the chunk's bytes, handed on without a copy.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaohe_rules.outputs.number_text import number_texts
from kaohe_rules.outputs.numbers import plain
from kaohe_rules.outputs.table_columns import CELLS, NUMBER, TEXT, WHOLE, Chunk, Column
from kaohe_rules.read.arrow_numpy import numbers_array, text_array, text_scalar, truth_scalar

# Characters csv.writer may quote a field for (its delimiter, quote character and line
# ends), and json.dumps escapes (with DEL, which it does not, for good measure): text
# holding one is written by those writers themselves.
_CSV_SPECIAL = '[,"\r\n]'
_JSON_SPECIAL = '[\\x00-\\x1f"\\\\\\x7f]'


def _byte_table(special: bytes) -> np.ndarray:
    """Which of the 256 byte values are in ``special`` (np.isin would load numpy.ma,
    about 10 ms at start-up, for this)."""
    table = np.zeros(256, dtype=bool)
    table[list(special)] = True
    return table


_CSV_BYTES = _byte_table(b',"\r\n')
_JSON_BYTES = _byte_table(bytes(range(32)) + b'"\\\x7f')


# Compute functions' string arguments made once, not from Python str (arrow_numpy.py).
_NEWLINE, _COMMA, _QUOTE, _EMPTY = (text_scalar(s) for s in ("\n", ",", '"', ""))


def csv_rows(chunks: Iterable[Chunk]) -> Iterator[memoryview]:
    """The CSV rows of each chunk (fields joined by ',', each row ended by '\\n')."""
    for chunk in chunks:
        fields = [_csv_texts(column) for column in chunk]
        # Each row's line end goes before its first field (one short column to copy,
        # not every row again): the chunk is then '\n' row '\n' row ... less its first
        # byte, plus a last '\n'.
        fields[0] = pc.binary_join_element_wise(
            _NEWLINE, fields[0], _EMPTY, null_handling="replace", null_replacement=""
        )
        rows = pc.binary_join_element_wise(
            *fields, _COMMA, null_handling="replace", null_replacement=""
        )
        if len(rows):
            yield _data(rows)[1:]
            yield memoryview(b"\n")


def json_rows(header: list[str], chunks: Iterable[Chunk]) -> Iterator[memoryview | bytes]:
    """A table as json.dumps(indent=1) writes a list of row objects one level down
    (inside the top-level object): '[', the rows, ' ]'; '[]' for no rows."""
    keys = [json.dumps(name, ensure_ascii=False) for name in header]
    pieces = [("  {\n" if i == 0 else ",\n") + f"   {key}: " for i, key in enumerate(keys)]
    held = None  # the last rows, written once it is known whether more follow
    for chunk in chunks:
        if not len(chunk[0]):
            continue
        parts, before = [], ""
        for piece, column in zip(pieces, chunk, strict=True):
            value, bare = _json_texts(column)
            # Text with nothing to escape and no null takes its quotes from the pieces
            # around it: one pass over the column fewer.
            parts += [text_scalar(before + piece + ('"' if bare else "")), value]
            before = '"' if bare else ""
        end = text_scalar(before + "\n  },\n")
        rows = pc.binary_join_element_wise(
            *parts, end, _EMPTY, null_handling="replace", null_replacement="null"
        )
        yield b"[\n" if held is None else held
        held = _data(rows)
    if held is None:
        yield b"[]"
        return
    yield held[:-2]  # the last row has no ',\n' after it
    yield b"\n ]"


def _csv_texts(column: Column) -> pa.Array:
    """A column's CSV fields (null: an empty field)."""
    if column.kind == TEXT:
        return _escaped(column.values, _CSV_SPECIAL, _csv_field)
    if column.kind == NUMBER:
        return number_texts(column.values, _csv_number, column.places)
    if column.kind == WHOLE:
        return pc.cast(numbers_array(column.values), pa.string())
    return _cells(column.values, _csv_field)


def _json_texts(column: Column) -> tuple[pa.Array, bool]:
    """A column's JSON values (null: null), and whether they are bare text: strings
    that need only their quotes (no null among them)."""
    if column.kind == TEXT:
        plain_text = not _may_hold(column.values, _JSON_BYTES)
        if plain_text and column.values.null_count == 0:
            return column.values, True
        quoted = pc.binary_join_element_wise(_QUOTE, column.values, _QUOTE, _EMPTY)
        if plain_text:
            return quoted, False
        special = pc.match_substring_regex(column.values, _JSON_SPECIAL)
        return _replaced(quoted, column.values, special, _json_value), False
    if column.kind == NUMBER:
        return number_texts(column.values, _json_number, column.places), False
    if column.kind == WHOLE:
        return pc.cast(numbers_array(column.values), pa.string()), False
    return _cells(column.values, _json_value), False


def _escaped(text: pa.Array, special: str, write) -> pa.Array:
    if not _may_hold(text, _CSV_BYTES):
        return text
    return _replaced(text, text, pc.match_substring_regex(text, special), write)


def _may_hold(text: pa.Array, table: np.ndarray) -> bool:
    """Whether any text of the array holds a byte of ``table`` (an ASCII character: in
    UTF-8 no other character has such a byte), looked up over its bytes at once."""
    return bool(table[np.frombuffer(_data(text), np.uint8)].any())


def _replaced(done: pa.Array, text: pa.Array, special: pa.Array, write) -> pa.Array:
    """``done``, with each text matching ``special`` written by ``write`` instead."""
    special = pc.fill_null(special, truth_scalar(False))
    if not pc.any(special).as_py():
        return done
    chosen = text.filter(special).to_pylist()
    return pc.replace_with_mask(done, special, text_array([write(v) for v in chosen]))


def _cells(values: np.ndarray, write) -> pa.Array:
    if _all_missing(values):  # a paper of another domain: a run of empty cells
        return pa.nulls(len(values), pa.string())
    return text_array([None if v is None else write(v) for v in values])


def _all_missing(values: np.ndarray) -> bool:
    return bool(np.equal(values, None).all())


def _csv_field(value: object) -> str:
    """One field as csv.writer writes it in a row of several (QUOTE_MINIMAL)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([value, ""])
    return out.getvalue()[:-2]  # less the empty last field: ',' and the line end


def _csv_number(value: float) -> str:
    return str(plain(value))


def _json_number(value: float) -> str:
    return json.dumps(plain(value))


def _json_value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _data(text: pa.Array) -> memoryview:
    """The bytes of a string array's values, end to end (no copy)."""
    offsets = np.frombuffer(text.buffers()[1], np.int32, len(text) + 1, text.offset * 4)
    return memoryview(text.buffers()[2])[offsets[0] : offsets[-1]]


def json_object(fields: list[tuple[str, object]]) -> Iterator[bytes | memoryview]:
    """The top-level object as json.dumps(indent=1) writes it, plus a line end; a field
    whose value is an iterator (json_rows) is written as it yields its text."""
    yield b"{\n"
    for i, (key, value) in enumerate(fields):
        yield ((",\n " if i else " ") + json.dumps(key, ensure_ascii=False) + ": ").encode()
        if isinstance(value, Iterator):
            yield from value
        else:  # one level down: each line after the first one more space in
            text = json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n ")
            yield text.encode()
    yield b"\n}\n"


def parquet_bytes(
    header: list[str],
    types: list[pa.DataType],
    chunks: Callable[[], Iterable[Chunk]],
    notes: dict[str, str],
) -> bytes:
    """A Parquet file of the table: a column per header name of its type in ``types``
    (float64 numbers as written, int64 whole numbers, string text), ``notes`` as the
    file's key-value metadata. A column found not to fit its type is written as text
    (its CSV cells), the file being made again."""
    types = list(types)
    while True:
        try:
            return _parquet(header, types, chunks(), notes)
        except Mistyped as error:
            types[error.index] = pa.string()


def _parquet(header, types, chunks: Iterable[Chunk], notes: dict[str, str]) -> bytes:
    import pyarrow.parquet as pq

    schema = pa.schema(list(zip(header, types, strict=True)), metadata=notes)
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema) as writer:
        for chunk in chunks:
            pairs = enumerate(zip(chunk, types, strict=True))
            arrays = [_typed(i, column, kind) for i, (column, kind) in pairs]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return sink.getvalue().to_pybytes()


class Mistyped(Exception):
    """Column ``index`` has values that do not fit the type chosen for it."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _typed(index: int, column: Column, kind: pa.DataType) -> pa.Array:
    if kind == pa.string():
        return column.values if column.kind == TEXT else _csv_plain(column)
    if column.kind == NUMBER and kind == pa.float64():
        return numbers_array(column.values, np.isnan(column.values))
    if column.kind == WHOLE and kind == pa.int64():
        return numbers_array(column.values)
    if column.kind == CELLS and _all_missing(column.values):
        return pa.nulls(len(column), kind)
    raise Mistyped(index)


def _csv_plain(column: Column) -> pa.Array:
    """Text of numbers and cells as the CSV shows them, unquoted (str of each)."""
    if column.kind == NUMBER:
        return number_texts(column.values, _csv_number, column.places)
    if column.kind == WHOLE:
        return pc.cast(numbers_array(column.values), pa.string())
    return _cells(column.values, str)
