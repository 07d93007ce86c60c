"""Reading and writing by columns imports pyarrow, never pandas (read/arrow_numpy.py):
pyarrow's own conversions (to_numpy, pa.array, a Python scalar given to a compute
function) import it on first use, about 0.25 s of a run of 10,000 units. Nor numpy.ma,
which np.isin and np.unique without indices load (about 10 ms). Each input form of the
benchmark workload, read by columns (the roster too), and each output written by columns,
in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench" / "scale"))
import generate  # bench/scale is not a package

# The columnar readers and writers take files from a size and tables from a number of
# units; both are lowered here so that a small workload goes through them.
SCRIPT = """
import sys
from kaohe_rules.read import columnar, roster_text
from kaohe_rules.outputs import report
columnar.MIN_BYTES = columnar.LOADED_MIN_BYTES = 0
roster_text.COLUMNAR_BYTES = roster_text.LOADED_COLUMNAR_BYTES = 0
report.COLUMNAR_FROM = report.LOADED_COLUMNAR_FROM = report.JSON_COLUMNAR_FROM = 0
from kaohe_rules.cli import run
sys.argv = ["kaohe", "evaluate", "--rules", sys.argv[1], "--data", sys.argv[2], "-o", sys.argv[3]]
try:
    run()
except SystemExit as stop:
    assert not stop.code, stop.code
print(sorted(m for m in ("pyarrow", "pandas", "numpy.ma") if m in sys.modules))
"""


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workload")
    generate.generate(300, folder)
    return folder


@pytest.mark.parametrize("form", generate.FORMS)
@pytest.mark.parametrize("output", ["结果.csv", "结果.json", "结果.parquet"])
def test_columns_in_and_out_without_pandas(workload: Path, form: str, output: str, tmp_path):
    out = tmp_path / output
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(workload / "rules"), str(workload / form), str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['pyarrow']" and out.stat().st_size
