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

# input kind -> (the file replaced, relative to the work folder; the command; the code)
KINDS = {
    "data file": ("data/数据.csv", ["evaluate", "--rules", "rules", "--data", "data"], "KH308"),
    "history file": ("data/历史.csv", ["evaluate", "--rules", "rules", "--data", "data"], "KH308"),
    "domain rule file": ("rules/甲.yaml", ["validate", "rules"], "KH208"),
    "expr --data file": ("表.csv", ["expr", "值", "--data", "表.csv"], None),
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
