"""Major incident management (§5.6–5.24, Appendix E): candidates and their validity checks,
the major incident record and its war-room timeline, communications to the Major Incident
comms list, industry circulars, public updates, and post-incident reviews.

A major incident led by the desk wraps one `incidents.Incident` (the resolvers' record);
one led by another central service provider (§5.24) has no incident of its own and links the
desk's incidents and cases instead.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from comms.models import DistributionListMessage
from incidents.models import Incident
from tickets.models import Service, TicketRef


class MajorIncidentCandidate(models.Model):
    """An incident proposed as a major incident by any agent, with a reason (§5.5 step 3,
    §5.11 steps 3–6). The Major Incident Manager reviews the validity checks of §5.8 and
    accepts (promotes) or rejects it (back to normal incident management)."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Awaiting review"
        ACCEPTED = "accepted", "Promoted to major incident"
        REJECTED = "rejected", "Rejected — normal incident"

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="major_candidacies"
    )
    reason = models.TextField(help_text="Why this may be a major incident.")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # The §5.9 thresholds as evaluated from data when the decision was made, kept as evidence:
    # {"participants": {"met": true, "value": "3 of 20 organisations (15%)"}, ...}.
    thresholds = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        permissions = [("review_majorincidentcandidate", "Can review major-incident candidates")]
        constraints = [
            # One pending proposal per incident: a second agent adds to the same review.
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(state="proposed"),
                name="candidate_one_pending_per_incident",
            )
        ]
        indexes = [models.Index(fields=["state", "proposed_at"], name="candidate_state_time")]

    def __str__(self) -> str:
        return f"{self.incident.number} candidate ({self.get_state_display()})"


class ValidityCriterion(models.TextChoices):
    """The validity checks of §5.8, in the manual's order."""

    CRITICAL_PROCESS = "critical_process", "Critical process interruption"
    DATA_INTEGRITY = "data_integrity", "Major data integrity issues"
    PARTICIPANTS = "participants", "High number of participants affected"
    SPREAD = "spread", "Geographical or segment spread"
    REGULATORY_DEADLINE = "regulatory_deadline", "Risk to regulatory deadlines"
    NON_COMPLIANCE = "non_compliance", "Non-compliance risk"
    DOWNTIME = "downtime", "Significant system downtime"
    DEGRADATION = "degradation", "Severe performance degradation"
    EXTENDED_RESOLUTION = "extended_resolution", "Extended resolution time expected"
    COMPLEX_RECOVERY = "complex_recovery", "Complex recovery requirements"
    DATA_SECURITY = "data_security", "Data security threat"
    CYBERATTACK = "cyberattack", "Cyberattack or threat detected"


class CriterionAssessment(models.Model):
    """One §5.8 validity check recorded on a candidate: met or not, with the evidence."""

    candidate = models.ForeignKey(
        MajorIncidentCandidate, on_delete=models.CASCADE, related_name="assessments"
    )
    criterion = models.CharField(max_length=30, choices=ValidityCriterion.choices)
    met = models.BooleanField()
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "criterion"], name="assessment_one_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_criterion_display()}: {'yes' if self.met else 'no'}"


