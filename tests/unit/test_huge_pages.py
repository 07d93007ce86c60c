"""The kaohe command turns off numpy's request for huge pages (decision 119) unless the
user chose otherwise: checked in the command's own process, as numpy reads the setting
once, when it is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = """
import sys
sys.argv = ["kaohe", "evaluate", "--rules", "rules/2024", "--data", "samples/2024"]
from kaohe_rules.cli import run
try:
    run()
except SystemExit:
    pass
import numpy
# _set_madvise_hugepage returns the setting it replaces: the one numpy ran with
print("huge pages:", numpy._core.multiarray._set_madvise_hugepage(False), file=sys.stderr)
"""


@pytest.mark.parametrize(("given", "expected"), [(None, "False"), ("1", "True"), ("0", "False")])
def test_numpy_huge_pages_are_off_unless_asked_for(given, expected) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if given is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = given
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert f"huge pages: {expected}" in done.stderr, done.stderr[-2000:]
