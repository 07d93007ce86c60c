"""Reads the console examples out of Markdown files, so tests can run them verbatim.

A ```console block holds commands starting with ``$ kaohe`` and, under each,
the exact output (standard output and standard error, as a terminal shows them).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

# A block may be indented inside a list item; its lines carry that indentation.
_BLOCK = re.compile(r"^([ \t]*)```console\n(.*?)^[ \t]*```", re.S | re.M)


@dataclass
class Example:
    """One documented command and the output the document promises."""

    file: Path
    line: int
    command: str
    expected: str


def examples(path: Path) -> list[Example]:
    """Every ``$ kaohe`` command of ``path`` with its documented output."""
    text = path.read_text(encoding="utf-8")
    found = []
    for block in _BLOCK.finditer(text):
        first_line = text.count("\n", 0, block.start(2)) + 1
        indent = len(block.group(1))
        current: Example | None = None
        for offset, line in enumerate(block.group(2).splitlines()):
            line = line[indent:]
            if line.startswith("$ "):
                current = Example(path, first_line + offset, line[2:], "")
                found.append(current)
            elif current is not None:
                current.expected += line + "\n"
    return found


def run(example: Example) -> tuple[int, str]:
    """Run a documented command in-process; its exit code and combined output."""
    from kaohe_rules.cli import cli

    words = shlex.split(example.command)
    env = {}  # leading NAME=value words set the environment, as a shell does
    while words and "=" in words[0] and not words[0].startswith("-"):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "kaohe", f"{example.file}:{example.line}: examples run kaohe"
    result = CliRunner().invoke(cli, words[1:], catch_exceptions=False, env=env)
    return result.exit_code, result.output


def update(path: Path) -> None:
    """Rewrite the outputs documented in ``path`` from what the commands print now."""
    text = path.read_text(encoding="utf-8")

    def refill(block: re.Match) -> str:
        indent = block.group(1)
        out = []
        for line in block.group(2).splitlines():
            line = line[len(indent) :]
            if line.startswith("$ "):
                _code, output = run(Example(path, 0, line[2:], ""))
                out.append(line + "\n" + output.rstrip("\n"))
        body = "\n".join(out).replace("\n", "\n" + indent)
        return f"{indent}```console\n{indent}{body}\n{indent}```"

    path.write_text(_BLOCK.sub(refill, text), encoding="utf-8")


def enter_scratch_checkout(tmp_path: Path, monkeypatch) -> None:
    """Make ``tmp_path`` a folder that links every top-level entry of the checkout, and go
    there: examples name checkout paths (tests/…, rules/…) and may write files, and nothing
    they write may land in the working tree."""
    from tests.conftest import ROOT

    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    monkeypatch.chdir(tmp_path)
