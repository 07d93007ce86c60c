"""Makes docs/collect-screenshot.png: 省政府办公厅's template of rules/2024 filled by the
test clerk from samples/2024 (D009 and D013 left empty), its 省直部门单位 sheet printed by
LibreOffice with grid lines and headings (rows 1-42) and the page cut to the table.

Needs ``soffice`` (apt-get install libreoffice-calc-nogui fonts-noto-cjk) and
``pdftoppm`` (poppler-utils); neither is a test dependency. Run from the repository root:

    python -m tests.collect.make_screenshot
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from tests.collect.clerk import fill, sample_values
from tests.collect.conftest import RULES, kaohe

TARGET = Path(__file__).resolve().parents[2] / "docs" / "collect-screenshot.png"
LEAD, SHEET = "省政府办公厅", "省直部门单位"
EMPTY = frozenset({("D009", "政务服务好差评满意率"), ("D013", "政务服务好差评满意率")})


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        assert kaohe("template", RULES, "-o", folder / "t").exit_code == 0
        filled = folder / "page.xlsx"
        fill(folder / "t" / f"{LEAD}.xlsx", filled, sample_values(), EMPTY)
        book = load_workbook(filled)
        for name in list(book.sheetnames):
            if name != SHEET:
                book.remove(book[name])
        sheet = book[SHEET]
        # printing only: the template itself is unchanged
        sheet.print_options.gridLines = sheet.print_options.headings = True
        sheet.print_area = "A1:D42"
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = sheet.page_setup.fitToHeight = 1
        book.save(filled)
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", scratch, str(filled)],
            check=True,
            capture_output=True,
        )
        crop = ["-x", "82", "-y", "108", "-W", "930", "-H", "935"]
        out = folder / "shot"
        pdf = str(folder / "page.pdf")
        page = ["-r", "120", "-png", "-f", "1", "-l", "1", *crop, pdf, str(out)]
        subprocess.run(["pdftoppm", *page], check=True, capture_output=True)
        TARGET.write_bytes((folder / "shot-1.png").read_bytes())


if __name__ == "__main__":
    main()
