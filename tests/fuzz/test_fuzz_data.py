"""(c) Fuzzing the data reader: the golden data with a CSV file edited, or as a workbook.

read_data must answer with a data set or a located KaoheError; a data set that
reads must evaluate to a complete result (every unit: total, rank, tier).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from tests.fuzz import strategies as S
from tests.fuzz.oracles import check_data, check_limits


@S.ci_settings("data.csv")
@given(S.strategy("data.csv"))
def test_edited_csv_data(case: S.CsvCase) -> None:
    with tempfile.TemporaryDirectory(prefix="kaohe-fuzz-") as scratch:
        check_data(case, Path(scratch))


@S.ci_settings("data.xlsx")
@given(S.strategy("data.xlsx"))
def test_edited_workbook_data(case: S.WorkbookCase) -> None:
    with tempfile.TemporaryDirectory(prefix="kaohe-fuzz-") as scratch:
        check_data(case, Path(scratch))


@S.ci_settings("data.limits")
@given(S.strategy("data.limits"))
def test_data_near_and_over_the_limits(case) -> None:
    """Limits lowered near the file's own size, sheets' XML and zip directory edited."""
    with tempfile.TemporaryDirectory(prefix="kaohe-fuzz-") as scratch:
        check_limits(case, Path(scratch))
