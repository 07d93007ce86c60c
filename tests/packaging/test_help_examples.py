"""Every example a command's ``--help`` shows runs, and succeeds.

Examples name folders a reader has or would make (rules/2024, 我的规则/2024, 数据/2024,
历史.csv): the test runs them in a working folder holding exactly those, copied from the
bundled rules and samples.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import COMMANDS, cli
from tests.conftest import ROOT


def _helps() -> dict[str, str]:
    """Each command's help text (a group's subcommands too), by its words after kaohe."""
    found = {}
    context = click.Context(cli, info_name="kaohe")
    pending = [((name,), cli.get_command(context, name)) for name in COMMANDS]
    while pending:
        words, command = pending.pop(0)
        result = CliRunner().invoke(cli, [*words, "--help"])
        assert result.exit_code == 0, result.output
        found[" ".join(words)] = result.output
        if isinstance(command, click.Group):
            pending += [((*words, n), command.commands[n]) for n in command.list_commands(context)]
    return found


def _examples(help_text: str) -> list[str]:
    """The kaohe command lines of a help text's description (例：kaohe …, or indented)."""
    description = help_text.split("\n选项：", 1)[0].split("\n", 1)[1]
    lines = (line.strip().removeprefix("例：") for line in description.splitlines())
    return [line for line in lines if line.startswith("kaohe ")]


HELPS = _helps()
EXAMPLES = [example for words in HELPS for example in _examples(HELPS[words])]
# publish before history, which reads the archive publish writes; fmt, which rewrites
# files, after the commands that read them
ORDER = ("publish", "history", "fmt")


def _rank(example: str) -> int:
    word = example.split()[1]
    return ORDER.index(word) if word in ORDER else -1


def test_the_examples_are_found() -> None:
    """Not vacuous: every command has its examples read, the one of issue 21 among them."""
    assert "kaohe explain 杭州市 --special 营商环境" in EXAMPLES
    assert len(EXAMPLES) >= 30
    documented = {example.split()[1] for example in EXAMPLES}
    assert documented == set(COMMANDS), set(COMMANDS) - documented


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("examples")
    for rules in ("rules", "我的规则", "规则"):
        for year in ("2023", "2024"):
            shutil.copytree(ROOT / "rules" / year, folder / rules / year)
    for data in ("samples", "数据"):
        for year in ("2023", "2024", "2024半年"):
            shutil.copytree(ROOT / "samples" / year, folder / data / year)
    shutil.copytree(ROOT / "samples" / "2024", folder / "我的数据" / "2024")
    shutil.copy(ROOT / "samples" / "2024" / "历史.csv", folder / "历史.csv")
    # kaohe collect's: two templates of rules/2024 filled and returned
    shutil.copytree(ROOT / "tests" / "collect" / "returned", folder / "交回")
    return folder


@pytest.mark.parametrize("example", sorted(EXAMPLES, key=_rank), ids=str)
def test_example_runs(example: str, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    monkeypatch.delenv("KAOHE_ARCHIVE", raising=False)
    words = shlex.split(example)
    result = CliRunner().invoke(cli, words[1:], catch_exceptions=False)
    assert result.exit_code == 0, f"{example}\n{result.output}"
    assert "error KH" not in result.output
