"""Which engine runs the 记录汇总 queries: DuckDB in-process (the default) or Spark.

A choice of how to run, not of what the numbers are: both engines give the same values
(decision 96), so it is a command-line option (``--engine``, ``--spark-master``), not a
key of the rule files. So is where Spark finds the records when they are not in the data
folder (``--records-root``, decision 113): a cluster's address is the environment's, the
rule files reviewed each year name only the path under it. This module imports nothing
heavy; the engine itself is imported only when a rule set declares aggregations.
"""

from __future__ import annotations

from kaohe_rules.records import data_record

ENGINES = ("duckdb", "spark")


@data_record
class EngineChoice:
    """The engine's name and, for Spark, its master URL (None: ``local[*]``) and the
    folder URI the declared record files are under (None: the data folder)."""

    name: str = "duckdb"
    master: str | None = None
    records_root: str | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise ValueError(f"engine is one of {ENGINES}, not {self.name!r}")
        if self.records_root is not None and self.name != "spark":
            raise ValueError("records_root is read through Spark: engine must be 'spark'")


DUCKDB = EngineChoice()
