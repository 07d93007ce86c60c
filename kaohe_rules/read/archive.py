"""The results archive as a file: its schema, opening it, and reading what it holds.

Publishing into it is outputs/archive.py. A year's final results are sealed into an
SQLite file, never overwritten.

Each publication is a *version* of one (year, period): version 1 is the first
publication, each correction adds version N+1 with a reason, and every version
stays readable. Publishing the same inputs again (same fingerprint) writes
nothing. The schema version is ``PRAGMA user_version`` plus a ``meta`` table that
marks the file as a kaohe archive, so later releases can migrate old files.

Tables::

    meta(key, value)                      -- format = kaohe-archive, schema = 1
    publication(id, year, period, version, fingerprint, published_at, reason, units)
    result(publication, unit_id, name, domain, category, total, rank, tier, labels)

``labels`` is JSON text (label name to value, as the 结果 table shows them).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.source import bounded, not_regular, os_reason

SCHEMA_VERSION = 1
FORMAT = "kaohe-archive"
FULL_YEAR = "全年"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS publication (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    period TEXT NOT NULL,
    version INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    published_at TEXT NOT NULL,
    reason TEXT,
    units INTEGER NOT NULL,
    UNIQUE (year, period, version)
);
CREATE TABLE IF NOT EXISTS result (
    publication INTEGER NOT NULL REFERENCES publication (id),
    unit_id TEXT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    category TEXT NOT NULL,
    total REAL,
    rank INTEGER,
    tier TEXT,
    labels TEXT NOT NULL,
    PRIMARY KEY (publication, unit_id)
);
"""


def archive_error(code: str, message: str, hint: str | None = None) -> KaoheError:
    return KaoheError([Diagnostic(code, message, hint=hint)])


def _unreadable(path: Path, error: Exception) -> KaoheError:
    return archive_error(
        "KH401",
        f"无法读取归档 {path}：{error}",
        "该文件不是 SQLite 数据库或已损坏；请用 --archive 指定正确的归档文件",
    )


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _not_an_archive_file(path: Path) -> KaoheError | None:
    """Why ``path`` cannot be an archive, asked before SQLite opens it: a pipe would
    block, /dev/zero look like an empty database, a loop like no file at all."""
    refused = not_regular(path)
    if refused is None and path.is_dir():
        refused = "这是一个文件夹"
    if refused is None and path.is_file():
        try:
            with open(path, "rb") as file:
                head = file.read(len(_SQLITE_MAGIC))
        except OSError as error:
            refused = os_reason(error)
        else:
            if head and head != _SQLITE_MAGIC:
                refused = "不是 SQLite 数据库"
    if refused is None:
        return None
    return archive_error(
        "KH401",
        f"无法读取归档 {bounded(str(path))}：{refused}",
        "请用 --archive 指定 kaohe publish 写出的归档文件（SQLite 数据库）",
    )


def connect(path: Path, write: bool) -> sqlite3.Connection:
    """Open ``path`` and check that it is a kaohe archive this release can read.

    A new (absent or empty) file gets the schema when ``write`` is set.
    """
    refused = _not_an_archive_file(path)
    if refused is not None:
        raise refused
    try:
        if write:
            connection = sqlite3.connect(path, isolation_level=None)
        else:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        connection.execute("PRAGMA foreign_keys = ON")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as error:
        raise _unreadable(path, error) from None
    if version == 0 and not tables:
        if not write:
            return connection  # an empty file: an empty archive
        try:
            connection.execute("BEGIN IMMEDIATE")
            _create(connection)
        except sqlite3.Error as error:
            connection.close()
            raise archive_error("KH406", f"无法写入归档 {path}：{error}") from None
        return connection
    try:
        found = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        found = {}
    if found.get("format") != FORMAT:
        connection.close()
        raise archive_error(
            "KH402",
            f"{path} 是 SQLite 数据库，但不是考核归档",
            "请用 --archive 指定 kaohe publish 写出的归档文件",
        )
    if version > SCHEMA_VERSION:
        connection.close()
        raise archive_error(
            "KH403",
            f"归档 {path} 的格式版本 {version} 比本程序支持的 {SCHEMA_VERSION} 新",
            "请升级 kaohe-rules",
        )
    return connection


