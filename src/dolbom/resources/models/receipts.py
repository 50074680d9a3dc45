"""What a donation receipt (기부금 영수증, 소득세법 시행규칙 별지 제45호의2서식 and its 법인세법 equivalent) needs
beyond the gift itself: the kind of gift by its code, and the district's details as the one who received it
(기부금 단체: name, 사업자등록번호 or 고유번호, address).

The issuer is a district's reference data, like its deadline rules: the district office, or the welfare foundation
that receives gifts on its behalf, set once by the district's administrator in the admin (resources/admin.py),
confined to their own district and audited like all reference data. A receipt copies the issuer's details when it
is issued (`Donation.receipt_issuer`), so that a receipt printed again years later says what it said that day.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.registry.models import AdministrativeArea, AreaLevel


class GiftCode(models.TextChoices):
    """유형·코드 of the receipt form (기부내용), those a district or its foundation can issue.

    A gift to the state or to a local government — money or goods given to a district office for its residents —
    is a 특례기부금 (법인세법 제24조제2항제1호가목, to which 소득세법 제34조제2항제1호 refers; called 법정기부금
    before 2023): code 10, the default. A gift to a welfare foundation (사회복지법인) or another public-interest body
    is a 일반기부금 (법인세법 제24조제3항, 지정기부금 before 2023): code 40. The form's other codes (정치자금,
    종교단체, 우리사주 …) are never a district's."""

    SPECIAL = "10", _("10 Special donation (to the state or a local government)")
    GENERAL = "40", _("40 General donation (to a public-interest body such as a welfare foundation)")


# The kind's short name, as the receipt's 유형 column prints it beside the code.
GIFT_CODE_NAMES = {GiftCode.SPECIAL: _("Special donation"), GiftCode.GENERAL: _("General donation")}


class ReceiptIssuer(models.Model):
    """The district's details as the receiver of gifts (② 기부금 단체 on the receipt)."""

    district = models.OneToOneField(
        AdministrativeArea,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": AreaLevel.SIGUNGU},
        verbose_name=_("district"),
    )
    name = models.CharField(
        _("name of the receiving body"), max_length=100, help_text=_("The district office or its welfare foundation.")
    )
    registration_number = models.CharField(
        _("business registration or identification number"),
        max_length=10,
        help_text=_("10 digits, such as 123-83-00010."),
    )
    address = models.CharField(_("address"), max_length=200)
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=200,
        blank=True,
        help_text=_("The law under which gifts to this body are deductible, as the receipt states it."),
    )
    default_code = models.CharField(
        _("usual kind of gift"),
        max_length=2,
        choices=GiftCode.choices,
        default=GiftCode.SPECIAL,
        help_text=_("Gifts to a district office are code 10; to a welfare foundation, code 40."),
    )

    class Meta:
        verbose_name = _("donation receipt issuer")
        verbose_name_plural = _("donation receipt issuers")

    def __str__(self) -> str:
        return self.name

    def snapshot(self) -> dict[str, str]:
        """What a receipt keeps of its issuer (`Donation.receipt_issuer`)."""
        return {
            "name": self.name,
            "registration_number": self.registration_number,
            "address": self.address,
            "legal_basis": self.legal_basis,
        }
