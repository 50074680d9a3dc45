"""Reading tabular files that people send (CSV in UTF-8 or CP949, Excel, Parquet) as batches of text columns, with
the spreadsheet row of every row, within limits of size, rows and memory.

Shared by the crisis-signal import (discovery) and the registry import (registry): the reading is the same, what
the columns mean is each importer's.

- `readers`  bytes → batches of text columns (strict encoding detection, no decoded copy on disk)
- `excel`    the capped child process that reads .xlsx
- `limits`   how big a file may be, from the DOLBOM_* settings
"""
