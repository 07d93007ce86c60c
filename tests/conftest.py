"""Shared fixtures: the repository root, and a CLI runner that runs from it."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The records stage reuses compiled queries and DuckDB's answers from the user's cache
# folder (docs/records.md): off for the suite, so that a test that watches the engine
# sees it run whatever ran before; tests/records/test_caches.py turns it on in a folder
# of its own.
os.environ["KAOHE_RECORDS_CACHE"] = "off"
# Parsed formulas (dsl/kept_trees.py) and Lark's tables are kept in the user's cache
# folder: the suite's own, so no run of it reads what another left or leaves anything.
_CACHE_HOME = tempfile.mkdtemp(prefix="kaohe-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_HOME
atexit.register(shutil.rmtree, _CACHE_HOME, True)  # runs after the formulas are kept


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files and documented outputs from the current behaviour",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def edited_copy(source: Path, target: Path, file: str, old: str, new: str) -> Path:
    """A copy of the folder ``source`` at ``target`` whose ``file`` has its first ``old``
    replaced by ``new`` (which must be there: a test of a broken input must break it)."""
    shutil.copytree(source, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target
