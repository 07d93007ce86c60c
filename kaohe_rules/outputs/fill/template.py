"""A lead unit's fill-in workbook written from its layout (layout.py): an instructions
sheet, one protected sheet per domain whose only unlocked cells are the values asked for,
each with Excel data validation from the rules, and a hidden sheet naming the rule set.

The input area's look (yellow cells to type in, grey ones not asked for) is the
template's own; the bold header font, the CJK-aware column widths and the switched-off
"number stored as text" warning on the 编号 column come from outputs/excel.py, as in
every workbook the engine writes.
"""

from __future__ import annotations

import io

from kaohe_rules.outputs.excel import bold_font, fitted_width, stable_workbook
from kaohe_rules.outputs.fill.layout import (
    FIRST_COLUMN,
    FIRST_ROW,
    GUIDE_SHEET,
    HEADER_LABELS,
    INFO_SHEET,
    TEMPLATE_VERSION,
    Book,
    Column,
    Page,
)

# Excel's own bounds for a "decimal" rule with no declared bound: any number passes, text
# does not.
_ANY = 1e15
_INPUT_FILL, _CLOSED_FILL = "FFF2CC", "D9D9D9"
# An indicator's column is at most this wide; a longer header (a list of units' own
# targets) wraps within it rather than push the next indicators off the screen.
_COLUMN_WIDTH = 24


def info_rows(book: Book, year: int, rules_name: str, fingerprint: str) -> list[tuple[str, str]]:
    """What the hidden sheet holds, key and value; collect.py reads the same keys."""
    return [
        ("模板版本", TEMPLATE_VERSION),
        ("规则集指纹", fingerprint),
        ("年度", str(year)),
        ("规则集", rules_name),
        ("牵头单位", book.lead),
    ]


def render(book: Book, year: int, rules_name: str, fingerprint: str) -> bytes:
    """The workbook's bytes: the same book gives the same bytes on every run."""
    from openpyxl import Workbook

    workbook = Workbook()
    guide = workbook.active
    guide.title = GUIDE_SHEET
    _guide(guide, book, year, rules_name, fingerprint)
    for page in book.pages:
        _page(workbook.create_sheet(page.title), page)
    info = workbook.create_sheet(INFO_SHEET)
    for row in info_rows(book, year, rules_name, fingerprint):
        info.append(row)
    info.sheet_state = "hidden"
    info.protection.sheet = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    # 编号 (330100) and the hidden sheet's version, year and fingerprint are text that
    # looks like numbers: Excel's green triangle there would invite "convert to number".
    ignored = {workbook[p.title].path.lstrip("/"): _id_range(p) for p in book.pages}
    ignored[info.path.lstrip("/")] = f"B1:B{info.max_row}"
    return stable_workbook(buffer.getvalue(), ignored)


def _id_range(page: Page) -> str:
    return f"A{FIRST_ROW}:A{FIRST_ROW + max(len(page.units), 1) - 1}"


def _guide(sheet, book: Book, year: int, rules_name: str, fingerprint: str) -> None:
    from openpyxl.styles import Alignment

    lines = [
        f"{year} 年度综合考核指标数据填报表：{book.lead}",
        f"规则集：{rules_name}（指纹 {fingerprint}，模板版本 {TEMPLATE_VERSION}）",
        "",
        "怎样填：",
        f"1. 每个领域一个工作表；黄色单元格是要填的值，共 {book.asked()} 个。",
        "2. 灰色单元格表示该单位不考核这个指标（一单位一策），不要填。",
        "3. 编号、名称、表头由考核办按规则生成，已锁定，请勿改动、插入或删除行列。",
        "4. 百分比指标按百分数填：5.5% 直接输入 5.5%（单元格已设为百分比格式）。",
        "5. 只填数值，不要填公式；从别处粘贴时请用“选择性粘贴 → 数值”。",
        "6. 数值须在表头“填报范围”之内；Excel 会拦下直接输入的越界值，粘贴的不会，"
        "汇总时仍会逐一核对。",
        "7. 暂时没有的数据留空，汇总时会列为缺报。",
        "",
        "工作表保护没有密码，只为防止误改；请不要撤销保护后修改锁定的单元格。",
        "填好后保存为 .xlsx，文件名可以改，原样交回考核办。",
    ]
    for text in lines:
        sheet.append([text])
    sheet["A1"].font = bold_font()
    sheet.column_dimensions["A"].width = 90
    for row in sheet.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.protection.sheet = True


def _page(sheet, page: Page) -> None:
    from openpyxl.styles import Alignment, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    header = [
        ["编号", "名称", *(c.id for c in page.columns)],
        ["", HEADER_LABELS[1], *(c.name for c in page.columns)],
        ["", HEADER_LABELS[2], *(c.measure for c in page.columns)],
        ["", HEADER_LABELS[3], *(c.target for c in page.columns)],
        ["", HEADER_LABELS[4], *(c.range_text for c in page.columns)],
    ]
    for row in header:
        sheet.append(row)
    for unit_id, name in page.units:
        sheet.append([unit_id, name])
    bold, wrap = bold_font(), Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=1, max_row=FIRST_ROW - 1):
        for cell in row:
            cell.font, cell.alignment = bold, wrap
    for row in sheet.iter_rows(min_row=FIRST_ROW, max_col=1):
        row[0].number_format = "@"  # ids are text: 330100 keeps no number format warnings
    opened = Protection(locked=False)
    filled = PatternFill("solid", fgColor=_INPUT_FILL)
    closed = PatternFill("solid", fgColor=_CLOSED_FILL)
    for offset, column in enumerate(page.columns):
        index = FIRST_COLUMN + offset
        letter = get_column_letter(index)
        texts = [column.id, column.name, column.target, column.range_text]
        sheet.column_dimensions[letter].width = fitted_width(texts, _COLUMN_WIDTH)
        rows = []
        for row, applies in enumerate(column.applies, FIRST_ROW):
            cell = sheet.cell(row=row, column=index)
            if applies:
                cell.protection, cell.fill = opened, filled
                cell.number_format = "0.00%" if column.percent else "General"
                rows.append(row)
            else:
                cell.fill = closed
        if rows:
            sheet.add_data_validation(_validation(column, letter, rows))
    sheet.column_dimensions["A"].width = fitted_width(["编号", *(u for u, _ in page.units)])
    names = [*HEADER_LABELS, *(n for _, n in page.units)]
    sheet.column_dimensions["B"].width = fitted_width(names)  # long company names in full
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=FIRST_COLUMN)
    sheet.protection.sheet = True


def _validation(column: Column, letter: str, rows: list[int]):
    """A decimal rule within the declared range, said in Chinese when Excel refuses."""
    from openpyxl.worksheet.datavalidation import DataValidation

    low = -_ANY if column.minimum is None else column.minimum
    high = _ANY if column.maximum is None else column.maximum
    rule = DataValidation(
        type="decimal",
        operator="between",
        formula1=f"{low:.15g}",
        formula2=f"{high:.15g}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="数值不在填报范围内",
        error=f"{column.name}：应填数值，范围 {column.range_text}",
        showInputMessage=True,
        promptTitle=column.id[:32],
        prompt=f"范围 {column.range_text}；目标值 {column.target}"[:255],
    )
    for start, end in _runs(rows):
        rule.add(f"{letter}{start}:{letter}{end}" if end > start else f"{letter}{start}")
    return rule


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive rows as (first, last) ranges: one range per run in the rule's sqref."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
