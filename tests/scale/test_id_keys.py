"""Unit ids as 64-bit keys (read/id_keys.py): every row placed by a key is where pyarrow's
string lookup places it; anything the keys cannot prove (another width, an empty or unknown
id, a hash shared by two ids) is answered None, and UnitIndex then looks the strings up."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe_rules.read import id_keys
from kaohe_rules.read.id_keys import Keys

# ids of a few widths, ASCII and not (a unit's Chinese name is 6 to 30 bytes of UTF-8)
IDS = st.text(alphabet=st.sampled_from("0129AZaz-_甲乙　\u200b"), min_size=1, max_size=12)


def _reference(ids: pa.Array, rows: pa.ChunkedArray) -> np.ndarray | None:
    found = pc.index_in(rows, value_set=ids)
    return None if found.null_count else found.to_numpy(zero_copy_only=False)


@settings(max_examples=200, deadline=None)
@given(
    roster=st.lists(IDS, min_size=1, max_size=40, unique=True),
    picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=60),
    strangers=st.lists(IDS, max_size=3),
    cut=st.integers(0, 60),
)
def test_keys_place_rows_where_the_string_lookup_does(roster, picks, strangers, cut) -> None:
    ids = pa.array(roster, type=pa.string())
    rows = [roster[p % len(roster)] for p in picks] + strangers
    column = pa.chunked_array(
        [pa.array(rows[:cut], pa.string()), pa.array(rows[cut:], pa.string())]
    )
    found = Keys(ids).positions(column)
    expected = _reference(ids, column)
    if found is not None:  # whatever the keys answer is exactly the strings' answer
        assert expected is not None and found.tolist() == expected.tolist()
    widths = {len(r.encode()) for r in rows}
    if expected is not None and len(widths) == 1:
        assert found is not None  # one width, every id known: the keys answer


def test_a_million_ids_of_one_width_are_found_in_one_table() -> None:
    roster = [f"U{k:07d}" for k in range(1, 200_001)]
    ids = pa.array(roster)
    at = np.random.default_rng(3).integers(0, len(roster), 500_000)
    rows = pc.take(ids, pa.array(at))
    assert Keys(ids).positions(pa.chunked_array([rows[:123], rows[123:]])).tolist() == at.tolist()


def test_sliced_chunks_are_read_from_their_offset() -> None:
    ids = pa.array(["330100", "330200", "330300", "330400"])
    rows = pa.array(["330400", "330100", "330300", "330200", "330100"]).slice(1, 3)
    assert Keys(ids).positions(rows).tolist() == [0, 2, 1]


@pytest.mark.parametrize(
    "rows",
    [
        ["330100", "33010"],  # two widths
        ["330100", None],  # an empty id
        ["330100", "330999"],  # not a roster id
        ["3301000"],  # no roster id of this width
    ],
)
def test_what_the_keys_cannot_prove_is_left_to_the_strings(rows) -> None:
    ids = pa.array(["330100", "330200"])
    assert Keys(ids).positions(pa.array(rows, pa.string())) is None


def test_ids_sharing_a_hash_are_told_apart_by_their_text(monkeypatch) -> None:
    """Ids longer than eight bytes are folded into a hash: with a hash every id shares, a
    row is never placed at another id's unit (the strings are compared, then looked up)."""
    from types import SimpleNamespace

    from kaohe_rules.read.arrow_values import UnitIndex

    fold = id_keys._keys
    monkeypatch.setattr(id_keys, "_keys", lambda rows: fold(rows) * np.uint64(rows.shape[1] <= 8))
    roster = ["91330000MA2XXXX01", "91330000MA2XXXX02", "91330000MA2XXXX03"]
    ids = pa.array(roster)
    rows = pa.array([roster[2], roster[0], roster[1]])
    found = Keys(ids).positions(rows)
    assert found is None or found.tolist() == [2, 0, 1]
    reader = SimpleNamespace(data=SimpleNamespace(row={u: i for i, u in enumerate(roster)}))
    assert UnitIndex(reader).positions(pa.chunked_array([rows])).tolist() == [2, 0, 1]


def test_a_key_table_cascade_ends_with_every_key_placed() -> None:
    keys = np.array([5, 5 + (1 << 60), 7, 7, 9], dtype=np.uint64)  # two repeated
    table = id_keys._Table(keys, np.arange(len(keys)))
    found = table.find(np.array([9, 5, 7, 5 + (1 << 60)], dtype=np.uint64))
    assert found is not None and keys[found].tolist() == [9, 5, 7, 5 + (1 << 60)]
    assert table.find(np.array([6], dtype=np.uint64)) is None
