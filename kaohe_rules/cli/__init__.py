"""The ``kaohe`` command: a click group whose commands live one per module.

This package only parses options, prints and chooses exit codes: 0 clean,
1 problems in rules, expressions or data, 2 usage or I/O errors, 3 an internal
error (a bug: it is reported without a traceback unless KAOHE_DEBUG is set).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping

import click

from kaohe_rules import __version__
from kaohe_rules.cli.usage import VERSION_TEXT, Group, InputError, refusal
from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.limits import LimitSettingError, check_environment

# Each command: its module, and the line `kaohe -h` shows for it (the first sentence of
# its own help; tests/adversarial/test_usage.py keeps the two the same). A command's
# module is imported only when that command runs or shows its help: `kaohe -h` and
# `kaohe expr` need not load what evaluating a year loads.
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("kaohe_rules.cli.analyze", "分析计算结果：指标区分度、领域概况、历年名次变化。"),
    "attribute": (
        "kaohe_rules.cli.cycle",
        "实绩到人：每个单位的每位责任人负责哪些指标、得了多少分、完成率多少。",
    ),
    "collect": (
        "kaohe_rules.cli.collect",
        "汇总交回的填报表：逐格核对后写成数据文件，列出缺报的值和与上次汇总相比的变化。",
    ),
    "diff": (
        "kaohe_rules.cli.diff",
        "比较两个规则集：指标、权重、目标、方法、等次、标签、一单位一策的变化（不是文本 diff）。",
    ),
    "doc": (
        "kaohe_rules.cli.doc",
        "生成考核指标及评分细则：领域、类别、考卷权重、每个指标的目标与计分方法、加减分、否决、等次、标签和一单位一策。",
    ),
    "evaluate": (
        "kaohe_rules.cli.evaluate",
        "计算一个年度：每个单位的考卷得分、总分、名次、等次和标签。",
    ),
    "explain": (
        "kaohe_rules.cli.evaluate",
        "说明一个单位的结果怎样得来：每个指标、考卷、加减分、名次、等次和标签，并注明规则出处。",
    ),
    "expr": ("kaohe_rules.cli.expr", "求一个表达式的值，或显示它的错误。"),
    "feedback": (
        "kaohe_rules.cli.cycle",
        "问题清单：每个得分偏低（规则集的 问题清单 规定）的单位和指标，附差距、牵头单位和责任人。",
    ),
    "fmt": (
        "kaohe_rules.cli.fmt",
        "整理规则文件的格式：键的顺序、缩进、列表写法统一，注释和公式原样保留。",
    ),
    "history": (
        "kaohe_rules.cli.archive",
        "一个单位历年的等次和名次：归档中每年的最新版本，加上历史文件中归档之前的年度。",
    ),
    "lsp": (
        "kaohe_rules.cli.lsp",
        "语言服务器：编辑规则文件时即时检查、补全键和公式中的名称、悬停显示定义。",
    ),
    "publish": (
        "kaohe_rules.cli.archive",
        "计算一个年度并把最终结果封存到归档：已发布的版本永不覆盖，更正另存为新版本。",
    ),
    "report": (
        "kaohe_rules.cli.report",
        "生成一个年度的考核报告：一个自包含的 HTML 文件（图表为内嵌 SVG，可离线打开、打印）。",
    ),
    "schema": (
        "kaohe_rules.cli.schema",
        "写出规则文件的 JSON Schema，供单独的规则仓库在 $schema 注释中引用。",
    ),
    "serve": (
        "kaohe_rules.cli.serve",
        "在浏览器中查看和编辑规则：规则页面、带实时检查的编辑器、修改的影响、结果与解释。",
    ),
    "show": ("kaohe_rules.cli.show", "打印合并继承与通用设置之后的完整规则集（YAML）。"),
    "template": (
        "kaohe_rules.cli.template",
        "生成填报表：每个评分牵头单位一个 Excel 工作簿，列出它负责的指标和要填报的单位。",
    ),
    "test": (
        "kaohe_rules.cli.test",
        "运行规则集自带的测试用例（规则集/tests/*.yaml），可统计覆盖率。",
    ),
    "validate": (
        "kaohe_rules.cli.validate",
        "检查规则集：格式、名称、类型、权重、名单、等次……一次列出全部问题。",
    ),
}


class LazyCommands(MutableMapping):
    """The group's commands by name, each imported the first time it is looked up."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}
        self._added: dict[str, click.Command] = {}
        self.imported: Callable[[], None] | None = None  # called once a command is imported

    def __getitem__(self, name: str) -> click.Command:
        if name in self._added:
            return self._added[name]
        if name not in self._loaded:
            module, _summary = COMMANDS[name]  # KeyError: no such command
            self._loaded[name] = getattr(importlib.import_module(module), name)
            if self.imported is not None:
                self.imported()
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._added[name] = command

    def __delitem__(self, name: str) -> None:
        del self._added[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._added if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(name not in COMMANDS for name in self._added)

    def listed(self, name: str) -> bool:
        """Whether ``name`` is one of COMMANDS, not a command added in its place."""
        return name in COMMANDS and name not in self._added


class Root(Group):
    """The ``kaohe`` group: its commands come from COMMANDS, imported when used."""

    def summary(self, ctx: click.Context, name: str, limit: int) -> str | None:
        if self.commands.listed(name):  # its line, without importing it
            return COMMANDS[name][1]
        return super().summary(ctx, name, limit)


@click.group(
    "kaohe",
    cls=Root,
    commands=LazyCommands(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
# The version from the package itself, not from installed metadata: `python cli.py` from a
# checkout has none, and its program name would be cli.py.
@click.version_option(
    __version__, prog_name="kaohe", message="%(prog)s %(version)s", help=VERSION_TEXT
)
def cli() -> None:
    """kaohe：综合考核规则引擎。规则写在 YAML 文件和小型表达式语言中。"""


def run() -> None:
    """Entry point of the installed ``kaohe`` command and of ``python cli.py``: :func:`main`
    in a process of its own.

    What the command's imports made (modules, classes, functions) lives until the process
    ends, so once they are done the cycle collector is told to leave it alone (gc.freeze,
    decision 69) and traverses only what the command itself makes. Not in main(): a process
    that runs commands in-process (the tests) would keep its cyclic garbage of that moment.
    """
    cli.commands.imported = gc.freeze
    # numpy asks Linux for huge pages on each large array; where the kernel then compacts
    # memory to find them (THP "madvise", the common default), a million units' run spent
    # 5 s of system time and held 270 MB more at its peak (decision 119). Before numpy is
    # imported; a value the user set wins.
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    main()


def main() -> None:
    """The command line in this process: options, the command, exit code (SystemExit)."""
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
