"""The year's emergency support amounts are data: the file holds the figures of docs/facts.md with their certainty,
and a wrong file is refused whole rather than suggest a wrong amount."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dolbom.intake.amounts import DEFAULT_PATH, AmountsError, load_amounts, parse_amounts

FACTS = Path(__file__).resolve().parents[2] / "docs" / "facts.md"


def _won(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_2026_livelihood_figures_are_those_of_facts_md():
    facts = " ".join(FACTS.read_text(encoding="utf-8").split())
    line = re.search(r"생계지원 per month 2026: (.*?)\(\*\*V\*\*\)", facts).group(1)
    by_size = [_won(m) for m in re.findall(r"\d인 ([\d,]+)", line)]
    further = _won(re.search(r"each further person \+([\d,]+)", line).group(1))
    table = load_amounts()
    assert [table.suggest("livelihood", 2026, size).won for size in range(1, 7)] == by_size
    assert table.suggest("livelihood", 2026, 8).won == by_size[-1] + 2 * further
    assert {table.suggest("livelihood", 2026, size).certainty for size in range(1, 9)} == {"V"}


def test_each_figure_keeps_its_certainty():
    table = load_amounts()
    assert table.suggest("livelihood", 2025, 3).certainty == "V2"
    assert table.suggest("livelihood", 2025, 7).won is None  # no increment per person is known for 2025
    housing = [table.suggest("housing", 2026, size) for size in (1, 4, 5)]
    assert [(h.won, h.certainty, h.region) for h in housing] == [
        (398_900, "I", "big_city"),
        (662_500, "V", "big_city"),
        (874_100, "I", "big_city"),
    ]
    assert table.suggest("birth_funeral", 2026, 1).certainty == "V2"
    assert dict(table.suggest("education", 2026, 1).options) == {
        "elementary": 127_900,
        "middle": 180_000,
        "high": 214_000,
    }
    assert table.suggest("medical", 2026, 1).basis == "up_to"
    assert table.suggest("facility", 2026, 1) is None  # no figure: nothing is suggested
    assert table.suggest("livelihood", 2027, 1) is None  # next year's notice is not in the file yet


def test_no_amount_is_written_in_the_code():
    """The figures live in the data file only: none of them appears in the Python of the application."""
    figures = {"783000", "783_000", "1644000", "1_644_000", "1994600", "1_994_600", "301700", "301_700"}
    sources = Path(DEFAULT_PATH).parents[1].rglob("*.py")
    found = [(p.name, f) for p in sources for f in figures if f in p.read_text(encoding="utf-8")]
    assert not found


BASE = 'version = "t"\nchecked = 2026-11-30\nsource = "test"\n'


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ('year = 2026\nkind = "rent"\nbasis = "once"\nwon = 1\ncertainty = "V"', "unknown kind"),
        ('year = 2026\nkind = "fuel"\nbasis = "once"\nwon = 1.5\ncertainty = "V"', "positive whole number"),
        ('year = 2026\nkind = "fuel"\nbasis = "once"\nwon = 1', "certainty"),
        ('year = 2026\nkind = "fuel"\nbasis = "daily"\nwon = 1\ncertainty = "V"', "basis"),
        (
            'year = 2026\nkind = "fuel"\nbasis = "once"\nwon = 1\ncertainty = "V"\nby_household_size = [1]',
            "exactly one",
        ),
        ('year = 2026\nkind = "fuel"\nbasis = "once"\nwon = 1\ncertainty = "V"\ncolour = "red"', "unknown keys"),
        (
            'year = 2026\nkind = "housing"\nbasis = "once"\nby_household_size = [1, 2]\ncertainty = ["V"]',
            "each household size",
        ),
    ],
)
def test_a_wrong_file_is_refused(amount, message):
    with pytest.raises(AmountsError, match=message):
        parse_amounts(BASE + "[[amount]]\n" + amount + "\n")


def test_a_kind_twice_in_one_year_is_refused():
    entry = '[[amount]]\nyear = 2026\nkind = "fuel"\nbasis = "once"\nwon = 1\ncertainty = "V"\n'
    with pytest.raises(AmountsError, match="twice"):
        parse_amounts(BASE + entry + entry)
