"""A Custom service request's target, agreed with the requester (§7.2 Custom: "Custom
Timeline"): the service, and the console form on the case page."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from cases.request_targets import case_custom_target_agree
from cases.services import case_convert_to_request, case_transition
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from sla.calendar import LONDON
from sla.models import TicketSLAEvent
from sla.replay import clock_differences
from sla.selectors import agreed_target_clock_for
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for

# Tuesday 1 December 2026, 10:00 UK time: working hours.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def custom_request(clock, org_user, agent):
    case = CaseFactory(caller=org_user)
    return case_convert_to_request(case=case, actor=agent, request_type="custom")


def test_agreed_date_becomes_the_resolution_deadline(custom_request, agent, clock):
    """The agreed instant is the clock's deadline; the timeline records who agreed it and why."""
    clock.shift(timedelta(hours=2))
    due = london(2026, 12, 10, 15, 0)

    agreed = case_custom_target_agree(
        case=custom_request, actor=agent, due_at=due, reason="Agreed with Sam on the phone"
    )

    assert agreed.deadline == due
    # Working time from the opening (Tue 10:00) to Thu 10 Dec 15:00: 7.5 h, six full days of
    # 9 h, and 6.5 h — the two hours already counted included.
    assert agreed.target == timedelta(hours=7.5 + 6 * 9 + 6.5)
    event = agreed.events.get(kind=TicketSLAEvent.Kind.TARGET_AGREED)
    assert "Agreed with Sam on the phone" in event.note
    assert clock_differences(custom_request) == []


def test_the_requester_sees_the_date_and_the_desk_the_reason(custom_request, agent):
    case_custom_target_agree(
        case=custom_request, actor=agent, due_at=london(2026, 12, 10, 15, 0), reason="Kick-off"
    )

    visible = journal_for(custom_request, include_work_notes=False)
    assert visible.filter(
        kind=JournalEntry.Kind.SYSTEM, body__contains="Thu 10 Dec 2026, 15:00 (UK time)"
    ).exists()
    assert not visible.filter(body__contains="Kick-off").exists()
    note = journal_for(custom_request, include_work_notes=True).get(
        kind=JournalEntry.Kind.WORK_NOTE
    )
    assert "Reason: Kick-off" in note.body


def test_a_date_outside_working_hours_ends_at_the_working_time_before_it(custom_request, agent):
    """Saturday noon: the business calendar's last working instant before it is Friday 17:30."""
    agreed = case_custom_target_agree(
        case=custom_request, actor=agent, due_at=london(2026, 12, 5, 12, 0), reason="Weekend"
    )

    assert agreed.deadline == london(2026, 12, 4, 17, 30)


def test_agreeing_again_moves_the_deadline(custom_request, agent):
    case_custom_target_agree(
        case=custom_request, actor=agent, due_at=london(2026, 12, 10, 15, 0), reason="First"
    )
    agreed = case_custom_target_agree(
        case=custom_request, actor=agent, due_at=london(2026, 12, 17, 12, 0), reason="Moved"
    )

    assert agreed.deadline == london(2026, 12, 17, 12, 0)
    assert agreed.events.filter(kind=TicketSLAEvent.Kind.TARGET_AGREED).count() == 2


@pytest.mark.parametrize(
    ("due_at", "reason", "field"),
    [
        (None, "Agreed", "due_at"),
        (london(2026, 11, 30, 9, 0), "Agreed", "due_at"),
        (london(2026, 12, 10, 15, 0), "", "reason"),
        (london(2026, 12, 10, 15, 0), "x" * 251, "reason"),
    ],
)
def test_bad_input_is_refused_on_its_field(custom_request, agent, due_at, reason, field):
    with pytest.raises(ValidationFailed) as refused:
        case_custom_target_agree(case=custom_request, actor=agent, due_at=due_at, reason=reason)

    assert field in refused.value.field_errors
    assert agreed_target_clock_for(custom_request).target is None


