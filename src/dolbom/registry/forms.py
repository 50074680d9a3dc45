"""Forms of the registry's pages: the household search and the reason given to see unmasked details."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dolbom.registry.services import REVEAL_PRESETS


class SearchForm(forms.Form):
    # The length is the service's to check: it answers in Korean without echoing a page-long text back.
    q = forms.CharField(required=False)
    # A page number out of range shows the nearest page; a malformed one the first.
    page = forms.IntegerField(required=False, min_value=1)


OTHER_REASON = "other"


class RevealForm(forms.Form):
    """Why the unmasked details are needed: one of the usual reasons, or typed (with "other", or with no choice).
    A typed text beside a chosen reason is kept after it. One page holds a form per member and one for the whole
    household: `auto_id` keeps their element ids apart, the field names stay `preset` and `reason`."""

    preset = forms.ChoiceField(
        label=_("Reason for viewing"),
        required=False,
        choices=[
            ("", _("Choose a reason")),
            *((code, label) for code, label in REVEAL_PRESETS.items()),
            (OTHER_REASON, _("Other (type the reason)")),
        ],
    )
    reason = forms.CharField(label=_("Reason in your words"), required=False, max_length=200)

    def reason_and_preset(self) -> tuple[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        preset, typed = data.get("preset", ""), data.get("reason", "").strip()
        if preset in REVEAL_PRESETS:
            label = str(REVEAL_PRESETS[preset])
            return (f"{label}: {typed}" if typed else label), preset
        return typed, ""


def reveal_form(person_id: int) -> RevealForm:
    """The form beside one member (its element ids named after the person)."""
    return RevealForm(auto_id=f"p{person_id}-%s")


def reveal_household_form() -> RevealForm:
    """The form for the whole household, above its members."""
    return RevealForm(auto_id="household-%s")
