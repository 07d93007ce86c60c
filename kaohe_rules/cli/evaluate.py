"""``kaohe evaluate`` and ``kaohe explain``: apply a year's rules to its data."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import click

from kaohe_rules.cli.inputs import SAMPLE_HELP, choose_inputs, sample_data
from kaohe_rules.cli.output import FILE, RESULTS, inputs_of, output_path, write_output
from kaohe_rules.cli.usage import YEAR, BadValue, Choice, Command
from kaohe_rules.diagnostics import KaoheError, Severity, render_text
from kaohe_rules.read import unknown_data


class _Progress:
    """A progress line on stderr, shown only once a run has taken over a second."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int, name: str) -> None:
        if time.monotonic() - self.start < 1.0 or not sys.stderr.isatty():
            return
        self.shown = True
        click.echo(f"\r计算中 {done + 1}/{total}：{name}    ", err=True, nl=False)

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 40 + "\r", err=True, nl=False)


def evaluate_options(
    year: int | None,
    rules: str | None,
    data: str | None,
    encoding: str | None,
    period: str | None = None,
    sample: bool = False,
):
    """The year the options choose, through the pipeline; print problems and exit 1 on
    errors in the rules or data.

    The data are ``data``, else (the demo, or ``sample``) the bundled sample of the rule
    set's declared year; see cli/inputs.py for what is refused.
    """
    rules_folder, data_folder = choose_inputs(year, rules, data, sample)
    from kaohe_rules import pipeline  # after the usage checks: a typo is refused at once

    def chosen_data(ruleset) -> Path:
        # Once the rules are loaded: their declared year names the sample, and --year
        # must agree with it.
        if rules is not None and year is not None and year != ruleset.year:
            message = f"--year 是 {year}，而 {rules} 是 {ruleset.year} 年度的规则集"
            hint = "给了 --rules 就不必给 --year；两者都给时须一致"
            raise BadValue("KH518", "--year", message, hint)
        return data_folder or sample_data(ruleset.year, period)

    if data_folder is not None:
        # the data's digests and a long file's parse taken while the rules load
        pipeline.read_ahead(data_folder, encoding)
    progress = _Progress()
    try:
        evaluation = pipeline.run_year(
            rules_folder,
            chosen_data,
            encoding=encoding,
            period=period or "全年",
            history_archive=_history_archive(),
            progress=progress,
            engine=engine_choice(),
        )
    except pipeline.ArchiveNotFound as error:
        raise BadValue("KH513", "--history-archive", str(error)) from None
    except KaoheError as error:
        progress.close()
        click.echo(render_text(error.diagnostics, limit=100), err=True)
        click.get_current_context().exit(1)
    progress.close()
    return evaluation


def _history_archive() -> Path | None:
    """``--history-archive`` of the running command, if it has one and it was given."""
    context = click.get_current_context(silent=True)
    given = context.meta.get(_HISTORY_ARCHIVE) if context else None
    return Path(given) if given else None


_HISTORY_ARCHIVE = "kaohe.history_archive"
_ENGINE = "kaohe.engine"
_SPARK_MASTER = "kaohe.spark_master"
RECORDS_ROOT = "kaohe.records_root"
# A URI with a scheme and an absolute path (hdfs://主机/路径, s3a://桶/路径, file:///路径):
# a bare path would be read on whichever file system the cluster calls its default.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")


def engine_choice():
    """The engine ``--engine``, ``--spark-master`` and ``--records-root`` choose for
    记录汇总 (DuckDB unless told); the Spark options without --engine spark are refused,
    not ignored (KH518, KH579), as is a records root that is not a URI (KH579)."""
    from kaohe_rules.read.records.choice import EngineChoice

    context = click.get_current_context(silent=True)
    meta = context.meta if context else {}
    name, master = meta.get(_ENGINE) or "duckdb", meta.get(_SPARK_MASTER)
    root = meta.get(RECORDS_ROOT)
    if master and name != "spark":
        message = "--spark-master 只在 --engine spark 时有用"
        hint = "加上 --engine spark，或删去 --spark-master"
        raise BadValue("KH518", "--spark-master", message, hint)
    if root is not None and name != "spark":
        message = "只在 --engine spark 时可用（记录由 Spark 从那里读取）"
        hint = "加上 --engine spark；用 DuckDB 时，记录放在数据文件夹（--data）的子文件夹中"
        raise BadValue("KH579", "--records-root", message, hint)
    if root is not None and not _URI.match(root):
        message = f"须是带协议的绝对地址，得到 {root}"
        hint = "如 hdfs://主机:8020/记录、s3a://桶/记录 或 file:///mnt/共享/记录"
        raise BadValue("KH579", "--records-root", message, hint)
    return EngineChoice(name, master, root)


def _remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta[_HISTORY_ARCHIVE] = value


def _keep(key: str):
    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        ctx.meta[key] = value

    return remember


# Which engine runs the 记录汇总 queries (docs/records.md); kept out of every command's
# signature like --history-archive: only evaluate_options reads them.
ENGINE_OPTIONS = [
    click.option(
        "--engine",
        type=Choice(["duckdb", "spark"]),
        expose_value=False,
        callback=_keep(_ENGINE),
        help="记录汇总的执行引擎：duckdb（默认，本机进程内）或 spark"
        "（需 pip install 'kaohe-rules[spark]' 和 Java 17）",
    ),
    click.option(
        "--spark-master",
        expose_value=False,
        callback=_keep(_SPARK_MASTER),
        metavar="地址",
        help="--engine spark 时 Spark 的 master，如 spark://主机:7077（默认 local[*]，本机）",
    ),
    click.option(
        "--records-root",
        expose_value=False,
        callback=_keep(RECORDS_ROOT),
        metavar="地址",
        help="--engine spark 时，记录汇总的 文件 在这个文件夹下找，而不是在 --data 中，"
        "如 hdfs://主机:8020/考核/2024、s3a://桶/记录、file:///mnt/共享/记录",
    ),
]

