"""For the reader processes (core/tabular/excel.py, core/side_read.py): pyarrow imports pandas, if it is installed,
on the first array it builds from Python objects, which costs such a process 0.7 s for nothing it uses."""

from __future__ import annotations

import importlib.abc
import sys


class _WithoutPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, *args: object, **kwargs: object) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(name)


def forbid_pandas() -> None:
    """Make `import pandas` fail in this process from now on (pyarrow then goes on without it)."""
    sys.meta_path.insert(0, _WithoutPandas())
