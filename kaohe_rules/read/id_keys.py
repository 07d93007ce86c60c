"""Unit ids of one byte width as 64-bit integer keys, looked up in a table of the
roster's keys built once: finding 24 million rows' units (a long file at 1,000,000 units)
was the largest cost of reading it while pyarrow hashed each string and built the roster's
hash table again for every group of rows.

A key is the id's bytes read as one integer when they fit in eight; longer ids are folded
into a hash, and every row found by it is compared with the roster's id afterwards. A key
found in the table is compared with the roster's key there, so a row is placed at a unit
only when its id is exactly that unit's. Anything else (ids of several widths, an empty
id, an id not in the roster) is answered None: arrow_values.UnitIndex then looks the
strings up as before, and says what the row reader must judge.
"""

from __future__ import annotations

import numpy as np

from kaohe_rules.read.arrow_numpy import numbers_array

# Multiplier of the fold and of the table's hash (a 64-bit odd constant with well-mixed
# bits, from splitmix64).
MIX = np.uint64(0x9E3779B97F4A7C15)
# Slots per roster id in the first table: a quarter of the ids collide there and go on to
# a smaller one (an eighth of them, then fewer), so most rows are found in one probe.
SLOTS = 4


class Keys:
    """The roster's ids (an Arrow string array) as keys, one table per byte width met."""

    def __init__(self, ids) -> None:
        self.ids = ids
        self._tables: dict[int, tuple] = {}

    def positions(self, column) -> np.ndarray | None:
        """Each row's index in the roster's ids for a column of ids all ``width`` bytes
        long (one Arrow string array or chunked array); None when the rows are not all one
        width, one is empty, or one is not exactly a roster id."""
        import pyarrow as pa

        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        chunks = [chunk for chunk in chunks if len(chunk)]
        if not chunks or any(chunk.null_count for chunk in chunks):
            return None
        widths = {_width(chunk) for chunk in chunks}
        if len(widths) != 1 or None in widths:
            return None
        (width,) = widths
        keys = np.concatenate([_keys(_bytes(chunk, width)) for chunk in chunks])
        table = self._table(width)
        if table is None:
            return None
        at = table.find(keys)
        del keys
        if at is None:
            return None  # not a roster id of this width: the strings are looked up
        if width > 8 and not _same(self.ids, at, chunks):
            return None  # a hash matched another id's: the strings are looked up
        return at

    def _table(self, width: int) -> _Table | None:
        """The table of the roster's ids ``width`` bytes long; None when there are none."""
        if width not in self._tables:
            ids = self.ids
            if not hasattr(ids, "buffers"):  # ids in chunks (over 2 GB of text): strings
                return None
            offsets = _offsets(ids)
            where = np.flatnonzero(np.diff(offsets) == width)
            data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)
            taken = data[offsets[where][:, None] + np.arange(width)]
            self._tables[width] = _Table(_keys(taken), where) if len(where) else None
        return self._tables[width]


class _Table:
    """Keys to their ids' indexes: a cascade of direct-mapped tables (each slot one index;
    a key whose slot another took goes on to the next, smaller table), so that a lookup is
    a few gathers over whole arrays, with no per-row Python work."""

    def __init__(self, keys: np.ndarray, where: np.ndarray) -> None:
        self.keys, self.where = keys, where
        self.levels: list[tuple[np.ndarray, np.uint64, int]] = []
        todo = np.arange(len(keys))
        while len(todo):
            bits = max(4, int(len(todo) * SLOTS - 1).bit_length())
            salt = np.uint64(2 * len(self.levels))
            slots = _slots(keys[todo], salt, bits)
            table = np.full(1 << bits, -1, dtype=np.int64)
            table[slots] = todo  # of keys sharing a slot, one is written (the last)
            self.levels.append((table, salt, bits))
            todo = todo[table[slots] != todo]

    def find(self, keys: np.ndarray) -> np.ndarray | None:
        """Each key's id index; None when one is not a key of the table."""
        out = np.empty(len(keys), dtype=np.int64)
        todo: np.ndarray | None = None  # rows not found yet (None: all of them)
        for table, salt, bits in self.levels:
            asked = keys if todo is None else keys[todo]
            found = table[_slots(asked, salt, bits)]
            hit = found >= 0
            hit[hit] = self.keys[found[hit]] == asked[hit]
            if todo is None:
                out[hit] = found[hit]
                todo = np.flatnonzero(~hit)
            else:
                out[todo[hit]] = found[hit]
                todo = todo[~hit]
            if not len(todo):
                return self.where[out]
        return None


def _slots(keys: np.ndarray, salt: np.uint64, bits: int) -> np.ndarray:
    """Multiplicative hashing: the top ``bits`` bits of key x (MIX + salt)."""
    return ((keys * (MIX + salt)) >> np.uint64(64 - bits)).astype(np.int64)


def _offsets(chunk) -> np.ndarray:
    import pyarrow as pa

    kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    raw = np.frombuffer(chunk.buffers()[1], dtype=kind)
    return raw[chunk.offset : chunk.offset + len(chunk) + 1]


def _width(chunk) -> int | None:
    """The byte width of every id of ``chunk``; None when they differ (or are empty)."""
    lengths = np.diff(_offsets(chunk))
    width = int(lengths[0])
    return width if width and (lengths == width).all() else None


def _bytes(chunk, width: int) -> np.ndarray:
    """A chunk's ids as a rows x width array of their bytes (a view, not a copy)."""
    offsets = _offsets(chunk)
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    return data[offsets[0] : offsets[-1]].reshape(len(chunk), width)


def _keys(rows: np.ndarray) -> np.ndarray:
    """Each row of bytes as one 64-bit key: the bytes themselves up to eight, else a fold
    of its eight-byte words."""
    count, width = rows.shape
    padded = np.zeros((count, -(-width // 8) * 8), dtype=np.uint8)
    padded[:, :width] = rows
    words = padded.view(np.uint64)
    keys = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        keys *= MIX
        keys ^= words[:, j]
        keys ^= keys >> np.uint64(29)
    return keys


def _same(ids, at: np.ndarray, chunks) -> bool:
    """Whether the roster's ids at ``at`` are exactly the rows' ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    given = pa.chunked_array(chunks)
    return bool(pc.all(pc.equal(pc.take(ids, numbers_array(at)), given)).as_py())
