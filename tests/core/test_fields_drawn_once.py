"""`core.forms.field_block` and `field_control` (issue 9): a blank field of a `drawn_once`
form is drawn once and the markup reused; a bound field, or one of any other form, always
afresh — so errors and a user's input are never served from another request."""

from django import forms
from django.template.loader import render_to_string

from cases.forms import CaseCommentForm, CaseListFilterForm
from cases.selectors import case_state_filter_choices
from core.forms import field_block, field_control


def test_a_blank_field_is_drawn_as_the_template_draws_it_and_only_once(monkeypatch):
    expected = render_to_string("_field.html", {"field": CaseCommentForm()["body"]})
    assert field_block(CaseCommentForm()["body"]) == expected
    drawn = []
    monkeypatch.setattr(
        "core.forms.render_to_string", lambda *args, **kwargs: drawn.append(args) or "again"
    )
    assert field_block(CaseCommentForm()["body"]) == expected
    assert drawn == []


def test_a_bound_field_shows_its_errors_and_the_input():
    form = CaseCommentForm({"comment-body": ""})
    assert not form.is_valid()
    html = field_block(form["body"])
    assert "Write your comment before adding it." in html and 'aria-invalid="true"' in html
    blank = field_block(CaseCommentForm()["body"])
    assert "Write your comment" not in blank
    searched = CaseListFilterForm(
        {"state": "open", "q": "<b>meter</b>"}, state_choices=case_state_filter_choices()
    )
    assert 'value="&lt;b&gt;meter&lt;/b&gt;"' in field_control(searched["q"])
    assert '<option value="open" selected>' in field_control(searched["state"])
    unfiltered = CaseListFilterForm(None, state_choices=case_state_filter_choices())
    assert '<option value="" selected>' in field_control(unfiltered["state"])


def test_a_form_that_does_not_promise_is_always_drawn_afresh():
    class PerUser(forms.Form):
        pick = forms.ChoiceField(choices=[])

    first, second = PerUser(), PerUser()
    first.fields["pick"].choices = [("a", "Alpha")]
    second.fields["pick"].choices = [("b", "Bravo")]
    assert "Alpha" in field_control(first["pick"])
    assert "Bravo" in field_control(second["pick"]) and "Alpha" not in field_control(second["pick"])
