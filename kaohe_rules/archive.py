"""The results archive: a year's final results sealed into an SQLite file, never overwritten.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kaohe_rules.diagnostics import Diagnostic, KaoheError
from kaohe_rules.score.engine import Evaluation

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


@dataclass(frozen=True)
class Published:
    """What ``publish`` did: ``written`` is False when the same inputs were already sealed."""

    year: int
    period: str
    version: int
    fingerprint: str
    units: int
    written: bool
    previous: str | None = None  # the fingerprint that a correction replaces


def _error(code: str, message: str, hint: str | None = None) -> KaoheError:
    return KaoheError([Diagnostic(code, message, hint=hint)])


def _unreadable(path: Path, error: Exception) -> KaoheError:
    return _error(
        "KH401",
        f"无法读取归档 {path}：{error}",
        "该文件不是 SQLite 数据库或已损坏；请用 --archive 指定正确的归档文件",
    )


def _connect(path: Path, write: bool) -> sqlite3.Connection:
    """Open ``path`` and check that it is a kaohe archive this release can read.

    A new (absent or empty) file gets the schema when ``write`` is set.
    """
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
            raise _error("KH406", f"无法写入归档 {path}：{error}") from None
        return connection
    try:
        found = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        found = {}
    if found.get("format") != FORMAT:
        connection.close()
        raise _error(
            "KH402",
            f"{path} 是 SQLite 数据库，但不是考核归档",
            "请用 --archive 指定 kaohe publish 写出的归档文件",
        )
    if version > SCHEMA_VERSION:
        connection.close()
        raise _error(
            "KH403",
            f"归档 {path} 的格式版本 {version} 比本程序支持的 {SCHEMA_VERSION} 新",
            "请升级 kaohe-rules",
        )
    return connection


def _create(connection: sqlite3.Connection) -> None:
    """The schema, in the transaction ``_connect`` began."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    connection.execute(
        "INSERT OR IGNORE INTO meta VALUES ('format', ?), ('schema', ?)",
        (FORMAT, str(SCHEMA_VERSION)),
    )
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")


def _read(path: Path, query: str, parameters: tuple = ()) -> list[sqlite3.Row]:
    """Rows of a read-only query; an absent archive has none."""
    if not path.exists():
        return []
    connection = _connect(path, write=False)
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


def result_records(evaluation: Evaluation) -> list[dict]:
    """Each unit's sealed result: 编号, 名称, 领域, 类别, 总分, 名次, 等次, 标签."""
    from kaohe_rules.report import result_rows

    header, rows = result_rows(evaluation)
    labels = header[header.index("等次") + 1 :]
    records = []
    for row in rows:
        cell = dict(zip(header, row, strict=True))
        record = {k: cell[k] for k in ("编号", "名称", "领域", "类别", "总分", "名次", "等次")}
        record["标签"] = {name: cell[name] for name in labels}
        records.append(record)
    return records


_LATEST = (
    "SELECT version, fingerprint FROM publication WHERE year = ? AND period = ? "
    "ORDER BY version DESC LIMIT 1"
)


def _decide(
    latest: list, evaluation: Evaluation, period: str, reason: str | None, units: int
) -> Published | None:
    """Published (not written) when the latest version has the same fingerprint;
    KaoheError KH405 when it differs and no reason is given; None: write a version."""
    if not latest:
        return None
    version, fingerprint = latest[0][0], latest[0][1]
    year = evaluation.resolved.ruleset.year
    if fingerprint == evaluation.fingerprint:
        return Published(year, period, version, fingerprint, units, written=False)
    if not reason:
        raise _error(
            "KH405",
            f"{year} 年度（{period}）已发布版本 {version}（指纹 {fingerprint}），"
            f"这次的指纹 {evaluation.fingerprint} 不同；更正须用 --reason 写明原因",
            '例如 --reason "更正某单位的数据"；已发布的版本不会被覆盖',
        )
    return None


def publish(
    path: Path, evaluation: Evaluation, period: str = FULL_YEAR, reason: str | None = None
) -> Published:
    """Seal ``evaluation`` as the next version of its (year, period), in one transaction.

    Same fingerprint as the latest version: nothing is written. A different one
    needs a ``reason`` (a correction); without it, KaoheError KH405.
    """
    year = evaluation.resolved.ruleset.year
    records = result_records(evaluation)
    path = Path(path)
    # Decide read-only first: a no-op or a refusal never opens the file for writing.
    done = _decide(_read(path, _LATEST, (year, period)), evaluation, period, reason, len(records))
    if done is not None:
        return done
    connection = _connect(path, write=True)
    try:
        connection.execute("BEGIN IMMEDIATE")  # no other writer between reading and writing
        latest = connection.execute(_LATEST, (year, period)).fetchone()
        done = _decide([latest] if latest else [], evaluation, period, reason, len(records))
        if done is not None:
            connection.execute("ROLLBACK")
            return done
        version = 1 if latest is None else latest[0] + 1
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        cursor = connection.execute(
            "INSERT INTO publication (year, period, version, fingerprint, published_at, "
            "reason, units) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (year, period, version, evaluation.fingerprint, stamp, reason or None, len(records)),
        )
        connection.executemany(
            "INSERT INTO result VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    cursor.lastrowid,
                    r["编号"],
                    r["名称"],
                    r["领域"],
                    r["类别"],
                    r["总分"],
                    r["名次"],
                    r["等次"],
                    json.dumps(r["标签"], ensure_ascii=False),
                )
                for r in records
            ],
        )
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise _error("KH406", f"无法写入归档 {path}：{error}") from None
    finally:
        connection.close()
    previous = None if latest is None else latest[1]
    return Published(
        year, period, version, evaluation.fingerprint, len(records), True, previous=previous
    )


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
    rows = _read(Path(path), query + " ORDER BY period, version", parameters)
    keys = ("年度", "期间", "版本", "指纹", "发布时间", "原因", "单位数")
    return [dict(zip(keys, tuple(row), strict=True)) for row in rows]


def results(path: Path, year: int, period: str = FULL_YEAR, version: int | None = None) -> list:
    """The sealed results of one version (the latest unless named), in roster order."""
    rows = _read(
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
    rows = _read(
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
