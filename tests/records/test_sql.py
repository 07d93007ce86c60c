"""dsl/sql.py: a condition translated to SQL means what the language means. Each formula is
evaluated by the language's own evaluator and by DuckDB on the same rows, and the two must
agree on every row (missing included)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import sqlglot.expressions as exp

from kaohe_rules.diagnostics import KaoheError
from kaohe_rules.dsl import Scope, compile_expression
from kaohe_rules.dsl.evaluate import evaluate
from kaohe_rules.dsl.population import Population, from_column
from kaohe_rules.dsl.sql import to_sql
from kaohe_rules.dsl.types import BOOL, NUMBER, TEXT

ROWS = [
    (1.0, 0.0, "甲", True),
    (0.3, 0.1 + 0.2, "乙", False),
    (None, 2.0, None, None),
    (5.0, None, "丙", True),
    (-2.0, -2.0, " 甲", False),
]
TYPES = {"x": NUMBER, "y": NUMBER, "t": TEXT, "b": BOOL}


def _language(text: str) -> list[object]:
    compiled = compile_expression(text, Scope(TYPES))
    columns = {
        "x": np.array([np.nan if r[0] is None else r[0] for r in ROWS]),
        "y": np.array([np.nan if r[1] is None else r[1] for r in ROWS]),
        "t": np.array([r[2] for r in ROWS], dtype=object),
        "b": np.array([np.nan if r[3] is None else float(r[3]) for r in ROWS]),
    }
    found, _ = evaluate(compiled, Population(columns, size=len(ROWS)))
    found = np.broadcast_to(found, len(ROWS))
    return [from_column(v, compiled.type) for v in found]


def _database(text: str) -> list[object]:
    compiled = compile_expression(text, Scope(TYPES))
    sql = to_sql(compiled, lambda name: exp.column(name)).sql(dialect="duckdb")
    connection = duckdb.connect()
    connection.execute("CREATE TABLE r (i INTEGER, x DOUBLE, y DOUBLE, t VARCHAR, b BOOLEAN)")
    connection.executemany(
        "INSERT INTO r VALUES (?, ?, ?, ?, ?)", [(i, *r) for i, r in enumerate(ROWS)]
    )
    return [row[0] for row in connection.sql(f"SELECT {sql} FROM r ORDER BY i").fetchall()]


@pytest.mark.parametrize(
    "text",
    [
        "x > 0.5",
        "x + y == 0.3 + x",  # equal up to binary noise, as the language compares
        "y == 0.3",
        "x / y > 1",  # by zero: missing
        "x >= y and b",
        "x > 0 or b",
        "not b",
        't == "甲"',
        't in ["甲", "丙"]',
        't not in ["甲"]',
        "x in [1, 5]",
        "如果 b 则 x > 0 否则 y > 0",  # a missing test gives missing, not the else branch
        "is_missing(x) or x < 0",
        "coalesce(x, 0) > 0",
        "abs(x) >= 2",
        "-x < 0",
        "x * 2 - 1 <= 1",
    ],
)
def test_sql_means_what_the_language_means(text: str) -> None:
    assert _database(text) == _language(text)


@pytest.mark.parametrize("text", ["rank(x) <= 2", "unit.山区县", "round_half_up(x) > 1"])
def test_what_has_no_meaning_over_one_record_is_kh563(text: str) -> None:
    scope = Scope({**TYPES, "unit.山区县": BOOL})
    compiled = compile_expression(text, scope)
    with pytest.raises(KaoheError) as raised:
        to_sql(compiled, lambda name: exp.column(name))
    assert [d.code for d in raised.value.diagnostics] == ["KH563"]