def _create(connection: sqlite3.Connection) -> None:
    """The schema, in the transaction ``connect`` began."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    connection.execute(
        "INSERT OR IGNORE INTO meta VALUES ('format', ?), ('schema', ?)",
        (FORMAT, str(SCHEMA_VERSION)),
    )
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")


def read_rows(path: Path, query: str, parameters: tuple = ()) -> list[sqlite3.Row]:
    """Rows of a read-only query; an absent archive has none."""
    if not path.exists() and not_regular(path) is None:  # a loop does not "exist" either
        return []
    connection = connect(path, write=False)
    connection.row_factory = sqlite3.Row
    try:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        if "publication" not in tables:
            return []
        return connection.execute(query, parameters).fetchall()
    except sqlite3.Error as error:
        raise _unreadable(path, error) from None
    finally:
        connection.close()


def versions(path: Path, year: int, period: str | None = None) -> list[dict]:
    """The publications of ``year`` (of every period unless one is named), oldest first."""
    query = (
        "SELECT year, period, version, fingerprint, published_at, reason, units "
        "FROM publication WHERE year = ?"
    )
    parameters: tuple = (year,)
    if period is not None:
        query += " AND period = ?"
        parameters += (period,)
    rows = read_rows(Path(path), query + " ORDER BY period, version", parameters)
    keys = ("年度", "期间", "版本", "指纹", "发布时间", "原因", "单位数")
    return [dict(zip(keys, tuple(row), strict=True)) for row in rows]


def results(path: Path, year: int, period: str = FULL_YEAR, version: int | None = None) -> list:
    """The sealed results of one version (the latest unless named), in roster order."""
    rows = read_rows(
        Path(path),
        "SELECT r.unit_id, r.name, r.domain, r.category, r.total, r.rank, r.tier, r.labels, "
        "p.version FROM result r JOIN publication p ON p.id = r.publication "
        "WHERE p.year = ? AND p.period = ? AND p.version = coalesce(?, "
        "(SELECT max(version) FROM publication WHERE year = ? AND period = ?)) "
        "ORDER BY r.rowid",
        (year, period, version, year, period),
    )
    return [_record(row) for row in rows]


def _record(row: sqlite3.Row) -> dict:
    return {
        "编号": row["unit_id"],
        "名称": row["name"],
        "领域": row["domain"],
        "类别": row["category"],
        "总分": row["total"],
        "名次": row["rank"],
        "等次": row["tier"],
        "标签": json.loads(row["labels"]),
        "版本": row["version"],
    }


def latest_results(path: Path) -> list[dict]:
    """Every unit's full-year result in each archived year, from the latest version.

    Each record also has 年度, 版本, 发布时间 and 原因 (the correction's reason).
    """
    rows = read_rows(
        Path(path),
        "SELECT p.year, p.version, p.published_at, p.reason, r.unit_id, r.name, r.domain, "
        "r.category, r.total, r.rank, r.tier, r.labels FROM result r "
        "JOIN publication p ON p.id = r.publication "
        "WHERE p.period = ? AND p.version = "
        "(SELECT max(version) FROM publication q WHERE q.year = p.year AND q.period = p.period) "
        "ORDER BY p.year, r.rowid",
        (FULL_YEAR,),
    )
    found = []
    for row in rows:
        record = _record(row)
        record.update(年度=row["year"], 发布时间=row["published_at"], 原因=row["reason"])
        found.append(record)
    return found


def history_records(path: Path) -> dict[tuple[str, int], dict[str, object]]:
    """Earlier results in the shape ``DataSet.history`` uses: (unit id, year) to
    等次, 总分, 名次 — the full-year result of each year's latest version.
    An absent archive gives an empty mapping."""
    history: dict[tuple[str, int], dict[str, object]] = {}
    for r in latest_results(Path(path)):
        record: dict[str, object] = {}
        if r["等次"] is not None:
            record["等次"] = r["等次"]
        for name in ("总分", "名次"):
            if r[name] is not None:
                record[name] = float(r[name])
        history[(r["编号"], r["年度"])] = record
    return history
