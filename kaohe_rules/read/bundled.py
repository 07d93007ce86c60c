"""The bundled synthetic sample data: where a year's sample is, and whether a run read it.

Sample data are recognised by content, not by folder: a data file whose bytes equal a
file under ``samples/`` is sample data wherever it lies, so the same inputs give the
same outputs (the notice included) in any folder, as the fingerprint already does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kaohe_rules.resources import data_path

if TYPE_CHECKING:
    from kaohe_rules.read.dataset import DataSet

SAMPLE = "内置的合成示例数据（并非真实考核数据）"
NOTICE = f"数据：{SAMPLE}"
_DATA_SUFFIXES = (".csv", ".xlsx", ".parquet")


def sample_folder(year: int, period: str = "全年") -> Path:
    """The bundled sample folder of a year (``samples/2024``, ``samples/2024半年`` for H1);
    it may not exist."""
    return data_path("samples", f"{year}半年" if period == "H1" else str(year))


def sample_years() -> list[str]:
    """The names of the bundled sample folders, for messages (``2023``, ``2024半年`` …)."""
    root = data_path("samples")
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir())


@cache  # the shipped samples do not change while kaohe runs; several outputs ask
def _sample_digests() -> frozenset[str]:
    from kaohe_rules.read.files import digest

    root = data_path("samples")
    if not root.is_dir():
        return frozenset()
    files = (f for f in root.rglob("*") if f.is_file() and f.suffix.lower() in _DATA_SUFFIXES)
    return frozenset(digest(f) for f in files)


def sample_files(data: DataSet) -> list[str]:
    """The names of the files of a DataSet that are bundled sample files, by content."""
    from kaohe_rules.read.files import digest

    if not data.files:
        return []
    known = _sample_digests()
    found = []
    for path in data.files:
        recorded = data.digests.get(path)
        content = recorded[1] if recorded else digest(path)
        if content in known:
            found.append(path.name)
    return found


def sample_notice(data: DataSet) -> str | None:
    """What every output says when a run's data (a DataSet) are the bundled sample, or
    some of its files are; None for the user's own data."""
    found = sample_files(data)
    if not found:
        return None
    if len(found) == len(data.files):
        return NOTICE
    return f"数据：其中 {'、'.join(found)} 是{SAMPLE}"
