"""The Spark engine (``--engine spark``): the same compiled query as DuckDB runs, rendered
as Spark SQL and run through pyspark over a temporary view named ``records``.

Every measure gives DuckDB's number to the last bit (tests/spark): text becomes a number
by one pattern for both engines (compile.NUMBER_PATTERN), CSV is read with the header's
columns as text and malformed rows as errors, as DuckDB reads it. The exception is the
quantiles (中位数, 分位数), which are refused on Spark before it starts (KH576,
aggregate.py): DuckDB interpolates as ``lo * (1 - d) + hi * d`` in compiled code, fused
into one multiply-add where the CPU has one, Spark as ``(h - p) * lo + (p - l) * hi``;
the last binary digit differs, and no Spark SQL reproduces a fused multiply-add.

One SparkSession serves the process (starting one takes tens of seconds); ``close``
drops the view, the session ends with the process. pyspark is imported here, and only
for ``--engine spark``; every failure is a coded problem (KH572–KH575), never a traceback.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

from kaohe_rules.read.records.engine import TABLE, EngineProblem, distinct_values
from kaohe_rules.read.records.source import Source

LOCAL = "local[*]"
_SESSIONS: dict[str, object] = {}  # master URL → this process's session
_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Spark may skip parsing the columns a query does not read, and so not see that a row
    # has too few or too many of them: every row is checked, as DuckDB's strict mode does.
    "spark.sql.csv.parser.columnPruning.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    # Spark's log (its start-up notes, a failed task's Java stack) is off: a failure is
    # reported as a coded problem with its reason.
    "spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile="
    + Path(__file__).with_name("log4j2.properties").as_uri(),
}


class Spark:
    """A SparkSession on ``master`` (default ``local[*]``) for one evaluation's sources;
    with ``records_root``, the declared record files are found under that URI through
    Spark's own file systems (remote.Root), not in the data folder."""

    dialect = "spark"

    def __init__(self, master: str | None, records_root: str | None = None) -> None:
        self.master = master or LOCAL
        self.session = _session(self.master)
        self.errors = _errors()
        self.root = None
        if records_root is not None:
            from kaohe_rules.read.records.remote import Root

            self.root = Root(self.session, records_root)

    def close(self) -> None:
        """Drop the view; the session stays for the process (it is slow to start)."""
        with contextlib.suppress(self.errors):  # a session gone already holds no view
            self.session.catalog.dropTempView(TABLE)

    def parquet_columns(self, files: tuple[Path, ...]) -> list[tuple[str, str]]:
        """A Parquet source's columns, each with the DuckDB type name of its kind."""
        try:
            schema = self.session.read.parquet(*_literal(files)).schema
        except self.errors as error:
            raise _problem(error, files[0]) from None
        return [(f.name, _kind(f.dataType)) for f in schema.fields]

    def provide(self, source: Source) -> None:
        """The view ``records`` of the source's files."""
        from pyspark.sql.types import StringType, StructField, StructType

        paths = _literal(source.files)
        try:
            if source.kind == "csv":
                schema = StructType([StructField(n, StringType()) for n in source.names])
                frame = self.session.read.csv(paths, schema=schema, **_CSV)
            else:
                frame = self.session.read.parquet(*paths)
            frame.createOrReplaceTempView(TABLE)
        except self.errors as error:
            raise _problem(error, source.files[0]) from None

    def run(self, sql: str, source: Source) -> list[tuple]:
        """The rows of ``sql`` (a query in Spark's dialect, plan.py) over the source
        provided last."""
        try:
            return [tuple(row) for row in self.session.sql(sql).collect()]
        except self.errors as error:
            raise _problem(error, source.files[0], source) from None

    def group_values(self, name: str, most: int = 20) -> list[str]:
        """Some values of a column of the source provided last (to name them in a hint)."""
        sql = distinct_values(name, most).sql(dialect=self.dialect)
        try:
            return [row[0] for row in self.session.sql(sql).collect()]
        except self.errors:
            return []


# As DuckDB reads CSV records (engine.DuckDB.provide): the header is the first line (its
# names are ours, from source.csv_header), '"' quotes and escapes, a quoted field may hold
# a line break, an unquoted empty field is missing, and a malformed row is an error.
_CSV = {
    "header": True,
    "sep": ",",
    "quote": '"',
    "escape": '"',
    "multiLine": True,
    "mode": "FAILFAST",
    "encoding": "UTF-8",
    "enforceSchema": True,
}


def _literal(files) -> list[str]:
    """The files' paths as Spark reads a path literally: it takes each as a Hadoop glob, so
    ``评价[1].csv`` would read ``评价1.csv`` (a bracket is a character class); a backslash
    before each glob character makes it itself."""
    return [re.sub(r"([\\\[\]{}*?])", r"\\\1", str(f)) for f in files]


