"""The domain contract (docs/architecture.md), checked on the source: views parse, call one selector or service
and render; they never query the database themselves nor check permissions inline."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dolbom"
VIEW_MODULES = sorted(
    p for p in SRC.rglob("*.py") if p.name == "views.py" or (p.parent.name == "views" and p.name != "__init__.py")
)


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(SRC)) for p in paths]


def test_there_are_view_modules_to_check():
    assert len(VIEW_MODULES) >= 8


@pytest.mark.parametrize("path", VIEW_MODULES, ids=_ids(VIEW_MODULES))
def test_views_do_not_query_the_database(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    queries = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "objects"]
    assert not queries, f"{path.name}: `.objects` on lines {queries}: read through a selector or a service"


@pytest.mark.parametrize("path", VIEW_MODULES, ids=_ids(VIEW_MODULES))
def test_views_check_permission_only_by_declaring_it(path):
    """A page declares its action with `@requires`; a write's permission is its service's to check."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ensure_can"
    ]
    assert not calls, f"{path.name}: ensure_can() on lines {calls}"


@pytest.mark.parametrize("path", VIEW_MODULES, ids=_ids(VIEW_MODULES))
def test_views_do_not_import_other_domains_models(path):
    domain = path.relative_to(SRC).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    foreign = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("dolbom.")
        and node.module.endswith(".models")
        and node.module.split(".")[1] != domain
    ]
    assert not foreign, f"{path.name} imports {foreign}: go through that domain's selectors or services"
