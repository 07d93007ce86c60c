"""The command line's own words: help framed in Chinese, and every usage error as a coded
diagnostic (KH504–KH519, exit 2) instead of click's English ``Usage: … Error: …``.

click builds its framing from English strings passed through gettext, so it would
change with the process locale; here every piece a user reads is written out, the same
under any LANG. Commands are made with :class:`Command` and :class:`Group` (the root
group hands them down), values are converted by the types below, and a click error that
still arrives is translated by its class in :func:`refusal`, the one place that does.
"""

from __future__ import annotations

import difflib
import re

import click

from kaohe_rules.diagnostics import Diagnostic, render_text
from kaohe_rules.read.cells import FULL_WIDTH_DIGITS
from kaohe_rules.source import bounded, display_width

HELP_TEXT = "显示此帮助并退出。"
VERSION_TEXT = "显示版本并退出。"


class InputError(click.ClickException):
    """A usage error said as a coded diagnostic with a hint (exit 2): no usage banner."""

    exit_code = 2

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic(code, message, None, hint)

    def show(self, file=None) -> None:
        click.echo(render_text([self.diagnostic]), err=True)


class BadValue(click.BadParameter):
    """A value the command refuses, with its code: raised by the types below and by
    commands that check a value further (a folder that must exist, a -o suffix)."""

    def __init__(self, code: str, option: str, message: str, hint: str = "") -> None:
        super().__init__(message, param_hint=option)
        self.code, self.option, self.hint = code, option, hint


# --- help ----------------------------------------------------------------------------


class Formatter(click.HelpFormatter):
    """Help laid out by display width: click counts a Chinese character as one column,
    which leaves the option table ragged and its lines wider than the terminal."""

    def write_text(self, text: str) -> None:
        """Paragraphs wrapped by display width; a paragraph led by ``\\b`` as written."""
        indent = " " * self.current_indent
        blocks = []
        for block in re.split(r"\n\s*\n", text):
            kept = block.startswith("\b")
            lines = block.split("\n")[1:] if kept else wrap(block, self.width - len(indent))
            blocks.append("\n".join(indent + line if line else line for line in lines))
        self.write("\n\n".join(blocks) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first = min(max((display_width(term) for term, _ in rows), default=0), col_max)
        indent = self.current_indent + first + col_spacing
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            width = display_width(term)
            gap = " " * (first + col_spacing - width) if width <= first else "\n" + " " * indent
            lines = wrap(text, max(self.width - indent, 20))
            self.write(gap + ("\n" + " " * indent).join(lines) + "\n")


_PIECES = re.compile(r"[!-~]+|\s+|.")  # runs of ASCII non-space stay whole; others split
_CLOSING = set("，。；：、）？！…」》")  # never at the start of a line (Chinese typesetting)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` display columns, breaking between Chinese
    characters or at spaces, never inside an ASCII word (unless it alone is too long)."""
    lines, line = [], ""
    for piece in _PIECES.findall(_one_line(text)):
        if line and display_width(line + piece) > width:
            # a closing mark takes the character before it down to the next line
            carry = line[-1] if piece in _CLOSING and len(line) > 1 else ""
            lines.append(line[: len(line) - len(carry)].rstrip())
            line = carry + piece.lstrip()
        else:
            line += piece
    return [*lines, line.rstrip()] if line.strip() else lines


def _one_line(text: str) -> str:
    """A paragraph's lines joined: a space between two ASCII words, none between
    Chinese characters (a docstring breaks lines where the text has no space)."""

    def joint(match: re.Match) -> str:
        before, after = match.group(1), match.group(2)
        return before + (" " if before.isascii() and after.isascii() else "") + after

    return re.sub(r"(\S)\s*\n\s*(\S)", joint, text.strip())


class Context(click.Context):
    """A click context whose help uses :class:`Formatter`."""

    formatter_class = Formatter


class _Framed:
    """Help with Chinese headings and usage line; usage errors translated on the way out.

    ``parse_args`` reads options, values, missing and extra arguments, and ``invoke``
    runs the command and, for a group, its subcommand: between them every usage error
    of a run passes here, whether click or a command raised it.
    """

    context_class = Context

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = " ".join(self.collect_usage_pieces(ctx))
        formatter.write_usage(ctx.command_path, pieces, prefix="用法：")

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """No section of its own: arguments are explained in each command's text."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            record
            for param in self.get_params(ctx)
            if isinstance(param, click.Option) and (record := param.get_help_record(ctx))
        ]
        if rows:
            with formatter.section("选项"):
                formatter.write_dl(rows)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            error.ctx = error.ctx or ctx  # the option parser raises some without one
            raise refusal(error) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            # Subcommands translate their own errors, so a plain UsageError about a
            # group's own context is click's "Missing command." (`kaohe --`).
            own = type(error) is click.UsageError and error.ctx is ctx
            if own and isinstance(self, click.Group):
                raise NoCommand(ctx) from None
            raise refusal(error) from None


