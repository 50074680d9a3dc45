"""The forms of the registry's pages: the household search, the reason given to see unmasked details, and the
write pages. The write forms only read what was typed (dates in any usual form, numbers with any dash); what makes
a household, a member or a consent right is checked by the services, whose refusals come back onto these forms next
to the field concerned (see `put_errors`)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dolbom.core.dates import today_kst
from dolbom.core.http import show_errors
from dolbom.core.numbers import normalise as normalise_text
from dolbom.core.rrn import InvalidResidentNumber, parse_rrn
from dolbom.registry.models import (
    ConsentMethod,
    ConsentPurpose,
    Disability,
    Membership,
    Person,
    Relationship,
    Sex,
    phone_digits,
)
from dolbom.registry.selectors import (
    consent_recipients_for,
    households_visible_to,
    other_current_members,
    registration_dongs_for,
)
from dolbom.registry.services import REVEAL_PRESETS, NewAddress, NewMember

# ------------------------------------------------------------------------------------------- search and reveal


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
    # Its length is the service's to check (REVEAL_REASON_MAX), which says so rather than asking for a reason.
    reason = forms.CharField(label=_("Reason in your words"), required=False)

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


# ------------------------------------------------------------------------------------------------------- fields


class KoreanDateField(forms.DateField):
    """A date typed the way Korean forms and documents write it: 2026.11.30, 2026. 11. 30., 2026-11-30,
    2026/11/30, 2026년 11월 30일 or 20261130, in full-width digits too. The year has four digits: "26.11.30" could
    be a birth date of 1926 as well as a move of 2026."""

    widget = forms.TextInput(attrs={"autocomplete": "off", "size": 12})
    default_error_messages = {
        "invalid": _("Type the date as 2026.11.30, 2026-11-30 or 20261130."),
        "no_such_date": _("This date does not exist. Check the month and the day."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("E.g. 2026.11.30 or 20261130"))
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        text = normalise_text(str(value))
        # Any run of non-digits separates the parts ("." "-" "/" spaces, or the 년 월 일 of written Korean).
        parts = [p for p in re.split(r"\D+", text) if p]
        if len(parts) == 1 and len(parts[0]) == 8:
            parts = [parts[0][:4], parts[0][4:6], parts[0][6:]]
        if len(parts) != 3 or len(parts[0]) != 4 or not all(1 <= len(p) <= 2 for p in parts[1:]):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            raise ValidationError(self.error_messages["no_such_date"], code="no_such_date") from None

    def prepare_value(self, value: Any) -> Any:
        return value.strftime("%Y.%m.%d") if isinstance(value, date) else value


def _text(max_length: int, label: Any, *, required: bool = True, help_text: Any = "", **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


class RegistryForm(forms.Form):
    """Labels without Django's trailing colon: Korean forms put none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------------------------------- one submission, once


class OnceForm(RegistryForm):
    """A form whose submission must not be applied twice (a double click, the back button and a second submit).
    It carries a random token; after a successful submission the page remembers the token in the session with
    where the result is, and a second submission of the same form goes there instead of writing again."""

    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", secrets.token_urlsafe(16))


DONE_FORMS = "registry.done_forms"
DONE_FORMS_KEPT = 50


def already_done(request: HttpRequest) -> str | None:
    """Where the result of this very form's earlier submission is, when it was already applied."""
    token = request.POST.get("form_token", "")
    return request.session.get(DONE_FORMS, {}).get(token) if token else None


def remember_done(request: HttpRequest, url: str) -> None:
    token = request.POST.get("form_token", "")
    if not token:
        return
    done = dict(request.session.get(DONE_FORMS, {}))
    done[token] = url
    request.session[DONE_FORMS] = dict(list(done.items())[-DONE_FORMS_KEPT:])


# ------------------------------------------------------------------------------------------------------ members


