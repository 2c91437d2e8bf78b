"""The participant portal pages: home, raise a case, My Cases, case detail and its actions.

Manual: §3.1 contact and acknowledgement, §3.2 portal fields, §3.8 impact/urgency never in
the portal, §10.2 ticket updates, §10.3 closures, §10.4 organisation scoping.
"""

import re

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from cases.models import Case, ReopenRequest
from cases.services import case_classify, case_comment_add, case_transition
from comms.models import OutboundMessage
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory, category, text_upload
from tickets.models import Attachment, JournalEntry

HOME = reverse("portal:home")
LIST = reverse("portal:case_list")
CREATE = reverse("portal:case_create")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def detail_url(case) -> str:
    return reverse("portal:case_detail", kwargs={"number": case.number})


def action_url(case, name: str) -> str:
    return reverse(f"portal:{name}", kwargs={"number": case.number})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def valid_case_data(org, **overrides) -> dict:
    data = {
        "organisation": org.pk,
        "party_id": "NPSU",
        "category": category("Market Systems").pk,
        "short_description": "DIP messages rejected with E123",
        "description": "Since 09:00 every message is rejected with E123.",
        "related_url": "https://example.com/dip/status",
    }
    data.update(overrides)
    return data


def resolved_case(caller, agent, *, notes="Certificate renewed on the DIP."):
    case = CaseFactory(caller=caller)
    case = case_transition(case=case, actor=agent, name="start")
    return case_transition(case=case, actor=agent, name="resolve", notes=notes)


# --- home ---------------------------------------------------------------------------------


def test_anonymous_user_is_sent_to_sign_in(db):
    """All portal pages need a signed-in user (§10.1)."""
    for url in (HOME, LIST, CREATE):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_home_shows_desk_contact_and_open_case_count(org_user, org_client):
    """Home tells the user the desk is 24/7/365, its phone number and the 15-minute rule (§3.1)."""
    CaseFactory(caller=org_user)
    CaseFactory(caller=org_user)
    response = org_client.get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hello, Sam" in html
    assert "03700 106950" in html
    assert "24/7/365" in html
    assert "within 15 minutes" in html
    assert reverse("portal:case_create") in html
    assert response.context["open_count"] == "2"
    assert "waiting to be attached" not in html


def test_home_tells_unattached_user_they_are_waiting_for_an_organisation(db):
    """A self-registered user without an organisation is told what happens next (§10.1)."""
    user = UserFactory(email="new.starter@example.com")
    response = client_for(user).get(HOME, follow=True)
    assert response.redirect_chain == [(reverse("account_registration_status"), 302)]
    assert response.status_code == 200
    assert (
        "your account is waiting to be attached to an organisation"
        in response.content.decode().lower()
    )


def test_page_has_landmarks_skip_link_viewport_and_post_sign_out(org_client):
    """Every page shares one accessible shell: skip link, landmarks, status region, POST sign-out."""
    html = org_client.get(HOME).content.decode()
    assert '<meta name="viewport"' in html
    assert 'href="#main"' in html
    assert '<main id="main"' in html
    assert 'role="status"' in html
    assert "<footer" in html
    logout = reverse("account_logout")
    assert re.search(rf'<form[^>]*method="post"[^>]*action="{logout}"', html)
    assert "<script>" not in html
    assert "/static/css/portal.css" in html and "/static/js/portal.js" in html


# --- raise a case ------------------------------------------------------------------------


def test_raise_case_form_has_the_portal_fields_and_no_impact_or_urgency(org_client):
    """§3.2 fields are offered; impact and urgency are the desk's alone (§3.8)."""
    response = org_client.get(CREATE)
    assert response.status_code == 200
    html = response.content.decode()
    for name in (
        "organisation",
        "party_id",
        "no_party_id",
        "unregistered_organisation_name",
        "market_participant_id",
        "cra_market_role",
        "category",
        "short_description",
        "description",
        "related_url",
        "attachments",
    ):
        assert f'name="{name}"' in html, name
    assert re.search(
        r'<input[^>]*type="file"[^>]*multiple|<input[^>]*multiple[^>]*type="file"', html
    )
    assert 'enctype="multipart/form-data"' in html
    lowered = html.lower()
    assert 'name="impact"' not in lowered and 'name="urgency"' not in lowered
    assert "impact" not in set(response.context["form"].fields)
    assert "urgency" not in set(response.context["form"].fields)


