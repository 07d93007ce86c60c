"""The Spark engine's tests (``pytest -m spark``): Spark in local mode, one session for the
whole test run (the engine keeps one per process; starting it takes tens of seconds).

They skip, saying why, where pyspark or Java is missing: the main test command needs
neither, and .ci/run installs both for a step of its own.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

MASTER = "local[1]"  # one core: rows reach each aggregate in file order, as in DuckDB


def missing() -> str | None:
    """Why the Spark tests cannot run here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark 未安装（pip install 'kaohe-rules[spark]'），跳过 Spark 引擎的测试"
    home = os.environ.get("JAVA_HOME")
    if not (Path(home, "bin", "java").is_file() if home else shutil.which("java")):
        return "找不到 Java（需 17 或更新），跳过 Spark 引擎的测试"
    return None


REASON = missing()
needs_spark = [pytest.mark.spark, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
