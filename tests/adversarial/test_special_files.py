"""Every kind of input file against a named pipe, a symlink loop and /dev/zero: refused
with a code and the path within 2 s, before any read (issue 19). Made at run time: a
FIFO and a loop cannot be committed."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli
from tests.conftest import ROOT

BASE = ROOT / "tests" / "adversarial" / "base"
SECONDS = 2


def fifo(path: Path) -> None:
    os.mkfifo(path)


def loop(path: Path) -> None:
    path.symlink_to(path.name)  # itself


def zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


SPECIALS: dict[str, Callable[[Path], None]] = {"fifo": fifo, "loop": loop, "zero": zero}
REASONS = {"fifo": "命名管道", "loop": "符号链接形成循环", "zero": "设备文件"}

_HISTORY = ["history", "B01", "--archive", "无.sqlite"]
# input kind -> (the file replaced, relative to the work folder; the command; the code)
KINDS = {
    "data file": ("data/数据.csv", ["evaluate", "--rules", "rules", "--data", "data"], "KH308"),
    "history file": ("data/历史.csv", ["evaluate", "--rules", "rules", "--data", "data"], "KH308"),
    "domain rule file": ("rules/甲.yaml", ["validate", "rules"], "KH208"),
    "expr --data file": ("表.csv", ["expr", "值", "--data", "表.csv"], None),
    # review 2 of issue 19: these were read (or skipped) whatever they were
    "ruleset file": ("rules/规则集.yaml", ["validate", "rules"], "KH208"),
    "test case file": ("rules/tests/用例.yaml", ["test", "rules"], "KH208"),
    "test case file, fmt --check": ("rules/tests/用例.yaml", ["fmt", "--check", "rules"], "KH208"),
    "history --history-csv": ("往年.csv", [*_HISTORY, "--history-csv", "往年.csv"], "KH308"),
    "history --archive": ("归档.sqlite", ["history", "B01", "--archive", "归档.sqlite"], "KH401"),
}


class _TooSlow(Exception):
    pass


def _alarm(_signum, _frame) -> None:
    raise _TooSlow(f"no refusal within {SECONDS} s")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
@pytest.mark.parametrize("special", sorted(SPECIALS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_special_file_is_refused_before_any_read(kind, special, tmp_path, monkeypatch) -> None:
    shutil.copytree(BASE / "rules", tmp_path / "rules")
    shutil.copytree(BASE / "data", tmp_path / "data")
    file, args, code = KINDS[kind]
    target = tmp_path / file
    target.parent.mkdir(exist_ok=True)
    if target.exists() or target.is_symlink():
        target.unlink()
    SPECIALS[special](target)
    monkeypatch.chdir(tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not isinstance(result.exception, _TooSlow), result.exception
    assert result.exit_code in (1, 2), result.output  # a refusal, not an internal error
    assert REASONS[special] in result.output
    assert Path(file).name in result.output  # names the file
    if code is not None:
        assert code in result.output


def test_an_archive_that_is_not_sqlite_is_refused(tmp_path, monkeypatch) -> None:
    """Any non-SQLite file (here text) as --archive: KH401 in Chinese, never KH404."""
    (tmp_path / "归档.sqlite").write_text("不是数据库\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["history", "B01", "--archive", "归档.sqlite"])
    assert result.exit_code == 1, result.output
    assert "KH401" in result.output and "归档.sqlite：不是 SQLite 数据库" in result.output
    assert "KH404" not in result.output


def test_a_rules_argument_that_is_a_device_is_the_wrong_kind(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["test", "/dev/null"])
    assert result.exit_code == 2, result.output
    assert "KH514" in result.output and "设备文件" in result.output


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "外面"
    secret.mkdir()
    (secret / "密.yaml").write_text("db_password: hunter2 ] x\n", encoding="utf-8")
    return secret


@pytest.mark.parametrize("linked", ["file", "folder"])
@pytest.mark.parametrize("command", ["test", "fmt"])
def test_a_test_file_linked_outside_is_refused_unquoted(linked, command, tmp_path, monkeypatch):
    """tests/ or a file in it symlinked outside the rule set: KH210, the outside file
    neither read nor quoted (review 2 of issue 19)."""
    shutil.copytree(BASE / "rules", tmp_path / "规则" / "rules")
    secret = _outside(tmp_path)
    tests = tmp_path / "规则" / "rules" / "tests"
    if linked == "folder":
        tests.symlink_to(secret)
    else:
        tests.mkdir()
        (tests / "密.yaml").symlink_to(secret / "密.yaml")
    monkeypatch.chdir(tmp_path / "规则")
    args = ["test", "rules"] if command == "test" else ["fmt", "--check", "rules"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "KH210" in result.output and "rules/tests/密.yaml" in result.output
    assert "hunter2" not in result.output


def test_an_inherited_ruleset_file_linked_outside_is_refused_unquoted(tmp_path, monkeypatch):
    root = tmp_path / "规则"
    shutil.copytree(BASE / "rules", root / "2023")
    shutil.copytree(BASE / "rules", root / "2024")
    (root / "2024" / "规则集.yaml").write_text("继承: ../2023\n年度: 2024\n", encoding="utf-8")
    secret = _outside(tmp_path)
    (root / "2023" / "规则集.yaml").unlink()
    (root / "2023" / "规则集.yaml").symlink_to(secret / "密.yaml")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["validate", "2024"])
    assert result.exit_code == 1, result.output
    assert "2024/规则集.yaml:1:5: error KH210" in result.output
    assert "hunter2" not in result.output
