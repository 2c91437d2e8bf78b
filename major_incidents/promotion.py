"""Promotion of an incident to a major incident: the candidate any agent proposes (§5.5 step 3,
§5.11 step 3), the Major Incident Manager's review against the validity checks of §5.8 and the
thresholds of §5.9 (§5.10, §5.11 steps 5–6), and acceptance (§5.11 step 7: P1, the Major
Incident Manager and triage lead assigned, §5.7) or rejection back to normal incident management.
A suspected cyber incident is raised by the desk directly and proposed at once (§5.11 step 1).

`thresholds_for` is pure: it judges the §5.9 thresholds from `PromotionFacts` (read once by
`promotion_facts`) and the reviewer's answers, so the review page, the API and the stored
snapshot (`MajorIncidentCandidate.thresholds`) agree.
"""

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Organisation
from comms import notifications
from core.dates import uk_datetime
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident, IncidentEngagement
from incidents.services import incident_classify, incident_create
from sla.models import SLADefinition, TicketSLA
from sla.selectors import format_working_time
from tickets.limits import COMMENT_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Category, JournalEntry, Service, TicketLink
from tickets.priority import Impact, Urgency
from tickets.selectors import visible_tickets
from tickets.services import journal_entry_add, ticket_changes_recorded

from .models import (
    CriterionAssessment,
    MajorIncident,
    MajorIncidentCandidate,
    ServiceImpact,
    TimelineEntry,
    ValidityCriterion,
)
from .records import major_incident_open, timeline_add

PROPOSE_PERMISSION = "major_incidents.add_majorincidentcandidate"
REVIEW_PERMISSION = "major_incidents.review_majorincidentcandidate"
MANAGE_PERMISSION = "major_incidents.manage_majorincident"
EVIDENCE_MAX_CHARS = 5_000

Criterion = ValidityCriterion

# §5.8 "Validity Checks": each criterion under the manual's "Type", with its description.
CRITERION_TYPES: tuple[tuple[str, tuple[Criterion, ...]], ...] = (
    ("Impact on Settlement Processes", (Criterion.CRITICAL_PROCESS, Criterion.DATA_INTEGRITY)),
    (
        "Scope and Scale of Affected Market Participants",
        (Criterion.PARTICIPANTS, Criterion.SPREAD),
    ),
    ("Regulatory and Compliance Risk", (Criterion.REGULATORY_DEADLINE, Criterion.NON_COMPLIANCE)),
    ("Severity of Service Disruption", (Criterion.DOWNTIME, Criterion.DEGRADATION)),
    (
        "Urgency and Restoration Complexity",
        (Criterion.EXTENDED_RESOLUTION, Criterion.COMPLEX_RECOVERY),
    ),
    ("Security or Cybersecurity Concerns", (Criterion.DATA_SECURITY, Criterion.CYBERATTACK)),
)

CRITERION_DESCRIPTIONS: dict[str, str] = {
    Criterion.CRITICAL_PROCESS: "The incident disrupts core settlement processes essential to "
    "MHHS, such as data processing, calculation, or reporting, which impacts daily or monthly "
    "settlement cycles.",
    Criterion.DATA_INTEGRITY: "Significant data discrepancies or corruption that compromise the "
    "accuracy or reliability of settlement data.",
    Criterion.PARTICIPANTS: "The incident affects a substantial portion of market participants "
    "(e.g., multiple suppliers, generators, or distribution networks), hindering their ability "
    "to participate in the settlement process.",
    Criterion.SPREAD: "The incident affects multiple regions or segments of the market, "
    "indicating widespread impact across different areas or participant types.",
    Criterion.REGULATORY_DEADLINE: "The incident poses a clear threat to meeting mandatory "
    "regulatory timelines, such as month-end settlement deadlines or compliance reporting dates.",
    Criterion.NON_COMPLIANCE: "Failure to resolve the incident promptly could lead to a "
    "regulatory breach, resulting in penalties, market sanctions, or other compliance issues "
    "for Elexon or participants.",
    Criterion.DOWNTIME: "The incident causes prolonged downtime or unavailability of critical "
    "systems that support the MHHS TOM.",
    Criterion.DEGRADATION: "Even if systems remain operational, performance degradation severely "
    "limits functionality, slowing down data processing or transactions and impeding market "
    "operations.",
    Criterion.EXTENDED_RESOLUTION: "If initial assessment indicates that the incident will "
    "require extensive time to resolve due to complexity, interdependencies, or resource needs, "
    "it may justify elevation to Major Incident status.",
    Criterion.COMPLEX_RECOVERY: "The incident may require disaster recovery procedures, "
    "specialized expertise, or significant resource allocation to restore services, suggesting "
    "an elevated response level.",
    Criterion.DATA_SECURITY: "If the incident involves potential or confirmed data security "
    "risks, such as a data breach, unauthorized access, or potential compromise of sensitive "
    "data, immediate promotion to Major Incident status may be warranted.",
    Criterion.CYBERATTACK: "A confirmed or suspected cyberattack on critical infrastructure or "
    "systems that support MHHS TOM would likely trigger escalation to Major Incident status.",
}

