"""Case: what a participant raises in the portal (§3.2), and its triage (§4.1)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import transition

from accounts.models import Organisation
from comms.mpan import mpan_validator
from core.errors import TransitionNotAllowed
from tickets.lifecycle import DEFAULT_LIFECYCLE, Action, Argument
from tickets.models import Ticket, is_desk_member
from tickets.registry import LinkRule, TicketType

# §4.1 step 2: first-line triage "within 15 mins of raising case". The triage queue, the
# overdue check and what the portal tells a raiser about a New case all read it.
TRIAGE_TARGET = timedelta(minutes=15)


def reopen_requested(case, arguments) -> None:
    """Precondition of "reopen": a Closed case reopens only to answer a participant's pending
    request to reopen it (§10.3), decided in the console's reopen queue."""
    if not ReopenRequest.objects.filter(case=case, status=ReopenRequest.Status.PENDING).exists():
        raise TransitionNotAllowed(
            f"{case.number} has no request to reopen it; a Closed case reopens only from one."
        )


# The shared lifecycle (§5.12, §10.3) plus the desk reopening a Closed case at the
# participant's request (§10.3 "Reopening Process for Closed Tickets").
CASE_LIFECYCLE = DEFAULT_LIFECYCLE.with_actions(
    Action(
        "reopen",
        label="reopen",
        button="Reopen",
        slug="reopen",
        note=Argument("note", "Comment to the caller (optional)", rows=3),
        preconditions=(reopen_requested,),
    )
)


class Case(Ticket):
    """A participant's case. It stays with the desk, which owns all customer communication
    (Appendix G); triage re-routes it, makes it a service request or raises an incident."""

    NUMBER_PREFIX = "CS"

    class TriageOutcome(models.TextChoices):
        REROUTED = "rerouted", "Re-routed to another desk"
        REQUEST = "request", "Service request"
        INCIDENT = "incident", "Incident"
        PROBLEM = "problem", "Problem"
        CHANGE = "change", "Change"

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
    # One of the market roles organisations are registered with; a value stored before it was a
    # choice and matching none is kept, and shown as it was written.
    cra_market_role = models.CharField(
        "CRA market role", max_length=30, choices=Organisation.CraMarketRole.choices, blank=True
    )
    # §11.2.1, §14.2: the name of the person asking, which the raiser may give for someone else;
    # the raiser's own name when none is given (`case_create`).
    requested_by = models.CharField("Requested by", max_length=200, blank=True)
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
        lifecycle=CASE_LIFECYCLE,
        # Reopening a Closed case answers a request in the console's queue, never an API call.
        api_actions=DEFAULT_LIFECYCLE.names(),
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
            # §5.5 steps 14–15, §10.3, Appendix G: the incident's resolution becomes a proposed
            # update on each open case linked to it, which the desk checks, sends and resolves;
            # an update its resolvers write for the callers does the same.
            LinkRule(
                kind="case_incident",
                source="incidents.incident",
                target="cases.case",
                on_states=("resolved",),
                target_states=("in_progress", "on_hold"),
                run="cases.proposed_updates.case_update_propose_from_incident",
            ),
            LinkRule(
                kind="case_incident",
                source="incidents.incident",
                target="cases.case",
                on_states=(),
                on_comment=True,
                target_states=("in_progress", "on_hold"),
                run="cases.proposed_updates.case_update_propose_from_incident_comment",
            ),
            # §6.4 steps 7 and 9: a case linked to a problem at triage hears the problem's
            # customer-visible progress updates and its resolution, as the desk's comments.
            LinkRule(
                kind="case_problem",
                source="problems.problem",
                target="cases.case",
                on_states=(),
                on_comment=True,
                target_states=("in_progress", "on_hold"),
                run="cases.problem_updates.case_told_of_problem_update",
            ),
            LinkRule(
                kind="case_problem",
                source="problems.problem",
                target="cases.case",
                on_states=("resolved",),
                target_states=("in_progress", "on_hold"),
                run="cases.problem_updates.case_told_of_problem_resolution",
            ),
            # Reopened or cancelled, the incident withdraws the resolution it proposed.
            LinkRule(
                kind="case_incident",
                source="incidents.incident",
                target="cases.case",
                on_states=("in_progress", "cancelled"),
                run="cases.proposed_updates.case_update_withdraw_for_incident",
            ),
            # §4.1 step 3: a case assigned to Change Management hears whether its change was
            # made or will not go ahead.
            LinkRule(
                kind="case_change",
                source="changes.change",
                target="cases.case",
                on_states=("closed", "cancelled"),
                target_states=("in_progress", "on_hold"),
                run="cases.change_updates.case_told_of_change_outcome",
            ),
        ),
        comment="cases.services.case_participant_comment",
        reopen_request="cases.reopening.case_reopen_request_from_reply",
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
            # The same for My Cases sorted by last update, and by priority (P1 first, then the
            # newest; read backwards for the reverse): `cases.selectors.CASE_SORTS`.
            models.Index(
                fields=["-updated_at", "-id", "organisation", "caller"],
                name="case_visible_updated",
            ),
            models.Index(
                fields=["priority", "-opened_at", "-id", "organisation", "caller"],
                name="case_visible_priority",
            ),
        ]

    @property
    def is_service_request(self) -> bool:
        return self.triage_outcome == self.TriageOutcome.REQUEST

    @transition(
        field="state",
        source=Ticket.State.CLOSED,
        target=Ticket.State.IN_PROGRESS,
        permission=is_desk_member,
    )
    def reopen(self) -> None:
        """The desk reopens a Closed case the participant asked to reopen (§10.3); the
        resolution clock carries on from where it stopped, as after a rejected resolution."""
        self.reopen_count += 1
        self.resolved_at = None
        self.closed_at = None
        self.active = True


