"""A Parquet data file as a sheet of text cells, for the row reader (the columnar reader,
columnar.py, reads clean long-format Parquet files by columns and declined this one)."""

from __future__ import annotations

from pathlib import Path

from kaohe_rules.read import bounds
from kaohe_rules.read.cells import Sheet, cell_text
from kaohe_rules.source import Span


def read_parquet(path: Path) -> Sheet:
    """The file as rows of text, checked one by one. Its "lines" are the row numbers
    counting the header as 1; ValueError when pyarrow cannot read it, SheetProblem when
    it is larger or wider than the limits allow."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    bounds.check_file_bytes(path)
    try:
        # The footer first: its column and row counts are checked before any column is
        # read; each cell becomes a Python string here, so their number is bounded too.
        footer = pq.read_metadata(path)
        names = footer.schema.names
        bounds.check_columns(len(names), lambda index: Span(str(path), 1, index + 1, 1, index + 2))
        bounds.check_parquet_rows(footer.num_rows, str(path))
        bounds.check_parquet_cells(footer.num_rows, len(names), str(path))
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"不是可读的 Parquet 文件（{error}）") from None
    header = [str(name).strip() for name in table.column_names]
    columns = [table.column(name).to_pylist() for name in table.column_names]
    rows = [["" if v is None else cell_text(v) for v in row] for row in zip(*columns, strict=True)]
    return Sheet(header, rows, list(range(2, len(rows) + 2)), header_line=1)
