"""The Change Advisory Board (§8.9) and the Emergency CAB (§9.4): meetings, who sits on them,
the decisions recorded there, and the actions the minutes give owners.

A weekly CAB meets every Tuesday at 12:00 Europe/London (§8.9.8); a beat task creates the
next one ahead (`changes.services.cab.cab_meeting_schedule_next`). An ECAB is convened as
required, often from a major incident (§9.4.4). The agenda is not stored: it is worked out
from the changes, review items and catalogue proposals (`changes.cab_selectors.cab_agenda`),
so it is always the data's own.

    Planned → Closed   (the chair records outcome and minutes, then closes it)
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

__all__ = ["CabAction", "CabAttendee", "CabDecision", "CabMeeting"]


def _minutes_recorded(meeting: "CabMeeting") -> bool:
    """§8.9.6: the next meeting opens with these minutes, so a meeting closes with them."""
    return bool(meeting.minutes.strip() and meeting.outcome.strip())


def may_chair(instance, user) -> bool:
    """The Change Manager chairs CAB and sits on the ECAB in hours; the Major Incident Manager
    runs the ECAB of a major incident (§8.9.5, §9.4.3)."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and (
            user.is_superuser
            or user.has_perm("changes.manage_change")
            or (
                instance.kind == CabMeeting.Kind.ECAB
                and user.has_perm("major_incidents.manage_majorincident")
            )
        )
    )


class CabMeeting(FSMModelMixin, models.Model):
    """One sitting of the CAB (§8.9) or of an Emergency CAB (§9.4)."""

    class Kind(models.TextChoices):
        CAB = "cab", "CAB"
        ECAB = "ecab", "Emergency CAB"

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        CLOSED = "closed", "Closed"

    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.CAB)
    meets_on = models.DateField("Meeting date", help_text="London date of the meeting.")
    starts_at = models.DateTimeField()
    state = FSMField(default=State.PLANNED, choices=State.choices, protected=True)
    reason = models.TextField(
        blank=True, help_text="Why an Emergency CAB is convened (§9.4.1); empty for the weekly CAB."
    )
    major_incident = models.ForeignKey(
        "major_incidents.MajorIncident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ecab_meetings",
        help_text="The major incident an Emergency CAB was convened for (§9.4.2).",
    )
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField(blank=True, help_text="What the meeting decided, in summary.")
    minutes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "CAB meeting"
        ordering = ["-starts_at", "-pk"]
        indexes = [
            # Serves the meeting lists and "the previous CAB": WHERE kind = ? ORDER BY starts_at.
            models.Index(fields=["kind", "starts_at"], name="cabmeeting_kind_starts"),
        ]
        constraints = [
            # The beat task is idempotent because there is one weekly CAB a day at most.
            models.UniqueConstraint(
                fields=["meets_on"],
                condition=models.Q(kind="cab"),
                name="cabmeeting_one_cab_a_day",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="ecab") | models.Q(major_incident__isnull=True),
                name="cabmeeting_major_incident_only_ecab",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.meets_on:%a %d %b %Y}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PLANNED

    @property
    def is_emergency(self) -> bool:
        return self.kind == self.Kind.ECAB

    @transition(
        field=state,
        source=State.PLANNED,
        target=State.CLOSED,
        conditions=[_minutes_recorded],
        permission=may_chair,
    )
    def close(self, *, by) -> None:
        """The chair closes the meeting once its outcome and minutes are recorded (§8.9.6)."""
        self.closed_at = timezone.now()
        self.closed_by = by


class CabAttendee(models.Model):
    """Who sat on a meeting (§8.9.7): permanent and ad-hoc members, and deputies nominated by
    a permanent member who could not attend."""

    class Membership(models.TextChoices):
        PERMANENT = "permanent", "Permanent member"
        AD_HOC = "ad_hoc", "Ad-hoc member"
        DEPUTY = "deputy", "Deputy"

    meeting = models.ForeignKey(CabMeeting, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    membership = models.CharField(max_length=10, choices=Membership.choices)
    deputy_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The permanent member this deputy attends for (§8.9.7).",
    )

    class Meta:
        ordering = ["meeting", "membership", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="cabattendee_once"),
            models.CheckConstraint(
                condition=(models.Q(membership="deputy") & models.Q(deputy_for__isnull=False))
                | (~models.Q(membership="deputy") & models.Q(deputy_for__isnull=True)),
                name="cabattendee_deputy_names_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_membership_display()})"


class CabDecision(models.Model):
    """A decision recorded in a meeting's workbench: the change's own approval row (§8.3
    Approval fields), tied to the meeting it was taken at."""

    meeting = models.ForeignKey(CabMeeting, on_delete=models.CASCADE, related_name="decisions")
    approval = models.OneToOneField(
        "changes.ChangeApproval", on_delete=models.CASCADE, related_name="cab_decision"
    )

    class Meta:
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.approval}"


class CabAction(models.Model):
    """An action from a meeting's minutes, with its owner and due date; open actions are
    reviewed at the start of the next CAB (§8.9.6)."""

    meeting = models.ForeignKey(CabMeeting, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            # Serves the agenda's open actions: WHERE done_at IS NULL ORDER BY due_on.
            models.Index(
                fields=["due_on"], name="cabaction_open", condition=models.Q(done_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description[:60]} ({self.owner}, due {self.due_on:%d %b %Y})"

    @property
    def is_open(self) -> bool:
        return self.done_at is None