class MajorIncident(models.Model):
    """A major incident (§5.6, §5.11), from promotion to closure: who runs it, the bridge,
    the services it affects and how, and when the next communication is due (§5.19.1)."""

    NUMBER_PREFIX = "MI"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    class PublicStatus(models.TextChoices):
        """What the public status page says about progress (Appendix G "BSC Website Update")."""

        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Cause identified"
        MONITORING = "monitoring", "Fix applied — monitoring"
        RESOLVED = "resolved", "Resolved"

    number = models.CharField(max_length=20, unique=True, editable=False)
    incident = models.OneToOneField(
        Incident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="major_incident",
        help_text="The desk's own incident; empty for one led by another provider (§5.24).",
    )
    # §5.24: led by another central service provider (the switching service, the DCC…).
    led_by_other_provider = models.BooleanField(default=False)
    lead_provider = models.CharField(
        max_length=150, blank=True, help_text="The central service provider leading (§5.24)."
    )
    external_reference = models.CharField(
        max_length=100, blank=True, help_text="The lead provider's own reference."
    )
    title = models.CharField(max_length=160, help_text="Internal title.")
    public_title = models.CharField(
        max_length=160, help_text="Written for the public: shown on the status page."
    )
    public_summary = models.TextField(
        blank=True, help_text="Business and impact language for the public (Appendix G)."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    public_status = models.CharField(
        max_length=15, choices=PublicStatus.choices, default=PublicStatus.INVESTIGATING
    )
    candidate = models.OneToOneField(
        MajorIncidentCandidate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="major_incident",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Major Incident Manager",
    )
    triage_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bridge_details = models.TextField(
        blank=True, help_text="Conference bridge: link, dial-in and PIN (§5.11 step 9)."
    )
    started_at = models.DateTimeField(
        default=timezone.now, help_text="When the service impact began (or was detected)."
    )
    promoted_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # §5.19.1: the initial notification within 15 minutes, then updates every 30–60 minutes.
    update_interval_minutes = models.PositiveSmallIntegerField(default=60)
    next_comms_due_at = models.DateTimeField(null=True, blank=True)
    # The due time a reminder / a lateness alert was last sent for (sent once per due time).
    reminded_for_due_at = models.DateTimeField(null=True, blank=True)
    late_alerted_for_due_at = models.DateTimeField(null=True, blank=True)
    affected_services = models.ManyToManyField(
        Service, through="ServiceImpact", related_name="major_incidents", blank=True
    )
    # The desk's incidents and cases linked to one led by another provider (§5.24) use the
    # kernel's TicketLink from the incident / case to this record's incident (none) — so they
    # are held here instead.
    linked_incidents = models.ManyToManyField(
        Incident, blank=True, related_name="relayed_major_incidents"
    )

    class Meta:
        ordering = ["-promoted_at", "-id"]
        permissions = [("manage_majorincident", "Can run major incidents and send their comms")]
        indexes = [
            models.Index(fields=["state", "next_comms_due_at"], name="mi_state_comms_due"),
            models.Index(fields=["-promoted_at"], name="mi_promoted"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class ServiceImpact(models.Model):
    """How a major incident affects one service, as the status page shows it."""

    class Status(models.TextChoices):
        OPERATIONAL = "operational", "Operational"
        DEGRADED = "degraded", "Degraded performance"
        PARTIAL_OUTAGE = "partial_outage", "Partial outage"
        MAJOR_OUTAGE = "major_outage", "Major outage"

    # Worst first: the service's status is the worst of its active impacts.
    SEVERITY = {
        Status.MAJOR_OUTAGE: 3,
        Status.PARTIAL_OUTAGE: 2,
        Status.DEGRADED: 1,
        Status.OPERATIONAL: 0,
    }

    major_incident = models.ForeignKey(
        MajorIncident, on_delete=models.CASCADE, related_name="service_impacts"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="impacts")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.DEGRADED)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["service__sort_order", "service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["major_incident", "service"], name="impact_one_per_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.get_status_display()}"


class TimelineEntry(models.Model):
    """One event of a major incident that is not already in its incident's journal:
    promotion, bridge opened, people engaged, comms sent, circulars, relayed updates (§5.24),
    service status changes. The war room merges these with the incident's journal."""

    class Kind(models.TextChoices):
        PROMOTED = "promoted", "Promoted"
        STATE = "state", "State change"
        COMMS = "comms", "Communication sent"
        CIRCULAR = "circular", "Industry circular"
        PUBLIC_UPDATE = "public_update", "Status page update"
        ENGAGEMENT = "engagement", "Engagement"
        BRIDGE = "bridge", "Bridge"
        RELAYED = "relayed", "Update relayed from the lead provider"
        SERVICE_STATUS = "service_status", "Service status"
        ACTION = "action", "Action"
        NOTE = "note", "Note"

    major_incident = models.ForeignKey(
        MajorIncident, on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["major_incident", "created_at"], name="timeline_mi_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.body[:60]}"


class CommsMessage(models.Model):
    """A communication of §5.17–5.18 sent from the war room to the Major Incident comms list
    (§5.19): the list message it went out as is the delivery record."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial notification"
        UPDATE = "update", "Update"
        ESCALATION = "escalation", "Escalation notification"
        RESOLUTION = "resolution", "Resolution notification"
        RECOVERY = "recovery", "Recovery confirmation"
        RELAYED = "relayed", "Relayed from the lead provider"

    major_incident = models.ForeignKey(
        MajorIncident, on_delete=models.CASCADE, related_name="comms"
    )
    kind = models.CharField(max_length=15, choices=Kind.choices)
    subject = models.CharField(max_length=150)
    body = models.TextField()
    list_message = models.OneToOneField(
        DistributionListMessage, null=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["major_incident", "sent_at"], name="comms_mi_time")]

    def __str__(self) -> str:
        return self.subject


class PublicUpdate(models.Model):
    """An update on the public status page and its Atom feed. Written for the public; nothing
    from work notes or case descriptions is copied here by the portal."""

    major_incident = models.ForeignKey(
        MajorIncident, on_delete=models.CASCADE, related_name="public_updates"
    )
    status = models.CharField(max_length=15, choices=MajorIncident.PublicStatus.choices)
    body = models.TextField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["-published_at"], name="public_update_time")]

    def __str__(self) -> str:
        return f"{self.major_incident.number} {self.get_status_display()}"


class IndustryCircular(models.Model):
    """An industry circular (§5.20, Appendix G): numbered when published, drafted and
    published from the war room, listed publicly."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    number = models.CharField(max_length=20, unique=True, null=True, blank=True, editable=False)
    major_incident = models.ForeignKey(
        MajorIncident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="circulars",
    )
    title = models.CharField(max_length=160)
    body = models.TextField()
    services = models.ManyToManyField(Service, blank=True, related_name="circulars")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-drafted_at", "-id"]
        permissions = [("publish_industrycircular", "Can publish industry circulars")]
        indexes = [models.Index(fields=["state", "-published_at"], name="circular_published")]

    def __str__(self) -> str:
        return f"{self.number or 'Draft'} {self.title}"


class PostIncidentReview(models.Model):
    """The post major incident review of §5.23 with the fields of Appendix E, created when the
    major incident is resolved; its milestones run from the resolution instant."""

    class State(models.TextChoices):
        DRAFT = "draft", "In progress"
        SIGNED_OFF = "signed_off", "Signed off"

    major_incident = models.OneToOneField(
        MajorIncident, on_delete=models.PROTECT, related_name="review"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    # Appendix E: Incident Details.
    incident_title = models.CharField(max_length=160)
    incident_ref = models.CharField(max_length=40)
    incident_report_ref = models.CharField(max_length=40, blank=True)
    services = models.ManyToManyField(
        Service, blank=True, related_name="reviews", verbose_name="Services affected"
    )
    service_impacted_at = models.DateTimeField("Date/time service impacted", null=True)
    service_restored_at = models.DateTimeField("Date/time service restored", null=True)
    major_incident_managers = models.CharField("Major Incident Manager(s)", max_length=300)
    # Appendix E: the free-text sections.
    incident_description = models.TextField(blank=True)
    business_impact = models.TextField(blank=True)
    summary_and_actions = models.TextField("Incident summary & actions performed", blank=True)
    incident_resolution = models.TextField(blank=True)
    affected_services_notes = models.TextField("Affected services", blank=True)
    affected_users = models.TextField(
        blank=True, help_text="An estimate of the number and groups of users impacted."
    )
    root_cause = models.TextField(
        blank=True, help_text="If not yet known, the current status of the investigation."
    )
    process_review = models.TextField(blank=True)
    additional_notes = models.TextField(blank=True)
    # The resolution instant the §5.23 milestones are counted from.
    resolved_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    distributed_at = models.DateTimeField(null=True, blank=True)
    # The incident's resolution was rejected after the review opened (§10.3): the review is
    # kept and its milestones move to the next resolution instant.
    reopened_at = models.DateTimeField(null=True, blank=True)
    # The war-room and journal entries up to this instant are on the timeline already; a
    # re-resolution adds only what came after.
    prefilled_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-resolved_at", "-id"]
        permissions = [("signoff_postincidentreview", "Can sign off post-incident reviews")]

    def __str__(self) -> str:
        return f"PIR {self.incident_ref}"


class ReviewTimelineRow(models.Model):
    """Appendix E "Major Activities and Timeline of Events": date & time, event, comments —
    pre-filled from the war room, then edited by the reviewers."""

    review = models.ForeignKey(
        PostIncidentReview, on_delete=models.CASCADE, related_name="timeline_rows"
    )
    occurred_at = models.DateTimeField()
    event = models.CharField(max_length=300)
    comments = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.event


class ReviewMilestone(models.Model):
    """One timed step of §5.23, due a number of real hours after the resolution."""

    review = models.ForeignKey(
        PostIncidentReview, on_delete=models.CASCADE, related_name="milestones"
    )
    code = models.CharField(max_length=30)
    title = models.CharField(max_length=120)
    hours_after_resolution = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Set when the step was skipped on purpose rather than done (completed_at records when).
    skip_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "code"], name="milestone_one_per_code")
        ]
        indexes = [models.Index(fields=["completed_at", "due_at"], name="milestone_open_due")]

    def __str__(self) -> str:
        return self.title


class ReviewAction(models.Model):
    """A follow-up action of Appendix E: owner, action, due — tracked to done."""

    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="actions")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.TextField()
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "due_on", "id"]
        indexes = [models.Index(fields=["owner", "done_at"], name="review_action_owner")]

    def __str__(self) -> str:
        return self.action[:60]


class LinkedTicket(TicketRef):
    """One of the desk's own tickets — a case, or any other type but incidents, which are in
    `MajorIncident.linked_incidents` — linked to a major incident led by another central
    service provider (§5.24). A generic reference, so this app never imports the cases app
    above it."""

    major_incident = models.ForeignKey(
        MajorIncident, on_delete=models.CASCADE, related_name="linked_tickets"
    )
    number = models.CharField(max_length=20, help_text="The ticket's number when it was linked.")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["major_incident", "ticket_type", "ticket_id"],
                name="linked_ticket_once",
            )
        ]
        indexes = [
            # Serves "which major incidents is this ticket linked to": WHERE ticket_type=? AND
            # ticket_id=?.
            models.Index(fields=["ticket_type", "ticket_id"], name="linked_ticket_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.number} → {self.major_incident_id}"
