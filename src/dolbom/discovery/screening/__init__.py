"""The screening round's batch side: the registry snapshot, the scorecard (rules as data), the round SQL that
DuckDB and Spark both run, the scorers and the feature table for the learned model.

Nothing here imports Django at module level except `snapshot`, so the engines, the benchmark and the tests can use
the rest on plain Parquet files.
"""
