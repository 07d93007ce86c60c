"""The ``kaohe`` command: a click group whose commands live one per module.

This package only parses options, prints and chooses exit codes: 0 clean,
1 problems in rules, expressions or data, 2 usage or I/O errors, 3 an internal
error (a bug: it is reported without a traceback unless KAOHE_DEBUG is set).
"""

from __future__ import annotations

import os
import sys

import click

from kaohe_rules import __version__
from kaohe_rules.cli.analyze import analyze
from kaohe_rules.cli.archive import register as register_archive
from kaohe_rules.cli.cycle import attribute, feedback
from kaohe_rules.cli.diff import diff
from kaohe_rules.cli.evaluate import evaluate, explain
from kaohe_rules.cli.expr import expr
from kaohe_rules.cli.fmt import fmt
from kaohe_rules.cli.report import report
from kaohe_rules.cli.show import show
from kaohe_rules.cli.test import test
from kaohe_rules.cli.usage import VERSION_TEXT, Group, InputError, refusal
from kaohe_rules.cli.validate import validate
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.limits import LimitSettingError, check_environment


@click.group("kaohe", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
# The version from the package itself, not from installed metadata: `python cli.py` from a
# checkout has none, and its program name would be cli.py.
@click.version_option(
    __version__, prog_name="kaohe", message="%(prog)s %(version)s", help=VERSION_TEXT
)
def cli() -> None:
    """kaohe：综合考核规则引擎。规则写在 YAML 文件和小型表达式语言中。"""


cli.add_command(expr)
cli.add_command(validate)
cli.add_command(show)
cli.add_command(evaluate)
cli.add_command(explain)
cli.add_command(test)
cli.add_command(diff)
cli.add_command(fmt)
cli.add_command(feedback)
cli.add_command(attribute)
cli.add_command(report)
cli.add_command(analyze)
register_archive(cli)


def main() -> None:
    """Entry point of the installed ``kaohe`` command and of ``python cli.py``."""
    try:
        check_environment()
        # named kaohe however started (python cli.py, python -m): messages quote it
        status = cli.main(prog_name="kaohe", standalone_mode=False)
    except LimitSettingError as error:
        hint = "改正或删去这个环境变量（docs/evaluate.md 列出各项上限）"
        InputError("KH503", str(error), hint).show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("已中止", err=True)
        sys.exit(1)
    except click.UsageError as error:  # pragma: no cover - the commands translate their own
        refusal(error).show()
        sys.exit(2)
    except click.ClickException as error:
        error.show()
        sys.exit(2)
    except KaoheError as error:  # pragma: no cover - commands render their own
        click.echo(str(error), err=True)
        sys.exit(1)
    except Exception as error:
        if os.environ.get("KAOHE_DEBUG"):
            raise
        click.echo(f"kaohe 内部错误（请报告此问题）：{type(error).__name__}: {error}", err=True)
        sys.exit(3)
    sys.exit(status if isinstance(status, int) else 0)
