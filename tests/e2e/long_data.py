"""Realistic long data for the layout and accessibility browser tests (issue 10, points 14 and
19): organisation, group and people names as long as real ones get, subjects at the portal's
160-character limit with long unbroken tokens (message ids, file names, web addresses), and the
pages of the portal and the console that show them.

Everything is built through the services, so the journal, SLA clocks and notifications are
there as in production.
"""

from dataclasses import dataclass

from django.urls import reverse

from accounts import roles
from cases.models import ProposedUpdate
from cases.proposed_updates import case_update_propose
from cases.services import case_comment_add, case_raise_incident, case_transition
from tests.factories.accounts import OrganisationFactory, ResolverGroupFactory, UserFactory
from tests.factories.cases import CaseFactory, text_upload

LONG_ORGANISATION = (
    "Northern Powergrid (Yorkshire) Half-Hourly Settlement and Data Services "
    "Distribution Network Operator plc"
)
LONG_GROUP = "Data Integration Platform (DIP) Technical Support and Settlement Operations Team"
LONG_EMAIL = "samantha.settlements-supplier-operations@northernpowergrid-yorkshire.example"
# A message id or file name: no hyphen or space to break a line at.
LONG_TOKEN = "MHHS_DIP_E1234_SettlementRun_SF_20261127T091402Z_rejected_message_0000012345"
LONG_URL = (
    "https://www.bsc.example/mhhs/operations/incident-reports/2026/11/"
    "settlement-run-SF-20261127-data-integration-platform-rejections?view=full&section=appendix-g"
)


def _subject(n: int) -> str:
    """A subject at the portal's 160-character limit, with a long unbroken token in it."""
    text = f"Case {n}: DIP messages rejected with {LONG_TOKEN} since the settlement run at 09:00"
    return text[:160]


@dataclass
class LongData:
    participant: object
    organisation: object
    new_case: object
    worked_case: object
    incident: object

    def portal_pages(self) -> dict[str, str]:
        return {
            "home": reverse("portal:home"),
            "My Cases": reverse("portal:case_list"),
            "raise a case": reverse("portal:case_create"),
            "case page": reverse("portal:case_detail", args=[self.worked_case.number]),
            "notifications": reverse("comms:notification_list"),
        }

    def console_pages(self) -> dict[str, str]:
        return {
            "console index": reverse("admin:index"),
            "case list": reverse("admin:cases_case_changelist"),
            "triage queue": reverse("admin:cases_case_triage_queue"),
            "console case page": reverse("admin:cases_case_change", args=[self.worked_case.pk]),
            "new case page": reverse("admin:cases_case_change", args=[self.new_case.pk]),
            "triage page": reverse("admin:cases_case_triage", args=[self.new_case.pk]),
            # The incident is still open: the form warns and asks to confirm.
            "resolve form": reverse(
                "admin:cases_case_transition", args=[self.worked_case.pk, "resolve"]
            ),
            "awaiting update queue": reverse("admin:cases_case_update_queue"),
            "reopen queue": reverse("admin:cases_case_reopen_queue"),
            "incident list": reverse("admin:incidents_incident_changelist"),
            "incident page": reverse("admin:incidents_incident_change", args=[self.incident.pk]),
            "raise incident": reverse("admin:incidents_incident_add"),
            "incident details": reverse(
                "admin:incidents_incident_details", args=[self.incident.pk]
            ),
            "engage someone": reverse("admin:incidents_incident_engage", args=[self.incident.pk]),
        }


def seed_long_data(agent) -> LongData:
    """A participant of a long-named organisation with New cases waiting for triage and one
    case worked through an incident, with comments and an attachment with a long name."""
    parent = OrganisationFactory(name=f"{LONG_ORGANISATION} Group Holdings", party_id="NPYG")
    organisation = OrganisationFactory(name=LONG_ORGANISATION, parent=parent, party_id="NPYK")
    participant = UserFactory(
        email=LONG_EMAIL,
        full_name="Samantha Alexandra Montgomery-Fotheringham",
        organisation=organisation,
        roles=[roles.SERVICE_USER],
    )
    group = ResolverGroupFactory(name=LONG_GROUP, email="dip.technical.support@mhhs.example")
    description = (
        f"All our DIP messages are rejected with {LONG_TOKEN}.\n"
        f"See {LONG_URL} for the settlement run's report.\n" + "The adaptor logs " * 40
    )
    new_cases = [
        CaseFactory(
            caller=participant,
            short_description=_subject(n),
            description=description,
            market_participant_id="NPYK01",
            cra_market_role="supplier",
            related_url=LONG_URL,
            uploads=[text_upload(name=f"{LONG_TOKEN}_adaptor_error_log_{n}.log")],
        )
        for n in range(3)
    ]
    worked = CaseFactory(
        caller=participant,
        short_description=_subject(9),
        description=description,
        related_url=LONG_URL,
        uploads=[text_upload(name=f"{LONG_TOKEN}_adaptor_error_log.log")],
    )
    incident = case_raise_incident(
        case=worked, actor=agent, assignment_group=group, impact=2, urgency=2
    )
    case_comment_add(
        case=worked,
        actor=agent,
        body=f"We are looking at {LONG_TOKEN}; the details are at {LONG_URL}.",
    )
    case_comment_add(
        case=worked, actor=agent, body=f"Work note: checked {LONG_TOKEN}.", work_note=True
    )
    case_comment_add(case=worked, actor=participant, body=f"Still failing: {LONG_TOKEN}.")
    worked.refresh_from_db()
    case_transition(
        case=worked,
        actor=agent,
        name="hold",
        reason=worked.HoldReason.AWAITING_VENDOR,
        note=f"Waiting for the vendor about {LONG_TOKEN}.",
    )
    worked.refresh_from_db()
    # An update from the incident waits for the desk's review (the Awaiting update queue).
    case_update_propose(
        case=worked,
        incident=incident,
        kind=ProposedUpdate.Kind.UPDATE,
        text=f"The vendor has a fix for {LONG_TOKEN}; see {LONG_URL}.",
    )
    return LongData(
        participant=participant,
        organisation=organisation,
        new_case=new_cases[0],
        worked_case=worked,
        incident=incident,
    )
