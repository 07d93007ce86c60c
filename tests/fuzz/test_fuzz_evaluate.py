"""(d) Fuzzing the whole ``kaohe evaluate`` command with edited rules and data.

Through click's CliRunner: no exception escapes, no traceback is printed, the exit
code is 0, 1 or 2, every printed error has a code and a file:line:column, and a run
that exits 0 wrote a result for every unit of the roster.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from tests.fuzz import strategies as S
from tests.fuzz.oracles import check_evaluate


@S.ci_settings("evaluate.cli")
@given(S.strategy("evaluate.cli"))
def test_evaluate_command_on_edited_rules_and_data(case: S.EvaluateCase) -> None:
    with tempfile.TemporaryDirectory(prefix="kaohe-fuzz-") as scratch:
        check_evaluate(case, Path(scratch))
