"""The pre-commit hooks, run by pre-commit itself on a temporary rules repository.

pre-commit builds the hooks' environment by installing this checkout, so the test
takes a while (the packages come from the local pip cache after the first run).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

HAVE_PRE_COMMIT = importlib.util.find_spec("pre_commit") is not None


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _try(repo: Path, hook: str, env: dict) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files"]
    command += ["--color", "never"]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.skipif(not HAVE_PRE_COMMIT, reason="pre-commit is in the test extra")
def test_hooks_accept_a_good_change_and_refuse_a_bad_one(tmp_path: Path) -> None:
    repo = tmp_path / "rules-repo"
    shutil.copytree(ROOT / "tests" / "rulesets" / "mini", repo / "2023")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "LANG": "C.UTF-8"}
    good = _try(repo, "kaohe-validate", env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    domain = repo / "2023" / "市县.yaml"
    domain.write_text(domain.read_text(encoding="utf-8").replace("权重: 70", "权重: 60"), "utf-8")
    _git(repo, "add", ".")
    bad = _try(repo, "kaohe-validate", env)
    assert bad.returncode != 0
    assert "Failed" in bad.stdout
    assert "市县.yaml:8:3: error KH225" in bad.stdout