SECURITY_CRITERIA = (Criterion.DATA_SECURITY, Criterion.CYBERATTACK)
COMPLIANCE_CRITERIA = (Criterion.REGULATORY_DEADLINE, Criterion.NON_COMPLIANCE)

# §5.9 "Example Thresholds and Triggers", in the manual's words.
THRESHOLD_WORDING = {
    "impact": (
        "Impact Threshold",
        "Affecting more than 10% of market participants or a critical settlement function.",
    ),
    "duration": (
        "Duration Threshold",
        "Expected resolution time exceeds standard SLAs by 50% or more.",
    ),
    "compliance": (
        "Compliance Risk Threshold",
        "Any incident that risks non-compliance with regulatory obligations.",
    ),
    "security": (
        "Security Threshold",
        "Any confirmed or suspected security breach affecting settlement data integrity.",
    ),
}


# --- the §5.9 thresholds ---------------------------------------------------------------------


@dataclass(frozen=True)
class PromotionFacts:
    """What the data says about an incident, for the §5.9 thresholds: the participant
    organisations it and its linked cases touch, every active participant organisation, the
    resolution target of its SLA clock, and whether it was raised as a suspected cyber incident."""

    affected_organisations: int
    participant_organisations: int
    resolution_target: timedelta | None
    resolution_target_label: str
    suspected_cyber: bool


@dataclass(frozen=True)
class ThresholdResult:
    key: str
    name: str
    wording: str
    met: bool
    value: str

    def as_dict(self) -> dict:
        return {"name": self.name, "wording": self.wording, "met": self.met, "value": self.value}


def _percent(part: int, whole: int) -> str:
    share = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))
    return f"{share.normalize():f}%"


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f} h"


def _yes(assessments: Mapping[str, bool | None], criterion: str) -> bool:
    return assessments.get(str(criterion)) is True


def _labels(criteria) -> str:
    return " or ".join(f"“{Criterion(c).label}”" for c in criteria)


def thresholds_for(
    facts: PromotionFacts,
    assessments: Mapping[str, bool | None],
    expected_resolution_hours: Decimal | float | int | None,
) -> list[ThresholdResult]:
    """The four thresholds of §5.9, judged from the data and the reviewer's answers.

    - Impact: more than 10% of participant organisations (exactly 10% is not more), or
      "Critical process interruption" recorded yes;
    - Duration: the expected resolution time at least 1.5 × the resolution SLA target;
    - Compliance risk: "Risk to regulatory deadlines" or "Non-compliance risk" recorded yes;
    - Security: "Data security threat" or "Cyberattack or threat detected" recorded yes, or the
      incident was raised as a suspected cyber incident (§5.11 step 1).

    `assessments` maps each criterion's value to True (yes), False (no) or None (unanswered).
    """
    results = []

    affected, whole = facts.affected_organisations, facts.participant_organisations
    critical = _yes(assessments, Criterion.CRITICAL_PROCESS)
    if whole:
        over = affected * 10 > whole
        value = f"{affected} of {whole} organisations ({_percent(affected, whole)})"
    else:
        over = False
        value = "No active participant organisations are on record"
    if critical:
        value += f"; “{Criterion.CRITICAL_PROCESS.label}” recorded"
    results.append(ThresholdResult("impact", *THRESHOLD_WORDING["impact"], over or critical, value))

    target = facts.resolution_target
    if target is None:
        met, value = False, "No resolution SLA target applies to this incident"
    else:
        target_text = f"{facts.resolution_target_label}: {format_working_time(target)}"
        if expected_resolution_hours in (None, ""):
            met = False
            value = f"Enter the expected resolution time to compare with {target_text}"
        else:
            expected = Decimal(str(expected_resolution_hours))
            target_seconds = Decimal(int(target.total_seconds()))
            # At least 1.5 × the target: 2 × expected ≥ 3 × target, exactly.
            met = expected * 3600 * 2 >= target_seconds * 3
            value = (
                f"Expected {_hours(expected)} against {target_text} "
                f"({_percent(int(expected * 3600), int(target_seconds))} of the target)"
            )
    results.append(ThresholdResult("duration", *THRESHOLD_WORDING["duration"], met, value))

    for key, criteria in (("compliance", COMPLIANCE_CRITERIA), ("security", SECURITY_CRITERIA)):
        recorded = [c for c in criteria if _yes(assessments, c)]
        reasons = [f"“{Criterion(c).label}” recorded" for c in recorded]
        if key == "security" and facts.suspected_cyber:
            reasons.append("raised as a suspected cyber incident")
        if reasons:
            value = "; ".join(reasons)
            value = value[0].upper() + value[1:]
        else:
            value = f"Neither {_labels(criteria).replace(' or ', ' nor ')} recorded"
        results.append(ThresholdResult(key, *THRESHOLD_WORDING[key], bool(reasons), value))
    return results


