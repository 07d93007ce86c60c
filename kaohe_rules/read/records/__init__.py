"""Raw records (survey responses, monitoring records) aggregated into per-unit values as
the rule set's 记录汇总 declares, by one compiled SQL query per record file.

- source: the files a declaration names, their header and types;
- compile: a declaration's formulas checked against the columns and translated to SQL;
- query: all aggregations over one source as one sqlglot query;
- engine: DuckDB in-process runs it (the seam for another engine); spark: Spark runs it
  (``--engine spark``), choice: which of the two;
- aggregate: the rows matched to the roster, checked, joined to the DataSet.

Nothing is imported here: duckdb and sqlglot load only when a rule set declares
aggregations (pipeline.py imports aggregate then).
"""
