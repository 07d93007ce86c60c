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


def _try(
    repo: Path, hook: str, env: dict, files: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """The hook on ``files`` (as a commit changing them runs it), else on all files."""
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook]
    command += ["--files", *files] if files else ["--all-files"]
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


@pytest.mark.skipif(not HAVE_PRE_COMMIT, reason="pre-commit is in the test extra")
def test_a_change_that_breaks_only_a_later_year_is_refused(tmp_path: Path) -> None:
    """2023 stays valid on its own, but 2024 (which inherits it) no longer adds up: the
    hook, given only the changed 2023 file, checks 2024 and 2025 too."""
    repo = tmp_path / "rules-repo"
    shutil.copytree(ROOT / "tests" / "rulesets" / "years", repo)
    domain = repo / "2023" / "市县.yaml"
    text = domain.read_text(encoding="utf-8")
    for old, new in (("权重: 30", "权重: 40"), ("权重: 70", "权重: 60"), ("满分: 40", "满分: 30")):
        assert old in text
        text = text.replace(old, new, 1)
    domain.write_text(text, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "LANG": "C.UTF-8"}
    checked = _try(repo, "kaohe-validate", env, files=("2023/市县.yaml",))
    assert checked.returncode != 0
    assert "Failed" in checked.stdout
    assert "2024/市县.yaml:6:3: error KH224" in checked.stdout, checked.stdout
    assert "一并检查继承它们的规则集：2024、2025" in checked.stdout
    assert "发现 1 个错误。" in checked.stdout  # 2024's problem, once though 2025 has it too