def thresholds_snapshot(results: Iterable[ThresholdResult], expected_resolution_hours) -> dict:
    """The evaluation as stored on the candidate when it is decided (kept as evidence)."""
    snapshot = {result.key: result.as_dict() for result in results}
    snapshot["expected_resolution_hours"] = (
        None if expected_resolution_hours in (None, "") else str(expected_resolution_hours)
    )
    snapshot["evaluated_at"] = timezone.now().isoformat()
    return snapshot


# --- reads -----------------------------------------------------------------------------------


def participant_organisations():
    """Active market-participant organisations: every organisation the desk has on record but
    the central service providers (staff belong to none, §10)."""
    return Organisation.objects.filter(active=True).exclude(
        cra_market_role=Organisation.CraMarketRole.CENTRAL_SERVICE
    )


def linked_case_rows(incident: Incident) -> list:
    """The cases that raised the incident (§4.1 step 4) with their organisations, oldest first:
    one query for the links and one per ticket type found."""
    here = ContentType.objects.get_for_model(Incident)
    pairs = TicketLink.objects.filter(
        kind=TicketLink.Kind.CASE_INCIDENT, to_type=here, to_id=incident.pk
    ).values_list("from_type_id", "from_id")
    by_type: dict[int, list[int]] = {}
    for type_id, object_id in pairs:
        by_type.setdefault(type_id, []).append(object_id)
    found = []
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is not None:
            found.extend(model.objects.filter(pk__in=ids).select_related("organisation"))
    return sorted(found, key=lambda t: (t.opened_at, t.pk))


def resolution_target_for(incident: Incident) -> tuple[timedelta | None, str]:
    """The resolution target the incident is measured against: its live resolution clock's
    (copied from its definition when it started), else the active definition for its priority."""
    clock = (
        TicketSLA.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident),
            ticket_id=incident.pk,
            target_type=SLADefinition.TargetType.RESOLUTION,
            cancelled=False,
        )
        .select_related("definition")
        .order_by("-pk")
        .first()
    )
    if clock is not None and clock.target:
        return clock.target, clock.definition.name
    if incident.priority is None:
        return None, ""
    definition = (
        SLADefinition.objects.filter(
            ticket_kind="incident",
            target_type=SLADefinition.TargetType.RESOLUTION,
            priority=incident.priority,
            active=True,
            duration__isnull=False,
        )
        .order_by("sort_order", "pk")
        .first()
    )
    if definition is None:
        return None, ""
    return definition.duration, definition.name


@dataclass(frozen=True)
class ReviewData:
    """Everything the review page shows about a candidate's incident, read in a fixed number
    of queries however many cases and organisations it touches."""

    facts: PromotionFacts
    linked_cases: list
    organisation_names: list[str]


def review_data_for(incident: Incident) -> ReviewData:
    cases = linked_case_rows(incident)
    ids = {incident.organisation_id, *(case.organisation_id for case in cases)} - {None}
    participants = participant_organisations()
    affected = list(participants.filter(pk__in=ids).order_by("name").values_list("name", flat=True))
    target, label = resolution_target_for(incident)
    facts = PromotionFacts(
        affected_organisations=len(affected),
        participant_organisations=participants.count(),
        resolution_target=target,
        resolution_target_label=label,
        suspected_cyber=incident.suspected_cyber,
    )
    return ReviewData(facts=facts, linked_cases=cases, organisation_names=affected)


