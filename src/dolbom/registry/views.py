"""The household search and the audited reveal of personal details. (The household page itself is the shell's,
`dolbom.web.views.household_detail`: it shows what every domain knows of the household.)"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dolbom.core.access_audit import set_reason
from dolbom.core.http import REFUSED, requires
from dolbom.core.permissions import can
from dolbom.registry import services
from dolbom.registry.forms import (
    AddMemberForm,
    ConsentForm,
    DeathForm,
    HouseholdForm,
    MemberFormSet,
    MoveForm,
    MoveOutForm,
    RevealForm,
    SearchForm,
    SplitForm,
    WithdrawForm,
    already_done,
    error_summary,
    put_errors,
    remember_done,
)
from dolbom.registry.selectors import (
    SEARCH_MAX_LENGTH,
    consent_for,
    household_for,
    person_consents,
    person_in_household,
)


@requires("registry.search_households")
def household_search(request: HttpRequest) -> HttpResponse:
    """The search box posts what was typed: a resident or phone number must not sit in the address bar, the
    browser's history of a shared office PC or a proxy's log; so do the page buttons, which carry the text in the
    form. A `?q=` address still searches (bookmarked names)."""
    form = SearchForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()
    text = form.cleaned_data.get("q", "").strip()
    context: dict[str, Any] = {
        "q": text,
        "result": None,
        "searched": bool(text),
        "error": "",
        "search_max_length": SEARCH_MAX_LENGTH,
        "may_register": can(request.user, "registry.register_household"),
    }
    status = 200
    if text:
        try:
            result = services.search(user=request.user, text=text, page=form.cleaned_data.get("page") or 1)
        except ValidationError as exc:
            # Too long to be a search: say so in Korean (400), without echoing a page-long text back.
            context.update(q="", searched=False, error=exc.message_dict["q"][0])
            set_reason(request, "too_long")
            status = 400
        else:
            context.update(result=result, ignored_text=result.query.ignored_text)
    template = "registry/_search_results.html" if request.headers.get("HX-Request") else "registry/search.html"
    return render(request, template, {**context, "active_nav": "consultation"}, status=status)


@require_POST
def reveal_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """Unmask one person for a stated reason. Answers the row fragment for htmx, or the reveal page without it."""
    form = RevealForm(request.POST, auto_id=f"p{person_id}-%s")
    reason, preset = form.reason_and_preset()
    try:
        revealed = services.reveal_person(user=request.user, person_id=person_id, reason=reason, preset=preset)
    except ValidationError as exc:
        context = {"person_id": person_id, "form": form, "error": exc.message_dict.get("reason", [""])[0]}
        return render(request, "registry/_reveal_form.html", context, status=REFUSED)
    template = "registry/_revealed.html" if request.headers.get("HX-Request") else "registry/revealed.html"
    return render(request, template, {"revealed": [revealed], "reason": reason})


@require_POST
def reveal_household(request: HttpRequest, household_id: int) -> HttpResponse:
    """Unmask every member the user may see of one household, for one reason (a visit concerns them all)."""
    form = RevealForm(request.POST, auto_id="household-%s")
    reason, preset = form.reason_and_preset()
    try:
        revealed = services.reveal_household(user=request.user, household_id=household_id, reason=reason, preset=preset)
    except ValidationError as exc:
        context = {"household_id": household_id, "form": form, "error": exc.message_dict.get("reason", [""])[0]}
        return render(request, "registry/_reveal_household_form.html", context, status=REFUSED)
    htmx = request.headers.get("HX-Request")
    template = "registry/_revealed_household.html" if htmx else "registry/revealed.html"
    return render(request, template, {"revealed": revealed, "reason": reason, "household_id": household_id})


# ------------------------------------------------------------------------------------------------ registry writes
# Each page: the form, one service call, the refusal back on the form (with a summary naming row and field), and
# after success a redirect to the household with a message. A form submitted a second time (double click, back
# button) goes to the result of the first instead of writing again (forms.OnceForm).


def _done(request: HttpRequest, url: str, message: str) -> HttpResponse:
    remember_done(request, url)
    messages.success(request, message)
    return redirect(url)


def _repeated(request: HttpRequest) -> HttpResponse | None:
    """The same form submitted again after it was applied: show the result of the first submission."""
    url = already_done(request) if request.method == "POST" else None
    if url is None:
        return None
    messages.info(request, _("This form was already submitted; nothing was recorded twice."))
    return redirect(url)


def _page(request: HttpRequest, template: str, context: dict[str, Any], form: Any, **extra: Any) -> HttpResponse:
    errors = error_summary(form, extra.get("formset"))
    status = 200 if not errors or request.method != "POST" else REFUSED
    return render(
        request,
        template,
        {**context, "form": form, "errors": errors, "active_nav": "consultation", **extra},
        status=status,
    )


@requires("registry.register_household")
def household_new(request: HttpRequest) -> HttpResponse:
    """Register a household with its members on one page. "Add a row" re-renders what was typed with one more
    empty member row; the registration itself is all or nothing."""
    if repeated := _repeated(request):
        return repeated
    user = request.user
    existing = None
    if request.method != "POST":
        form = HouseholdForm(user=user)
        formset = MemberFormSet(prefix="members")
    elif "add_row" in request.POST:
        form = HouseholdForm(initial=request.POST.dict(), user=user)
        formset = MemberFormSet.with_one_more_row(request.POST, "members")
        # The new row is where the officer types next (the button's address ends in its #anchor).
        formset.forms[-1].fields["name"].widget.attrs["autofocus"] = True
        context = {"form": form, "formset": formset, "errors": [], "active_nav": "consultation"}
        return render(request, "registry/household_new.html", context)
    else:
        form = HouseholdForm(request.POST, user=user)
        formset = MemberFormSet(request.POST, prefix="members")
        if form.is_valid() and formset.is_valid():
            try:
                household = services.register_household(
                    user=user,
                    address=form.new_address(),
                    members=[row.new_member() for _index, row in formset.filled()],
                    on=form.cleaned_data["registered_on"],
                )
            except ValidationError as refused:
                existing = getattr(refused, "household_id", None)
                put_errors(form, refused, formset, rename={"on": "registered_on"})
            else:
                url = reverse("household_detail", args=[household.pk])
                return _done(request, url, _("The household is registered."))
    return _page(request, "registry/household_new.html", {"existing": existing}, form, formset=formset)


@requires("registry.record_move")
def member_add(request: HttpRequest, household_id: int) -> HttpResponse:
    """전입 or a birth: one person into this household."""
    if repeated := _repeated(request):
        return repeated
    household = household_for(request.user, household_id)
    form = AddMemberForm(request.POST if request.method == "POST" else None)
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            services.add_member(
                user=request.user, household=household, member=form.new_member(), on=form.cleaned_data["on"]
            )
        except ValidationError as refused:
            existing = getattr(refused, "household_id", None)
            put_errors(form, refused)
        else:
            url = reverse("household_detail", args=[household.pk])
            return _done(request, url, _("The member is added to the household."))
    return _page(request, "registry/member_add.html", {"household": household, "existing": existing}, form)


@requires("registry.record_move")
def person_move(request: HttpRequest, person_id: int) -> HttpResponse:
    """세대 이동: into another household of the area."""
    if repeated := _repeated(request):
        return repeated
    person, membership = person_in_household(request.user, person_id)
    form = MoveForm(request.POST if request.method == "POST" else None, user=request.user, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.move_to_household(
                user=request.user,
                person=person,
                household=form.cleaned_data["household"],
                relationship=form.cleaned_data["relationship"],
                on=form.cleaned_data["on"],
                new_head=form.chosen_head(),
            )
        except ValidationError as refused:
            put_errors(form, refused)
        else:
            url = reverse("household_detail", args=[moved.household_id])
            return _done(request, url, _("The move is recorded."))
    return _page(request, "registry/person_move.html", _person_context(person, membership), form)


@requires("registry.record_move")
def person_move_out(request: HttpRequest, person_id: int) -> HttpResponse:
    """전출: out of the district."""
    if repeated := _repeated(request):
        return repeated
    person, membership = person_in_household(request.user, person_id)
    form = MoveOutForm(request.POST if request.method == "POST" else None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_out(
                user=request.user,
                membership=membership,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                new_head=form.chosen_head(),
            )
        except ValidationError as refused:
            put_errors(form, refused)
        else:
            url = reverse("household_detail", args=[membership.household_id])
            return _done(request, url, _("The move out of the district is recorded."))
    return _page(request, "registry/person_move_out.html", _person_context(person, membership), form)


@requires("registry.record_move")
def person_split(request: HttpRequest, person_id: int) -> HttpResponse:
    """분가: a new household headed by the person."""
    if repeated := _repeated(request):
        return repeated
    person, membership = person_in_household(request.user, person_id)
    form = SplitForm(request.POST if request.method == "POST" else None, user=request.user, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.split_household(
                user=request.user,
                person=person,
                address=form.new_address(),
                on=form.cleaned_data["on"],
                companions=form.chosen_companions(),
                new_head=form.chosen_head(),
            )
        except ValidationError as refused:
            put_errors(form, refused)
        else:
            url = reverse("household_detail", args=[household.pk])
            return _done(request, url, _("The new household is registered."))
    return _page(request, "registry/person_split.html", _person_context(person, membership), form)


@requires("registry.record_death")
def person_death(request: HttpRequest, person_id: int) -> HttpResponse:
    """사망 신고."""
    if repeated := _repeated(request):
        return repeated
    person, membership = person_in_household(request.user, person_id)
    form = DeathForm(request.POST if request.method == "POST" else None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_death(
                user=request.user, person=person, on=form.cleaned_data["on"], new_head=form.chosen_head()
            )
        except ValidationError as refused:
            put_errors(form, refused)
        else:
            url = reverse("household_detail", args=[membership.household_id])
            return _done(request, url, _("The death is recorded."))
    return _page(request, "registry/person_death.html", _person_context(person, membership), form)


@requires("registry.record_consent")
def consent_new(request: HttpRequest, person_id: int) -> HttpResponse:
    if repeated := _repeated(request):
        return repeated
    person, membership = person_in_household(request.user, person_id)
    form = ConsentForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_consent(
                user=request.user,
                person=person,
                recipient=data["recipient"],
                purpose=data["purpose"],
                given_on=data["given_on"],
                method=data["method"],
                witness_name=data["witness_name"],
            )
        except ValidationError as refused:
            put_errors(form, refused)
        else:
            url = reverse("household_detail", args=[membership.household_id])
            return _done(request, url, _("The consent is recorded."))
    context = {**_person_context(person, membership), "consents": person_consents(request.user, person)}
    return _page(request, "registry/consent_new.html", context, form)


@requires("registry.withdraw_consent")
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    if repeated := _repeated(request):
        return repeated
    consent = consent_for(request.user, consent_id)
    person, membership = person_in_household(request.user, consent.person_id)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_consent(
                user=request.user, consent=consent, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as refused:
            put_errors(form, refused)
        else:
            url = reverse("household_detail", args=[membership.household_id])
            return _done(request, url, _("The withdrawal of consent is recorded."))
    context = {**_person_context(person, membership), "consent": consent}
    return _page(request, "registry/consent_withdraw.html", context, form)


def _person_context(person: Any, membership: Any) -> dict[str, Any]:
    return {"person": person, "membership": membership, "household": membership.household}
