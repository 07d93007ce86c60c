"""Where commands write: the -o file type, its checks, and the atomic write, said in Chinese."""

from __future__ import annotations

from pathlib import Path

import click

from kaohe_rules.source import os_reason


class FilePath(click.ParamType):
    """A file name for -o and the like; unlike click.Path it says what is wrong in Chinese."""

    name = "文件"

    def convert(self, value, param, ctx) -> str:
        if Path(value).is_dir():
            self.fail(f"{value} 是文件夹，这里要一个文件名", param, ctx)
        return str(value)


FILE = FilePath()


TABLES = ((".csv", ".json", ".xlsx"), ".csv、.json 或 .xlsx")  # table outputs, as named


def output_path(output: str, suffixes: tuple[str, ...] = (), shown: str = "") -> Path:
    """The -o file, checked before any work is done: one of ``suffixes`` (when given; named
    as ``shown`` in the message) in a folder that exists."""
    path = Path(output)
    if suffixes and path.suffix.lower() not in suffixes:
        raise click.BadParameter(f"输出文件应以 {shown} 结尾", param_hint="-o")
    if not path.parent.resolve().is_dir():
        raise click.BadParameter(f"输出文件夹 {path.parent} 不存在", param_hint="-o")
    return path


def write_output(path: Path, content: bytes) -> None:
    """Write atomically (see report.write_atomically); a failure is a usage error, not a crash."""
    from kaohe_rules.report import write_atomically

    try:
        write_atomically(path, content)
    except OSError as error:
        raise click.BadParameter(f"无法写出 {path}：{os_reason(error)}", param_hint="-o") from None
