"""The one finder of resident, phone and card numbers in free text (search, audit and logs rely on it)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dolbom.core.numbers import find_numbers, normalise, redact
from tests.conftest import make_rrn

DASHES = "-－‐‑‒–—―−﹘﹣⁃~～〜ー"


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    sex=st.sampled_from("MF"),
    serial=st.integers(0, 999_999),
    between=st.sampled_from([*DASHES, "", " ", " - ", ".", "·", "\u3000", "\u200b", "\u00ad"]),
    full_width=st.booleans(),
    before=st.text(max_size=10),
    after=st.text(max_size=10),
)
def test_every_resident_number_is_found_however_typed(birth, sex, serial, between, full_width, before, after):
    digits = make_rrn(birth, sex, serial).replace("-", "")
    typed = digits[:6] + between + digits[6:]
    if full_width:
        typed = typed.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    text = before + typed + after
    kinds = {f.kind for f in find_numbers(text) if f.start < len(before) + len(typed) and f.end > len(before)}
    assert kinds, text
    assert digits not in "".join(ch for ch in normalise(redact(text)) if ch.isdigit())


@pytest.mark.parametrize(
    ("text", "kind", "digits"),
    [
        ("451005－2170836", "rrn", "4510052170836"),
        ("주민번호 451005 2170836입니다", "rrn", "4510052170836"),
        ("7" + "4510052170836", "rrn", "4510052170836"),
        ("010.2579.6218", "phone", "01025796218"),
        ("(02) 123-4567", "phone", "021234567"),
        ("+82 10 2579 6218", "phone", "821025796218"),
        ("010-1234-5678 12", "phone", "01012345678"),
        ("4111 1111 1111 1111", "card", "4111111111111111"),
        ("5500-0000-0000-0004", "card", "5500000000000004"),
    ],
)
def test_each_kind_is_told_apart(text, kind, digits):
    [found] = find_numbers(text)
    assert (found.kind, found.digits) == (kind, digits)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23 10:15:30.123456",
        "period 2026-09, round 12, 1,234,567 rows",
        "시청로 10 101동 1203호",
        "800101",
        "ids 123456789",
        "v1.2.3 took 0.0123 s",
        "1588-1234",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert find_numbers(text) == [] and redact(text) == text


def test_masked_forms_keep_only_what_screens_show():
    rrn, phone = find_numbers("451005-2170836 010-2579-6218")
    assert (rrn.masked, phone.masked) == ("451005-2******", "010-****-6218")
    assert redact("카드 4111111111111111", masked=True) == "카드 ****-****-****-1111"