def test_no_working_time_before_the_agreed_time_is_refused(custom_request, agent, clock):
    clock.move_to(london(2026, 12, 4, 18, 0))  # Friday evening

    with pytest.raises(ValidationFailed) as refused:
        case_custom_target_agree(
            case=custom_request, actor=agent, due_at=london(2026, 12, 6, 12, 0), reason="Sunday"
        )

    assert "no working time" in refused.value.field_errors["due_at"][0]


def test_only_open_custom_requests_take_an_agreed_target(clock, org_user, agent):
    standard = case_convert_to_request(
        case=CaseFactory(caller=org_user), actor=agent, request_type="standard"
    )
    with pytest.raises(TransitionNotAllowed):
        case_custom_target_agree(
            case=standard, actor=agent, due_at=london(2026, 12, 10, 15, 0), reason="No"
        )
    custom = case_convert_to_request(
        case=CaseFactory(caller=org_user), actor=agent, request_type="custom"
    )
    case_transition(case=custom, actor=agent, name="cancel", reason="raised_in_error")
    custom.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        case_custom_target_agree(
            case=custom, actor=agent, due_at=london(2026, 12, 10, 15, 0), reason="No"
        )


def test_participants_and_resolvers_cannot_agree_a_target(custom_request, org_user, resolver):
    for actor in (org_user, resolver, None):
        with pytest.raises(ActionNotPermitted):
            case_custom_target_agree(
                case=custom_request, actor=actor, due_at=london(2026, 12, 10, 15, 0), reason="x"
            )


# --- the console ------------------------------------------------------------------------------


def _page(agent_client, case):
    return agent_client.get(reverse("admin:cases_case_change", args=[case.pk]))


def test_case_page_offers_the_form_for_a_custom_request_only(
    agent_client, custom_request, org_user
):
    html = _page(agent_client, custom_request).content.decode()
    assert reverse("admin:cases_case_custom_target", args=[custom_request.pk]) in html
    assert "No target agreed yet" in html

    plain = CaseFactory(caller=org_user)
    assert "custom-target" not in _page(agent_client, plain).content.decode()


def test_console_form_agrees_the_target(agent_client, custom_request):
    url = reverse("admin:cases_case_custom_target", args=[custom_request.pk])

    response = agent_client.post(
        url, {"due_date": "2026-12-10", "due_time": "15:00", "reason": "Agreed at kick-off"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#sla-panel")
    assert agreed_target_clock_for(custom_request).deadline == london(2026, 12, 10, 15, 0)
    html = _page(agent_client, custom_request).content.decode()
    assert "Currently agreed: fulfilled by" in html and "Thu 10 Dec 2026, 15:00" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"due_date": "", "due_time": "15:00", "reason": "x"},
            "due_date",
            "Enter the agreed date.",
        ),
        (
            {"due_date": "2026-11-30", "due_time": "09:00", "reason": "x"},
            "due_date",
            "must be in the future",
        ),
        ({"due_date": "2026-12-10", "due_time": "25:00", "reason": "x"}, "due_time", "17:00"),
        ({"due_date": "2026-12-10", "due_time": "15:00", "reason": ""}, "reason", "Say why"),
    ],
)
def test_console_form_shows_each_error_next_to_its_field(
    agent_client, custom_request, data, field, message
):
    url = reverse("admin:cases_case_custom_target", args=[custom_request.pk])

    response = agent_client.post(url, data)

    assert response.status_code == 400
    form = response.context["custom_target"]["form"]
    assert any(message in error for error in form.errors[field])
    html = response.content.decode()
    row = html[: html.index(f'id="id_{field}"')].rsplit('<div class="form-row', 1)[1]
    assert "errors" in row.split(">")[0] and message.split("’")[0][:10] in row
    assert agreed_target_clock_for(custom_request).target is None


def test_console_form_is_refused_to_those_who_may_not_change_cases(resolver_client, custom_request):
    url = reverse("admin:cases_case_custom_target", args=[custom_request.pk])

    response = resolver_client.post(
        url, {"due_date": "2026-12-10", "due_time": "15:00", "reason": "x"}
    )

    assert response.status_code in (403, 302)
    assert agreed_target_clock_for(custom_request).target is None
