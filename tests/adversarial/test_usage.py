"""The command line speaks Chinese and codes every usage error (issue 19).

Help for every command and subcommand is framed in Chinese (用法：, 选项：, 命令：,
显示此帮助并退出。); every misuse exits 2 with ``error KHnnn name: 中文`` and a hint, never
click's English framing; the output is the same under any locale. Run in-process through
the real entry point ``kaohe_rules.cli:main`` and, for the locale, as a real ``kaohe``.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kaohe_rules.cli import cli, main, usage
from kaohe_rules.cli.output import FilePath
from kaohe_rules.diagnostics import CODES
from kaohe_rules.source import display_width

ROOT = Path(__file__).resolve().parents[2]
RULES, DATA = "tests/adversarial/base/rules", "tests/adversarial/base/data"

# click's English framing, none of which a user may see
ENGLISH = (
    "Usage:",
    "Error:",
    "Options:",
    "Commands:",
    "Invalid value",
    "Missing argument",
    "Missing option",
    "Missing parameter",
    "No such command",
    "No such option",
    "Show this message",
    "Show the version",
    "for help",
    "Got unexpected",
    "requires an argument",
    "does not take a value",
    "is not one of",
    "is not a valid",
    "[default:",
    "[required]",
    "x>=",
)
CODE = re.compile(r"^error (KH5\d\d) ([a-z-]+): (.+)$", re.MULTILINE)


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    """Every command's path below ``group``: ("evaluate",), ("analyze", "trend") …"""
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


COMMANDS = [(), *_commands(cli)]


def _english(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "kaohe")
def test_help_of_every_command_is_chinese(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "-h"], prog_name="kaohe")
    text = result.output
    assert result.exit_code == 0, text
    assert text.startswith(f"用法：{' '.join(('kaohe', *path))} "), text
    assert "选项：" in text and "-h, --help" in text and "显示此帮助并退出。" in text, text
    assert not _english(text), _english(text)
    if not path:
        assert "显示版本并退出。" in text and "命令：" in text
    # laid out by display width: no line wider than click's 80 columns
    widest = max(text.splitlines(), key=display_width)
    assert display_width(widest) <= 80, widest


def test_every_command_and_value_type_is_ours() -> None:
    """A command made with click.command, or a value typed int/float/click.Choice, would
    bring back click's English; each must be one of cli/usage.py's."""
    ours = (usage.Choice, usage.WholeNumber, usage.Number, usage.InputFile, FilePath)
    for path in COMMANDS:
        command = cli
        for name in path:
            command = command.commands[name]
        assert isinstance(command, usage.Command | usage.Group), path
        context = usage.Context(command, info_name="kaohe")
        for param in command.params:
            plain = isinstance(param.type, click.types.StringParamType | click.types.BoolParamType)
            assert plain or isinstance(param.type, ours), (path, param.name, param.type)
            if isinstance(param, click.Option) and param.is_flag:
                continue
            # what help shows for the value: Chinese (TEXT, PATH, INTEGER are click's),
            # save the words of a choice, which are typed as shown
            metavar = re.sub(r"\[[^]]*\|[^]]*\]", "", param.make_metavar(context))
            assert not re.search(r"[A-Za-z]", metavar), (path, param.name, metavar)


