"""Returned fill-in workbooks read back and checked against the layout they were made from.

Each workbook must be a template of these very rules (the hidden sheet's version and
fingerprint), its fixed cells (ids, names, the indicator row) as written, nothing outside
its layout, and each value a plain number within the indicator's range in a cell that asks
for one. Any problem is an error at its cell (file[sheet]:row:column) and nothing is
collected from a run with errors: a value that looks right and is wrong must not pass.
"""

from __future__ import annotations

import math
from pathlib import Path

from kaohe_rules.diagnostics import Collector
from kaohe_rules.outputs.fill.layout import (
    FIRST_COLUMN,
    FIRST_ROW,
    GUIDE_SHEET,
    INFO_SHEET,
    TEMPLATE_VERSION,
    Book,
    Column,
    Page,
)
from kaohe_rules.read.cells import SheetProblem, parse_number
from kaohe_rules.records import data_record
from kaohe_rules.source import Span, bounded, not_regular, os_reason


@data_record
class Value:
    """One collected value and the cell it came from."""

    unit: str  # 编号
    unit_name: str
    indicator: str
    value: float
    source: str  # 省财政厅.xlsx[市县]!C6

    @property
    def key(self) -> tuple[str, str]:
        return (self.unit, self.indicator)


@data_record
class Gap:
    """A value asked for and not given."""

    lead: str
    page: str
    unit: str
    unit_name: str
    indicator: str
    cell: str


@data_record(frozen=False)
class Collection:
    """What a collect run found: values by (编号, 指标), the workbooks each lead returned,
    the gaps, and the problems."""

    values: dict[tuple[str, str], Value]
    returned: dict[str, Path]
    gaps: list[Gap]
    errors: Collector


def collect(layout: tuple[Book, ...], fingerprint: str, paths: list[Path]) -> Collection:
    """Read every workbook of ``paths`` against ``layout``."""
    run = Collection({}, {}, [], Collector())
    by_lead = {b.lead: b for b in layout}
    for path in paths:
        _workbook(run, by_lead, fingerprint, path)
    return run


