"""`dolbom simulate-outcomes`, which synth registers in the `dolbom` parser."""

from __future__ import annotations

import argparse

import pytest

from dolbom.cli import build_parser
from dolbom.synth.cli import cmd_simulate_outcomes, register


def test_the_command_parses_its_options():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"), lambda command: command)
    args = parser.parse_args(["simulate-outcomes", "--round", "3", "--city", "var/city", "--fraction", "0.5"])
    assert (args.round, args.city, args.fraction, args.seed) == (3, "var/city", 0.5, 0)
    assert args.func is cmd_simulate_outcomes


def test_the_dolbom_command_offers_it():
    args = build_parser().parse_args(["simulate-outcomes", "--round", "3", "--city", "var/city"])
    assert (args.command, args.round) == ("simulate-outcomes", 3)


def test_the_command_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(SystemExit, match="refuses to run in production"):
        cmd_simulate_outcomes(argparse.Namespace(round=1, city="x", seed=0, fraction=1.0))
