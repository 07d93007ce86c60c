"""(c') Fuzzing the data readers' limits (issue 19): the golden data as CSV, XLSX or
Parquet, with limits lowered to near the file's own size, a workbook's sheet XML edited
(a lying or missing <dimension>, rows without numbers or out of order, styled empty
cells far out) and its zip directory mutated (a member's declared size changed).

What must hold (oracles.check_limits): a file over a limit is refused with a code, one of
the codes of the limits it is over when nothing else is wrong with it; a file within every
limit whose edits do not change its meaning reads to the same results as the golden CSV;
anything else is a coded, located refusal or a correct read, never an exception or a hang.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import struct
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from tests.fuzz.strategies import GOLDEN_DATA

FORMS = ("csv", "xlsx", "parquet")
# Sheet edits that keep what the workbook means, and those that make it damaged.
BENIGN = ("lie-dimension", "drop-dimension", "drop-row-numbers", "styled-far-out")
DAMAGING = ("rows-out-of-order",)
SHEET = "xl/worksheets/sheet1.xml"


@cache
def golden_rows() -> tuple[tuple[str, ...], ...]:
    """The golden 数据.csv as rows of text, header first (its comment line left out)."""
    lines = (GOLDEN_DATA / "数据.csv").read_text(encoding="utf-8").splitlines()
    return tuple(tuple(row) for row in csv.reader(lines[1:]))


@dataclass(frozen=True)
class LimitCase:
    """The golden data with 数据.csv in another form, limits set (name, value: the value
    is an offset from the file's own measure, so that cases sit near each limit), its sheet
    edited and a member's declared size in the zip directory changed (member, new size)."""

    form: str
    limits: tuple[tuple[str, int], ...] = ()
    sheet_edits: tuple[str, ...] = ()
    declared: tuple[int, ...] = ()  # new declared sizes of the sheet member, applied in turn

    def materialize(self, into: Path) -> Path:
        folder = into / "data"
        shutil.copytree(GOLDEN_DATA, folder)
        (folder / "数据.csv").unlink()
        target = folder / f"数据.{self.form}"
        target.write_bytes(self.body())
        return folder

    def body(self) -> bytes:
        if self.form == "csv":
            return (GOLDEN_DATA / "数据.csv").read_bytes()
        if self.form == "parquet":
            return _parquet()
        data = _workbook()
        if self.sheet_edits:
            data = _edit_sheet(data, self.sheet_edits)
        for size in self.declared:
            data = _declare(data, SHEET.encode(), size)
        return data

    def measures(self) -> dict[str, int]:
        """What each limit measures in this case's data file, before any limit is set."""
        rows = golden_rows()
        width, height = len(rows[0]), len(rows)
        body = self.body()
        found = {"DATA_FILE_BYTES": len(body)}
        if self.form != "xlsx":  # the columns of a CSV or Parquet file
            found["CSV_COLUMNS"] = width
        else:
            found.update(XLSX_ROWS=height, XLSX_COLUMNS=width, XLSX_CELLS=height * width)
            if not self.declared:
                # the members together: larger than any one, and bounded as well
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    total = sum(info.file_size for info in archive.infolist())
                found["XLSX_MEMBER_BYTES"] = total
        return found

    def settings(self) -> dict[str, int]:
        """The limits as set: each measure plus the case's offset (at least 1)."""
        measures = self.measures()
        return {
            name: max(measures[name] + offset, 1)
            for name, offset in self.limits
            if name in measures
        }

    def over(self) -> set[str]:
        """The limits the data file is over, as set."""
        measures = self.measures()
        return {name for name, value in self.settings().items() if measures[name] > value}

    @property
    def excused(self) -> set[str]:
        """The codes that may refuse the file whatever limits are set: KH308 when it is
        damaged; KH327 or KH328 when its zip directory declares another size (a huge one
        is over the default member limit)."""
        codes = {"KH308"} if self.declared or set(self.sheet_edits) & set(DAMAGING) else set()
        return codes | ({"KH327", "KH328"} if self.declared else set())


@cache
def _workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "数据"
    for row in golden_rows():
        book.active.append([_typed(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _typed(cell: str) -> object:
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        return cell


@cache
def _parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, *body = golden_rows()
    table = pa.table({name: [row[i] or None for row in body] for i, name in enumerate(header)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _edit_sheet(data: bytes, edits: tuple[str, ...]) -> bytes:
    """The workbook with its sheet's XML edited as openpyxl never writes it."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        parts = {info.filename: book.read(info.filename) for info in book.infolist()}
    xml = parts[SHEET].decode("utf-8")
    for edit in edits:
        if edit == "lie-dimension":
            xml = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B2"', xml)
        elif edit == "drop-dimension":
            xml = re.sub(r"<dimension [^>]*/>", "", xml)
        elif edit == "drop-row-numbers":  # openpyxl wrote every row: counting finds them
            xml = re.sub(r'<row r="\d+"', "<row", xml)
        elif edit == "styled-far-out":
            xml = xml.replace("</row>", '<c r="ZZ1" s="0"/></row>', 1)
        elif edit == "rows-out-of-order":
            rows = re.findall(r"<row[ >].*?</row>", xml)
            if len(rows) > 3:
                xml = xml.replace(rows[2] + rows[3], rows[3] + rows[2])
    parts[SHEET] = xml.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, body in parts.items():
            book.writestr(name, body)
    return out.getvalue()


def _declare(data: bytes, name: bytes, size: int) -> bytes:
    """The zip file with ``name``'s uncompressed size in the central directory changed."""
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + length] == name:
            return data[: at + 24] + struct.pack("<I", size) + data[at + 28 :]
        at = data.find(b"PK\x01\x02", at + 4)
    return data


LIMIT_NAMES = (
    "DATA_FILE_BYTES",
    "CSV_COLUMNS",
    "XLSX_ROWS",
    "XLSX_COLUMNS",
    "XLSX_CELLS",
    "XLSX_MEMBER_BYTES",
)


def limit_cases() -> st.SearchStrategy[LimitCase]:
    """A form, one to three limits set near the file's measure, and for a workbook some
    sheet edits and perhaps a changed declared size."""
    limit = st.tuples(st.sampled_from(LIMIT_NAMES), st.integers(-3, 3))
    sizes = st.one_of(st.integers(0, 100_000), st.just(2**32 - 1), st.integers(0, 2**32 - 1))
    edits = st.lists(st.sampled_from(BENIGN + DAMAGING), max_size=3, unique=True).map(tuple)
    return st.one_of(
        st.builds(
            LimitCase,
            st.sampled_from(FORMS),
            st.lists(limit, max_size=3, unique_by=lambda pair: pair[0]).map(tuple),
        ),
        st.builds(
            LimitCase,
            st.just("xlsx"),
            st.lists(limit, max_size=2, unique_by=lambda pair: pair[0]).map(tuple),
            edits,
            st.one_of(st.just(()), st.lists(sizes, max_size=1).map(tuple)),
        ),
    )
