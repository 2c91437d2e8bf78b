"""Reads for the CAB (§8.9) and the Emergency CAB (§9.4): meeting lists, the agenda in the
manual's order (§8.9.6), and the workbench's change with its plans, risk, conflicts and
history. Staff who decide on changes only (`may_see_cab`); pages, API and admin call these."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet

from core.dates import uk_datetime
from core.errors import TicketNotFound
from tickets.models import JournalEntry

from .conflicts import Conflict, change_conflicts_for
from .models import Change, ChangeApproval, ChangeReviewItem, StandardChangeTemplate
from .models_cab import CabAction, CabAttendee, CabDecision, CabMeeting
from .risk import ChangeType

ONE_WEEK = timedelta(days=7)
# §8.9.6 "changes that are expected to be raised soon": drafts planned within four weeks.
EXPECTED_HORIZON = timedelta(days=28)
_CHANGE_FIELDS = (
    "id",
    "number",
    "short_description",
    "state",
    "change_type",
    "risk",
    "impact",
    "priority",
    "planned_start",
    "planned_end",
    "cab_date",
    "submitted_at",
    "is_late",
    "closure_code",
)


def may_see_cab(user) -> bool:
    """CAB members, the Change Manager and the Major Incident Manager (§8.9.7, §9.4.3)."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and (
            user.is_superuser
            or user.has_perm("changes.approve_change")
            or user.has_perm("changes.manage_change")
            or user.has_perm("major_incidents.manage_majorincident")
        )
    )


def cab_meeting_list_for(*, user, kind: str = "", state: str = "", search: str = "") -> QuerySet:
    """Meetings newest first, with their decision and open-action counts (one query)."""
    if not may_see_cab(user):
        return CabMeeting.objects.none()
    meetings = CabMeeting.objects.select_related("major_incident").annotate(
        decision_count=Count("decisions", distinct=True),
        open_action_count=Count("actions", filter=Q(actions__done_at__isnull=True), distinct=True),
    )
    if kind:
        meetings = meetings.filter(kind=kind)
    if state:
        meetings = meetings.filter(state=state)
    if search:
        meetings = meetings.filter(
            Q(reason__icontains=search)
            | Q(minutes__icontains=search)
            | Q(outcome__icontains=search)
            | Q(major_incident__number__iexact=search)
        )
    return meetings.order_by("-starts_at", "-pk")


