"""Writes the returned workbooks docs/collect.md collects: two templates of rules/2024
filled from samples/2024 by the clerk (returned/), one filled wrongly (returned_wrong/),
and one returned again with a value corrected and one cleared (returned_again/).
Run again when rules/2024 change (their fingerprint is in every template):

    python -m tests.collect.make_fixtures
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.collect.clerk import fill, sample_values, set_cell
from tests.collect.conftest import RULES, kaohe

HERE = Path(__file__).resolve().parent
RETURNED, WRONG, AGAIN = HERE / "returned", HERE / "returned_wrong", HERE / "returned_again"


def main(returned: Path = RETURNED, wrong_folder: Path = WRONG, again: Path = AGAIN) -> None:
    """Write the fixtures into the three folders (the test makes them again elsewhere and
    compares their cells)."""
    with tempfile.TemporaryDirectory() as scratch:
        templates = Path(scratch) / "templates"
        assert kaohe("template", RULES, "-o", templates).exit_code == 0
        values = sample_values()
        returned.mkdir(exist_ok=True)
        wrong_folder.mkdir(exist_ok=True)
        for name in ("省海港委.xlsx", "省委政法委.xlsx"):
            fill(
                templates / name,
                returned / name,
                values,
                frozenset({("D021", "检察业务质效评估得分")}),
            )
        wrong = wrong_folder / "省海港委.xlsx"
        fill(templates / "省海港委.xlsx", wrong, values)
        set_cell(wrong, "市县", "C7", 4)  # 400%: 4% typed without the percent format
        set_cell(wrong, "省属企业", "C6", "=0.03+0.01")
        again.mkdir(exist_ok=True)
        later = again / "省海港委.xlsx"
        fill(templates / "省海港委.xlsx", later, values)
        set_cell(later, "市县", "C6", 0.0152)  # 宁波市 corrected
        set_cell(later, "市县", "C7", None)  # 舟山市 cleared


if __name__ == "__main__":
    main()
