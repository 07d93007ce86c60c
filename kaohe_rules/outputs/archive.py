"""Publishing a year's final results into the archive: each publication a new version of
its (year, period), never overwriting one; the same inputs (fingerprint) again write
nothing, and a correction needs a reason. The file itself, and reading it, is
read/archive.py, whose readers are named here too for the commands."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kaohe_rules.read.archive import (
    FULL_YEAR,
    SCHEMA_VERSION,
    archive_error,
    connect,
    history_records,
    latest_results,
    read_rows,
    results,
    versions,
)
from kaohe_rules.score.engine import Evaluation

__all__ = [
    "FULL_YEAR",
    "SCHEMA_VERSION",
    "Published",
    "history_records",
    "latest_results",
    "publish",
    "result_records",
    "results",
    "versions",
]


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


def result_records(evaluation: Evaluation) -> list[dict]:
    """Each unit's sealed result: 编号, 名称, 领域, 类别, 总分, 名次, 等次, 标签."""
    from kaohe_rules.outputs.report import result_rows

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
        raise archive_error(
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
    done = _decide(
        read_rows(path, _LATEST, (year, period)), evaluation, period, reason, len(records)
    )
    if done is not None:
        return done
    connection = connect(path, write=True)
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
        raise archive_error("KH406", f"无法写入归档 {path}：{error}") from None
    finally:
        connection.close()
    previous = None if latest is None else latest[1]
    return Published(
        year, period, version, evaluation.fingerprint, len(records), True, previous=previous
    )
