"""Every table kaohe reads: data folders, roster tables, history files, ``kaohe expr --data``.

Layers, each module importing only from those before it (none from scoring):

- files: which files a folder holds, encodings, digests — what every file goes through;
- cells: the sheet of text cells every format gives, and how a cell is read;
- csv, xlsx, parquet: the formats, each file to sheets of cells;
- places, columnar: the fast path for large clean long-format files, and finding a
  value's place again in a file it read;
- dataset: the DataSet the engine consumes;
- history, rows: the row reader, the reference every value is checked by;
- data: read_data, a data folder to a DataSet;
- roster, table: a roster table to units, a CSV to a population for ``kaohe expr``.

Nothing is imported here, so that reading one kind of table loads only its modules.
"""
