"""Collected values written into a data folder as one long-form data file, each row with
the workbook cell it came from, merged with an earlier collection there.

The file (``填报指标值.csv``) is an ordinary data file (编号, 名称, 指标, 值) that
``kaohe evaluate --data`` reads; its 来源 column, which the reader ignores, names the cell
(``省财政厅.xlsx[市县]!C6``), and ``kaohe explain`` cites it. Its first line marks it as a
collection of one rule set, so a later run recognises it: values collected again replace
theirs and every change is reported; values not collected again are kept, never dropped.
A file of that name that is not a collection is never overwritten.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic
from kaohe_rules.outputs.fill.collect import Collection, Value
from kaohe_rules.records import data_record
from kaohe_rules.source import Span

DATA_FILE = "填报指标值.csv"
COLUMNS = ("编号", "名称", "指标", "值", "来源")
_MARK = "# kaohe collect 汇总"


@data_record
class Change:
    """A value an earlier collection held that this one gives otherwise."""

    old: Value
    new: Value


@data_record(frozen=False)
class Merged:
    """The values to write, and how they differ from the earlier collection."""

    values: list[Value]
    changes: list[Change]
    kept: list[Value]  # earlier values not collected again
    emptied: list[Value]  # of those, the ones whose workbook was returned with the cell empty


def mark(fingerprint: str) -> str:
    """The file's first line: what made it, of which rules."""
    return f"{_MARK}（规则集指纹 {fingerprint}）：由 kaohe collect 写出，请勿手工修改"


def earlier(folder: Path, fingerprint: str) -> list[Value] | Diagnostic:
    """The earlier collection in ``folder`` (none: an empty list), or KH538 when the file
    there is not a collection of these rules."""
    path = folder / DATA_FILE
    if not path.exists():
        return []
    span = Span(str(path), 1, 1, 1, 2)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    first, _, body = text.partition("\n")
    if not first.startswith(_MARK):
        message = f"{path} 不是 kaohe collect 写出的汇总文件，不会覆盖它"
        return Diagnostic("KH538", message, span, "汇总到另一个文件夹，或先移走这个文件")
    if mark(fingerprint) != first.rstrip("\r"):
        message = f"{path} 是按另一个规则集汇总的（{first[len(_MARK) :].strip()}），不会覆盖它"
        return Diagnostic("KH538", message, span, "汇总到另一个文件夹，或先移走这个文件")
    found = []
    for line, row in enumerate(csv.DictReader(io.StringIO(body)), 3):
        try:
            found.append(
                Value(row["编号"], row["名称"], row["指标"], float(row["值"]), row["来源"])
            )
        except (KeyError, TypeError, ValueError):
            message = f"{path} 第 {line} 行被改动过，读不出上次汇总的值，不会覆盖它"
            return Diagnostic("KH538", message, Span(str(path), line, 1, line, 2))
    return found


def merge(old: list[Value], run: Collection, order: list[tuple[str, str]]) -> Merged:
    """This run's values over the earlier ones, in ``order`` (the layout's), then any
    earlier key the layout no longer names."""
    before = {v.key: v for v in old}
    changes = [
        Change(before[k], v)
        for k, v in run.values.items()
        if k in before and before[k].value != v.value
    ]
    kept = [v for k, v in before.items() if k not in run.values]
    empty = {(g.unit, g.indicator) for g in run.gaps}
    emptied = [v for v in kept if v.key in empty]
    both = {**before, **run.values}
    ordered = [both[k] for k in order if k in both]
    placed = set(order)
    ordered += [v for k, v in both.items() if k not in placed]
    return Merged(ordered, changes, kept, emptied)


def render(values: list[Value], fingerprint: str) -> bytes:
    """The data file's bytes (UTF-8, as every data file kaohe writes)."""
    out = io.StringIO()
    out.write(mark(fingerprint) + "\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for v in values:
        writer.writerow((v.unit, v.unit_name, v.indicator, number_text(v.value), v.source))
    return out.getvalue().encode("utf-8")


def number_text(value: float) -> str:
    """12, not 12.0; otherwise the shortest text that reads back as the same number."""
    return str(int(value)) if value.is_integer() else repr(value)


def sources(path: Path) -> dict[tuple[str, str], str]:
    """(编号, 指标) → the cell a collected value came from, for ``kaohe explain``; empty
    when ``path`` is not a collection."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    first, _, body = text.partition("\n")
    if not first.startswith(_MARK):
        return {}
    reader = csv.DictReader(io.StringIO(body))
    if not set(COLUMNS) <= set(reader.fieldnames or ()):
        return {}  # edited by hand: explain shows the values without their cells
    return {(r["编号"], r["指标"]): r["来源"] or "" for r in reader}


def collected_sources(files) -> dict[tuple[str, str], str]:
    """The cells of every collected value among a year's data ``files`` (none: empty)."""
    found: dict[tuple[str, str], str] = {}
    for path in files:
        if Path(path).name == DATA_FILE:
            found.update(sources(Path(path)))
    return found