# (arguments, code, words the message or hint must say)
MISUSES = [
    (["evalute"], "KH504", ["evalute", "是不是想用 evaluate"]),
    (["analyze", "trends"], "KH504", ["是不是想用 trend"]),
    (["evaluate", "--foo"], "KH505", ["--foo", "是不是想用 --format"]),
    (["evaluate", "-x"], "KH505", ["-x"]),
    (["validate"], "KH506", ["缺少参数 规则集", "用法：kaohe validate [选项] 规则集..."]),
    (["expr"], "KH506", ["缺少参数 表达式"]),
    (["evaluate", "--rules"], "KH507", ["--rules 后面缺少值"]),
    (["evaluate", "-o", ""], "KH507", ["文件名是空的"]),
    (["show", RULES, DATA], "KH508", [f"多余的参数：{DATA}"]),
    (["evaluate", "--rules", "--data", DATA], "KH508", ["--data", "漏写了"]),
    ([], "KH509", ["kaohe 后面要跟一个命令", "用法：kaohe [选项] 命令 [参数]..."]),
    (["--"], "KH509", ["kaohe 后面要跟一个命令"]),
    (["-"], "KH504", ["kaohe 没有命令 -"]),
    (["analyze"], "KH509", ["kaohe analyze 后面要跟一个命令"]),
    (["validate", RULES, "--format", "xml"], "KH510", ["'xml' 不是可选的值", "github"]),
    (["evaluate", "--period", "h1"], "KH510", ["是不是想用 H1"]),
    (["evaluate", "--year", "abc"], "KH511", ["'abc' 不是整数"]),
    (["evaluate", "--year", "٢٠٢٤"], "KH511", ["不是整数"]),  # full-width: as data
    (["test", RULES, "--threshold", "x"], "KH511", ["'x' 不是数"]),
    (["analyze", "trend", "--top", "0"], "KH512", ["应不小于 1"]),
    (["evaluate", "--year", "1" * 5000], "KH512", ["太大"]),  # int() refuses 4,300+ digits
    (["test", RULES, "--threshold", "nan"], "KH511", ["'nan' 不是数"]),
    (["test", RULES, "--threshold", "1e309"], "KH512", ["超出数值范围"]),
    (["evaluate", "--rules", "没有", "--data", DATA], "KH513", ["找不到文件夹 没有"]),
    (["validate", "没有"], "KH513", ["找不到规则集文件夹 没有"]),
    (["evaluate", "--rules", RULES, "--data", DATA, "-o", "没有/结果.csv"], "KH513", ["不存在"]),
    (["expr", "x", "--data", "没有.csv"], "KH513", ["找不到文件 没有.csv"]),
    (["evaluate", "--rules", RULES, "--data", DATA, "-o", DATA], "KH514", ["是文件夹"]),
    (["evaluate", "--rules", RULES, "--data", f"{DATA}/数据.csv"], "KH514", ["是文件"]),
    (["evaluate", "--rules", RULES, "--data", DATA, "-o", "结果.txt"], "KH515", [".xlsx"]),
    (["report", "--rules", RULES, "--data", DATA, "-o", "报告.pdf"], "KH515", [".html"]),
    (["evaluate", "--sample=1"], "KH516", ["--sample 不带值"]),
    (["expr", "1", "--set", "=1"], "KH517", ["'=1' 缺少名称"]),
    (["expr", "x", "--set", "x=1e309"], "KH517", ["1e309 超出数值范围"]),
    (["expr", "1", "--set", "x"], "KH517", ["名称=值"]),
    (["expr", "1", "--set", "if=1"], "KH517", ["不能作为表达式中的名称"]),
    (["expr", "x", "--set", "x:日期=1"], "KH517", ["未知类型"]),
    (["analyze", "domains", "--rules", RULES, "--data", DATA, "--format", "xlsx"], "KH518", []),
    (["evaluate", "--year", "2023", "--rules", RULES, "--data", DATA], "KH518", ["--year"]),
    (["evaluate", "--year", "1999"], "KH519", ["没有 1999 年度的内置规则集", "2024"]),
    (["evaluate", "--encoding", "klingon"], "KH519", ["没有叫 klingon 的编码"]),
    (["analyze", "trend", "--years", "2024"], "KH519", ["至少要两个年度"]),
]


def _run_main(args: list[str]) -> tuple[int, str]:
    """``kaohe ARGS`` as the installed script runs it: main() with sys.argv."""
    runner = CliRunner()
    saved = sys.argv
    try:
        with runner.isolation(env={"KAOHE_DEBUG": None}) as (_, _, mixed):
            sys.argv = ["kaohe", *args]
            try:
                main()
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
            sys.stderr.flush()
            return code, mixed.getvalue().decode("utf-8")
    finally:
        sys.argv = saved