def cell_name(row: int, column: int) -> str:
    """C6, as Excel names a cell."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def _workbook(run: Collection, by_lead: dict[str, Book], fingerprint: str, path: Path) -> None:
    from kaohe_rules.read.bounds import check_file_bytes
    from kaohe_rules.read.workbook import open_workbook

    file = str(path)
    reason = not_regular(path)  # a named pipe would block the read, a device never end
    if reason is not None:
        run.errors.error("KH532", f"无法读取填报表：{reason}", _at(file))
        return
    try:
        check_file_bytes(path, file)
        # The data reader's guards (zip directory, true sheet extents, cell limits) before
        # any cell is parsed; formulas kept as their text, to be refused (KH535).
        workbook, scans = open_workbook(path, file, sheets="all", formulas=True)
    except SheetProblem as problem:
        run.errors.add(problem.diagnostic)
        return
    except OSError as error:
        run.errors.error("KH532", f"无法读取填报表：{os_reason(error)}", _at(file))
        return
    except Exception as error:  # openpyxl raises almost anything on a damaged file
        message = f"不是 Excel 工作簿或文件已损坏（{type(error).__name__}）"
        run.errors.error("KH532", message, _at(file), "交回 kaohe template 生成的 .xlsx 文件")
        return
    try:
        book = _book(run, by_lead, fingerprint, workbook, file)
        if book is not None:
            extents = {s.title: (s.rows, s.columns) for s in scans}
            _extra_sheets(run, book, extents, file)
            for page in book.pages:
                _page(run, book, workbook, page, path, extents)
    finally:
        workbook.close()


def _extra_sheets(run: Collection, book: Book, extents, file: str) -> None:
    """A sheet the template did not have is refused when it holds anything: values typed
    there would otherwise be silently left out of the collection."""
    known = {GUIDE_SHEET, INFO_SHEET, *(p.title for p in book.pages)}
    for title, (rows, columns) in extents.items():
        if title not in known and rows and columns:
            message = f"填报表中多了有内容的工作表 '{bounded(title, 31)}'，其中的值不会汇总"
            hint = "把值填到原有工作表的黄色单元格中，删去这张工作表"
            run.errors.error("KH534", message, _at(f"{file}[{title}]", rows, columns), hint)


def _at(file: str, row: int = 1, column: int = 1) -> Span:
    return Span(file, row, column, row, column + 1)


def _book(run: Collection, by_lead, fingerprint: str, workbook, file: str) -> Book | None:
    """The layout the workbook was made from, once its hidden sheet says it is a template
    of these rules by a lead unit they name, returned once."""
    if INFO_SHEET not in workbook.sheetnames:
        message = f"不是 kaohe template 生成的填报表（没有 {INFO_SHEET} 工作表）"
        run.errors.error("KH532", message, _at(file), "用 kaohe template 生成的填报表填报")
        return None
    info = {
        str(row[0]): "" if row[1] is None else str(row[1])
        for row in workbook[INFO_SHEET].iter_rows(max_row=20, max_col=2, values_only=True)
        if row and row[0] is not None and len(row) > 1
    }
    place = f"{file}[{INFO_SHEET}]"
    if info.get("模板版本") != TEMPLATE_VERSION:
        version = bounded(info.get("模板版本", "（无）"), 20)
        message = f"填报表的模板版本是 {version}，本程序读版本 {TEMPLATE_VERSION}"
        run.errors.error("KH533", message, _at(place), "用本程序的 kaohe template 重新生成")
        return None
    if info.get("规则集指纹") != fingerprint:
        year = bounded(info.get("年度", "?"), 10)
        found = bounded(info.get("规则集指纹", "（无）"), 20)
        message = (
            f"填报表是按另一个规则集生成的（{year} 年度，指纹 {found}），"
            f"本次规则集指纹 {fingerprint}"
        )
        hint = "用本年度规则集的填报表，或改用生成它的规则集汇总"
        run.errors.error("KH533", message, _at(place, 2, 2), hint)
        return None
    lead = info.get("牵头单位", "")
    book = by_lead.get(lead)
    if book is None:
        message = f"规则集中没有牵头单位 '{bounded(lead, 40)}' 的指标"
        run.errors.error("KH534", message, _at(place, 5, 2))
        return None
    if lead in run.returned:
        message = f"{lead} 的填报表给了两次：{run.returned[lead]} 和 {file}"
        run.errors.error("KH537", message, _at(file), "每个牵头单位只交一份；去掉旧的一份")
        return None
    run.returned[lead] = Path(file)
    return book


def _page(run: Collection, book: Book, workbook, page: Page, path: Path, extents) -> None:
    file = f"{path}[{page.title}]"
    if page.title not in workbook.sheetnames:
        message = f"填报表缺少工作表 '{page.title}'"
        run.errors.error("KH534", message, _at(str(path)), "不要删除或改名工作表")
        return
    last_row = FIRST_ROW + len(page.units) - 1
    last_column = FIRST_COLUMN + len(page.columns) - 1
    rows, columns = extents.get(page.title, (0, 0))
    if rows > last_row or columns > last_column:
        where = f"第 {rows} 行" if rows > last_row else f"第 {columns} 列"
        message = f"填报区域之外有内容（到{where}）：不要插入行、列或另加数据"
        run.errors.error("KH534", message, _at(file, min(rows, last_row + 1), columns))
        return
    cells = [
        list(row)
        for row in workbook[page.title].iter_rows(min_row=1, max_row=last_row, max_col=last_column)
    ]
    if not _fixed_cells(run, page, cells, file):
        return
    for offset, (unit_id, unit_name) in enumerate(page.units):
        row = FIRST_ROW + offset
        for index, column in enumerate(page.columns):
            cell = _cell(cells, row, FIRST_COLUMN + index)
            place = (book, page, unit_id, unit_name, column, row, FIRST_COLUMN + index)
            _value(run, place, cell, path, file)


def _cell(cells, row: int, column: int):
    """The openpyxl cell at (row, column), or None past a short row."""
    if row > len(cells) or column > len(cells[row - 1]):
        return None
    return cells[row - 1][column - 1]


def _text(cell) -> str:
    value = None if cell is None else cell.value
    return "" if value is None else str(value).strip()


def _fixed_cells(run: Collection, page: Page, cells, file: str) -> bool:
    """The ids, names and indicator row as the layout wrote them: a changed one would put
    values against the wrong unit or indicator."""
    expected = [(1, 1, "编号"), (1, 2, "名称")]
    expected += [(1, FIRST_COLUMN + i, c.id) for i, c in enumerate(page.columns)]
    for offset, (unit_id, unit_name) in enumerate(page.units):
        expected += [(FIRST_ROW + offset, 1, unit_id), (FIRST_ROW + offset, 2, unit_name)]
    problems = 0
    for row, column, text in expected:
        found = _text(_cell(cells, row, column))
        if found != text:
            problems += 1
            message = (
                f"锁定的单元格 {cell_name(row, column)} 被改动：应为 '{text}'，"
                f"现为 '{bounded(found, 40)}'"
            )
            hint = "编号、名称和表头由规则生成，不能改；用原填报表重新填写这几个值"
            run.errors.error("KH534", message, _at(file, row, column), hint)
    return problems == 0


def _value(run: Collection, place, cell, path: Path, file: str) -> None:
    book, page, unit_id, unit_name, column, row, col = place
    span, ref = _at(file, row, col), cell_name(row, col)
    raw = None if cell is None else cell.value
    asked = column.applies[row - FIRST_ROW]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if asked:
            run.gaps.append(Gap(book.lead, page.title, unit_id, unit_name, column.id, ref))
        return
    if getattr(cell, "data_type", None) == "f" or (isinstance(raw, str) and raw.startswith("=")):
        message = f"{unit_name} 的 {column.id} 是公式 {bounded(str(raw), 40)}，填报表只收数值"
        run.errors.error("KH535", message, span, "复制后用“选择性粘贴 → 数值”换成数值")
        return
    if not asked:
        message = f"{unit_name} 不考核 {column.id}（一单位一策），这一格不应填写"
        run.errors.error("KH536", message, span, "清空这一格")
        return
    number = _number(raw)
    if number is None:
        message = f"{unit_name} 的 {column.id} 不是数值：'{bounded(str(raw), 40)}'"
        run.errors.error("KH536", message, span, f"填数值，范围 {column.range_text}")
        return
    if not _within(column, number):
        message = (
            f"{unit_name} 的 {column.id} 是 {column.shown(number)}，"
            f"超出填报范围 {column.range_text}"
        )
        run.errors.error("KH536", message, span, "核对数值和单位（百分比指标按百分数填）")
        return
    source = f"{path.name}[{page.title}]!{ref}"
    found = Value(unit_id, unit_name, column.id, number, source)
    earlier = run.values.get(found.key)
    if earlier is not None:
        message = f"{unit_name} 的 {column.id} 重复给出：{earlier.source} 和 {source}"
        run.errors.error("KH537", message, span, "同一个值只能由一个牵头单位填报")
        return
    run.values[found.key] = found


def _number(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = float(raw)
        return number if math.isfinite(number) else None
    return parse_number(str(raw))


def _within(column: Column, number: float) -> bool:
    low, high = column.minimum, column.maximum
    return (low is None or number >= low) and (high is None or number <= high)


def asked(book: Book) -> list[Gap]:
    """Every value ``book`` asks for, each as the gap it is until given, in sheet order."""
    return [
        Gap(book.lead, page.title, unit_id, unit_name, column.id, _ref(row, index))
        for page in book.pages
        for row, (unit_id, unit_name) in enumerate(page.units)
        for index, column in enumerate(page.columns)
        if column.applies[row]
    ]


def _ref(row: int, index: int) -> str:
    return cell_name(FIRST_ROW + row, FIRST_COLUMN + index)


def missing_lines(
    layout: tuple[Book, ...], run: Collection, held: set[tuple[str, str]], shown: int = 5
) -> list[str]:
    """What is still missing and by whom, a line per lead unit: the values ``held``
    neither from this run nor from an earlier collection (the first ``shown`` named with
    their cells). A lead none of whose values is held has not returned its workbook."""
    lines = []
    for book in layout:
        gaps = [g for g in asked(book) if (g.unit, g.indicator) not in held]
        if not gaps:
            continue
        if len(gaps) == book.asked() and book.lead not in run.returned:
            lines.append(f"{book.lead}：未交回填报表（应填 {len(gaps)} 个值）")
            continue
        named = "、".join(f"{g.unit_name} {g.indicator}（{g.page}!{g.cell}）" for g in gaps[:shown])
        more = f" 等 {len(gaps)} 个" if len(gaps) > shown else ""
        file = f"（{run.returned[book.lead].name}）" if book.lead in run.returned else ""
        lines.append(f"{book.lead}{file}：缺 {len(gaps)} 个值：{named}{more}")
    return lines


def layout_order(layout: tuple[Book, ...]) -> list[tuple[str, str]]:
    """Every (编号, 指标) the layout asks for, in the workbooks' order."""
    return [(g.unit, g.indicator) for book in layout for g in asked(book)]
