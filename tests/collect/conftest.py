"""Templates of the bundled 2024 rules, written once for the module that asks for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from tests.conftest import ROOT

RULES = ROOT / "rules" / "2024"


def kaohe(*args: str):
    """The kaohe command run in-process; its result (exit_code, output)."""
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("templates") / "填报模板"
    result = kaohe("template", RULES, "-o", folder)
    assert result.exit_code == 0, result.output
    return folder
