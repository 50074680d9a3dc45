"""`dolbom model-card`, which the lab registers in the `dolbom` parser (the domains' commands know nothing of it)."""

from __future__ import annotations

import argparse

import pytest

from dolbom.cli import build_parser
from dolbom.lab.cli import cmd_model_card, register


def test_the_command_parses_its_options():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"), lambda command: command)
    args = parser.parse_args(["model-card", "--city", "var/city-20000"])
    assert (args.city, args.out) == (["var/city-20000"], "docs/model-card.md")
    args = parser.parse_args(["model-card", "--city", "var/city-20000", "--city", "var/city-50000"])
    assert args.city == ["var/city-20000", "var/city-50000"]
    assert args.func is cmd_model_card


def test_the_dolbom_command_offers_it():
    args = build_parser().parse_args(["model-card", "--city", "var/city", "--out", "card.md"])
    assert (args.command, args.city, args.out) == ("model-card", ["var/city"], "card.md")


def test_a_folder_that_is_not_a_city_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(SystemExit, match="is not a generated city"):
        cmd_model_card(argparse.Namespace(city=[str(tmp_path)], out=str(tmp_path / "card.md")))
    assert not (tmp_path / "card.md").exists()


def test_every_city_is_checked_before_the_first_experiment_runs(tmp_path, monkeypatch):
    import dolbom.lab.card as card

    city = tmp_path / "city"
    city.mkdir()
    (city / "manifest.json").write_text("{}", encoding="utf-8")
    ran = []
    monkeypatch.setattr(card, "run_experiment", lambda *args, **kwargs: ran.append(args))
    with pytest.raises(SystemExit, match="not-a-city is not a generated city"):
        cmd_model_card(argparse.Namespace(city=[str(city), str(tmp_path / "not-a-city")], out=str(tmp_path / "c.md")))
    assert ran == [] and not (tmp_path / "c.md").exists()


def test_it_needs_no_database_of_the_machine(tmp_path, monkeypatch, settings):
    """The experiment brings its own throwaway database: `dolbom model-card` works where the configured one is
    not migrated, and reaches its own first check."""
    from dolbom.cli import main

    monkeypatch.setenv("DOLBOM_HOME", str(tmp_path / "fresh"))
    settings.DATABASES["default"]["NAME"] = str(tmp_path / "never-migrated.sqlite3")
    with pytest.raises(SystemExit, match="is not a generated city"):
        main(["model-card", "--city", str(tmp_path), "--out", str(tmp_path / "card.md")])
