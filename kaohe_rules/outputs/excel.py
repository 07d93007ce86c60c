"""Workbooks staff can hand on: every XLSX output is written and styled here, once.

Each table sheet gets a bold header kept in view with a filter on it, columns as wide
as their contents (a CJK character counts as two Latin ones, up to a cap), each number
shown as the terminal shows it (a percent where the value is a share: 0.0293 is stored
and shown as 2.93%, never rewritten as 2.93), 等次 cells filled quietly by tier, and no
"number stored as text" warning on codes such as 编号 330100. A 说明 sheet says what the
file is. Values are never changed, only their display; the bytes are the same on every
run (fixed timestamps, fixed order).
"""

from __future__ import annotations

import io
import numbers
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kaohe_rules.source import cell_text, display_width

ABOUT = "说明"  # the sheet that says what the file is
MAX_WIDTH = 60  # characters: a long name wraps in its cell rather than widen the sheet
MIN_WIDTH = 6
FILTER_BUTTON = 3  # the header's filter button takes about three characters

# Quiet fills by tier level (score.ranking.tier_levels: 0 the best tiers, 1 the default,
# 2 those given by 末位 or a condition); several tiers of one level alternate shades.
TIER_FILLS = {
    0: ("E2EFDA", "EEF6E9"),  # light green
    1: ("DDEBF7", "EEF4FB"),  # light blue
    2: ("FCE4D6", "FDF0E8"),  # light orange
}
_TIER_COLUMN = re.compile(r"^(\d{4}年)?等次$")  # 等次, and 2024年等次 in a trend table
# Text Excel would take for a number (and flag with a green triangle): 330100, 1.5, -2e3, 5%.
_NUMERIC_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*%?\s*$")


@dataclass(frozen=True)
class Sheet:
    """One table sheet: its header and rows, and which numbers are shares (shown as %).

    ``percent`` maps a column name to True (every number in it is a share, 完成率) or to
    one flag per row (值 is a share only in the rows of an indicator whose 单位 is %)."""

    header: list[str]
    rows: list[list[object]]
    percent: Mapping[str, bool | Sequence[bool]] = field(default_factory=dict)


def workbook(
    sheets: Mapping[str, Sheet],
    about: list[list[object]],
    tiers: Mapping[str, int] | None = None,
    active: str | None = None,
) -> bytes:
    """The workbook of the table ``sheets`` and a last sheet 说明 (rows of name and value),
    styled alike and byte-for-byte reproducible. ``tiers``: each tier name's level, for
    the fills of 等次 columns; ``active``: the sheet shown on opening (else the first)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    ignored: dict[str, str] = {}
    styles = _Styles()
    for name, table in sheets.items():
        sheet = book.create_sheet(name)
        ranges = _write_table(sheet, table, tiers or {}, styles)
        if ranges:
            ignored[name] = ranges
    ranges = _write_about(book.create_sheet(ABOUT), about, styles)
    if ranges:
        ignored[ABOUT] = ranges  # a fingerprint may be all digits
    if active is not None:
        book.active = [*sheets, ABOUT].index(active)
        for sheet in book.worksheets:
            sheet.sheet_view.tabSelected = sheet.title == active
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl does not write ignoredErrors; its sheet paths are known once it has saved.
    extra = {book[name].path.lstrip("/"): ranges for name, ranges in ignored.items()}
    return stable_workbook(buffer.getvalue(), extra)


def bold_font():
    """The default font, bold: a font without name and size is drawn smaller elsewhere."""
    from openpyxl.styles import Font

    return Font(name="Calibri", sz=11, family=2, scheme="minor", b=True)


def fitted_width(texts: Iterable[str], most: int = MAX_WIDTH) -> int:
    """A column's width for its texts as shown (a CJK character counts as two Latin ones,
    each line of a text apart), within MIN_WIDTH and ``most``."""
    widest = max((_width(text) for text in texts), default=0)
    return max(MIN_WIDTH, min(most, widest + 2))


class _Styles:
    """The few style objects every sheet shares (openpyxl keeps one entry per distinct style)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, PatternFill

        self.bold = bold_font()
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.fills = {
            (level, shade): PatternFill("solid", start_color=color, end_color=color)
            for level, colors in TIER_FILLS.items()
            for shade, color in enumerate(colors)
        }


def _write_table(sheet, table: Sheet, tiers: Mapping[str, int], styles: _Styles) -> str:
    """Write one table sheet; returns the ranges of text that looks like numbers."""
    from openpyxl.utils import get_column_letter

    header, rows = table.header, table.rows
    unknown = set(table.percent) - set(header)
    if unknown:  # a misspelt column would silently show shares as 0.0293
        raise ValueError(f"percent columns not in the header: {sorted(unknown)}")
    percent = [_flags(table.percent.get(name, False), len(rows)) for name in header]
    widths = [display_width(str(name)) + FILTER_BUTTON for name in header]
    numeric_text = [bool(_NUMERIC_TEXT.match(str(name))) for name in header]
    fills = _tier_fills(tiers)
    tier_columns = {c for c, name in enumerate(header) if _TIER_COLUMN.match(str(name))}
    sheet.append(header)
    for column, name in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font = styles.bold
        _shown(cell, name, False)  # a column named from the rules is text, never a formula
    for number, row in enumerate(rows, start=2):
        sheet.append(row)
        # The appended row's cells by their places: sheet[sheet.max_row] scanned every
        # cell of the sheet for each row (6.5 s for the 429-unit sample's workbook).
        for column, value in enumerate(row):
            cell = sheet.cell(row=number, column=column + 1)
            shown = _shown(cell, value, percent[column][number - 2])
            widths[column] = max(widths[column], _width(shown))
            if isinstance(value, str):
                numeric_text[column] |= bool(_NUMERIC_TEXT.match(value))
                if column in tier_columns and value in fills:
                    cell.fill = styles.fills[fills[value]]
    last = get_column_letter(len(header)) if header else "A"
    if header:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    _set_widths(sheet, widths, styles)
    return _ranges(numeric_text, len(rows) + 1)


