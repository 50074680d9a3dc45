"""The screening round's batch side: the registry snapshot, the scorecard (rules as data), the round SQL that
DuckDB and Spark both run, the scorers and the feature table for the learned model.

Nothing here imports Django's models at module level except the database side (`snapshot`, `rounds_inputs`), so the
engines, the benchmark and the lab can use the rest on plain Parquet files.
"""
