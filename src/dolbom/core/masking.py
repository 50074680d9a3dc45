"""Masking of personal data on screen: shown masked by default, revealed only with a reason that is audited."""

from __future__ import annotations

import re


def mask_name(name: str) -> str:
    """홍길동 → 홍*동, 홍길 → 홍*, 남궁민수 → 남**수; Latin names keep first and last letters of each word."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(mask_name(part) for part in name.split())
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """010-1234-5678 → 010-****-5678; the area or carrier prefix and last four digits stay readable."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 8:
        return "*" * len(digits)
    if digits.startswith("02"):
        head, rest = digits[:2], digits[2:]
    else:
        head, rest = digits[:3], digits[3:]
    return f"{head}-{'*' * (len(rest) - 4)}-{rest[-4:]}"


def mask_rrn(digits: str) -> str:
    """8001011234567 → 800101-1******: birth date and sex digit, as on Korean administrative screens."""
    digits = re.sub(r"\D", "", digits or "")
    if len(digits) != 13:
        return "******-*******"
    return f"{digits[:6]}-{digits[6]}******"


def mask_rrn_from_parts(*, birth_yymmdd: str, seventh: str) -> str:
    """The masked form needs no decryption: birth date and sex digit are stored in clear anyway."""
    return f"{birth_yymmdd}-{seventh}******"


def mask_address_detail(detail: str) -> str:
    """Unit numbers (101동 1203호) identify a home; keep the building, hide the unit."""
    return re.sub(r"\d+호", "***호", detail or "")
