"""The shipped layout of the registry export (`registry_export.toml`), read once and checked as it is read."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dolbom.registry.models import Disability, MembershipEnd, Relationship, Sex

DEFAULT_PATH = Path(__file__).with_name("registry_export.toml")


def folded(text: str) -> str:
    """A header or a label as compared: NFKC (full-width letters, compatibility forms), a byte-order mark and every
    space removed, so that "세대주와의 관계" and "세대주와의관계" are one column, "배우자의 자녀" one label."""
    text = unicodedata.normalize("NFKC", text or "").replace("\ufeff", "")
    return "".join(text.split())


@dataclass(frozen=True)
class Column:
    key: str  # the field the column fills
    header: str
    required: bool


@dataclass(frozen=True)
class FileLayout:
    stem: str
    columns: tuple[Column, ...]

    def by_header(self) -> dict[str, Column]:
        return {folded(c.header): c for c in self.columns}

    def header_of(self, key: str) -> str:
        return next(c.header for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Layout:
    areas: FileLayout
    members: FileLayout
    relationships: dict[str, str]  # folded label → Relationship value
    end_reasons: dict[str, str]
    disability: dict[str, str]
    sexes: dict[str, str]
    nationalities: dict[str, str]


def _labels(table: dict[str, list[str]], allowed: list[str], what: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value, labels in table.items():
        if value not in allowed:
            raise ValueError(f"{DEFAULT_PATH.name}: [{what}] {value!r} is not one of {allowed}")
        for label in labels:
            key = folded(label)
            if key in mapping and mapping[key] != value:
                raise ValueError(f"{DEFAULT_PATH.name}: [{what}] the label {label!r} maps to two values")
            mapping[key] = value
    return mapping


def _file(data: dict, name: str) -> FileLayout:
    columns = tuple(
        Column(key=key, header=spec["header"], required=bool(spec.get("required", False)))
        for key, spec in data[name]["columns"].items()
    )
    return FileLayout(stem=data["files"][name], columns=columns)


@cache
def load_layout(path: Path = DEFAULT_PATH) -> Layout:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Layout(
        areas=_file(data, "areas"),
        members=_file(data, "members"),
        relationships=_labels(data["relationships"], list(Relationship.values), "relationships"),
        end_reasons=_labels(data["end_reasons"], [v for v in MembershipEnd.values if v], "end_reasons"),
        disability=_labels(data["disability"], [v for v in Disability.values if v], "disability"),
        sexes=_labels(data["sexes"], list(Sex.values), "sexes"),
        nationalities=_labels(data["nationalities"], list(data["nationalities"]), "nationalities"),
    )
