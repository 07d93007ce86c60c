"""``python cli.py --version`` from a checkout says what ``kaohe --version`` says: the
version comes from the package, not from installed metadata (it exited 3 without any)."""

from __future__ import annotations

import subprocess

from click.testing import CliRunner

from kaohe_rules import __version__
from kaohe_rules.cli import cli
from tests.safety.helpers import ROOT, cli_command, process_env


def test_cli_py_prints_the_version_like_kaohe() -> None:
    done = subprocess.run(
        cli_command("--version"), cwd=ROOT, env=process_env(), capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, f"kaohe {__version__}\n", "")
    assert CliRunner().invoke(cli, ["--version"]).output == done.stdout