# Kept out of every command's signature: only evaluate_options reads it.
HISTORY_ARCHIVE_OPTION = click.option(
    "--history-archive",
    expose_value=False,
    callback=_remember,
    metavar="文件",
    help="往年结果（等次、总分、名次）从 kaohe publish 的归档读取，与数据中的 历史.csv 合并",
)


def _known_encoding(_ctx, _param, value: str | None) -> str | None:
    import codecs

    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            message = f"没有叫 {value} 的编码"
            raise BadValue("KH519", "--encoding", message, "可用 utf-8、gb18030 等") from None
    return value


# A CSV encoding, checked before anything is read (every command that reads data).
ENCODING_OPTION = click.option(
    "--encoding",
    callback=_known_encoding,
    metavar="编码",
    help="CSV 编码（默认自动识别 UTF-8 或 GB18030）",
)

# Which rules and data: evaluate's commands and kaohe analyze's share them.
INPUT_OPTIONS = [
    click.option(
        "--year",
        type=YEAR,
        metavar="年度",
        help="内置规则集的年度（默认最新）；不给 --rules、--data 时是内置示例",
    ),
    click.option("--rules", "rules", metavar="文件夹", help="规则集文件夹"),
    click.option("--data", "data", metavar="文件夹", help="数据文件夹（CSV/XLSX）"),
    click.option("--sample", is_flag=True, help=SAMPLE_HELP),
    ENCODING_OPTION,
]

_COMMON = [
    *INPUT_OPTIONS,
    click.option(
        "--period",
        type=Choice(["全年", "H1"]),
        default="全年",
        help="H1：半年评估，按半年目标值计分，没有半年目标的指标不计、考卷折算",
    ),
    HISTORY_ARCHIVE_OPTION,
    *ENGINE_OPTIONS,
]


def _common(function):
    for option in reversed(_COMMON):
        function = option(function)
    return function


@click.command("evaluate", cls=Command)
@_common
@click.option("-o", "--output", type=FILE, help="写出 .csv、.json、.parquet 或 .xlsx")
@click.option("--warnings/--no-warnings", default=False, help="列出全部警告（默认只给个数）")
@click.option(
    "--format",
    "fmt",
    type=Choice(["text", "json"]),
    default="text",
    help="json：把结果（含全部警告，键 警告）以 JSON 打印到标准输出，与 -o 结果.json 相同",
)
def evaluate(year, rules, data, sample, encoding, period, output, warnings, fmt) -> None:
    """计算一个年度：每个单位的考卷得分、总分、名次、等次和标签。

    \b
    不带参数时，用最新的内置规则集计算内置的合成示例数据（演示）；
    给了 --rules 就必须给 --data（或用 --sample 明说用示例数据）：
      kaohe evaluate
      kaohe evaluate --rules 我的规则/2024 --data 我的数据/2024 -o 结果.xlsx
    """
    path = output_path(output, *RESULTS) if output else None
    evaluation = evaluate_options(year, rules, data, encoding, period, sample)
    from kaohe_rules.outputs.report import render, render_parts, text_table
    from kaohe_rules.read.bundled import sample_notice

    found = [w for w in evaluation.warnings if w.severity is Severity.WARNING]
    if path:
        parts = render_parts(evaluation, path.suffix.lower())  # written as they come
        write_output(path, parts, inputs_of(evaluation))
        count = sum(len(d.units) for d in evaluation.domains)
        click.echo(f"已写出 {path}（{count} 个考核对象，指纹 {evaluation.fingerprint}）")
        notice = sample_notice(evaluation.data)
        if notice:
            click.echo(notice)
    elif fmt == "json":  # for CI: results and every warning, as the -o 结果.json file
        click.echo(render(evaluation, ".json").decode("utf-8"))
    else:
        click.echo(text_table(evaluation))
    if found and warnings:
        click.echo(render_text(found, limit=500), err=True)
    elif found:
        click.echo(f"有 {len(found)} 条警告（缺少数据等），用 --warnings 查看。", err=True)
    ignored = unknown_data.summary(evaluation.data.ignored)
    if ignored:  # 未知数据: 忽略 drops names without a warning, never without a word
        click.echo(ignored, err=True)


@click.command("explain", cls=Command)
@click.argument("unit", metavar="单位")
@_common
@click.option("--format", "fmt", type=Choice(["text", "json"]), default="text")
@click.option("--special", metavar="名称", help="说明该单位在这项专项考核中的得分、名次和等次")
def explain(unit, year, rules, data, sample, encoding, period, fmt, special) -> None:
    """说明一个单位的结果怎样得来：每个指标、考卷、加减分、名次、等次和标签，并注明规则出处。
    参加了专项考核的单位，还列出专项考核的结果和它计入综合考核的加分、扣分、否决或标签。

    \b
    单位 可以是编号或名称：
      kaohe explain 淳安县
      kaohe explain 330127 --format json
      kaohe explain 杭州市 --special 营商环境
    """
    import json

    from kaohe_rules.outputs.explain import explain as explain_unit
    from kaohe_rules.outputs.explain import render_text as render_explanation

    evaluation = evaluate_options(year, rules, data, encoding, period, sample)
    try:
        entry = explain_unit(evaluation, unit, special)
    except KaoheError as error:
        click.echo(render_text(error.diagnostics), err=True)
        click.get_current_context().exit(1)
    if fmt == "json":
        click.echo(json.dumps(entry, ensure_ascii=False, indent=1))
    else:
        click.echo(render_explanation(entry))