def promotion_facts(incident: Incident) -> PromotionFacts:
    return review_data_for(incident).facts


def pending_candidates():
    """Candidates awaiting the Major Incident Manager's review, oldest first (§5.11 step 5)."""
    return (
        MajorIncidentCandidate.objects.filter(state=MajorIncidentCandidate.State.PROPOSED)
        .select_related("incident", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def reviewers():
    """The Major Incident Managers: active staff holding the review permission, through a role
    or directly (§5.17: escalation notifies the Incident Manager)."""
    app_label, codename = REVIEW_PERMISSION.split(".")
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()
    if permission is None:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .distinct()
        .order_by("pk")
    )


def review_path(candidate: MajorIncidentCandidate) -> str:
    return reverse("admin:major_incidents_majorincidentcandidate_change", args=[candidate.pk])


def war_room_path(major_incident: MajorIncident) -> str | None:
    """The war room's console page, once the major incidents' console registers one."""
    try:
        return reverse("admin:major_incidents_majorincident_change", args=[major_incident.pk])
    except NoReverseMatch:
        return None


def incident_panel_context(ticket) -> dict:
    """The incident page's major-incident panel: the candidacy's state, the major incident
    with a link to its war room once promoted, and whether it may still be proposed
    (`templates/admin/major_incidents/_incident_major_panel.html`). Nothing for other types."""
    if not isinstance(ticket, Incident):
        return {}
    candidate = (
        MajorIncidentCandidate.objects.filter(incident=ticket)
        .select_related("proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
        .first()
    )
    major = MajorIncident.objects.filter(incident=ticket).only("pk", "number", "state").first()
    pending = candidate is not None and candidate.state == MajorIncidentCandidate.State.PROPOSED
    return {
        "major_panel": {
            "candidate": candidate,
            "candidate_url": review_path(candidate) if candidate else None,
            "major_incident": major,
            "war_room_url": war_room_path(major) if major else None,
            "may_propose": major is None and ticket.state in Incident.OPEN_STATES,
            "pending": pending,
            "propose_url": reverse(
                "admin:major_incidents_majorincidentcandidate_propose", args=[ticket.pk]
            ),
        }
    }


# --- writes ----------------------------------------------------------------------------------


def _require(actor, permission: str, message: str) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.is_staff):
        raise ActionNotPermitted(message)
    if not actor.has_perm(permission):
        raise ActionNotPermitted(message)


def _lock_candidate_incident(incident: Incident, *, action: str) -> Incident:
    """Lock the incident (two proposals or decisions at once are applied one after the other)
    and refuse one that is no longer open or is already major."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.state not in Incident.OPEN_STATES:
        raise TransitionNotAllowed(
            f"You can't {action} {locked.number}: it is {locked.get_state_display()}."
        )
    major = MajorIncident.objects.filter(incident=locked).values_list("number", flat=True).first()
    if major:
        raise TransitionNotAllowed(
            f"You can't {action} {locked.number}: it is already major incident {major}."
        )
    return locked


def candidate_propose(*, incident: Incident, actor, reason: str) -> MajorIncidentCandidate:
    """Propose an open incident as a major-incident candidate with a reason (§5.5 step 3,
    §5.11 step 3). The Major Incident Managers are told at once (§5.17 escalation).

    One proposal waits per incident: a second one adds its reason, with who gave it, to the
    pending candidate (journaled on the incident) instead of opening another review.
    """
    _require(actor, PROPOSE_PERMISSION, "You are not allowed to propose major incidents.")
    if not visible_tickets(Incident.objects.filter(pk=incident.pk), user=actor).exists():
        raise TicketNotFound(f"There is no incident {incident.number}, or you may not see it.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why this may be a major incident.",
            field_errors={"reason": ["Say why this may be a major incident."]},
        )
    if len(reason) > COMMENT_MAX_CHARS:
        raise ValidationFailed(
            "The reason is too long.",
            field_errors={"reason": [f"Keep it under {COMMENT_MAX_CHARS:,} characters."]},
        )
    with transaction.atomic():
        locked = _lock_candidate_incident(incident, action="propose")
        pending = (
            MajorIncidentCandidate.objects.select_for_update()
            .filter(incident=locked, state=MajorIncidentCandidate.State.PROPOSED)
            .first()
        )
        if pending is not None:
            pending.reason = (
                f"{pending.reason}\n\nAlso proposed by {actor} on "
                f"{uk_datetime(timezone.now())}: {reason}"
            )
            pending.save(update_fields=["reason"])
            journal_entry_add(
                ticket=locked,
                kind=JournalEntry.Kind.WORK_NOTE,
                body=f"Also proposed as a major incident by {actor} (the proposal awaiting "
                f"review since {uk_datetime(pending.proposed_at)}). Reason: {reason}",
                author=actor,
            )
            return pending
        candidate = MajorIncidentCandidate.objects.create(
            incident=locked, reason=reason, proposed_by=actor
        )
        journal_entry_add(
            ticket=locked,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Proposed as a major-incident candidate by {actor}; awaiting the Major "
            f"Incident Manager's review. Reason: {reason}",
            author=actor,
        )
        notifications.major_incident_candidate_proposed(
            locked,
            recipients=[user for user in reviewers() if user.pk != actor.pk],
            link=review_path(candidate),
        )
    return candidate


def _answers(assessments) -> dict[str, tuple[bool | None, str]]:
    """The reviewer's answers as {criterion: (met, evidence)}, from a mapping
    {criterion: {"met": …, "evidence": …}} or a list of {"criterion", "met", "evidence"}."""
    if assessments is None:
        return {}
    if isinstance(assessments, Mapping):
        items = [(key, value) for key, value in assessments.items()]
    else:
        items = [(row.get("criterion"), row) for row in assessments]
    known = set(Criterion.values)
    answers: dict[str, tuple[bool | None, str]] = {}
    unknown = []
    for key, value in items:
        key = str(key or "")
        if key not in known:
            unknown.append(key or "(blank)")
            continue
        value = value or {}
        met = value.get("met")
        if isinstance(met, str):
            met = {"yes": True, "true": True, "no": False, "false": False}.get(met.lower())
        answers[key] = (met if isinstance(met, bool) else None, (value.get("evidence") or ""))
    if unknown:
        raise ValidationFailed(
            f"Not a validity criterion: {', '.join(unknown)}.",
            field_errors={"assessments": [f"Unknown criteria: {', '.join(unknown)}."]},
        )
    return answers


def _check_answers(answers, *, complete: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for criterion in Criterion:
        met, evidence = answers.get(criterion.value, (None, ""))
        if met is None and complete:
            errors[criterion.value] = [f"Answer yes or no: {criterion.label}."]
        if met is True and not evidence.strip():
            errors[f"{criterion.value}_evidence"] = [f"Give the evidence for “{criterion.label}”."]
        if len(evidence) > EVIDENCE_MAX_CHARS:
            errors[f"{criterion.value}_evidence"] = [
                f"Keep the evidence under {EVIDENCE_MAX_CHARS:,} characters."
            ]
    return errors


def _store_answers(candidate: MajorIncidentCandidate, answers) -> list[CriterionAssessment]:
    CriterionAssessment.objects.filter(candidate=candidate).delete()
    return CriterionAssessment.objects.bulk_create(
        [
            CriterionAssessment(
                candidate=candidate, criterion=criterion.value, met=met, evidence=evidence.strip()
            )
            for criterion in Criterion
            for met, evidence in [answers.get(criterion.value, (None, ""))]
            if met is not None
        ]
    )


def _expected_hours(value, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        hours = None
    if hours is None or not hours.is_finite() or hours <= 0 or hours > 100_000:
        errors["expected_resolution_hours"] = ["Give the expected resolution time in hours."]
        return None
    return hours


def _lock_pending(candidate: MajorIncidentCandidate) -> MajorIncidentCandidate:
    locked = (
        MajorIncidentCandidate.objects.select_for_update()
        .select_related("proposed_by")
        .get(pk=candidate.pk)
    )
    if locked.state != MajorIncidentCandidate.State.PROPOSED:
        raise TransitionNotAllowed(
            f"This candidate has already been decided: {locked.get_state_display()}."
        )
    return locked


def candidate_accept(
    *,
    candidate: MajorIncidentCandidate,
    actor,
    assessments,
    manager,
    triage_lead,
    public_title: str,
    services: Iterable[Service],
    service_status: str,
    expected_resolution_hours=None,
    note: str = "",
) -> MajorIncident:
    """Promote the candidate's incident to a major incident (§5.10, §5.11 steps 6–7).

    Every §5.8 criterion is answered yes or no, a "yes" with its evidence, and at least one is
    met. The incident becomes P1 (impact and urgency High; its clocks follow, §3.8); the major
    incident opens with its Major Incident Manager and triage lead (§5.7) engaged on the
    incident; the triggering criteria are recorded on the timeline and the journal (§5.10
    "Document the criteria that triggered escalation"); the manager, triage lead and proposer
    are told.
    """
    _require(actor, REVIEW_PERMISSION, "Only a Major Incident Manager may promote candidates.")
    errors = {}
    answers = _answers(assessments)
    errors.update(_check_answers(answers, complete=True))
    met = [c for c in Criterion if answers.get(c.value, (None, ""))[0] is True]
    if not errors and not met:
        errors["assessments"] = ["Record at least one validity criterion that is met."]
    if manager is None or not (manager.is_active and manager.is_staff):
        errors["manager"] = ["Choose the Major Incident Manager."]
    elif not manager.has_perm(MANAGE_PERMISSION):
        errors["manager"] = [f"{manager} is not a Major Incident Manager."]
    if triage_lead is None or not (triage_lead.is_active and triage_lead.is_staff):
        errors["triage_lead"] = ["Appoint a triage lead from the desk staff."]
    if not (public_title or "").strip():
        errors["public_title"] = ["Write a title for the public status page."]
    elif len(public_title.strip()) > SUBJECT_MAX_CHARS:
        errors["public_title"] = [f"Keep it under {SUBJECT_MAX_CHARS} characters."]
    services = list(services or [])
    if not services:
        errors["services"] = ["Choose the services affected."]
    if service_status not in ServiceImpact.Status.values:
        errors["service_status"] = ["Choose how the services are affected."]
    hours = _expected_hours(expected_resolution_hours, errors)
    if len(note or "") > COMMENT_MAX_CHARS:
        errors["note"] = [f"Keep it under {COMMENT_MAX_CHARS:,} characters."]
    if errors:
        message = (
            "Record at least one validity criterion that is met."
            if list(errors) == ["assessments"]
            else "The candidate could not be promoted; check the highlighted fields."
        )
        raise ValidationFailed(message, field_errors=errors)
    with transaction.atomic():
        locked = _lock_pending(candidate)
        incident = _lock_candidate_incident(locked.incident, action="promote")
        facts = promotion_facts(incident)
        yes_no = {key: value[0] for key, value in answers.items()}
        results = thresholds_for(facts, yes_no, hours)
        _store_answers(locked, answers)
        now = timezone.now()
        locked.state = MajorIncidentCandidate.State.ACCEPTED
        locked.decided_by = actor
        locked.decided_at = now
        locked.decision_reason = (note or "").strip()
        locked.thresholds = thresholds_snapshot(results, hours)
        locked.save(
            update_fields=["state", "decided_by", "decided_at", "decision_reason", "thresholds"]
        )
        incident = incident_classify(
            incident=incident, actor=actor, impact=Impact.HIGH, urgency=Urgency.HIGH
        )
        major = major_incident_open(
            actor=actor,
            title=incident.short_description,
            public_title=public_title,
            manager=manager,
            incident=incident,
            candidate=locked,
            triage_lead=triage_lead,
            services=services,
            service_status=service_status,
        )
        triggered = "; ".join(c.label for c in met)
        thresholds_met = "; ".join(r.name for r in results if r.met) or "none"
        timeline_add(
            major_incident=major,
            kind=TimelineEntry.Kind.PROMOTED,
            body=f"Promoted on: {triggered}. Thresholds met: {thresholds_met}. "
            f"Triage lead: {triage_lead}.",
            author=actor,
        )
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Promoted to major incident {major.number} by {actor} on: "
            f"{triggered}. Major Incident Manager: {manager}; triage lead: {triage_lead}.",
            author=actor,
        )
        IncidentEngagement.objects.bulk_create(
            [
                IncidentEngagement(
                    incident=incident,
                    role=role,
                    person=person,
                    engaged_by=actor,
                    engaged_at=now,
                    note=f"Assigned on promotion to {major.number}.",
                )
                for role, person in (
                    (IncidentEngagement.Role.MAJOR_INCIDENT_MANAGER, manager),
                    (IncidentEngagement.Role.TRIAGE_LEAD, triage_lead),
                )
            ]
        )
        notifications.major_incident_promoted(
            incident,
            major_number=major.number,
            recipients=[manager, triage_lead, locked.proposed_by],
        )
    return major


def candidate_reject(
    *, candidate: MajorIncidentCandidate, actor, reason: str, assessments=None
) -> MajorIncidentCandidate:
    """Not a valid major incident (§5.11 step 6): back to normal incident management with the
    reason. Nothing else on the incident changes; the proposer is told. Any criteria answered
    are kept with the decision, as is the thresholds' evaluation."""
    _require(actor, REVIEW_PERMISSION, "Only a Major Incident Manager may reject candidates.")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = ["Say why this is not a major incident."]
    elif len(reason) > COMMENT_MAX_CHARS:
        errors["reason"] = [f"Keep it under {COMMENT_MAX_CHARS:,} characters."]
    answers = _answers(assessments)
    errors.update(_check_answers(answers, complete=False))
    if errors:
        raise ValidationFailed(
            "The candidate could not be rejected; check the highlighted fields.",
            field_errors=errors,
        )
    with transaction.atomic():
        locked = _lock_pending(candidate)
        incident = locked.incident
        facts = promotion_facts(incident)
        results = thresholds_for(facts, {key: value[0] for key, value in answers.items()}, None)
        _store_answers(locked, answers)
        locked.state = MajorIncidentCandidate.State.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.thresholds = thresholds_snapshot(results, None)
        locked.save(
            update_fields=["state", "decided_by", "decided_at", "decision_reason", "thresholds"]
        )
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Not promoted to a major incident: rejected by {actor}; it "
            f"stays in normal incident management. Reason: {reason}",
            author=actor,
        )
        notifications.major_incident_candidate_rejected(incident, recipient=locked.proposed_by)
    return locked


