"""Record files under a ``--records-root`` (``--engine spark`` only): located, their CSV
header read and their files listed through Spark's Hadoop FileSystem, so that records on
HDFS, S3 or a cluster's shared storage (any scheme the Spark installation has) are used
where they are, never copied to this machine nor read twice.

A declared ``文件`` resolves against the root exactly as it does against the data folder
(source.kind_of: the same extensions, one format per folder, an empty folder refused), a
CSV file's first line is checked as a local one is (source.header_names), and instead of
each file's SHA-256 the fingerprint takes its listing: length, modification time and the
file system's own checksum where it keeps one (HDFS; decision 114). After the query the
files are listed again: records that changed while they were read are an error (KH578),
not a result with a fingerprint of something else.

Every Java failure is translated here (KH577 the root, KH560 a declared file absent,
KH578 a file that cannot be read); pyspark is only touched through the session given.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from kaohe_rules.read.records.engine import EngineProblem
from kaohe_rules.read.records.source import (
    HEADER_BYTES,
    RemoteFile,
    Source,
    SourceProblem,
    header_names,
    kind_of,
    recordable,
)

_CHUNK = 1 << 16  # bytes read at a time until the header's line break

# Java exceptions (anywhere in the cause chain) by what they mean to the user.
_MISSING = ("java.io.FileNotFoundException",)
_DENIED = (
    "org.apache.hadoop.security.AccessControlException",
    "java.nio.file.AccessDeniedException",
    "org.apache.hadoop.fs.permission.AccessControlException",
)
_NO_SCHEME = (
    "org.apache.hadoop.fs.UnsupportedFileSystemException",
    "java.lang.ClassNotFoundException",
)
_UNREACHABLE = (
    "java.net.ConnectException",
    "java.net.UnknownHostException",
    "java.net.NoRouteToHostException",
    "java.net.SocketTimeoutException",
    "org.apache.hadoop.net.ConnectTimeoutException",
)


class Root:
    """The folder a --records-root names, opened through ``session``'s Hadoop FileSystem
    (KH577 when it cannot be: unknown scheme, unreachable, absent, not allowed, a file)."""

    def __init__(self, session, uri: str) -> None:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        self.errors = (Py4JError, PySparkException)
        self.uri = uri
        jvm = session._jvm
        self._path_class = jvm.org.apache.hadoop.fs.Path
        try:
            path = self._path_class(uri)
            self.fs = path.getFileSystem(session._jsc.hadoopConfiguration())
            status = self.fs.getFileStatus(path)
        except self.errors as error:
            raise _root_problem(error, uri) from None
        if not status.isDirectory():
            message = f"记录根 {uri} 是一个文件，不是文件夹"
            hint = "--records-root 是记录所在的文件夹，规则的 文件（如 记录/评价.csv）在其中找"
            raise EngineProblem("KH577", message, "", None, hint)
        self.path = status.getPath()  # qualified: scheme, authority, absolute path

    def locate(self, declared: str) -> tuple[str, tuple[RemoteFile, ...], str]:
        """The URI a 文件 names under the root, its files as listed (with checksums where
        the file system keeps them), and their format; as source.locate does locally."""
        uri, listed, folder = self._list(declared)
        kind = kind_of(declared, [entry.name for entry in listed], uri, folder)
        files = (RemoteFile(e.uri, e.length, e.modified, self._checksum(e.path)) for e in listed)
        return uri, tuple(files), kind

    def csv_header(self, uri: str) -> tuple[str, ...]:
        """The column names on a CSV file's first line, read from the file system."""
        try:
            stream = self.fs.open(self._path_class(uri))
            try:
                first = _first_line(stream)
            finally:
                stream.close()
        except self.errors as error:
            raise _file_problem(error, uri, "无法读取记录文件") from None
        return header_names(first, uri)

    def unchanged(self, source: Source) -> None:
        """KH578 when the source's files, listed again now, are not those the query was
        given (a file changed, added or removed while the records were read)."""
        _uri, listed, _folder = self._list(source.declared)
        now = {e.uri: (e.length, e.modified) for e in listed}
        before = {f.uri: (f.length, f.modified) for f in source.remote}
        if now == before:
            return
        changed = sorted(set(now) ^ set(before)) or sorted(u for u in now if now[u] != before[u])
        name = changed[0].rsplit("/", 1)[-1]
        message = (
            f"记录 {source.declared} 在汇总期间被改动（{name} 等 {len(changed)} 个文件），"
            "结果不可复现"
        )
        hint = "等写入记录的任务结束后再计算；指纹按计算开始时的文件清单得出"
        raise SourceProblem("KH578", message, changed[0], hint)

    def _list(self, declared: str) -> tuple[str, list[_Listed], bool]:
        """The declared path's URI, its record files (itself, or a folder's files by
        name), and whether it is a folder. Each status is asked for its fields once:
        every question is a round trip to the JVM (a few milliseconds a file)."""
        path = self._path_class(self.path, declared)
        uri = path.toString()
        try:
            status = self.fs.getFileStatus(path)
            if not status.isDirectory():
                return uri, [_listed(status)], False
            found = [_listed(s) for s in self.fs.listStatus(path)]
        except self.errors as error:
            if _kind(error)[0] == "missing":
                message = f"找不到记录文件 {declared}（在记录根 {self.uri} 中）"
                raise SourceProblem("KH560", message, uri) from None
            raise _file_problem(error, uri, "无法读取记录") from None
        found = sorted((e for e in found if recordable(e.name)), key=lambda e: e.name)
        for entry in found:
            if entry.folder:
                message = f"记录文件夹 {declared} 中的 {entry.name} 是文件夹，不是记录文件"
                hint = "记录文件夹中只放同一种格式的记录文件，不再分子文件夹"
                raise SourceProblem("KH562", message, entry.uri, hint)
        return uri, found, True

    def _checksum(self, path) -> str | None:
        """The file system's own checksum of a file (HDFS: an MD5 of its blocks' CRCs, from
        the checksums the data nodes keep, without reading the data); None where it keeps
        none (a local file, S3 unless etags are switched on)."""
        try:
            found = self.fs.getFileChecksum(path)
        except self.errors:
            return None  # not offered by this file system: the length and time remain
        if found is None:
            return None
        return f"{found.getAlgorithmName()}:{bytes(found.getBytes()).hex()}"


