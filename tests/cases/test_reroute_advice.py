"""Re-routing advice to the raiser comes from the desk's directory entry: its contacts, opening
hours and out-of-hours arrangements (§4.1 step 2, §18.4, §18.5.1, Appendix H)."""

from django.urls import reverse

from accounts.models import ServiceDesk
from cases.services import case_reroute
from comms.models import OutboundMessage
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for


def test_reroute_comment_gives_the_desks_contacts_hours_and_out_of_hours(org_user, agent):
    desk = ServiceDesk.objects.get(name="Siemens Service Desk")
    case = case_reroute(case=CaseFactory(caller=org_user), actor=agent, desk=desk)

    comment = journal_for(case, include_work_notes=False).get(kind=JournalEntry.Kind.COMMENT).body
    assert "Email: mas.itsd.gb@siemens.com" in comment
    assert "Phone: 02038327269" in comment
    assert (
        "Opening hours (UK time): Monday to Friday, 08:30 to 16:30 (closed on bank holidays)"
        in comment
    )
    assert "Out of hours: 02038327269; major incidents only, 24/7" in comment


def test_reroute_advice_follows_an_edit_of_the_directory(org_user, agent):
    """The advice is read from the entry when the case is re-routed, not from seeded text."""
    desk = ServiceDesk.objects.get(name="ENGIE")
    ServiceDesk.objects.filter(pk=desk.pk).update(
        open_days=[0, 1, 2, 3, 4, 5], out_of_hours_notes="Weekend cover by phone"
    )
    desk.refresh_from_db()
    case = case_reroute(case=CaseFactory(caller=org_user), actor=agent, desk=desk)

    comment = journal_for(case, include_work_notes=False).get(kind=JournalEntry.Kind.COMMENT).body
    assert "Monday to Saturday, 08:30 to 17:00" in comment
    assert "Out of hours: 01322 627770; Weekend cover by phone" in comment


def test_reroute_email_carries_the_entry_and_a_link_to_every_desk(
    org_user, agent, django_capture_on_commit_callbacks, settings
):
    desk = ServiceDesk.objects.get(name="EES Service Desk (C&C Group)")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_reroute(case=CaseFactory(caller=org_user), actor=agent, desk=desk)

    message = OutboundMessage.objects.get(template="case_rerouted", ticket_id=case.pk)
    directory = f"{settings.PORTAL_BASE_URL}{reverse('portal:service_desks')}"
    for text in (message.body_text, message.body_html):
        assert "Opening hours (UK time): Monday to Friday, 08:00 to 18:00" in text
        assert "0203 086 7107" in text
        assert directory in text
