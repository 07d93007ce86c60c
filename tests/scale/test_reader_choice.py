"""Which reader a CSV data file goes to (read/columnar.py, ROW_READER_CELLS): by its cells,
not its bytes. A 10,000-unit wide file of 1.5 MB was read cell by cell (1.5 s where
importing pyarrow and reading by columns takes 0.12 s); a small file still goes by rows, so
that a 429-unit run does not import pyarrow. Checked in a fresh process, where pyarrow is
not yet loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe_rules.read import columnar
from tests.conftest import ROOT

SCRIPT = """
import sys
from pathlib import Path
from kaohe_rules.read.columnar import _by_columns
print(_by_columns(Path(sys.argv[1])), "pyarrow" in sys.modules)
"""


def _choice(path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _wide(path: Path, units: int, columns: int, width: int = 4) -> Path:
    header = ",".join(["编号", *(f"指标{k}" for k in range(columns))])
    cell = "1" * width
    rows = [f"U{u:07d}," + ",".join([cell] * columns) for u in range(units)]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("units", "columns", "width", "by_columns"),
    [
        (2_000, 50, 4, True),  # 102,000 cells in 0.5 MB: by columns
        (700, 50, 4, False),  # 35,700 cells: by rows
        (200, 4, 400, False),  # 1,000 cells of long text, 320 KB: by rows
    ],
)
def test_cells_decide_not_bytes(tmp_path: Path, units, columns, width, by_columns) -> None:
    path = _wide(tmp_path / "数据.csv", units, columns, width)
    assert path.stat().st_size < columnar.MIN_BYTES
    assert _choice(path) == f"{by_columns} False"  # the count itself imports nothing


def test_the_bundled_samples_are_read_by_rows() -> None:
    for path in sorted((ROOT / "samples").glob("*/*.csv")):
        assert _choice(path) == "False False", path
