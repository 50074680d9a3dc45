"""The helpers every view shares: a service's refusal on its form, and typed query parameters."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.test import RequestFactory

from dolbom.core.http import parse_query, show_errors


class VisitorForm(forms.Form):
    visitor = forms.IntegerField(required=False, min_value=1)


def test_the_services_message_about_a_field_replaces_the_forms_own():
    form = VisitorForm({"visitor": "0"})
    assert not form.is_valid() and form.errors["visitor"]  # the form's own: "at least 1"
    show_errors(form, ValidationError({"visitor": "Only an officer of this dong can be assigned."}))
    assert form.errors["visitor"] == ["Only an officer of this dong can be assigned."]


def test_a_refusal_about_no_field_of_the_form_goes_on_top():
    form = VisitorForm({"visitor": "3"})
    assert form.is_valid()
    show_errors(form, ValidationError({"version": "Someone changed this item."}))
    show_errors(form, ValidationError("Closed."))
    assert form.non_field_errors() == ["Someone changed this item.", "Closed."]
    assert "visitor" not in form.errors


def test_a_malformed_query_parameter_is_a_bad_request_naming_it():
    request = RequestFactory().get("/worklist/", {"visitor": "abc"})
    with pytest.raises(BadRequest, match="visitor"):
        parse_query(request, VisitorForm)
    assert parse_query(RequestFactory().get("/worklist/"), VisitorForm) == {"visitor": None}
