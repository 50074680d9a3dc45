"""Importing crisis-signal files: read (CSV in UTF-8 or CP949, Excel, Parquet), validate every row against the
catalogue, match people by the keyed hash of their resident number, and store the rows as typed Parquet.

The pipeline streams: a file is read in record batches, each batch validated with Arrow compute kernels and
written to a staging file, so memory stays flat whatever the file's size. The public entry point is
`dolbom.discovery.services.signals.import_signal_file`; the modules here are its parts:

- `readers`   bytes → batches of text columns, with the spreadsheet row number of each row
- `validate`  text columns → typed columns, and every defect found, with row, field and reason
- `match`     resident-number hashes → registry person ids
- `store`     the storage schema, the staging file and the final Parquet under DOLBOM_HOME/signals
- `report`    the error report a person reads when a file is refused
"""
