"""kaohe template on the bundled 2024 rules: the workbooks read back with openpyxl."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.collect.conftest import RULES, kaohe

LEADS_2024 = 23  # every 牵头单位 named on an indicator of rules/2024, 专项考核 included


def _validation(sheet, cell: str):
    found = [v for v in sheet.data_validations.dataValidation if cell in v.sqref]
    assert len(found) <= 1
    return found[0] if found else None


def test_one_workbook_per_lead_unit(templates: Path) -> None:
    names = sorted(p.name for p in templates.iterdir())
    assert len(names) == LEADS_2024
    assert "省发展改革委.xlsx" in names and "省海港委.xlsx" in names
    book = load_workbook(templates / "省发展改革委.xlsx")
    # a sheet per domain where it leads an indicator; the special assessment's too
    assert book.sheetnames == ["填报说明", "市县", "营商环境", "模板信息"]


def test_same_bytes_on_every_run(templates: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert kaohe("template", RULES, "-o", again).exit_code == 0
    for path in templates.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_hidden_sheet_names_the_rules(templates: Path) -> None:
    book = load_workbook(templates / "省财政厅.xlsx")
    info = book["模板信息"]
    assert info.sheet_state == "hidden" and info.protection.sheet
    rows = {r[0]: r[1] for r in info.iter_rows(values_only=True)}
    assert rows["模板版本"] == "1" and rows["年度"] == "2024" and rows["牵头单位"] == "省财政厅"
    result = kaohe("template", RULES, "-o", templates)  # same folder: same files
    assert rows["规则集指纹"] in result.output


def test_headers_ids_names_and_targets(templates: Path) -> None:
    sheet = load_workbook(templates / "省财政厅.xlsx")["省直部门单位"]
    assert [c.value for c in sheet["A1:C1"][0]] == ["编号", "名称", "预算执行率"]
    assert [sheet.cell(row=r, column=2).value for r in range(2, 6)] == [
        "指标名称",
        "计量单位",
        "目标值",
        "填报范围",
    ]
    assert sheet["C3"].value == "%"
    # 一单位一策 gives 省财政厅 its own target: the header names it
    assert sheet["C4"].value == "95%（省财政厅 98%）"
    assert sheet["C5"].value == "0% ~ 100%"
    assert sheet.freeze_panes == "C6"
    ids = [sheet.cell(row=r, column=1).value for r in range(6, sheet.max_row + 1)]
    assert len(ids) == 120 and all(isinstance(i, str) for i in ids)


def test_variant_dropping_an_indicator_is_not_asked(templates: Path) -> None:
    sheet = load_workbook(templates / "省政府办公厅.xlsx")["省直部门单位"]
    names = [sheet.cell(row=r, column=2).value for r in range(6, sheet.max_row + 1)]
    # 省统计局, the court and the procuratorate drop 政务服务好差评满意率
    assert "省统计局" not in names and "省高级人民法院" not in names
    assert len(names) == 120 - 3
    # 一单位一策 adds 重大项目投资完成率 for 省发展改革委 alone: asked of it, closed to others
    assert sheet["D1"].value == "重大项目投资完成率"
    row = 6 + names.index("省发展改革委")
    assert not sheet.cell(row=row, column=4).protection.locked
    assert _validation(sheet, f"D{row}") is not None
    other = 6 + names.index("省委办公厅")
    assert sheet.cell(row=other, column=4).protection.locked
    assert _validation(sheet, f"D{other}") is None


def test_validation_from_the_declared_range(templates: Path) -> None:
    sheet = load_workbook(templates / "省发展改革委.xlsx")["市县"]
    assert sheet["C1"].value == "地区生产总值增速"
    rule = _validation(sheet, "C6")
    assert (rule.type, rule.operator) == ("decimal", "between")
    assert (float(rule.formula1), float(rule.formula2)) == (-0.2, 0.3)
    assert rule.allow_blank and rule.showErrorMessage
    assert "-20% ~ 30%" in rule.error
    assert str(rule.sqref) == "C6:C106"  # the 101 units of 市县
    assert sheet["C6"].number_format == "0.00%"
    index = load_workbook(templates / "省发展改革委.xlsx")["市县"]["D6"]
    assert index.number_format == "General"  # 新质生产力发展指数 is in 分


def test_undeclared_range_still_asks_for_a_number(templates: Path) -> None:
    sheet = load_workbook(templates / "省委宣传部.xlsx")["高校"]
    rule = _validation(sheet, "C6")
    assert rule.type == "decimal" and sheet["C5"].value == "任意数值"


def test_only_the_input_cells_are_unlocked(templates: Path) -> None:
    book = load_workbook(templates / "省科技厅.xlsx")
    for sheet in book.worksheets:
        assert sheet.protection.sheet, sheet.title
        assert sheet.protection.password is None  # documented: protection without password
    sheet = book["市县"]
    for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row, max_col=4):
        for cell in row:
            input_cell = cell.row >= 6 and cell.column >= 3
            assert cell.protection.locked is not input_cell, cell.coordinate


def test_instructions_in_chinese(templates: Path) -> None:
    sheet = load_workbook(templates / "省海港委.xlsx")["填报说明"]
    text = "\n".join(str(c.value) for c in sheet["A"] if c.value)
    assert "省海港委" in text and "共 3 个" in text and "选择性粘贴" in text


def test_filled_workbook_is_never_replaced(templates: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(templates, folder)
    book = load_workbook(folder / "省海港委.xlsx")
    book["市县"]["C6"] = 0.05
    book.save(folder / "省海港委.xlsx")
    before = (folder / "省海港委.xlsx").read_bytes()
    result = kaohe("template", RULES, "-o", folder)
    assert result.exit_code == 2 and "KH539" in result.output
    assert (folder / "省海港委.xlsx").read_bytes() == before


@pytest.mark.parametrize("where", ["file", "no parent"])
def test_output_must_be_a_folder(tmp_path: Path, where: str) -> None:
    if where == "file":
        target = tmp_path / "x.txt"
        target.write_text("x", encoding="utf-8")
        code = "KH514"
    else:
        target = tmp_path / "a" / "b"
        code = "KH513"
    result = kaohe("template", RULES, "-o", target)
    assert result.exit_code == 2 and code in result.output