class _Listed(NamedTuple):
    """What a listing says of one entry, asked once."""

    path: object  # Hadoop's Path, for the checksum
    uri: str
    name: str
    folder: bool
    length: int
    modified: int


def _listed(status) -> _Listed:
    path = status.getPath()
    return _Listed(
        path,
        path.toString(),
        path.getName(),
        status.isDirectory(),
        status.getLen(),
        status.getModificationTime(),
    )


def _first_line(stream) -> bytes:
    """A file's bytes up to and including its first line break (at most HEADER_BYTES),
    as a local file's readline gives them."""
    found = b""
    while len(found) < HEADER_BYTES:
        chunk = bytes(stream.readNBytes(_CHUNK))
        found += chunk
        if b"\n" in chunk or len(chunk) < _CHUNK:
            break
    end = found.find(b"\n")
    return found[: end + 1] if end >= 0 else found[:HEADER_BYTES]


def _chain(error: Exception) -> list[tuple[str, str]]:
    """(class name, message) of a Java exception and its causes, outermost first."""
    java = getattr(error, "java_exception", None) or getattr(error, "_origin", None)
    found = []
    while java is not None and len(found) < 10:
        try:
            found.append((str(java.getClass().getName()), str(java.getMessage() or "")))
            java = java.getCause()
        except Exception:  # the bridge itself failed: what we have is all there is
            break
    return found


def _kind(error: Exception) -> tuple[str, str]:
    """What a failure means (missing, denied, scheme, unreachable, other) and its reason:
    the innermost Java message, first line, without the stack."""
    chain = _chain(error)
    reason = next((m for _c, m in reversed(chain) if m), "") or str(error)
    reason = reason.strip().splitlines()[0][:200] if reason.strip() else "未知原因"
    names = {name for name, _m in chain}
    for kind, classes in (
        ("missing", _MISSING),
        ("denied", _DENIED),
        ("scheme", _NO_SCHEME),
        ("unreachable", _UNREACHABLE),
    ):
        if names & set(classes):
            return kind, reason
    return "other", reason


_ROOT_HINTS = {
    "missing": "检查地址的拼写；--records-root 是记录所在的、已有的文件夹",
    "denied": "用有读取权限的身份运行（HDFS：HADOOP_USER_NAME 或 Kerberos 票据；S3：访问密钥）",
    "scheme": "这个 Spark 没有读这种地址的文件系统：s3a:// 需要 hadoop-aws 的 jar（如设 "
    'PYSPARK_SUBMIT_ARGS="--packages org.apache.hadoop:hadoop-aws:<Hadoop 版本> '
    'pyspark-shell"），hdfs:// 需要 HADOOP_CONF_DIR 指向集群的配置',
    "unreachable": "检查主机名、端口和网络；HDFS 的地址形如 hdfs://主机:8020/路径",
    "other": "检查地址（形如 hdfs://主机:8020/路径、s3a://桶/路径、file:///路径）",
}


def _root_problem(error: Exception, uri: str) -> EngineProblem:
    kind, reason = _kind(error)
    message = {
        "missing": f"记录根 {uri} 不存在",
        "denied": f"没有读取记录根 {uri} 的权限：{reason}",
        "scheme": f"记录根 {uri} 的文件系统不可用：{reason}",
        "unreachable": f"连不上记录根 {uri}：{reason}",
        "other": f"记录根 {uri} 无法使用：{reason}",
    }[kind]
    hint = _ROOT_HINTS[kind]
    if kind == "missing" and re.search(r"%[0-9A-Fa-f]{2}", uri):
        hint = "地址照原样写，不要百分号编码（如 %20 写成空格）：Spark 按原样读取"
    return EngineProblem("KH577", message, "", None, hint)


def _file_problem(error: Exception, uri: str, what: str) -> SourceProblem:
    kind, reason = _kind(error)
    hint = _ROOT_HINTS["denied"] if kind == "denied" else None
    if kind == "missing":
        hint = "记录在计算期间被移走或删除了"
    return SourceProblem("KH578", f"{what} {uri}：{reason}", uri, hint)
