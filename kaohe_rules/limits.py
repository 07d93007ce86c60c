"""How much of any input is read: the limits that keep a hostile or mistaken file from
hanging the machine or exhausting its memory.

Each limit has a default sized for the real assessment with wide margins (429 units, a
few hundred indicators; a million units in the benchmarks) and an environment variable
that changes it, ``KAOHE_LIMIT_<NAME>=<whole number>``. A reader compares what a file
declares or holds with the limit *before* reading past it, and refuses with a code that
names the limit and this variable. docs/evaluate.md lists them.

This module imports nothing from the package, so every reader may use it.
"""

from __future__ import annotations

import os
import re

from kaohe_rules.records import data_record

PREFIX = "KAOHE_LIMIT_"

# Digits grouped by thousands: 1-3 digits, then groups of three after one separator.
_GROUPED = re.compile(r"[0-9]{1,3}(?:([,_])[0-9]{3})(?:\1[0-9]{3})*|[0-9]+")


class LimitSettingError(ValueError):
    """An environment variable sets a limit to something that is not a positive whole number."""


@data_record
class Limit:
    """One limit: its variable's suffix, what it bounds (Chinese), its default and unit."""

    name: str
    label: str
    default: int
    unit: str

    @property
    def variable(self) -> str:
        """The environment variable that changes it, e.g. ``KAOHE_LIMIT_CSV_COLUMNS``."""
        return PREFIX + self.name

    def value(self) -> int:
        """The limit in force: the variable's value when set, else the default.
        LimitSettingError when the variable is not a positive whole number: plain digits,
        or grouped by thousands with one kind of separator ("50,000", "50_000")."""
        raw = os.environ.get(self.variable)
        if raw is None or raw.strip() == "":
            return self.default
        text = raw.strip()
        grouped = _GROUPED.fullmatch(text)
        if grouped and grouped.group(1):
            text = text.replace(grouped.group(1), "")  # "1,0,0" and "1_0" do not match
        if not (text.isascii() and text.isdigit()) or not text.lstrip("0"):
            raise LimitSettingError(self._refusal(raw, "不是正整数（写成 50000 或 50,000）"))
        if len(text.lstrip("0")) > 18:
            raise LimitSettingError(self._refusal(raw, f"太大，最多 {10**18 - 1:,}"))
        return int(text)

    def _refusal(self, raw: str, why: str) -> str:
        return (
            f"环境变量 {self.variable} 的值 {raw[:40]!r} {why}"
            f"（{self.label}的上限，默认 {self.default:,} {self.unit}）"
        )

    def hint(self) -> str:
        """How to change it, for a message's hint."""
        return f"确需更大时，设置环境变量 {self.variable}（现为 {self.value():,} {self.unit}）"


RULE_FILE_BYTES = Limit("RULE_FILE_BYTES", "规则文件大小", 5 * 1024 * 1024, "字节")
DATA_FILE_BYTES = Limit("DATA_FILE_BYTES", "数据文件大小", 2 * 1024**3, "字节")
CSV_COLUMNS = Limit("CSV_COLUMNS", "CSV、Parquet 文件的列数", 16_384, "列")
XLSX_ROWS = Limit("XLSX_ROWS", "Excel 工作表的行数", 1_048_576, "行")
XLSX_COLUMNS = Limit("XLSX_COLUMNS", "Excel 工作表的列数", 16_384, "列")
# Counted over all the sheets of a workbook that are read (each from A1: last row × last
# column): a few KB can declare many sheets. Reading takes ~15 s per million cells.
XLSX_CELLS = Limit(
    "XLSX_CELLS", "Excel 工作簿读取的单元格数（各工作表行数 × 列数之和）", 5_000_000, "个"
)
XLSX_MEMBER_BYTES = Limit(
    "XLSX_MEMBER_BYTES",
    "Excel 文件解压后的大小（一个部件，及全部部件之和）",
    512 * 1024 * 1024,
    "字节",
)
XLSX_RATIO = Limit("XLSX_RATIO", "Excel 文件中一个部件的压缩比", 200, "倍")
# Rows of one data file: Parquet's from its footer before any column is read (a few KB can
# declare 30 million rows of one repeated value), CSV's as they are read.
DATA_ROWS = Limit("DATA_ROWS", "数据文件的行数", 50_000_000, "行")
# Cells of a Parquet file checked one by one (the row reader: a Python string per cell,
# ~1 KB and ~15 µs a row); clean files are read by columns and not bounded here (a wide one
# by the roster: more rows than units are declined before they are held).
PARQUET_CELLS = Limit(
    "PARQUET_CELLS", "逐格检查的 Parquet 文件的单元格数（行数 × 列数）", 5_000_000, "个"
)
INTEGER_DIGITS = Limit("INTEGER_DIGITS", "规则中整数的位数", 20, "位")
# DuckDB's memory while it aggregates record files (记录汇总): it streams the records and
# spills what a GROUP BY holds beyond this to a temporary folder, so the files may be
# many times larger than the limit.
RECORDS_MEMORY_MB = Limit("RECORDS_MEMORY_MB", "汇总记录时 DuckDB 可用的内存", 1024, "MB")

ALL = (
    RULE_FILE_BYTES,
    DATA_FILE_BYTES,
    CSV_COLUMNS,
    XLSX_ROWS,
    XLSX_COLUMNS,
    XLSX_CELLS,
    XLSX_MEMBER_BYTES,
    XLSX_RATIO,
    DATA_ROWS,
    PARQUET_CELLS,
    INTEGER_DIGITS,
    RECORDS_MEMORY_MB,
)


# What the records stage may reuse from the user's cache folder (read/records/cache.py,
# docs/records.md): checked here with the limits, so that a typo is said, not ignored.
RECORDS_CACHE = "KAOHE_RECORDS_CACHE"
RECORDS_CACHE_VALUES = ("all", "queries", "off")


def check_environment() -> None:
    """Raise LimitSettingError for the first limit variable that is set wrongly, and for a
    ``KAOHE_LIMIT_*`` variable that names no limit (a typo would otherwise change nothing)."""
    reuse = os.environ.get(RECORDS_CACHE)
    if reuse is not None and reuse not in RECORDS_CACHE_VALUES:
        shown = "、".join(RECORDS_CACHE_VALUES)
        raise LimitSettingError(f"{RECORDS_CACHE} 的值 {reuse[:30]!r} 不对：可写 {shown}")
    known = {limit.variable for limit in ALL}
    for variable in sorted(os.environ):
        if variable.startswith(PREFIX) and variable not in known:
            names = "、".join(sorted(known))
            raise LimitSettingError(f"没有叫 {variable[:60]} 的上限；可设置的有：{names}")
    for limit in ALL:
        limit.value()