def cab_meeting_get_for(*, user, pk) -> CabMeeting:
    """One meeting, or the "no such meeting" of someone who may not see the CAB."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    meeting = (
        CabMeeting.objects.select_related("major_incident", "closed_by", "convened_by")
        .filter(pk=pk)
        .first()
        if pk and may_see_cab(user)
        else None
    )
    if meeting is None:
        raise TicketNotFound("There is no such CAB meeting.")
    return meeting


def major_incident_for_ecab(number: str):
    """The major incident an Emergency CAB is convened for (§9.4.2), by its number, or None."""
    from major_incidents.models import MajorIncident

    return MajorIncident.objects.filter(number=number).first()


def previous_meeting(meeting: CabMeeting) -> CabMeeting | None:
    """The last meeting of the same kind before this one (§8.9.6 "previous meeting")."""
    return (
        CabMeeting.objects.filter(kind=meeting.kind, starts_at__lt=meeting.starts_at)
        .order_by("-starts_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class AgendaItem:
    line: str
    obj: object = None


@dataclass
class AgendaSection:
    key: str
    title: str
    hint: str
    items: list[AgendaItem] = field(default_factory=list)
    empty: str = "Nothing for this item."


@dataclass
class Agenda:
    meeting: CabMeeting
    previous: CabMeeting | None
    sections: list[AgendaSection]

    def section(self, key: str) -> AgendaSection:
        return next(section for section in self.sections if section.key == key)


def _changes() -> QuerySet:
    return Change.objects.only(*_CHANGE_FIELDS).order_by("planned_start", "pk")


def _change_line(change: Change) -> str:
    parts = [f"{change.number} {change.short_description}"]
    if change.risk:
        parts.append(f"risk {change.get_risk_display()}")
    if change.impact:
        parts.append(f"impact {change.get_impact_display()}")
    if change.planned_start:
        parts.append(f"planned {uk_datetime(change.planned_start)} UK time")
    if change.is_late:
        parts.append("late (§8.7)")
    return " — ".join(parts)


def awaiting_decision(meeting: CabMeeting) -> QuerySet:
    """The changes this meeting decides (§8.9.6 "New Change Proposals", §9.4): for the weekly
    CAB, Normal changes needing CAB whose CAB is this one (or an earlier one that did not
    decide yet); for an ECAB, Emergency changes awaiting authorisation."""
    if meeting.is_emergency:
        return _changes().filter(change_type=ChangeType.EMERGENCY, state=Change.State.AUTHORISE)
    return _changes().filter(
        Q(cab_date=meeting.meets_on, state__in=[Change.State.ASSESS, Change.State.AUTHORISE])
        | Q(cab_date__lt=meeting.meets_on, state=Change.State.AUTHORISE),
        change_type=ChangeType.NORMAL,
        cab_required=True,
    )


def cab_agenda(meeting: CabMeeting) -> Agenda:
    """The agenda in the order of §8.9.6, from the data (a fixed number of queries). An ECAB's
    agenda is its reason and the emergency changes awaiting authorisation (§9.4.1)."""
    previous = previous_meeting(meeting)
    start = meeting.starts_at
    if meeting.is_emergency:
        sections = [
            AgendaSection(
                "emergency",
                "Emergency changes to authorise",
                "§9.4.1: assess the impact on other systems, security and continuity.",
                [AgendaItem(_change_line(c), c) for c in awaiting_decision(meeting)],
                "No Emergency change awaits authorisation: raise it, then assess it.",
            )
        ]
        return Agenda(meeting, previous, sections)
    since = previous.starts_at if previous else start - ONE_WEEK
    actions = (
        CabAction.objects.filter(done_at__isnull=True, meeting__starts_at__lt=start)
        .select_related("owner", "meeting")
        .order_by("due_on", "pk")
    )
    review = (
        [
            AgendaItem(
                f"Minutes of the {previous}: {previous.outcome or 'no outcome recorded'}", previous
            )
        ]
        if previous
        else []
    )
    review += [
        AgendaItem(f"Action: {a.description} — {a.owner}, due {a.due_on:%d %b %Y}", a)
        for a in actions
    ]
    soon = (
        _changes()
        .filter(
            Q(
                state=Change.State.NEW,
                planned_start__gte=start,
                planned_start__lt=start + EXPECTED_HORIZON,
            )
            | Q(
                cab_date__gt=meeting.meets_on,
                state__in=[Change.State.ASSESS, Change.State.AUTHORISE],
            ),
        )
        .filter(change_type=ChangeType.NORMAL)
    )
    emergency = (
        _changes()
        .filter(change_type=ChangeType.EMERGENCY, opened_at__gte=since, opened_at__lt=start)
        .order_by("opened_at", "pk")
    )
    pir = (
        ChangeReviewItem.objects.filter(reviewed_at__isnull=True, opened_at__lt=start)
        .select_related("change")
        .only("id", "closure_code", "opened_at", "change__number", "change__short_description")
    )
    proposed = StandardChangeTemplate.objects.filter(
        state=StandardChangeTemplate.State.PROPOSED
    ).order_by("proposed_at", "pk")
    sections = [
        AgendaSection(
            "previous",
            "Previous minutes and actions",
            "Review of the previous meeting's minutes and any action items.",
            review,
            "This is the first CAB: there are no previous minutes or actions.",
        ),
        AgendaSection(
            "proposals",
            "New change proposals",
            "Scope, risk assessment, impact analysis and testing; high-priority changes first.",
            [
                AgendaItem(_change_line(c), c)
                for c in sorted(awaiting_decision(meeting), key=lambda c: (c.priority or 9, c.pk))
            ],
            "No change was submitted for this CAB: changes are submitted by COB Tuesday (§8.7).",
        ),
        AgendaSection(
            "scheduled",
            "Changes scheduled for the coming week",
            "Scheduled changes and their timelines due in the coming week.",
            [
                AgendaItem(_change_line(c), c)
                for c in _changes().filter(
                    state=Change.State.SCHEDULED,
                    planned_start__gte=start,
                    planned_start__lt=start + ONE_WEEK,
                )
            ],
            "Nothing is scheduled in the coming week.",
        ),
        AgendaSection(
            "expected",
            "Changes expected soon",
            "Significant changes expected to be raised or submitted soon.",
            [AgendaItem(_change_line(c), c) for c in soon],
            "No change is expected in the next four weeks.",
        ),
        AgendaSection(
            "emergency",
            "Emergency changes since the last CAB",
            "Unplanned and emergency changes and their impact.",
            [AgendaItem(_change_line(c), c) for c in emergency],
            "No emergency change since the last CAB.",
        ),
        AgendaSection(
            "review",
            "Recent changes not closed Successful or Cancelled",
            "Outcomes, lessons learned and adjustments (post-implementation review, §8.9.9).",
            [
                AgendaItem(
                    f"{item.change.number} {item.change.short_description} — "
                    f"{item.get_closure_code_display()}",
                    item,
                )
                for item in pir
            ],
            "No post-implementation review is waiting.",
        ),
        AgendaSection(
            "standard",
            "Proposed Standard changes",
            "Acceptance of new proposed Standard changes (§8.1.2).",
            [AgendaItem(f"{t.name} — {t.short_description}", t) for t in proposed],
            "No Standard change is proposed for the catalogue.",
        ),
    ]
    return Agenda(meeting, previous, sections)


@dataclass
class Workbench:
    meeting: CabMeeting
    queue: list[Change]
    current: Change | None
    conflicts: list[Conflict]
    journal: list[JournalEntry]
    decided_ids: set[int]


def cab_workbench(*, meeting: CabMeeting, number: str = "") -> Workbench:
    """One change at a time for the meeting (§8.9.5): the queue of changes to decide, the chosen
    one (or the first) with its plans, risk, services, approvals, conflicts and history. The
    number of queries does not depend on how many changes there are."""
    queue = list(awaiting_decision(meeting))
    decided = CabDecision.objects.filter(meeting=meeting).select_related("approval")
    decided_changes = [d.approval.change_id for d in decided]
    # Changes decided here leave the queue (they left Authorise); keep them listed as decided.
    if decided_changes:
        queue += list(
            _changes().filter(pk__in=decided_changes).exclude(pk__in=[c.pk for c in queue])
        )
    chosen = next((c for c in queue if c.number == number), None) if number else None
    if chosen is None:
        chosen = next(
            (c for c in queue if c.pk not in decided_changes), queue[0] if queue else None
        )
    if chosen is None:
        return Workbench(meeting, [], None, [], [], set())
    current = (
        Change.objects.select_related("category", "requested_by", "assigned_to", "template")
        .prefetch_related(
            "services",
            Prefetch(
                "approvals",
                queryset=ChangeApproval.objects.select_related("approver").order_by("at", "pk"),
            ),
        )
        .get(pk=chosen.pk)
    )
    journal = list(
        JournalEntry.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Change), ticket_id=current.pk
        )
        .select_related("author")
        .order_by("-created_at", "-pk")[:20]
    )
    return Workbench(
        meeting,
        queue,
        current,
        change_conflicts_for(current) if current else [],
        journal,
        set(decided_changes),
    )


def cab_attendees(meeting: CabMeeting) -> list[CabAttendee]:
    return list(meeting.attendees.select_related("user", "deputy_for"))


def cab_actions(meeting: CabMeeting) -> list[CabAction]:
    return list(meeting.actions.select_related("owner", "done_by"))


def cab_decisions(meeting: CabMeeting) -> list[CabDecision]:
    return list(
        meeting.decisions.select_related("approval__change", "approval__approver").order_by(
            "approval__at", "pk"
        )
    )


def cab_action_get(*, meeting: CabMeeting, pk) -> CabAction | None:
    """One action of the meeting, or None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return CabAction.objects.filter(meeting=meeting, pk=pk).first()