class Command(_Framed, click.Command):
    """A kaohe command: Chinese help, coded usage errors, extra arguments named."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # click would refuse extra arguments in English; take them and refuse them here
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True
        rest = super().parse_args(ctx, args)
        ctx.allow_extra_args = allowed
        if rest and not allowed:
            raise _extra_arguments(ctx, rest)
        return rest

    def get_help(self, ctx: click.Context) -> str:
        # click marks a required option in English, through gettext we do not set up
        return super().get_help(ctx).replace("[required]", "[必须给出]")


class Group(_Framed, click.Group):
    """A kaohe command group: its commands listed under 命令, an unknown one suggested."""

    command_class = Command
    group_class = type  # a subgroup is a Group too

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        rows = []
        for name in self.list_commands(ctx):
            summary = self.summary(ctx, name, formatter.width - 6 - len(name))
            if summary is not None:
                rows.append((name, summary))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def summary(self, ctx: click.Context, name: str, limit: int) -> str | None:
        """The line the help shows for command ``name``; None for a hidden one."""
        command = self.get_command(ctx, name)
        if command is None or command.hidden:
            return None
        return command.get_short_help_str(limit)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0]
        if self.get_command(ctx, name) is None:
            if name.startswith("-"):  # an option after all (as click does): say which
                self.parse_args(ctx, args)
            raise _unknown_command(ctx, self.list_commands(ctx), name)
        return super().resolve_command(ctx, args)


# --- values --------------------------------------------------------------------------


class Choice(click.Choice):
    """One of a few words, exactly as written (``--format json``)."""

    def convert(self, value, param, ctx):
        if value in self.choices:
            return value
        same = [c for c in self.choices if str(c).casefold() == str(value).casefold()]
        hint = f"是不是想用 {same[0]}？" if same else ""
        allowed = "、".join(map(str, self.choices))
        raise BadValue(
            "KH510",
            option_name(param),
            f"'{bounded(str(value))}' 不是可选的值；可选：{allowed}",
            hint,
        )


class WholeNumber(click.ParamType):
    """A whole number in ASCII digits (full-width read as in data: ２０２４ is 2024, ٢٠٢٤
    is refused), at least ``minimum`` when given."""

    name = "整数"

    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value, param, ctx) -> int:
        text = str(value).strip().translate(FULL_WIDTH_DIGITS)
        digits = text.removeprefix("-").removeprefix("+")
        if not (isinstance(value, int) or (digits.isascii() and digits.isdigit())):
            raise BadValue(
                "KH511", option_name(param), f"'{bounded(str(value))}' 不是整数", "如 2024"
            )
        if len(digits) > 18:  # int() refuses past 4,300 digits, and no count is this big
            raise BadValue("KH512", option_name(param), f"{bounded(text)} 太大")
        number = int(text)
        if self.minimum is not None and number < self.minimum:
            message = f"应不小于 {self.minimum}，得到 {number}"
            raise BadValue("KH512", option_name(param), message)
        if self.maximum is not None and number > self.maximum:
            message = f"应不大于 {self.maximum}，得到 {number}"
            raise BadValue("KH512", option_name(param), message)
        return number


class Number(click.ParamType):
    """A finite number in ASCII (or, as in data, full-width) digits: ``90``, ``87.5``."""

    name = "数"

    def convert(self, value, param, ctx) -> float:
        import math

        text = str(value).strip().translate(FULL_WIDTH_DIGITS)
        try:
            number = float(text) if text.isascii() else math.nan
        except ValueError:
            number = math.nan
        if math.isnan(number):
            raise BadValue(
                "KH511", option_name(param), f"'{bounded(str(value))}' 不是数", "如 90 或 87.5"
            )
        if math.isinf(number):
            raise BadValue("KH512", option_name(param), f"{bounded(text)} 超出数值范围")
        return number


class InputFile(click.ParamType):
    """A file the command reads (``--history-csv``, ``kaohe expr --data``): one that is
    there and is not a folder. What kind of file it is, the reader checks."""

    name = "文件"

    def convert(self, value, param, ctx) -> str:
        import os.path

        if os.path.isdir(value):
            message = f"{bounded(value)} 是文件夹，这里要一个文件"
            raise BadValue("KH514", option_name(param), message)
        # lexists: a dangling or looping link is the reader's to name (it says why)
        if not os.path.lexists(value):
            raise BadValue("KH513", option_name(param), f"找不到文件 {bounded(value)}")
        return str(value)


YEAR = WholeNumber()
COUNT = WholeNumber(minimum=1)
NUMBER = Number()
INPUT_FILE = InputFile()


# --- translation ---------------------------------------------------------------------


def refusal(error: click.UsageError) -> InputError:
    """A click usage error as our diagnostic: a code per kind, Chinese, a hint."""
    ctx = error.ctx
    command = ctx.command_path if ctx else "kaohe"
    see = f"用 {command} -h 查看用法"
    if isinstance(error, BadValue):
        message = f"{error.option}：{error.message}"
        return InputError(error.code, message, _join(error.hint, see))
    if isinstance(error, click.exceptions.NoArgsIsHelpError):
        return NoCommand(ctx)
    if isinstance(error, click.NoSuchOption):
        name = bounded(error.option_name)
        close = error.possibilities or []
        guess = f"是不是想用 {' 或 '.join(close)}？" if close else ""
        return InputError("KH505", f"{command} 没有选项 {name}", _join(guess, see))
    if isinstance(error, click.MissingParameter):
        param = error.param
        what = "选项" if isinstance(param, click.Option) else "参数"
        message = f"缺少{what} {option_name(param)}"
        return InputError("KH506", message, _join(_usage(ctx), see))
    if isinstance(error, click.BadOptionUsage):
        return _option_usage(ctx, error.option_name, see)
    if isinstance(error, click.BadParameter):  # a callback's check, said in Chinese
        where = option_name(error.param) if error.param else str(error.param_hint or "参数")
        return InputError("KH519", f"{where}：{bounded(error.message)}", see)
    # Anything else click may say (none of our commands reaches it today) keeps its
    # words, under a code, rather than losing what went wrong.
    return InputError("KH519", f"命令行用法有误：{bounded(error.format_message())}", see)


class NoCommand(InputError):
    """``kaohe`` or ``kaohe analyze`` without a command: the help, then the code."""

    def __init__(self, ctx: click.Context) -> None:
        super().__init__("KH509", f"{ctx.command_path} 后面要跟一个命令", "命令见上面的列表")
        self.help = ctx.get_help()

    def show(self, file=None) -> None:
        click.echo(self.help + "\n", err=True)
        super().show(file)


def _unknown_command(ctx: click.Context, known: list[str], name: str) -> InputError:
    close = difflib.get_close_matches(name, known, n=2)
    guess = f"是不是想用 {' 或 '.join(close)}？" if close else ""
    listed = f"命令有：{'、'.join(known)}"
    message = f"{ctx.command_path} 没有命令 {bounded(name)}"
    return InputError("KH504", message, _join(guess, listed))


def _extra_arguments(ctx: click.Context, rest: list[str]) -> InputError:
    shown = bounded(" ".join(rest))
    hint = _usage(ctx)
    names = {name for param in ctx.command.params for name in param.opts}
    # `--rules --data data` gives --rules the value "--data" and leaves "data" over
    swallowed = [v for v in ctx.params.values() if isinstance(v, str) and v in names]
    if swallowed:
        hint = _join(f"有选项把 {swallowed[0]} 当成了自己的值，是不是漏写了这个选项的值？", hint)
    message = f"多余的参数：{shown}"
    return InputError("KH508", message, _join(hint, f"用 {ctx.command_path} -h 查看用法"))


def _option_usage(ctx: click.Context | None, option: str, see: str) -> InputError:
    params = ctx.command.params if ctx else []
    flag = any(
        option in (*p.opts, *p.secondary_opts) and getattr(p, "is_flag", False) for p in params
    )
    if flag:
        return InputError("KH516", f"选项 {option} 不带值", _join(f"只写 {option}", see))
    return InputError("KH507", f"选项 {option} 后面缺少值", _join(_usage(ctx), see))


def option_name(param: click.Parameter | None) -> str:
    """How a message names a parameter: ``-o/--output``, or an argument's metavar."""
    if param is None:
        return "参数"
    if isinstance(param, click.Option):
        return "/".join(param.opts)
    return (param.metavar or param.name or "").removesuffix("...")


def _usage(ctx: click.Context | None) -> str:
    if ctx is None:
        return ""
    pieces = " ".join(ctx.command.collect_usage_pieces(ctx))
    return f"用法：{ctx.command_path} {pieces}"


def _join(*parts: str) -> str:
    """Hint sentences in one line: a question ends its own, the rest take "；"."""
    text = ""
    for part in filter(None, (p.rstrip("；。") for p in parts)):
        text += part if not text or text.endswith("？") else "；" + part
    return text