# --- a suspected cyber incident raised by the desk (§5.11 step 1) ---------------------------

SECURITY_CATEGORY = "Security"


def suspected_cyber_incident_report(
    *,
    actor,
    short_description: str,
    description: str,
    assignment_group,
    reason: str,
    impact: int = Impact.HIGH,
    urgency: int = Urgency.HIGH,
    symptoms: str = "",
    services: Iterable[Service] = (),
    organisation=None,
    detected_at=None,
    detection_method: str = Incident.DetectionMethod.PHONE,
) -> MajorIncidentCandidate:
    """A suspected cyber incident phoned in to the desk (§5.11 step 1, §2.1.1.1): raised as an
    incident in the Security category (§5.16), flagged as a suspected cyber incident, and
    proposed at once as a major-incident candidate, so it reaches the Major Incident Manager's
    queue flagged. One transaction: if the proposal is refused, no incident is left behind."""
    _require(actor, PROPOSE_PERMISSION, "You are not allowed to propose major incidents.")
    if not (reason or "").strip():
        raise ValidationFailed(
            "Say why this may be a major incident.",
            field_errors={"reason": ["Say why this may be a major incident."]},
        )
    category = Category.objects.filter(name=SECURITY_CATEGORY, active=True).first()
    if category is None:
        raise ValidationFailed(f"The “{SECURITY_CATEGORY}” category is missing or retired.")
    services = list(services or [])
    logging_fields = {
        "suspected_cyber": True,
        "symptoms": (symptoms or "").strip(),
        "detected_at": detected_at or timezone.now(),
        "detection_method": detection_method,
    }
    # `incident_create` takes the §5.7 fields once the incidents app offers them; until then
    # they are recorded on the new incident straight after, in the same transaction.
    accepted = inspect.signature(incident_create).parameters
    passed = {name: value for name, value in logging_fields.items() if name in accepted}
    if "services" in accepted:
        passed["services"] = services
    with transaction.atomic():
        incident = incident_create(
            actor=actor,
            short_description=short_description,
            description=description,
            category=category,
            organisation=organisation,
            assignment_group=assignment_group,
            impact=impact,
            urgency=urgency,
            **passed,
        )
        remaining = {name: value for name, value in logging_fields.items() if name not in passed}
        if remaining:
            for name, value in remaining.items():
                setattr(incident, name, value)
            incident.save(update_fields=[*remaining, "updated_at"])
            ticket_changes_recorded(ticket=incident)
        if "services" not in accepted and services:
            incident.services.set(services)
        return candidate_propose(incident=incident, actor=actor, reason=reason)
