"""What each output column of a record source's query holds (query.py builds it, plan.py
keeps it with the query's SQL, aggregate.py reads the rows by it)."""

from __future__ import annotations

from kaohe_rules.records import data_record


@data_record
class Layout:
    """What each output column of the query holds, by position (0 is the unit key)."""

    total: int  # all records of the unit key
    parts: tuple[tuple[int, str, int, int], ...]  # (aggregation, group or "", count, value)
    bad_numbers: tuple[tuple[str, int, int], ...]  # (column, count, example)
    negative_weights: tuple[tuple[str, int], ...]  # (column, count)
    group_totals: tuple[tuple[str, str, int], ...]  # (group column, group, count)
