"""Case: what a participant raises in the portal (§3.2), and its triage (§4.1)."""

from django.db import models

from comms.mpan import mpan_validator
from tickets.models import Ticket
from tickets.registry import LinkRule, TicketType


class Case(Ticket):
    """A participant's case. It stays with the desk, which owns all customer communication
    (Appendix G); triage re-routes it, makes it a service request or raises an incident."""

    NUMBER_PREFIX = "CS"

    class TriageOutcome(models.TextChoices):
        REROUTED = "rerouted", "Re-routed to another desk"
        REQUEST = "request", "Service request"
        INCIDENT = "incident", "Incident"

    class RequestType(models.TextChoices):
        """Service-request types of §7.2."""

        STANDARD = "standard", "Standard"
        COMPLEX = "complex", "Complex"
        HIGH_PRIORITY = "high_priority", "High Priority"
        CUSTOM = "custom", "Custom"

    class Channel(models.TextChoices):
        PORTAL = "portal", "Portal"
        API = "api", "API"
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"

    # §3.2 portal fields (organisation, category, subject and description live on Ticket).
    party_id = models.CharField("Party ID", max_length=20, blank=True)
    no_party_id = models.BooleanField("I do not have a party ID", default=False)
    unregistered_organisation_name = models.CharField(max_length=200, blank=True)
    market_participant_id = models.CharField("Market Participant ID", max_length=20, blank=True)
    cra_market_role = models.CharField("CRA market role", max_length=30, blank=True)
    related_url = models.URLField("URL of related page or document", max_length=500, blank=True)
    # §10.5.5: an MPAN is shared by putting it on the case, never in email; stored as digits.
    mpan = models.CharField(
        "MPAN",
        max_length=21,
        blank=True,
        validators=[mpan_validator],
        help_text="The 13-digit MPAN core or the 21-digit full MPAN, if the case concerns one.",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    # The running triage clock's deadline (§4.1: 15 minutes from raising), kept by the SLA
    # engine (`sla_deadline_fields`) so the triage queue reads only the rows it shows.
    triage_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The case as a ticket type (tickets.registry): participants see it and reply to its
    # emails (§10.2, §10.4); SLA definitions may match its channel and triage (§4.1, §7.2).
    TICKET_TYPE = TicketType(
        participants_may_see=True,
        sla_fields=("channel", "triage_outcome", "request_type"),
        sla_choices={"channel": Channel.choices, "request_type": RequestType.choices},
        sla_deadline_fields={"triage": "triage_due_at"},
        notifications={
            "created": "comms.notifications.case_raised",
            "transitioned": "comms.notifications.case_status_changed",
            "commented": "comms.notifications.case_comment_added",
        },
        api_slug="cases",
        api_scope_label="Cases, their comments, attachments and SLA clocks",
        api="cases.api.CASE_API",
        portal_url="portal:case_detail",
        link_rules=(
            # §5.5 steps 14–15: the incident resolved resolves the cases being worked on it.
            LinkRule(
                kind="case_incident",
                source="incidents.incident",
                target="cases.case",
                on_states=("resolved",),
                target_states=("in_progress",),
                run="cases.services.case_resolve_with_incident",
            ),
        ),
        comment="cases.services.case_participant_comment",
        follow_up="cases.follow_up.case_follow_up_from_reply",
    )

    # Triage (§4.1).
    triage_outcome = models.CharField(max_length=10, choices=TriageOutcome.choices, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rerouted_to = models.ForeignKey(
        "accounts.ServiceDesk",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    request_type = models.CharField(max_length=15, choices=RequestType.choices, blank=True)

    class Meta(Ticket.Meta):
        permissions = [
            ("view_all_case", "Can see every organisation's cases"),
            ("work_group_case", "Can see cases assigned to own resolver groups"),
            ("triage_case", "Can triage cases"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(no_party_id=True) & ~models.Q(party_id="")),
                name="case_party_id_or_none",
                violation_error_message="Give a Party ID or tick “I do not have a party ID”, not both.",
            ),
            models.CheckConstraint(
                condition=models.Q(triage_outcome="request") | models.Q(request_type=""),
                name="case_request_type_only_for_requests",
            ),
        ]
        indexes = [
            # Serves the triage counts: WHERE state='new' AND opened_at < ….
            models.Index(fields=["state", "opened_at"], name="case_state_opened"),
            # Serves the triage queue (§4.1): New cases by triage deadline, then by age.
            models.Index(
                fields=["triage_due_at", "opened_at", "id"],
                name="case_triage_queue",
                condition=models.Q(state="new"),
            ),
            # Serves My Cases: organisation scope ordered by newest.
            models.Index(fields=["organisation", "-opened_at"], name="case_org_opened"),
            # Serves every visible-cases list newest first, and its capped count, from the index
            # alone: the visibility filter (organisation IN …, or the caller) is checked on the
            # index entries, so only the rows shown are read from the table (issue 9).
            models.Index(
                fields=["-opened_at", "-id", "organisation", "caller"],
                name="case_visible_newest",
            ),
        ]

    @property
    def is_service_request(self) -> bool:
        return self.triage_outcome == self.TriageOutcome.REQUEST
