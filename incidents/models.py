"""Incident: the technical teams' record, raised from a case at triage or by staff directly
(§5, Appendix G), with its assignment history, the people engaged and its incident report."""

from dataclasses import replace

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tickets.lifecycle import DEFAULT_LIFECYCLE
from tickets.models import Service, Subcategory, Ticket
from tickets.registry import TicketType

# §5.5 steps 13–16: an incident is resolved with its resolution notes and a close code, which
# the incident report then reviews; the shared lifecycle leaves the code optional.
_RESOLVE = DEFAULT_LIFECYCLE.action("resolve")
INCIDENT_LIFECYCLE = DEFAULT_LIFECYCLE.with_actions(
    replace(
        _RESOLVE,
        arguments=(
            _RESOLVE.arguments[0],
            replace(
                _RESOLVE.arguments[1],
                required=True,
                missing="Choose a resolution code before resolving.",
                field_message="Choose a resolution code from the list.",
                help_text="How it was resolved.",
            ),
        ),
        api_input="incidents.api.IncidentResolveInputSerializer",
        api_summary="Resolve with resolution notes and a close code (§5.5 steps 13–15).",
    )
)


class Incident(Ticket):
    """An unplanned interruption worked by resolver groups; participants never see it
    directly — the desk tells them through the case (Appendix G)."""

    NUMBER_PREFIX = "INC"

    # Staff only (Appendix G); the resolver group hears of a new incident (§5.17) and nobody
    # is emailed on its transitions: the desk tells callers through their cases.
    TICKET_TYPE = TicketType(
        participants_may_see=False,
        lifecycle=INCIDENT_LIFECYCLE,
        notifications={"created": "comms.notifications.incident_assigned"},
        api_slug="incidents",
        api_scope_label="Incidents, their work notes and SLA clocks",
        api="incidents.api.INCIDENT_API",
        api_actions=("start", "hold", "resume", "resolve", "cancel"),
    )

    class DetectionMethod(models.TextChoices):
        """How the incident came to light (§5.7 logging; §13 monitoring alerts)."""

        PORTAL_CASE = "portal_case", "Case raised in the portal"
        PHONE = "phone", "Phone call to the desk"
        EMAIL = "email", "Email to the desk"
        MONITORING = "monitoring", "Monitoring alert"
        STAFF = "staff", "Noticed by staff"
        EXTERNAL_PARTY = "external_party", "Reported by another service desk or provider"

    class Severity(models.IntegerChoices):
        """The initial severity assessment of §5.7, before impact and urgency are worked out."""

        CRITICAL = 1, "Critical"
        HIGH = 2, "High"
        MEDIUM = 3, "Medium"
        LOW = 4, "Low"

    subcategory = models.ForeignKey(
        Subcategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The §5.7 logging fields.
    detected_at = models.DateTimeField(
        "Detected at", null=True, blank=True, help_text="When the failure was first detected."
    )
    detection_method = models.CharField(
        "How detected", max_length=20, choices=DetectionMethod.choices, blank=True
    )
    services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="incidents",
        verbose_name="Systems affected",
        help_text="The services (configuration items) of §3.5–3.6 affected.",
    )
    symptoms = models.TextField("Observed symptoms", blank=True)
    initial_severity = models.PositiveSmallIntegerField(
        "Initial severity", choices=Severity.choices, null=True, blank=True
    )
    suspected_cyber = models.BooleanField(
        "Suspected cyber incident",
        default=False,
        help_text="Raised by staff directly as a suspected cyber incident (§5.11 step 1).",
    )

    class Meta(Ticket.Meta):
        permissions = [
            ("view_all_incident", "Can see every incident"),
            ("work_group_incident", "Can see and work incidents assigned to own resolver groups"),
        ]
        indexes = [
            # Serves resolver queues: open incidents of a group by priority.
            models.Index(
                fields=["assignment_group", "state", "priority"], name="incident_group_state"
            ),
        ]


class IncidentEngagement(models.Model):
    """Someone brought in to work the incident (§5.5 step 7, §5.11 step 9, §5.17): a technical
    resolver, the product owner, or a service user's support team — a portal user or a named
    contact outside it. The war room lists them as "people engaged"."""

    class Role(models.TextChoices):
        TECHNICAL_RESOLVER = "technical_resolver", "Technical resolver"
        PRODUCT_OWNER = "product_owner", "Product owner"
        SERVICE_USER_SUPPORT = "service_user_support", "Service user support team"
        TRIAGE_LEAD = "triage_lead", "Triage lead"
        MAJOR_INCIDENT_MANAGER = "major_incident_manager", "Major Incident Manager"
        OTHER = "other", "Other"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="engagements")
    role = models.CharField(max_length=30, choices=Role.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A portal user; or leave empty and name the contact.",
    )
    contact_name = models.CharField(max_length=150, blank=True)
    contact_details = models.CharField(
        max_length=200, blank=True, help_text="Email or phone of a contact outside the portal."
    )
    note = models.CharField(max_length=300, blank=True)
    engaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    engaged_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["engaged_at", "id"]
        indexes = [models.Index(fields=["incident", "engaged_at"], name="engagement_incident")]
        constraints = [
            # Someone is engaged: a portal user, or a contact named outside the portal.
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | ~models.Q(contact_name=""),
                name="engagement_names_someone",
            )
        ]

    def __str__(self) -> str:
        who = self.person or self.contact_name
        return f"{self.get_role_display()}: {who}"


class IncidentAssignment(models.Model):
    """One step of the incident's way between resolver groups and people (§5.15, Appendix G:
    "Incidents can be passed to different resolver groups"): where it was, where it went, why
    and who moved it. The first row is the assignment it was raised with."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments")
    from_group = models.ForeignKey(
        "accounts.ResolverGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_group = models.ForeignKey(
        "accounts.ResolverGroup", on_delete=models.PROTECT, related_name="+"
    )
    to_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assigned_at", "id"]
        indexes = [
            # Serves the incident page's and the API's assignment history, oldest first.
            models.Index(fields=["incident", "assigned_at"], name="assignment_incident")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.from_group_id or '-'} → {self.to_group_id}"


class IncidentReport(models.Model):
    """The incident report of §5.5 step 16: after the resolution, a review of the fix that
    decides whether a problem record is needed (step 17). One per incident, written once it
    is Resolved or Closed and kept up to date; every version is kept."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="report")
    fix_summary = models.TextField("Summary of the fix")
    cause = models.TextField("Cause", blank=True, help_text="What caused it, as far as known.")
    problem_needed = models.BooleanField(
        "Problem record needed", help_text="Whether a problem record should be raised."
    )
    problem_reason = models.TextField(
        "Why", help_text="Why a problem record is, or is not, needed."
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Incident report of {self.incident_id}"