@pytest.mark.parametrize(
    "args, code, words", MISUSES, ids=[f"{c}-{' '.join(a)[:40]}" for a, c, _ in MISUSES]
)
def test_misuse_is_refused_with_a_code(monkeypatch, args, code, words) -> None:
    monkeypatch.chdir(ROOT)
    status, output = _run_main(args)
    assert status == 2, output
    found = CODE.findall(output)
    assert [c for c, _name, _message in found] == [code], output
    assert found[0][1] == CODES[code], output
    assert re.search(r"[\u4e00-\u9fff]", found[0][2]), output  # the message is Chinese
    assert "提示: " in output, output
    for word in words:
        assert word in output, (word, output)
    assert not _english(output), (_english(output), output)
    assert "Traceback" not in output


def test_numbers_are_read_as_data_reads_them() -> None:
    """ASCII digits, and full-width ones as a data cell takes them; no other script's."""
    assert usage.YEAR.convert("２０２４", None, None) == 2024
    assert usage.NUMBER.convert("８７.５", None, None) == 87.5
    with pytest.raises(usage.BadValue):
        usage.NUMBER.convert("९०", None, None)


def test_the_group_itself_refuses_the_same_way() -> None:
    """Tests and scripts that invoke the click group (standalone mode) see the same."""
    result = CliRunner().invoke(cli, ["evaluate", "--period", "H3"], prog_name="kaohe")
    assert result.exit_code == 2
    assert result.output.startswith("error KH510 not-a-choice: --period：'H3' 不是可选的值")


def test_every_code_here_is_documented() -> None:
    errors = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for number in range(504, 520):
        code = f"KH{number}"
        assert code in CODES, code
        assert f"| {code} | {CODES[code]} |" in errors, code
    assert {code for _a, code, _w in MISUSES} == {f"KH{n}" for n in range(504, 520)}


def test_a_huge_argument_is_not_echoed_whole(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    status, output = _run_main(["evaluate", "--" + "a" * 100_000])
    assert status == 2 and "KH505" in output
    assert len(output) < 2_000, len(output)
    status, output = _run_main(["a" * 100_000])
    assert status == 2 and "KH504" in output and len(output) < 2_000


def test_click_errors_without_a_code_of_their_own_keep_their_meaning() -> None:
    """What no command of ours raises today still comes out coded, not as a traceback."""
    context = click.Context(cli, info_name="kaohe")
    said = usage.refusal(click.UsageError("Missing command.", context))
    assert said.diagnostic.code == "KH519"
    assert "Missing command." in said.diagnostic.message
    option = click.Option(["--depth"])
    checked = usage.refusal(click.BadParameter("须为正数", context, option))
    assert checked.diagnostic.message == "--depth：须为正数"
    assert "Invalid value" not in checked.diagnostic.message


def test_help_is_wrapped_by_display_width() -> None:
    text = "往年结果（等次、总分、名次）从 kaohe publish 的归档读取，与数据中的 历史.csv 合并"
    lines = usage.wrap(text, 30)
    assert all(display_width(line) <= 30 for line in lines), lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line[0] in "，。；：、）" for line in lines), lines
    assert "kaohe" in " ".join(lines).split() and "publish" in " ".join(lines).split()


def _kaohe() -> str:
    found = Path(sys.executable).parent / "kaohe"
    if not found.exists():
        pytest.skip("kaohe is not installed beside this Python")
    return str(found)


@pytest.mark.parametrize(
    "args", [["-h"], ["evalute"], ["expr", "1", "--set", "x=1e309"], ["analyze", "trend", "-h"]]
)
def test_the_installed_command_says_the_same_under_any_locale(args) -> None:
    """The real `kaohe` in a subprocess: the same bytes under C, German and Chinese locales
    (click's own words would go through gettext)."""
    outputs = set()
    for lang in ("C", "de_DE.UTF-8", "zh_CN.UTF-8"):
        env = {**os.environ, "LANG": lang, "LC_ALL": lang, "LANGUAGE": lang.split(".")[0]}
        env.pop("KAOHE_DEBUG", None)
        env["PYTHONIOENCODING"] = "utf-8"
        done = subprocess.run([_kaohe(), *args], capture_output=True, env=env, cwd=ROOT, timeout=60)
        output = (done.stdout + done.stderr).decode("utf-8")
        assert done.returncode == (0 if "-h" in args else 2), output
        assert not _english(output), output
        outputs.add(output)
    assert len(outputs) == 1, outputs