def _kind(data_type) -> str:
    """A Spark type by the DuckDB name that source.language_type reads."""
    from pyspark.sql.types import BooleanType, NumericType

    if isinstance(data_type, BooleanType):
        return "BOOLEAN"
    return "DOUBLE" if isinstance(data_type, NumericType) else "VARCHAR"


def _errors() -> tuple[type[BaseException], ...]:
    """What pyspark and its bridge to Java raise."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JError)


def _session(master: str):
    """This process's session on ``master``: started once (KH572–KH574 when it cannot be)."""
    if master in _SESSIONS:
        return _SESSIONS[master]
    try:
        with warnings.catch_warnings():  # pyspark's note on the pandas version: not ours
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql import SparkSession
    except ImportError:
        hint = "安装 Spark 引擎：pip install 'kaohe-rules[spark]'（pyspark 4 需要 Java 17 或更新）"
        message = "--engine spark 需要 pyspark，但没有安装"
        raise EngineProblem("KH572", message, "", None, hint) from None
    if not _java():
        home = os.environ.get("JAVA_HOME")
        where = f"JAVA_HOME（{home}）下没有 bin/java" if home else "PATH 中没有 java 命令"
        message = f"--engine spark 需要 Java，但{where}"
        hint = "安装 Java 17 或更新（如 apt-get install openjdk-17-jre-headless），或设置 JAVA_HOME"
        raise EngineProblem("KH573", message, "", None, hint)
    for other in list(_SESSIONS):  # one SparkContext per process: a new master ends the old
        _SESSIONS.pop(other).stop()
    builder = SparkSession.builder.master(master).appName("kaohe-records")
    for key, value in _SETTINGS.items():
        builder = builder.config(key, value)
    log = Path(tempfile.gettempdir(), f"kaohe-spark-{os.getpid()}.log")
    try:
        with warnings.catch_warnings(), _stderr_to(log):
            warnings.simplefilter("ignore", FutureWarning)
            session = builder.getOrCreate()
    except Exception as error:  # whatever stops the JVM or the master: said, not raised
        reason = _java_reason(log) or _reason(str(error))
        message = f"Spark 没有启动（master {master}）：{reason}"
        hint = (
            "检查 --spark-master 的地址（local[*]、spark://主机:7077……）和 Java 版本"
            f"（java -version，需 17 或更新）；Java 的完整输出在 {log}"
        )
        raise EngineProblem("KH574", message, "", None, hint) from None
    log.unlink(missing_ok=True)  # started: the JVM keeps writing to it, nobody reads it
    _SESSIONS[master] = session
    return session


@contextlib.contextmanager
def _stderr_to(log: Path):
    """Standard error into ``log`` while the JVM starts: the JVM inherits it, so its notes
    and Java stacks go there for its whole life, not onto the user's terminal."""
    saved = os.dup(2)
    with open(log, "ab") as stream:
        os.dup2(stream.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _java_reason(log: Path) -> str | None:
    """The line of the JVM's output that says why it stopped (an exception's message)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if "Exception" in line or "Error:" in line:
            return line.split(": ", 1)[-1].strip()[:200]
    return None


def _java() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home:
        return Path(home, "bin", "java").is_file()
    return shutil.which("java") is not None


def _problem(error: Exception, first: Path, source: Source | None = None) -> EngineProblem:
    """A Spark failure as a coded problem: a malformed CSV row (KH562, with its line when
    the file is local) or another failure (KH575)."""
    text = str(error)
    if "MALFORMED_RECORD" in text or "Malformed records" in text:
        found = _malformed(source) if source is not None else None
        file, line, row = found or (str(first), None, [])
        reason = "有一行的列数与表头不同"
        if row:
            width = len(source.names)
            reason += f"（表头 {width} 列，这一行 {len(row)} 列）；这一行是：{','.join(row)[:120]}"
        hint = "每一行的列数须与表头相同；含逗号的值用双引号括起来"
        file = file if source is None or not source.remote else str(source.path)
        return EngineProblem("KH562", f"记录文件无法读取：{reason}", file, line, hint)
    message = f"Spark 执行汇总时出错：{_reason(text)}"
    hint = "Spark 的完整信息见上面的输出；在集群上运行时，各节点须能以同一路径读到记录文件"
    return EngineProblem("KH575", message, str(first), None, hint)


def _malformed(source: Source) -> tuple[str, int, list[str]] | None:
    """The first row of a CSV source whose width is not the header's: (file, line, text);
    not searched for under a --records-root (that would read the records a second time)."""
    if source.kind != "csv" or source.remote:
        return None
    width = len(source.names)
    for file in source.files:
        with open(file, encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream)
            next(reader, None)
            for row in reader:
                if len(row) != width:
                    return str(file), reader.line_num, row
    return None


def _reason(text: str) -> str:
    """The first line of a Spark message that says something, without the JVM's stack."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("at ", "py4j", "Traceback", "JVM stacktrace")):
            return line[:200]
    return text[:200]
