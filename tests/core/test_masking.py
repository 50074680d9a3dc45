import pytest

from dolbom.core.masking import mask_address_detail, mask_name, mask_phone, mask_rrn


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("홍길동", "홍*동"),
        ("홍길", "홍*"),
        ("남궁민수", "남**수"),
        ("김", "*"),
        ("", ""),
        ("NGUYEN VAN AN", "N****N V*N A*"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("010-1234-5678", "010-****-5678"),
        ("01012345678", "010-****-5678"),
        ("02-123-4567", "02-***-4567"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_rrn_keeps_birth_date_and_sex_digit_only():
    assert mask_rrn("800101-1234567") == "800101-1******"
    assert mask_rrn("garbage") == "******-*******"


def test_mask_address_detail_hides_the_unit():
    assert mask_address_detail("101동 1203호") == "101동 ***호"