def _flags(given: bool | Sequence[bool], count: int) -> Sequence[bool]:
    if isinstance(given, bool):
        return [given] * count
    if len(given) != count:
        raise ValueError(f"percent flags for {len(given)} rows, the table has {count}")
    return given


def _shown(cell, value: object, percent: bool) -> str:
    """Set the cell's type and number format; returns the text Excel will show."""
    if isinstance(value, str):
        if cell.data_type == "f":
            # openpyxl reads any text starting with = as a formula; text taken from
            # rule or data files (a unit's name) must never run when Excel opens it.
            cell.data_type = "s"
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "" if value is None else str(value)
    if value != value or value in (float("inf"), float("-inf")):
        return cell_text(value)
    text = cell_text(value)
    places = len(text.partition(".")[2])
    if percent:
        places = max(0, places - 2)
        text = cell_text(round(value * 100, places)) + "%"
    cell.number_format = ("0." + "0" * places if places else "0") + ("%" if percent else "")
    return text


def _width(text: str) -> int:
    if text.isascii() and "\n" not in text:
        return len(text)
    return max((display_width(line) for line in text.split("\n")), default=0)


def _set_widths(sheet, widths: list[int], styles: _Styles) -> None:
    """Columns fitted to their widest cell, within MIN_WIDTH and MAX_WIDTH; a column at
    the cap wraps its text, so nothing is cut off."""
    from openpyxl.utils import get_column_letter

    for column, width in enumerate(widths, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
        if width + 2 > MAX_WIDTH:
            for (cell,) in sheet.iter_rows(min_col=column, max_col=column, min_row=2):
                cell.alignment = styles.wrap


def _tier_fills(tiers: Mapping[str, int]) -> dict[str, tuple[int, int]]:
    """Each tier's fill: its level's colour, alternating shades among tiers of one level."""
    seen: dict[int, int] = {}
    fills = {}
    for name, level in tiers.items():
        level = min(max(level, 0), 2)
        fills[name] = (level, seen.get(level, 0) % 2)
        seen[level] = seen.get(level, 0) + 1
    return fills


def _write_about(sheet, rows: list[list[object]], styles: _Styles) -> str:
    """说明: one row per fact (内容, 年度, 规则集, 指纹 …), names in bold; returns the
    ranges of text that looks like numbers."""
    widths = [0, 0]
    numeric_text = [False, False]
    for number, row in enumerate(rows, start=1):
        sheet.append(row)
        sheet.cell(row=number, column=1).font = styles.bold
        for column, value in enumerate(row[:2]):
            cell = sheet.cell(row=number, column=column + 1)
            widths[column] = max(widths[column], _width(_shown(cell, value, False)))
            numeric_text[column] |= isinstance(value, str) and bool(_NUMERIC_TEXT.match(value))
    _set_widths(sheet, widths, styles)
    return _ranges(numeric_text, len(rows))


def _ranges(numeric_text: list[bool], last_row: int) -> str:
    """The columns holding text that looks like numbers, as ranges: A1:A430 C1:C430."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c + 1) for c, found in enumerate(numeric_text) if found]
    return " ".join(f"{letter}1:{letter}{last_row}" for letter in letters)


_STAMPS = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
_FIXED = b"2000-01-01T00:00:00Z"
# What may follow ignoredErrors in a worksheet (ECMA-376 CT_Worksheet order).
_AFTER_IGNORED = re.compile(
    rb"<(smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|oleObjects|controls"
    rb"|webPublishItems|tableParts|extLst)[ >/]|</worksheet>"
)


def stable_workbook(data: bytes, ignored: Mapping[str, str] | None = None) -> bytes:
    """The same archive with fixed entry timestamps, so equal workbooks are equal bytes;
    ``ignored``: per worksheet member, ranges whose numbers stored as text Excel should
    not flag."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                # openpyxl stamps the creation and save times here; equal books need neither.
                content = _STAMPS.sub(lambda m: m.group(1) + _FIXED + m.group(3), content)
            if ignored and item.filename in ignored:
                content = _with_ignored(content, ignored[item.filename])
            target.writestr(info, content)
    return out.getvalue()


def _with_ignored(xml: bytes, ranges: str) -> bytes:
    """The worksheet with an ignoredErrors element for ``ranges``, in its schema place."""
    element = f'<ignoredErrors><ignoredError sqref="{ranges}" numberStoredAsText="1"/>'
    place = _AFTER_IGNORED.search(xml)
    assert place is not None, "a worksheet without </worksheet>"
    return xml[: place.start()] + (element + "</ignoredErrors>").encode() + xml[place.start() :]