class MemberForm(RegistryForm):
    """One member on a registration form. Birth date and sex may be left empty: the resident number gives both."""

    relationship = forms.ChoiceField(label=_("Relationship to the head"), choices=[("", "—"), *Relationship.choices])
    name = _text(60, _("Name"))
    resident_number = _text(
        30,
        _("Resident registration number"),
        help_text=_("Foreign registration number for foreign nationals."),
        inputmode="numeric",
    )
    birth_date = KoreanDateField(
        label=_("Birth date"),
        required=False,
        help_text=_("Optional: checked against the resident number. E.g. 1950.03.04"),
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", _("From the resident number")), *Sex.choices])
    phone = _text(30, _("Phone"), required=False, inputmode="tel")
    disability = forms.ChoiceField(label=_("Disability"), required=False, choices=Disability.choices)
    nationality = _text(2, _("Nationality"), required=False, help_text=_("Two letters: KR, VN, CN …"), size="3")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nationality"].initial = "KR"

    # The shape of a number is checked here too, so that it is named together with every other mistake of the
    # page; whether the number agrees with the birth date, sex and nationality, and whether it is registered
    # already, is the service's to say.
    def clean_resident_number(self) -> str:
        try:
            return parse_rrn(normalise_text(self.cleaned_data["resident_number"]).replace(" ", "")).formatted
        except InvalidResidentNumber as exc:
            raise ValidationError(str(exc)) from None

    def clean_phone(self) -> str:
        try:
            return phone_digits(self.cleaned_data["phone"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def new_member(self) -> NewMember:
        data = self.cleaned_data
        return NewMember(
            name=data["name"],
            birth_date=data.get("birth_date"),
            sex=data.get("sex") or "",
            resident_number=data["resident_number"],
            relationship=data["relationship"],
            phone=data.get("phone") or "",
            disability=data.get("disability") or "",
            nationality=data.get("nationality") or "KR",
        )


class BaseMemberFormSet(forms.BaseFormSet):
    """The member rows of a registration. Rows left empty are ignored; the first row is the head's by default.
    "Add a row" re-renders the page with what was typed and one more empty row (no script needed)."""

    def __init__(self, *args: Any, rows: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        self.rows = rows or []
        super().__init__(*args, **kwargs)
        if rows is not None:
            self.extra = min(len(rows) + 1, self.max_num)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        if index is not None and index < len(self.rows):
            return {"initial": self.rows[index]}
        return {"initial": {"relationship": Relationship.HEAD}} if index == 0 else {}

    def filled(self) -> list[tuple[int, MemberForm]]:
        """(row index, form) of the rows that were filled in."""
        return [(i, f) for i, f in enumerate(self.forms) if f.has_changed()]

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.filled():
            raise ValidationError(gettext("Enter at least one member."))

    @classmethod
    def with_one_more_row(cls, data: Any, prefix: str) -> BaseMemberFormSet:
        """An unbound formset showing what was typed in every row, and one more empty row: adding a row is not a
        submission, so nothing is checked and no error is shown yet."""
        try:
            total = min(int(data.get(f"{prefix}-TOTAL_FORMS", "0")), MEMBER_ROWS_MAX)
        except ValueError:
            total = MEMBER_ROWS_INITIAL
        names = list(MemberForm.base_fields)
        rows = [{name: data.get(f"{prefix}-{i}-{name}", "") for name in names} for i in range(total)]
        return cls(prefix=prefix, rows=rows)


MEMBER_ROWS_INITIAL = 3
MEMBER_ROWS_MAX = 20
MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=BaseMemberFormSet,
    extra=MEMBER_ROWS_INITIAL,
    max_num=MEMBER_ROWS_MAX,
    validate_max=True,
    absolute_max=MEMBER_ROWS_MAX,
)


# ------------------------------------------------------------------------------------------------------ address


class AddressFields(RegistryForm):
    """A road-name address in a dong of the user's area. The same door typed again finds the address already
    recorded there."""

    dong = forms.ModelChoiceField(queryset=None, label=_("Dong"), empty_label=None)
    road_address = _text(
        200, _("Road-name address"), help_text=_("Road name and building number, as on the resident registration.")
    )
    detail = _text(100, _("Unit (building and flat)"), required=False)
    tong = forms.IntegerField(label=_("Tong"), required=False, min_value=1, max_value=999)
    ban = forms.IntegerField(label=_("Ban"), required=False, min_value=1, max_value=999)
    postal_code = _text(7, _("Postal code"), required=False, inputmode="numeric", size="6")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dong"].queryset = registration_dongs_for(user)
        for name in ("tong", "ban"):
            self.fields[name].widget.attrs.update(size="4", inputmode="numeric")

    def clean_postal_code(self) -> str:
        return "".join(ch for ch in normalise_text(self.cleaned_data["postal_code"]) if ch.isdigit())

    def new_address(self) -> NewAddress:
        data = self.cleaned_data
        return NewAddress(
            dong_code=data["dong"].code,
            road_address=data["road_address"],
            detail=data.get("detail") or "",
            tong=data.get("tong"),
            ban=data.get("ban"),
            postal_code=data.get("postal_code") or "",
        )


class HouseholdForm(OnceForm, AddressFields):
    registered_on = KoreanDateField(label=_("Registered on (date of moving in)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registered_on"].initial = today_kst()


# ------------------------------------------------------------------------------------------ moves and the head


class NewHeadMixin(RegistryForm):
    """When the head of the household leaves and others stay, who heads it from now on (the service requires it)."""

    new_head = forms.TypedChoiceField(label=_("New head of the household"), required=False, coerce=int)

    def setup_new_head(self, membership: Membership, leaving_too: bool = False) -> None:
        self.heads = {m.person_id: m.person for m in other_current_members(membership)}
        if membership.relationship != Relationship.HEAD or not self.heads:
            del self.fields["new_head"]
            return
        self.fields["new_head"].choices = [("", "—")] + [
            (m.person_id, f"{m.person.masked_name} ({m.get_relationship_display()})")
            for m in other_current_members(membership)
        ]
        if leaving_too:
            self.fields["new_head"].help_text = _("Needed only if some members stay in the household.")

    def chosen_head(self) -> Person | None:
        chosen = self.cleaned_data.get("new_head")
        return self.heads.get(chosen) if chosen else None


class MoveForm(OnceForm, NewHeadMixin):
    """세대 이동: into another household of the user's area, found by its number."""

    household = forms.ModelChoiceField(
        queryset=None,
        label=_("Number of the household moved into"),
        help_text=_("The number shown after # on that household's page."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8}),
        error_messages={"invalid_choice": _("No household with this number in your area. Check the number.")},
    )
    relationship = forms.ChoiceField(label=_("Relationship to the head there"), choices=Relationship.choices)
    on = KoreanDateField(label=_("Date of the move"))

    def __init__(self, *args: Any, user: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households_visible_to(user)
        self.fields["on"].initial = today_kst()
        self.setup_new_head(membership)


class MoveOutForm(OnceForm, NewHeadMixin):
    """전출: out of the district."""

    on = KoreanDateField(label=_("Date of moving out"))
    reason = _text(
        200,
        _("Reason (optional)"),
        required=False,
        help_text=_("E.g. moved to a care home. No address or phone number: the reason is kept in the audit log."),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = today_kst()
        self.setup_new_head(membership)


class SplitForm(OnceForm, NewHeadMixin, AddressFields):
    """분가: a new household headed by the person, at an address of the user's area, with members who go along."""

    on = KoreanDateField(label=_("Date of the split"))

    def __init__(self, *args: Any, user: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["on"].initial = today_kst()
        self.setup_new_head(membership, leaving_too=True)
        self.companions: list[tuple[Membership, str, str]] = []
        for other in other_current_members(membership):
            go, role = f"with_{other.person_id}", f"relationship_{other.person_id}"
            self.fields[go] = forms.BooleanField(
                label=_("%(name)s goes along") % {"name": other.person.masked_name}, required=False
            )
            self.fields[role] = forms.ChoiceField(
                label=_("%(name)s: relationship to the new head") % {"name": other.person.masked_name},
                required=False,
                choices=[("", "—"), *[c for c in Relationship.choices if c[0] != Relationship.HEAD]],
            )
            self.companions.append((other, go, role))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for _other, go, role in self.companions:
            if data.get(go) and not data.get(role):
                self.add_error(role, gettext("Choose the relationship to the new head."))
        return data

    def chosen_companions(self) -> list[tuple[Person, str]]:
        data = self.cleaned_data
        return [(other.person, data[role]) for other, go, role in self.companions if data.get(go)]

    def companion_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[go], self[role]) for _other, go, role in self.companions]


class DeathForm(OnceForm, NewHeadMixin):
    on = KoreanDateField(label=_("Date of death"))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_new_head(membership)


class AddMemberForm(OnceForm, MemberForm):
    """전입 or a birth: one person into this household."""

    on = KoreanDateField(label=_("Date of moving in (or birth)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = today_kst()


# ----------------------------------------------------------------------------------------------------- consents


class ConsentForm(OnceForm):
    recipient = forms.ModelChoiceField(queryset=None, label=_("Agency the data is shared with"))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    given_on = KoreanDateField(label=_("Date of consent"))
    method = forms.ChoiceField(
        label=_("How consent was given"),
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
        initial=ConsentMethod.SIGNED_FORM,
    )
    witness_name = _text(
        60,
        _("Witness (for a verbal consent)"),
        required=False,
        help_text=_("Who heard the consent given, e.g. a colleague or a relative."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = consent_recipients_for(user)
        self.fields["given_on"].initial = today_kst()


class WithdrawForm(OnceForm):
    on = KoreanDateField(label=_("Date of withdrawal"))
    reason = _text(
        200,
        _("Reason (optional)"),
        required=False,
        help_text=_("No address or phone number: the reason is kept in the audit log."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = today_kst()


# ------------------------------------------------------------------------------------------ errors on the page


@dataclass(frozen=True)
class ErrorLine:
    """One line of the error summary at the top of a page: where (with a link to the field) and what."""

    where: str
    message: str
    anchor: str


def put_errors(
    form: forms.Form,
    error: ValidationError,
    formset: BaseMemberFormSet | None = None,
    rename: dict[str, str] | None = None,
) -> None:
    """A service's refusal onto the page: `members.<position>.<field>` onto the row the member was typed in (the
    position counts filled rows only), anything else onto the form (core.http.show_errors), a service's key
    renamed to the form's field where they differ (`rename`)."""
    rest: dict[str, list[str]] = {}
    filled = formset.filled() if formset is not None else []
    for key, messages in (error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}).items():
        parts = key.split(".")
        if formset is not None and len(parts) == 3 and parts[0] == "members" and parts[1].isdigit():
            position, field = int(parts[1]), parts[2]
            if position < len(filled):
                row = filled[position][1]
                row.add_error(field if field in row.fields else None, messages)
                continue
        key = "__all__" if key == "members" else (rename or {}).get(key, key)
        rest[key] = messages
    if rest:
        show_errors(form, ValidationError(rest))


def error_summary(form: forms.Form, formset: BaseMemberFormSet | None = None) -> list[ErrorLine]:
    """Every error on the page, each naming where it is ("Member 2 · Resident registration number"), so that an
    officer who typed a household of five sees at once which row and which field to correct."""
    lines = [ErrorLine("", str(m), "") for m in form.non_field_errors()]
    lines += _field_lines(form, "")
    if formset is not None and formset.is_bound:
        lines += [ErrorLine("", str(m), "") for m in formset.non_form_errors()]
        for index, row in enumerate(formset.forms):
            where = gettext("Member %(n)s") % {"n": index + 1}
            lines += [ErrorLine(where, str(m), "") for m in row.non_field_errors()]
            lines += _field_lines(row, where)
    return lines


def _field_lines(form: forms.Form, where: str) -> list[ErrorLine]:
    lines = []
    for name, messages in form.errors.items():
        if name == "__all__" or name not in form.fields:
            continue
        label = str(form.fields[name].label or name)
        place = f"{where} · {label}" if where else label
        lines += [ErrorLine(place, str(m), form[name].auto_id) for m in messages]
    return lines
