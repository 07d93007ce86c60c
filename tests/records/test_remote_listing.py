"""What --records-root makes of the file system's answers, without Spark: how a Java
failure is classified and said (KH577 for the root, KH578 for a file under it), and what a
listed file gives the fingerprint (decision 114). tests/spark/test_remote.py runs them
against Spark's real file systems; permissions and HDFS checksums cannot be had there (the
tests run as root, without a cluster), so they are checked here on the objects py4j hands
over, stood in for by small fakes with the same methods."""

from __future__ import annotations

import pytest

from kaohe_rules.read.records import remote
from kaohe_rules.read.records.source import RemoteFile


class _Java:  # the methods keep Java's names: py4j's objects have them
    """A Java exception as py4j shows it: class name, message, cause."""

    def __init__(self, name: str, message: str, cause: _Java | None = None) -> None:
        self.name, self.message, self.cause = name, message, cause

    def getClass(self):
        return type("Class", (), {"getName": lambda _self: self.name})()

    def getMessage(self):
        return self.message

    def getCause(self):
        return self.cause


class _Failure(Exception):
    def __init__(self, java: _Java) -> None:
        super().__init__("An error occurred while calling o42.getFileStatus.\n at org.apache…")
        self.java_exception = java


DENIED = _Java(
    "org.apache.hadoop.security.AccessControlException",
    'Permission denied: user=kaohe, access=READ_EXECUTE, inode="/考核":hdfs:hdfs:drwx------',
)
WRAPPED = _Java("java.io.IOException", "Failed on local exception", _Java(
    "java.net.UnknownHostException", "nn.example: Name or service not known"))  # fmt: skip


@pytest.mark.parametrize(
    ("java", "says"),
    [
        (DENIED, "没有读取记录根 hdfs://nn/考核 的权限：Permission denied: user=kaohe"),
        (WRAPPED, "连不上记录根 hdfs://nn/考核：nn.example: Name or service not known"),
        (_Java("java.io.FileNotFoundException", "File does not exist"), "不存在"),
        (_Java("java.lang.IllegalStateException", "odd"), "无法使用：odd"),
    ],
    ids=["denied", "unreachable, wrapped", "missing", "other"],
)
def test_a_root_failure_is_kh577_with_the_innermost_reason(java, says: str) -> None:
    problem = remote._root_problem(_Failure(java), "hdfs://nn/考核")
    assert problem.code == "KH577" and says in problem.message
    assert "at org.apache" not in problem.message + (problem.hint or "")


def test_a_file_that_cannot_be_read_is_kh578_with_a_hint_on_permissions() -> None:
    problem = remote._file_problem(
        _Failure(DENIED), "hdfs://nn/考核/记录/a.csv", "无法读取记录文件"
    )
    assert problem.code == "KH578" and problem.file == "hdfs://nn/考核/记录/a.csv"
    assert "Permission denied" in problem.message and "HADOOP_USER_NAME" in problem.hint


class _Checksum:
    def getAlgorithmName(self):
        return "MD5-of-0MD5-of-512CRC32C"

    def getBytes(self):
        return bytes.fromhex("0000020000000000000000001f2e")


class _FileSystem:
    def __init__(self, found) -> None:
        self.found = found

    def getFileChecksum(self, _path):
        if isinstance(self.found, Exception):
            raise self.found
        return self.found


def _root(found) -> remote.Root:
    root = remote.Root.__new__(remote.Root)  # without a session: only the checksum is asked
    root.fs, root.errors = _FileSystem(found), (_Failure,)
    return root


def test_the_file_systems_checksum_is_taken_where_it_keeps_one() -> None:
    assert (
        _root(_Checksum())._checksum("p") == "MD5-of-0MD5-of-512CRC32C:0000020000000000000000001f2e"
    )
    assert _root(None)._checksum("p") is None  # a local file, S3 without etags
    unsupported = _Failure(_Java("java.lang.UnsupportedOperationException", "no"))
    assert _root(unsupported)._checksum("p") is None


def test_a_listed_files_digest_is_of_its_listing_and_never_a_sha256() -> None:
    file = RemoteFile("hdfs://nn/考核/记录/评价.csv", 1000, 1796669371872, "MD5:ab")
    assert file.name == "评价.csv"
    assert file.digest == "listed:1000:1796669371872:MD5:ab"
    others = [
        RemoteFile(file.uri, 1001, file.modified, file.checksum),
        RemoteFile(file.uri, file.length, file.modified + 1, file.checksum),
        RemoteFile(file.uri, file.length, file.modified, "MD5:ac"),
        RemoteFile(file.uri, file.length, file.modified, None),
    ]
    assert len({file.digest, *(o.digest for o in others)}) == 5


def test_the_fingerprint_takes_listed_files_by_name_and_listing() -> None:
    from kaohe_rules.score.engine import fingerprint

    file = RemoteFile("hdfs://nn/a/评价.csv", 1000, 1, None)
    moved = RemoteFile("hdfs://other/b/评价.csv", 1000, 1, None)
    changed = RemoteFile(file.uri, 1000, 2, None)
    assert fingerprint([], listed=[file]) == fingerprint([], listed=[moved])  # not where
    assert fingerprint([], listed=[file]) != fingerprint([], listed=[changed])
    assert fingerprint([], listed=[file]) != fingerprint([])