def test_the_help_lists_each_command_by_the_first_sentence_of_its_own_help() -> None:
    """`kaohe -h` shows COMMANDS' lines without importing the commands: each must be the
    first sentence of the command's own help, so the two never drift apart."""
    from kaohe_rules.cli import COMMANDS

    for name, (module, summary) in COMMANDS.items():
        command = cli.commands[name]
        assert command.callback.__module__ == module, name
        first = " ".join(line.strip() for line in command.help.split("\n\n")[0].splitlines())
        assert summary == first[: first.index("。") + 1], name


def test_kaohe_help_imports_no_command() -> None:
    """`kaohe -h` loads no command module, so neither pandas, pyarrow nor numpy: it
    answers at once (a command's module is imported when it runs)."""
    script = (
        "import sys\n"
        "sys.argv = ['kaohe', '-h']\n"
        "from kaohe_rules.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ['pandas', 'pyarrow', 'numpy', 'lark', 'yaml', 'kaohe_rules.cli.evaluate',"
        " 'duckdb', 'sqlglot', 'starlette', 'uvicorn']\n"
        "print('LOADED', [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "命令：" in done.stdout
    assert "LOADED []" in done.stdout, done.stdout[-300:]


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        (["expr", "1+1"], ["pandas", "pyarrow", "duckdb", "sqlglot"]),
        (["validate", "rules/2024"], ["pandas", "pyarrow", "duckdb", "sqlglot"]),
        # The bundled 2024 sample aggregates 上评下 and 下评上 from its responses: DuckDB
        # reads them; 2023's has no records and loads neither.
        (["evaluate"], ["pandas", "pyarrow"]),
        (["evaluate", "--year", "2023", "--sample"], ["pandas", "pyarrow", "duckdb", "sqlglot"]),
        # 记录汇总 are checked without the records: validate needs no database
        (["validate", "tests/records/rules"], ["duckdb", "sqlglot"]),
    ],
    ids=" ".join,
)
def test_commands_load_only_what_they_use(args, absent) -> None:
    """`kaohe expr`, `kaohe validate` and `kaohe evaluate` on the bundled rules and data need
    neither pandas nor pyarrow (dsl/codes.py does their grouping in numpy): importing them
    would cost more than the whole run. DuckDB and sqlglot load only for rules that
    aggregate records, and only to read them."""
    script = (
        "import sys\n"
        f"sys.argv = ['kaohe', *{args!r}]\n"
        "from kaohe_rules.cli import main\n"
        "try:\n    main()\nexcept SystemExit as done:\n    print('EXIT', done.code)\n"
        f"print('LOADED', [m for m in {absent!r} if m in sys.modules])\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=root
    )
    assert "LOADED []" in done.stdout, done.stdout[-300:] + done.stderr[-300:]
    assert "EXIT 0" in done.stdout or "EXIT None" in done.stdout, done.stdout[-300:]


def test_only_a_command_in_its_own_process_freezes_its_imports() -> None:
    """The installed command (cli.run) hands what its imports made to gc.freeze once the
    command's module is loaded (decision 69); main(), which tests run in-process, does not."""
    script = (
        "import gc, sys\n"
        "sys.argv = ['kaohe', 'expr', '1+1']\n"
        "from kaohe_rules.cli import run\n"
        "try:\n    run()\nexcept SystemExit as done:\n    print('EXIT', done.code)\n"
        "print('FROZEN', gc.get_freeze_count() > 1000)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=root
    )
    assert "FROZEN True" in done.stdout, done.stdout[-300:] + done.stderr[-300:]
    assert "EXIT 0" in done.stdout, done.stdout[-300:]
    before = gc.get_freeze_count()
    code, _ = _run_main(["expr", "1+1"])
    assert code == 0
    assert gc.get_freeze_count() == before
