from datetime import UTC, date, datetime

from dolbom.core.dates import KST, age_on
from dolbom.core.money import format_won, won_from_rate


def test_selection_lines_round_half_up_to_the_won():
    # docs/facts.md: 2026, 3 persons, livelihood 32 % of 5,359,036 = 1,714,891.52 → 1,714,892
    assert won_from_rate(5_359_036, "32") == 1_714_892
    assert won_from_rate(2_564_238, "40") == 1_025_695
    assert won_from_rate(1, "50") == 1  # 0.5 rounds up


def test_age_in_completed_years():
    assert age_on(date(1960, 11, 24), date(2026, 11, 23)) == 65
    assert age_on(date(1960, 11, 23), date(2026, 11, 23)) == 66


def test_kst_is_nine_hours_ahead_of_utc():
    assert datetime(2026, 1, 1, 15, tzinfo=UTC).astimezone(KST).date() == date(2026, 1, 2)


def test_format_won():
    assert format_won(72_000_000) == "72,000,000원"