class ReopenRequest(models.Model):
    """A participant's words on a Closed case: a request to reopen it (§10.3). The desk
    either reopens the case or raises a new case linked to it, and the participant is told
    which (`cases.reopening`)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the desk"
        REOPENED = "reopened", "Case reopened"
        NEW_CASE_RAISED = "new_case_raised", "New case raised"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reopen_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    channel = models.CharField(
        max_length=10, choices=Case.Channel.choices, default=Case.Channel.PORTAL
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    resulting_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="reopen_origins"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per case: later words on the same Closed case join its journal.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="reopen_request_one_pending_per_case",
            ),
            models.CheckConstraint(
                condition=(models.Q(status="pending") & models.Q(decided_at__isnull=True))
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="reopen_request_decided_when_not_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(status="new_case_raised", resulting_case__isnull=False)
                | (~models.Q(status="new_case_raised") & models.Q(resulting_case__isnull=True)),
                name="reopen_request_new_case_names_it",
            ),
        ]
        indexes = [
            # Serves the console's reopen queue: pending requests, oldest first.
            models.Index(
                fields=["created_at", "id"],
                name="reopen_request_queue",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"Request to reopen {self.case.number} ({self.get_status_display()})"


class ProposedUpdate(models.Model):
    """An update for the caller that an incident proposes and the desk reviews (Appendix G).

    The technical teams' words never reach the caller directly: an incident's resolution, or
    an update its resolvers write for the callers, becomes a pending proposal on each linked
    open case. The desk edits it and sends it (a customer-visible comment, or the case's
    resolution notes when it resolves the case in the same action), or discards it; the
    incident's own text stays here, for the desk only (§10.3, Appendix G).
    """

    class Kind(models.TextChoices):
        UPDATE = "update", "Update"
        RESOLUTION = "resolution", "Resolution"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        SENT = "sent", "Sent to the caller"
        DISCARDED = "discarded", "Discarded"
        # The incident was reopened or cancelled before the desk sent its resolution.
        WITHDRAWN = "withdrawn", "Withdrawn"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="proposed_updates")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="proposed_updates"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    proposed_text = models.TextField()
    proposed_code = models.CharField("Proposed resolution code", max_length=40, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    sent_text = models.TextField(blank=True)
    resolved_case = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # An incident's resolution is proposed once per case until the desk decides: a
            # reopened incident withdraws it before it can be resolved again.
            models.UniqueConstraint(
                fields=["case", "incident"],
                condition=models.Q(status="pending", kind="resolution"),
                name="proposed_update_one_pending_resolution",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | (models.Q(decided_at__isnull=False)),
                name="proposed_update_decided_when_not_pending",
            ),
        ]
        indexes = [
            # Serves the "awaiting update" queue: pending proposals, oldest first.
            models.Index(
                fields=["created_at", "id"],
                name="proposed_update_queue",
                condition=models.Q(status="pending"),
            ),
            # Serves a case page's pending proposals: WHERE case_id=? AND status='pending'.
            models.Index(fields=["case", "status"], name="proposed_update_case"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} for {self.case_id} from {self.incident_id} ({self.status})"
        )


class CaseArticleLink(models.Model):
    """A knowledge article that met a case (§11.2.2): suggested to the raiser while they
    wrote its subject (self-help, kept for the deflection report) or attached by an agent to
    a reply to the caller (knowledge usage). Written by `cases.knowledge_links`."""

    class Kind(models.TextChoices):
        SUGGESTED = "suggested", "Suggested while raising the case"
        ATTACHED = "attached", "Attached to a reply"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="article_links")
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="case_links"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # For a suggestion: whether the raiser opened the article before raising the case anyway.
    opened = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "article", "kind"], name="case_article_link_once"
            )
        ]
        indexes = [models.Index(fields=["article", "kind"], name="case_article_link_kind")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind} on {self.case_id}"
