"""Where commands write: the -o file type, its checks, and the atomic write, said in Chinese."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from kaohe_rules.cli.usage import BadValue, option_name
from kaohe_rules.source import os_reason


class FilePath(click.ParamType):
    """A file name for -o and the like; unlike click.Path it says what is wrong in Chinese."""

    name = "文件"

    def convert(self, value, param, ctx) -> str:
        if not str(value).strip():  # Path("") is the current folder
            raise BadValue("KH507", option_name(param), "文件名是空的", "如 -o 结果.xlsx")
        if Path(value).is_dir():
            message = f"{value} 是文件夹，这里要一个文件名"
            raise BadValue("KH514", option_name(param), message, "如 -o 结果.xlsx")
        return str(value)


FILE = FilePath()


TABLES = ((".csv", ".json", ".xlsx"), ".csv、.json 或 .xlsx")  # table outputs, as named
# kaohe evaluate's: the tables, and the 结果 table typed in Parquet
RESULTS = ((".csv", ".json", ".parquet", ".xlsx"), ".csv、.json、.parquet 或 .xlsx")


def output_path(output: str, suffixes: tuple[str, ...] = (), shown: str = "") -> Path:
    """The -o file, checked before any work is done: one of ``suffixes`` (when given; named
    as ``shown`` in the message) in a folder that exists."""
    path = Path(output)
    if suffixes and path.suffix.lower() not in suffixes:
        message = f"输出文件应以 {shown} 结尾，得到 {output}"
        raise BadValue("KH515", "-o/--output", message, f"如 -o 结果{suffixes[-1]}")
    if not path.parent.resolve().is_dir():
        message = f"输出文件夹 {path.parent} 不存在"
        raise BadValue("KH513", "-o/--output", message, "先建好这个文件夹，或写到已有的文件夹")
    return path


class OutputError(click.ClickException):
    """A file that cannot or must not be written: said with its code, without a usage banner."""

    exit_code = 2

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: error KH313 output-unwritable: {reason}")

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


def inputs_of(evaluation) -> list[Path]:
    """The files a year's evaluation read: its rule files and data files."""
    return [*evaluation.resolved.ruleset.files, *evaluation.data.files]


def write_output(path: Path, content: bytes | Iterable[bytes], inputs: list[Path] = ()) -> None:
    """Write ``content`` (or its parts, as they come) atomically (see
    report.write_atomically), never over one of the run's ``inputs`` nor as a data file
    beside them; a failure is KH313, not a crash."""
    from kaohe_rules.outputs.report import write_atomically

    _not_an_input(path, inputs)
    try:
        write_atomically(path, content)
    except OSError as error:
        raise OutputError(path, f"无法写出：{os_reason(error)}") from None


def _not_an_input(path: Path, inputs: list[Path]) -> None:
    target = path.resolve()
    for source in inputs:
        if target == source.resolve():
            raise OutputError(path, "这是本次计算读入的文件，不能用输出覆盖它")
    folders = {source.resolve().parent for source in inputs if source.suffix.lower() in _DATA}
    if target.suffix.lower() in _DATA and target.parent in folders:
        reason = "在数据文件夹中，下次计算会把它当作数据读入；请写到别的文件夹"
        raise OutputError(path, reason)


_DATA = (".csv", ".xlsx", ".parquet")  # what read_data takes from a data folder


def with_sample_column(header: list[str], rows: list[list], notice: str | None):
    """A bare table (no place for a note: feedback, attribute, analyze) with a last
    column 数据 saying on every row that the data are the bundled sample; unchanged
    for the user's own data. A last column breaks no reader of the earlier ones."""
    if notice is None:
        return header, rows
    said = notice.removeprefix("数据：")
    return [*header, "数据"], [[*row, said] for row in rows]
