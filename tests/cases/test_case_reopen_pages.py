"""The participant's case page says what a comment will do on a Resolved or Closed case, and
where a request to reopen stands (§10.3)."""

import pytest
from django.urls import reverse

from cases.models import Case, ReopenRequest
from cases.reopening import reopen_request_raise_case, reopen_request_reopen
from cases.services import case_comment_add, case_transition
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db


def detail_url(case) -> str:
    return reverse("portal:case_detail", kwargs={"number": case.number})


def comment_url(case) -> str:
    return reverse("portal:case_comment", kwargs={"number": case.number})


def resolved(case, agent):
    case = case_transition(case=case, actor=agent, name="start")
    return case_transition(case=case, actor=agent, name="resolve", notes="Fixed.")


def closed(case, agent):
    return case_transition(case=resolved(case, agent), actor=agent, name="close")


def test_resolved_case_says_a_comment_reopens_it(org_user, org_client, agent):
    """§10.3: the comment box on a Resolved case says, in plain words, that it reopens it."""
    case = resolved(CaseFactory(caller=org_user), agent)
    html = org_client.get(detail_url(case)).content.decode()
    assert "Adding a comment reopens your case" in html
    assert "Add comment and reopen" in html


def test_comment_on_a_resolved_case_reopens_it(org_user, org_client, agent):
    case = resolved(CaseFactory(caller=org_user), agent)
    response = org_client.post(
        comment_url(case), {"comment-body": "Still failing at 09:40."}, follow=True
    )
    html = response.content.decode()
    assert f"Your comment has been added and {case.number} is reopened" in html
    assert "Still failing at 09:40." in html
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.reopen_count == 1


def test_an_empty_comment_on_a_closed_case_is_a_form_error(org_user, org_client, agent):
    case = closed(CaseFactory(caller=org_user), agent)
    response = org_client.post(comment_url(case), {"comment-body": ""})
    assert response.status_code == 400
    assert response.context["comment_form"].errors["body"]
    assert not ReopenRequest.objects.exists()


def test_closed_case_shows_the_new_case_the_desk_raised(org_user, org_client, agent):
    """The participant sees which answer the desk gave: a link to the new case."""
    case = closed(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=org_user, body="Back again.")
    new = reopen_request_raise_case(request=ReopenRequest.objects.get(), actor=agent)
    html = org_client.get(detail_url(case)).content.decode()
    assert (
        f'The service desk raised a new case, <a href="{detail_url(new)}">{new.number}</a>' in html
    )
    assert f"The service desk raised a new case, {new.number}, for your request" in html
    new_html = org_client.get(detail_url(new)).content.decode()
    assert f"Raised by the service desk from the request to reopen {case.number}." in new_html


def test_reopened_case_says_so_in_its_history(org_user, org_client, agent):
    case = closed(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=org_user, body="Back again.")
    reopen_request_reopen(request=ReopenRequest.objects.get(), actor=agent)
    html = org_client.get(detail_url(case)).content.decode()
    assert "The service desk reopened this case at your request." in html
    assert 'id="reopen-request"' not in html
    assert "Adding a comment" not in html


def test_another_organisation_cannot_ask(other_org_user, org_user, agent):
    """§10.4: a case of another organisation is not found, and no request is made."""
    from tests.conftest import login_client

    case = closed(CaseFactory(caller=org_user), agent)
    response = login_client(other_org_user).post(comment_url(case), {"comment-body": "Hi"})
    assert response.status_code == 404
    assert not ReopenRequest.objects.exists()