def test_raising_a_case_with_an_attachment_creates_it_and_shows_its_number(
    org_user, org_client, django_capture_on_commit_callbacks, mailoutbox
):
    """A case gets a reference number and an acknowledgement email (§3.1, §3.2)."""
    data = valid_case_data(org_user.organisation, attachments=[text_upload()])
    with django_capture_on_commit_callbacks(execute=True):
        response = org_client.post(CREATE, data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    assert case.caller == org_user and case.organisation == org_user.organisation
    assert case.impact is None and case.urgency is None and case.priority is None
    attachment = Attachment.objects.get()
    assert attachment.original_name == "error.log"
    page = org_client.get(response["Location"])
    html = page.content.decode()
    assert f"Case {case.number} raised. We have emailed you an acknowledgement." in html
    assert "error.log" in html
    assert any(
        case.number in message.subject for message in mailoutbox if org_user.email in message.to
    )


def test_raising_a_case_with_several_attachments_keeps_them_all(org_user, org_client):
    """§3.2 "Add Attachments": error logs, screenshots etc., several at once."""
    data = valid_case_data(
        org_user.organisation,
        attachments=[text_upload("first.log"), text_upload("second.txt", b"hello\n")],
    )
    response = org_client.post(CREATE, data)
    assert response.status_code == 302
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == [
        "first.log",
        "second.txt",
    ]


def test_missing_mandatory_fields_are_refused_with_errors_next_to_each(org_user, org_client):
    """*Category, *Subject and *Description are mandatory (§3.2)."""
    response = org_client.post(
        CREATE, {"organisation": org_user.organisation_id, "no_party_id": "on"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"category", "short_description", "description"}
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_short_description_error"' in html
    assert re.search(r'aria-describedby="[^"]*id_short_description_error', html)
    assert Case.objects.count() == 0


def test_party_id_and_no_party_id_together_are_refused(org_user, org_client):
    """Give a Party ID or tick "I do not have a party ID", not both (§3.2)."""
    response = org_client.post(CREATE, valid_case_data(org_user.organisation, no_party_id="on"))
    assert response.status_code == 400
    assert "not both" in " ".join(response.context["form"].errors["party_id"])
    assert Case.objects.count() == 0


def test_organisation_outside_the_users_tree_is_refused(
    org_user, org_client, unrelated_org, sibling_org
):
    """A user raises cases only for their organisation or those below it (§10.4)."""
    for outsider in (unrelated_org, sibling_org):
        response = org_client.post(CREATE, valid_case_data(outsider))
        assert response.status_code == 400
        assert "your own organisation" in " ".join(response.context["form"].errors["organisation"])
    assert Case.objects.count() == 0


def test_parent_user_may_raise_a_case_for_a_child_organisation(parent_user, org):
    """Parent accounts act for their children (§10.4)."""
    response = client_for(parent_user).post(CREATE, valid_case_data(org, party_id="NPGP"))
    assert response.status_code == 302
    assert Case.objects.get().organisation == org


def test_bad_attachment_is_reported_next_to_the_field_and_nothing_is_created(org_user, org_client):
    """Attachments are checked by their content before anything is written (§10.5.1)."""
    fake_pdf = text_upload("invoice.pdf", b"just text, not a pdf")
    response = org_client.post(
        CREATE, valid_case_data(org_user.organisation, attachments=[fake_pdf])
    )
    assert response.status_code == 400
    assert "invoice.pdf" in " ".join(response.context["form"].errors["attachments"])
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_unattached_user_sees_the_waiting_message_and_cannot_raise_a_case(db):
    """Until attached to an organisation a registration cannot raise cases (§10.1)."""
    user = UserFactory(email="new.starter@example.com")
    client = client_for(user)
    page = client.get(CREATE, follow=True)
    assert page.redirect_chain == [(reverse("account_registration_status"), 302)]
    assert "waiting to be attached" in page.content.decode()
    assert "form" not in page.context or page.context.get("form") is None
    response = client.post(CREATE, {"short_description": "Let me in", "description": "Please"})
    assert response.status_code == 403
    assert Case.objects.count() == 0


# --- My Cases ------------------------------------------------------------------------------


def test_my_cases_lists_cases_with_uk_dates(org_user, org_client):
    """My Cases shows number, subject, status and the opening time in UK time (§10.2)."""
    case = CaseFactory(caller=org_user, short_description="Load shape missing")
    Case.objects.filter(pk=case.pk).update(opened_at="2026-07-01T13:05:00+00:00")
    html = org_client.get(LIST).content.decode()
    assert case.number in html and "Load shape missing" in html
    # 13:05 UTC is 14:05 British Summer Time.
    assert "1 Jul 2026, 14:05" in html


def test_my_cases_rows_keep_their_accessible_table_markup(org_user, org_client):
    """Each row (drawn in Python, issue 9): the number as a row header linking to the case,
    the status badge (a New case saying what happens next), the priority, <time>s in UK time,
    "—" for what is missing, and everything escaped."""
    nameless = UserFactory(
        email="no.name@example.com", full_name="", organisation=org_user.organisation
    )
    case = CaseFactory(caller=nameless, short_description='Flow <D0010> & "retries"')
    Case.objects.filter(pk=case.pk).update(
        opened_at="2026-01-15T09:05:00+00:00",
        updated_at="2026-01-16T10:30:00+00:00",
        category=None,
    )
    html = org_client.get(LIST).content.decode()
    assert (
        f'<th scope="row" data-label="Number"><a href="{detail_url(case)}">{case.number}</a></th>'
        in html
    )
    assert '<td data-label="Subject">Flow &lt;D0010&gt; &amp; &quot;retries&quot;</td>' in html
    assert (
        '<td data-label="Status"><span class="badge badge--new">New</span><span '
        'class="table__note">The service desk will assess it within 15 minutes.</span></td>' in html
    )
    assert '<td data-label="Priority">—</td>' in html
    assert '<td data-label="Organisation">Northern Power Supply</td>' in html
    assert '<td data-label="Category">—</td>' in html
    assert (
        '<td data-label="Opened"><time datetime="2026-01-15T09:05:00+00:00">15 Jan 2026, 09:05'
        "</time></td>" in html
    )
    assert (
        '<td data-label="Last updated"><time datetime="2026-01-16T10:30:00+00:00">16 Jan 2026, '
        "10:30</time></td>" in html
    )
    assert '<td data-label="Raised by">no.name@example.com</td>' in html
    # Nine columns, three of them sortable (`test_my_cases_sorts_by_a_column_heading`).
    assert html.count('<th scope="col">') == 6
    assert html.count('<th scope="col" class="table__sortable"') == 3


def test_my_cases_empty_state_says_what_to_do_next(org_client):
    """With no cases the page points the user at raising one."""
    html = org_client.get(LIST).content.decode()
    assert "You have no cases yet" in html
    assert reverse("portal:case_create") in html


def test_my_cases_filters_by_state(org_user, org_client, agent):
    """The state filter narrows the list (§10.2 portal status view)."""
    new_case = CaseFactory(caller=org_user, short_description="Still new")
    started = case_transition(
        case=CaseFactory(caller=org_user, short_description="Being worked"),
        actor=agent,
        name="start",
    )
    response = org_client.get(LIST, {"state": Case.State.IN_PROGRESS})
    numbers = [case.number for case in response.context["cases"]]
    assert numbers == [started.number]
    response = org_client.get(LIST, {"state": "open"})
    assert {case.number for case in response.context["cases"]} == {new_case.number, started.number}
    response = org_client.get(LIST, {"state": "nonsense"})
    assert response.status_code == 200
    assert len(response.context["cases"]) == 2


def test_my_cases_searches_by_number_and_subject(org_user, org_client):
    """Search matches a case number or words of the subject."""
    first = CaseFactory(caller=org_user, short_description="Meter read rejected")
    second = CaseFactory(caller=org_user, short_description="Invoice query")
    by_number = org_client.get(LIST, {"q": second.number.lower()})
    assert [case.number for case in by_number.context["cases"]] == [second.number]
    by_subject = org_client.get(LIST, {"q": "meter READ"})
    assert [case.number for case in by_subject.context["cases"]] == [first.number]
    nothing = org_client.get(LIST, {"q": "no such words"})
    assert "No cases match your filter" in nothing.content.decode()


def test_my_cases_paginates_25_per_page_and_keeps_the_filter(org_user, org_client):
    """Long lists are split into accessible pages of 25."""
    for _ in range(27):
        CaseFactory(caller=org_user, short_description="Batch failure")
    first = org_client.get(LIST, {"q": "batch"})
    assert len(first.context["cases"]) == 25
    html = first.content.decode()
    assert 'aria-label="Pages of results"' in html
    assert 'aria-current="page"' in html
    assert "?q=batch&amp;page=2" in html
    second = org_client.get(LIST, {"q": "batch", "page": 2})
    assert len(second.context["cases"]) == 2
    assert org_client.get(LIST, {"page": "999"}).status_code == 200


# The My Cases page costs the same number of queries at any list size, once the user's
# access facts are cached (the first page of a session also reads permissions and groups):
#  1 session, 2 user, 3 the paginator's count, capped at 1,000 rows, 4 the page of cases with
#  organisation, category and caller joined. The header's unread-notification count comes from
#  the cache once warm (`comms.centre.notification_unread_count_for`). Permissions (visible_tickets asks for view_all/work_group), the ids of
#  the user's organisation tree (issue 9: the list filters by `organisation_id IN (…)`) and
#  the nav's organisation-admin check come from the access cache.
MY_CASES_QUERIES = 4


@pytest.mark.parametrize("size", [2, 20])
def test_my_cases_query_count_is_constant(size, org_user, org_client, django_assert_num_queries):
    """List pages cost a fixed number of queries whatever their size (docs/conventions.md §7)."""
    for _ in range(size):
        CaseFactory(caller=org_user)
    org_client.get(LIST)  # warm the access cache
    with django_assert_num_queries(MY_CASES_QUERIES):
        response = org_client.get(LIST)
    assert len(response.context["cases"]) == size


# --- case detail ------------------------------------------------------------------------

# The case page costs the same at any history length: 1 session, 2 user, 3 the case with
# organisation, category and caller joined and the re-route desk's name, 4 the
# customer-visible journal with authors joined, 5 the attachments with uploaders joined,
# 6 the participant's SLA clocks with their definitions and events joined; the bell's count,
# permissions, the organisation tree and the nav's check come from the cache. The target
# resolution date is read from the same clocks, so a prioritised case costs no more.
CASE_DETAIL_QUERIES = 6


@pytest.mark.parametrize("comments", [2, 20])
def test_case_detail_query_count_is_constant(
    comments, org_user, org_client, agent, django_assert_num_queries
):
    """Detail pages cost a fixed number of queries whatever the history (docs/conventions.md §7)."""
    case = CaseFactory(caller=org_user, uploads=[text_upload()])
    case = case_classify(case=case, actor=agent, impact=2, urgency=2)
    for index in range(comments):
        case_comment_add(case=case, actor=agent if index % 2 else org_user, body=f"Update {index}")
    org_client.get(detail_url(case))  # warm the access cache
    with django_assert_num_queries(CASE_DETAIL_QUERIES):
        response = org_client.get(detail_url(case))
    assert response.status_code == 200
    assert "Update 1" in response.content.decode()


def test_case_detail_shows_the_case_and_its_customer_timeline(org_user, org_client, agent):
    """Number, subject, status, category, organisation, opened time and history (§10.2)."""
    case = CaseFactory(caller=org_user, short_description="Settlement run late")
    case_comment_add(case=case, actor=agent, body="We are looking at the settlement run.")
    response = org_client.get(detail_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        case.number,
        "Settlement run late",
        "Market Systems",
        "Northern Power Supply",
        "We are looking at the settlement run.",
        "Case raised through the portal.",
    ):
        assert text in html
    assert "Priority" not in html


def test_case_detail_draws_history_and_files_with_their_authors_and_uk_times(
    org_user, org_client, agent
):
    """The history and the files (drawn in Python, issue 9): comment or update, who (the desk's
    people marked), when in UK time, the text escaped with its line breaks; each file with its
    download link, size, time and uploader."""
    case = CaseFactory(caller=org_user, uploads=[text_upload("dip <trace>.log")])
    comment = case_comment_add(case=case, actor=agent, body="Line <one>\nline & two")
    JournalEntry.objects.filter(pk=comment.pk).update(created_at="2026-07-01T13:05:00+00:00")
    attachment = Attachment.objects.get()
    Attachment.objects.filter(pk=attachment.pk).update(created_at="2026-01-02T08:00:00+00:00")
    html = org_client.get(detail_url(case)).content.decode()
    assert f'<li class="timeline__item timeline__item--comment" id="entry-{comment.pk}">' in html
    assert '<span class="timeline__kind">Comment</span>' in html
    staff_name = agent.get_full_name()
    assert f'<span class="timeline__author">{staff_name} (Service Desk)</span>,' in html
    assert '<time datetime="2026-07-01T14:05:00+01:00">1 Jul 2026, 14:05</time>' in html
    assert '<div class="timeline__body">Line &lt;one&gt;<br>line &amp; two</div>' in html
    assert '<span class="timeline__author">Sam Supplier</span>,' in html
    download = reverse("portal:attachment_download", args=[attachment.pk])
    assert f'<a href="{download}" download>dip &lt;trace&gt;.log</a>' in html
    assert (
        f'<span class="attachments__meta">{attachment.size}\xa0bytes, added <time datetime='
        '"2026-01-02T08:00:00+00:00">2 Jan 2026, 08:00</time> by Sam Supplier</span>' in html
    )


def test_a_re_routed_case_names_the_desk_it_went_to(org_user, org_client, agent):
    """§4.1 step 2: the participant sees where their case was sent."""
    from accounts.models import ServiceDesk
    from cases.services import case_reroute

    desk = ServiceDesk.objects.filter(active=True).first()
    case = case_reroute(case=CaseFactory(caller=org_user), actor=agent, desk=desk)
    html = org_client.get(detail_url(case)).content.decode()
    assert f"<dt>Re-routed to</dt><dd>{desk.name}</dd>" in html
    assert (
        "<dt>Re-routed to</dt>"
        not in org_client.get(detail_url(CaseFactory(caller=org_user))).content.decode()
    )


def test_priority_is_shown_read_only_once_the_desk_sets_it(org_user, org_client, agent):
    """Priority comes from the desk's impact × urgency (§3.8); the portal only shows it."""
    from cases.services import case_classify

    case = CaseFactory(caller=org_user)
    case_classify(case=case, actor=agent, impact=2, urgency=1)
    html = org_client.get(detail_url(case)).content.decode()
    assert "P2 — 1 day" in html
    assert 'name="impact"' not in html and 'name="priority"' not in html


def test_work_notes_never_appear_on_the_case_page(org_user, org_client, agent):
    """Work notes never leave the desk (DESIGN §8)."""
    case = CaseFactory(caller=org_user)
    case_comment_add(case=case, actor=agent, body="Internal: vendor ticket 998877", work_note=True)
    case_comment_add(case=case, actor=agent, body="We have raised this with the vendor.")
    html = org_client.get(detail_url(case)).content.decode()
    assert "vendor ticket 998877" not in html
    assert "We have raised this with the vendor." in html


def test_comment_is_added_and_the_desk_is_told(org_user, org_client):
    """A participant's comment goes on the timeline (§10.2)."""
    case = CaseFactory(caller=org_user)
    response = org_client.post(
        action_url(case, "case_comment"), {"comment-body": "Still failing at 10:30."}
    )
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    assert JournalEntry.objects.filter(
        kind="comment", body="Still failing at 10:30.", author=org_user
    ).exists()
    assert OutboundMessage.objects.filter(template="case_caller_replied").exists()
    assert "Your comment has been added" in org_client.get(detail_url(case)).content.decode()


def test_empty_comment_re_renders_the_case_with_an_error(org_user, org_client):
    """Bad input is a 400 with the error next to the field, never a 500."""
    case = CaseFactory(caller=org_user)
    response = org_client.post(action_url(case, "case_comment"), {"comment-body": "   "})
    assert response.status_code == 400
    assert response.context["comment_form"].errors["body"]
    assert "There is a problem" in response.content.decode()


def test_comment_and_attachment_pages_accept_only_post(org_user, org_client):
    """The action URLs change data, so they take POST only."""
    case = CaseFactory(caller=org_user)
    for name in ("case_comment", "case_attachment_add", "case_confirm", "case_reject"):
        assert org_client.get(action_url(case, name)).status_code == 405


def test_attachment_is_added_to_an_open_case(org_user, org_client):
    """Files can be added later (§3.2), each recorded in the history."""
    case = CaseFactory(caller=org_user)
    response = org_client.post(
        action_url(case, "case_attachment_add"), {"attach-files": [text_upload("later.log")]}
    )
    assert response.status_code == 302
    assert Attachment.objects.get().original_name == "later.log"
    assert "Attachment added: later.log." in org_client.get(detail_url(case)).content.decode()


def test_attachment_form_without_a_file_is_refused(org_user, org_client):
    """Uploading nothing is bad input (400)."""
    case = CaseFactory(caller=org_user)
    response = org_client.post(action_url(case, "case_attachment_add"), {})
    assert response.status_code == 400
    assert response.context["attachment_form"].errors["files"]


def test_resolved_case_offers_confirm_and_reject(org_user, org_client, agent):
    """A resolved case invites the caller to confirm or say it is not fixed (§10.3)."""
    case = resolved_case(org_user, agent)
    html = org_client.get(detail_url(case)).content.decode()
    assert "Certificate renewed on the DIP." in html
    assert action_url(case, "case_confirm") in html
    assert action_url(case, "case_reject") in html
    open_case = CaseFactory(caller=org_user)
    assert (
        action_url(open_case, "case_confirm")
        not in org_client.get(detail_url(open_case)).content.decode()
    )


def test_confirming_the_resolution_closes_the_case(org_user, org_client, agent):
    """The caller confirms and the case closes; a closed case takes no more comments (§10.3)."""
    case = resolved_case(org_user, agent)
    response = org_client.post(action_url(case, "case_confirm"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED
    html = org_client.get(detail_url(case)).content.decode()
    assert "is now closed" in html
    assert "This case is closed" in html
    # §10.3: a Closed case takes no files, but a comment asks the desk to reopen it.
    assert action_url(case, "case_attachment_add") not in html
    assert action_url(case, "case_comment") in html
    assert "Adding a comment asks the service desk to reopen it" in html


def test_rejecting_the_resolution_reopens_the_case_with_the_reason(org_user, org_client, agent):
    """ "It is not fixed" reopens the case with the reason as a comment (§10.3)."""
    case = resolved_case(org_user, agent)
    response = org_client.post(
        action_url(case, "case_reject"), {"reject-reason": "Still rejected at 11:00."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.reopen_count == 1
    assert "Still rejected at 11:00." in org_client.get(detail_url(case)).content.decode()


def test_rejecting_without_a_reason_is_refused(org_user, org_client, agent):
    """The reason is mandatory when rejecting a resolution (§10.3)."""
    case = resolved_case(org_user, agent)
    response = org_client.post(action_url(case, "case_reject"), {"reject-reason": ""})
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"]
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED


def test_confirming_a_case_that_is_not_resolved_shows_the_reason(org_user, org_client, agent):
    """A transition that is no longer allowed is explained in plain words, never a 500."""
    case = resolved_case(org_user, agent)
    case_transition(case=case, actor=agent, name="reject_resolution", note="Reopened by the desk.")
    response = org_client.post(action_url(case, "case_confirm"), follow=True)
    assert response.status_code == 200
    assert (
        "You can&#x27;t close" in response.content.decode()
        or "You can't close" in response.content.decode()
    )
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS


def test_comment_on_a_closed_case_asks_the_desk_to_reopen_it(org_user, org_client, agent):
    """§10.3: a comment on a Closed case is a request to reopen it; the page says it is with
    the desk, and the case stays Closed until the desk decides."""
    case = resolved_case(org_user, agent)
    org_client.post(action_url(case, "case_confirm"))
    response = org_client.post(
        action_url(case, "case_comment"), {"comment-body": "One more thing"}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Your request to reopen {case.number} has been sent to the service desk" in html
    assert 'id="reopen-request"' in html and "The service desk will reopen this case" in html
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED
    request = ReopenRequest.objects.get(case=case)
    assert (request.requester, request.body, request.channel) == (
        org_user,
        "One more thing",
        "portal",
    )
    assert JournalEntry.objects.filter(body="One more thing", kind="comment").exists()


def test_comment_on_a_cancelled_case_is_refused_with_a_message(org_user, org_client, agent):
    """A cancelled case (a duplicate, raised in error) takes no more comments: refused with
    advice, not a 500."""
    case = case_transition(
        case=CaseFactory(caller=org_user), actor=agent, name="cancel", reason="duplicate"
    )
    html = org_client.get(detail_url(case)).content.decode()
    assert action_url(case, "case_comment") not in html
    response = org_client.post(
        action_url(case, "case_comment"), {"comment-body": "One more thing"}, follow=True
    )
    assert response.status_code == 200
    assert "raise a new case" in response.content.decode()
    assert not JournalEntry.objects.filter(body="One more thing").exists()
    assert not ReopenRequest.objects.exists()


def test_staff_see_a_console_link(agent):
    """Desk staff get a link to the agent console from the portal."""
    html = client_for(agent).get(HOME).content.decode()
    assert reverse("admin:index") in html


# --- shell and error pages -----------------------------------------------------------------


def test_unknown_case_number_is_a_friendly_404(org_client):
    """A case that does not exist reads like one you cannot see (§10.4)."""
    response = org_client.get(reverse("portal:case_detail", kwargs={"number": "CS9999999"}))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_error_pages_render_without_a_request(db):
    """500.html must render from an empty context (Django renders it without one)."""
    html = get_template("500.html").template.render(Context({}))
    assert "Sorry, something went wrong" in html and "03700 106950" in html
    assert Template("{% include '_messages.html' %}").render(Context({})).strip().startswith("<div")


def test_sign_in_page_uses_the_portal_layout(db):
    """allauth's pages (sign-in, sign-up, two-factor) share the portal's look (§10.1, §10.5.2)."""
    for name in ("account_login", "account_signup", "account_reset_password"):
        html = Client().get(reverse(name)).content.decode()
        assert "MHHS Service Desk" in html
        assert "/static/css/portal.css" in html
        assert 'class="form"' in html
        assert '<main id="main"' in html
