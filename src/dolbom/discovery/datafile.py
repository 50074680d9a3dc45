"""Reading the versioned TOML data files of discovery (the signal catalogue, scorecards): every problem is collected
with its place and reported at once, so that whoever edits a file fixes it in one pass. No Django here: the batch
engines and the generator read these files too."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any


def read_toml(path: Path, error: type[Exception]) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name}: not valid TOML: {exc}") from exc


def header(data: dict[str, Any], problems: list[str]) -> tuple[str, str, date]:
    """The version, source and date every data file starts with."""
    version = text(data, "version", "", problems)
    source = text(data, "source", "", problems)
    updated = data.get("updated")
    if not isinstance(updated, date):
        problems.append("'updated' must be a date (e.g. updated = 2026-09-01)")
        updated = date.min
    return version, source, updated


def unknown_keys(data: dict[str, Any], known: set[str], problems: list[str]) -> None:
    if unknown := set(data) - known:
        problems.append(f"unknown top-level keys: {', '.join(sorted(unknown))}")


def tables(data: dict[str, Any], key: str, problems: list[str]) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(f"'{key}' must be an array of tables ([[{key}]])")
        return []
    return value


def text(raw: dict[str, Any], key: str, where: str, problems: list[str], *, required: bool = True) -> str:
    value = raw.get(key)
    prefix = f"{where}: " if where else ""
    if value is None:
        if required:
            problems.append(f"{prefix}'{key}' is missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{prefix}'{key}' must be a non-empty string")
        return ""
    return value


def no_duplicates(names: Iterable[str], what: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"{what} '{name}' is defined twice")
        seen.add(name)


def refuse_if_any(origin: str, problems: list[str], error: type[Exception]) -> None:
    if problems:
        raise error(f"{origin}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))
