"""docs/ci.md's pre-commit example matches this repository: its hooks, and a ``rev:`` that
exists (a tag ``git tag`` lists; while there is none, the placeholder that says to use a
commit's SHA, never an invented tag)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))}


def _config() -> dict:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
    (config,) = [yaml.safe_load(b) for b in blocks if b.startswith("repos:")]
    return config["repos"][0]


def test_the_example_uses_the_hooks_this_repository_defines() -> None:
    assert [h["id"] for h in _config()["hooks"]] == list(HOOKS)
    for hook in HOOKS.values():  # the table shows each hook's command as it runs
        assert f"| `{hook['id']}` | `{hook['entry']}` |" in DOC


def test_validate_and_test_hooks_check_the_inheritors() -> None:
    assert "--inheritors" in HOOKS["kaohe-validate"]["entry"].split()
    assert "--inheritors" in HOOKS["kaohe-test"]["entry"].split()
    assert "--inheritors" not in HOOKS["kaohe-fmt"]["entry"].split()


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a Git checkout"
)
def test_rev_names_a_tag_that_exists() -> None:
    tags = subprocess.run(
        ["git", "tag"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    rev = str(_config()["rev"])
    if tags:
        assert rev in tags, f"docs/ci.md rev {rev!r} is not one of the tags {tags}"
    else:  # no release yet: the doc says to use a commit's full SHA
        assert rev == "<kaohe-rules 的发布标签，或一次提交的完整 SHA>"
        assert "还没有发布标签" in DOC and "git rev-parse HEAD" in DOC
