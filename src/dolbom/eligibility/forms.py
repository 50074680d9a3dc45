"""The calculation form: the household's situation, member by member, and what it owns."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dolbom.core.fields import IdField, KoreanDateField, WonField
from dolbom.eligibility.calculator import HouseholdFacts, Member
from dolbom.eligibility.models import ApplicationOutcome, ReverificationResult, ReviewDecision
from dolbom.eligibility.ruleset import Benefit, EmergencyRegion, Region, available_years

MEMBER_ROWS_EXTRA = 2
MEMBER_ROWS_MAX = 20
NOTE = forms.TextInput(attrs={"maxlength": "500"})


def _won(label: str, help_text: str = "") -> WonField:
    return WonField(label=label, required=False, help_text=help_text)


class MemberForm(forms.Form):
    """One member: a row left empty is no member."""

    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=130)
    earned_income = _won(_("Earned and business income a month"))
    disabled = forms.BooleanField(label=_("Registered disability"), required=False)
    student = forms.BooleanField(label=_("Student"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("age") is None and (data.get("earned_income") or data.get("disabled") or data.get("student")):
            self.add_error("age", gettext("Give the member's age, or leave the whole row empty."))
        return data

    def member(self) -> Member | None:
        data = self.cleaned_data
        if data.get("age") is None:
            return None
        return Member(
            age=data["age"],
            earned_income=data.get("earned_income") or 0,
            disabled=bool(data.get("disabled")),
            student=bool(data.get("student")),
        )


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.members():
            raise forms.ValidationError(gettext("Give at least one member with an age."))

    def members(self) -> tuple[Member, ...]:
        found = (form.member() for form in self.forms if form.is_valid())
        return tuple(member for member in found if member is not None)


MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=MEMBER_ROWS_EXTRA,
    max_num=MEMBER_ROWS_MAX,
    validate_max=True,
    absolute_max=MEMBER_ROWS_MAX,
)


class CheckForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Rules of the year"), coerce=int, choices=())
    region = forms.ChoiceField(
        label=_("Region for the basic property deduction"), choices=Region.choices, widget=forms.RadioSelect
    )
    emergency_region = forms.ChoiceField(
        label=_("Region for emergency support"), choices=EmergencyRegion.choices, widget=forms.RadioSelect
    )
    other_income = _won(_("Other income a month"), _("Property income, pensions, transfers: counted in full."))
    housing_property = _won(_("Housing property"), _("The home, or the deposit on it."))
    general_property = _won(_("General property"), _("Land, buildings, other deposits."))
    unsellable_property = _won(
        _("Of it, property that cannot be sold"),
        _("Only what you judge cannot be sold: a household over a line only because of it goes to the committee."),
    )
    financial_assets = _won(_("Financial assets"))
    vehicles = _won(_("Vehicles (converted in full)"))
    vehicles_as_general = _won(_("Vehicles counted as general property"), _("For work, disability and the like."))
    debts = _won(_("Debts"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=NOTE)
    submission = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in available_years()]
        self.fields["submission"].initial = uuid.uuid4()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("unsellable_property") or 0) > (data.get("general_property") or 0):
            self.add_error("unsellable_property", gettext("It is part of the general property: at most as much."))
        return data

    def facts(self, members: tuple[Member, ...]) -> HouseholdFacts:
        data = self.cleaned_data
        amounts = {
            name: data.get(name) or 0
            for name in (
                "other_income",
                "housing_property",
                "general_property",
                "unsellable_property",
                "financial_assets",
                "vehicles",
                "vehicles_as_general",
                "debts",
            )
        }
        return HouseholdFacts(
            members=members, region=data["region"], emergency_region=data["emergency_region"], **amounts
        )


# ------------------------------------------------------------------------------------------------ re-guidance
class ReguidanceForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"}))
    margin_percent = forms.IntegerField(
        label=_("Margin above a line (%)"),
        required=False,
        min_value=0,
        max_value=50,
        initial=10,
        help_text=_("A household whose recognised income is above a benefit's line by at most this share of it."),
    )


class ApplicationForm(forms.Form):
    benefit = forms.ChoiceField(label=_("Benefit applied for"), choices=[("", "—"), *Benefit.choices], required=False)
    applied_on = KoreanDateField(label=_("Applied on"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ApplicationOutcome.choices, required=False)
    outcome_on = KoreanDateField(label=_("Decided on"), required=False)


class HouseholdApplicationForm(ApplicationForm):
    # The consultation's decision to apply, when the page was opened from it.
    decision_id = IdField(required=False, widget=forms.HiddenInput)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ApplicationOutcome.choices, required=False)
    outcome_on = KoreanDateField(label=_("Decided on"), required=False)


# ------------------------------------------------------------------------------------------------ after-care
class ReverificationForm(forms.Form):
    done_on = KoreanDateField(label=_("Re-verified on"), required=False)
    result = forms.ChoiceField(label=_("Result"), choices=[("", "—"), *ReverificationResult.choices], required=False)
    note = forms.CharField(label=_("What changed"), required=False, widget=forms.TextInput(attrs={"maxlength": "500"}))
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), *[(v, label) for v, label in ReviewDecision.choices if v]],
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.TextInput(attrs={"maxlength": "500"}))


class AftercareQuery(forms.Form):
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)
