"""Every write on a case: raising it (§3.2), comments, attachments, transitions and triage (§4.1)."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accounts.directory import desk_contact_lines
from accounts.models import Organisation, ServiceDesk
from accounts.selectors import organisations_for_user
from comms import notifications
from comms.mpan import validate_mpan
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.models import Category, JournalEntry
from tickets.priority import Priority
from tickets.services import (
    attachment_add,
    attachment_add_from_pending,
    attachment_check,
    journal_entry_add,
    pending_upload_discard,
    pending_upload_store,
    ticket_attachment_add,
    ticket_changes_recorded,
    ticket_classify,
    ticket_created_announce,
    ticket_link,
    ticket_number_allocate,
    ticket_transition,
)

from .models import Case

REROUTED_CODE = "rerouted"
REQUESTED_BY_MAX_CHARS = Case._meta.get_field("requested_by").max_length


def _is_desk(actor) -> bool:
    return bool(actor and actor.is_staff and actor.has_perm("cases.change_case"))


def _require_desk(actor, action: str) -> None:
    if not _is_desk(actor):
        raise ActionNotPermitted(f"Only the service desk can {action}.")


def _require_triage(actor, action: str) -> None:
    if not (actor and actor.is_staff and actor.has_perm("cases.triage_case")):
        raise ActionNotPermitted(f"Only first-line agents can {action}.")


def case_create(
    *,
    actor,
    organisation: Organisation,
    category: Category | None,
    short_description: str,
    description: str,
    party_id: str = "",
    no_party_id: bool = False,
    unregistered_organisation_name: str = "",
    market_participant_id: str = "",
    cra_market_role: str = "",
    related_url: str = "",
    mpan: str = "",
    requested_by: str = "",
    uploads=(),
    pending_uploads=(),
    channel: str = Case.Channel.PORTAL,
    caller=None,
) -> Case:
    """Raise a case with the §3.2 fields; acknowledges the raiser and alerts the desk (§3.1, §5.17).

    `caller` is the participant the case is for when the desk raises it on their behalf (a
    phone call, §3.1): an active participant who could raise it for that organisation
    themself. The case is theirs (My Cases, the acknowledgement); the agent is `opened_by`.
    `requested_by` is the name of the person asking (§11.2.1, §14.2), the raiser's own when
    not given. `uploads` are files sent with the request; `pending_uploads`, files the raiser
    chose on a form that came back with errors and that were kept for them
    (`tickets.services.pending_upload_store`): both become the case's attachments.
    """
    errors: dict[str, list[str]] = {}
    short_description = (short_description or "").strip()
    description = (description or "").strip()
    party_id = (party_id or "").strip()
    related_url = (related_url or "").strip()
    cra_market_role = (cra_market_role or "").strip()
    requested_by = " ".join((requested_by or "").split())
    if actor is None or not actor.is_authenticated:
        raise ActionNotPermitted("Sign in to raise a case.")
    allowed = organisations_for_user(actor)
    if not actor.is_staff and not actor.organisation_id:
        raise ActionNotPermitted(
            "Your account is not yet attached to an organisation. Ask your organisation admin "
            "or the service desk to attach it, then you can raise cases."
        )
    if organisation is None:
        errors["organisation"] = ["Choose the organisation this case is for."]
    elif not actor.is_staff and not allowed.filter(pk=organisation.pk).exists():
        errors["organisation"] = [
            "You can only raise cases for your own organisation or those below it."
        ]
    if caller is None or caller == actor:
        caller = actor
    elif not _is_desk(actor):
        raise ActionNotPermitted("Only the service desk can raise a case for someone else.")
    elif not (caller.is_participant and caller.is_active and caller.organisation_id):
        errors["caller"] = ["Choose an active participant of the organisation as the caller."]
    elif organisation is not None and not (
        organisations_for_user(caller).filter(pk=organisation.pk).exists()
    ):
        errors["caller"] = [f"{caller} is not a member of {organisation}: choose one who is."]
    if category is None:
        errors["category"] = ["Choose a category."]
    elif not category.active:
        errors["category"] = ["That category is no longer in use; choose another."]
    if not short_description:
        errors["short_description"] = ["Give the case a subject."]
    elif len(short_description) > 160:
        errors["short_description"] = ["Keep the subject to 160 characters or fewer."]
    if not description:
        errors["description"] = ["Describe the issue or request."]
    if party_id and no_party_id:
        errors["party_id"] = ["Give a Party ID or tick “I do not have a party ID”, not both."]
    elif not party_id and not no_party_id:
        errors["party_id"] = ["Enter your Party ID, or tick “I do not have a party ID”."]
    if related_url:
        try:
            URLValidator(schemes=["http", "https"])(related_url)
        except ValidationError:
            errors["related_url"] = ["Enter a full web address starting with https://."]
    if cra_market_role and cra_market_role not in Organisation.CraMarketRole.values:
        errors["cra_market_role"] = ["Choose a CRA market role from the list, or none."]
    if len(requested_by) > REQUESTED_BY_MAX_CHARS:
        errors["requested_by"] = [
            f"Keep “Requested by” to {REQUESTED_BY_MAX_CHARS} characters or fewer."
        ]
    uploads = list(uploads)
    pending_uploads = list(pending_uploads)
    if any(pending.user_id != actor.pk for pending in pending_uploads):
        raise ActionNotPermitted("Only the person who chose a file can attach it.")
    # Every file is checked before anything is stored, so a bad third file cannot leave the
    # first two on disk behind a case that was never raised.
    for upload in uploads:
        try:
            attachment_check(upload)
        except ValidationFailed as exc:
            errors.setdefault("attachments", []).append(exc.message)
    mpan = (mpan or "").strip()
    if mpan:
        try:
            mpan = validate_mpan(mpan)
        except ValidationError as exc:
            errors["mpan"] = list(exc.messages)
    if errors:
        raise ValidationFailed(
            "The case could not be raised; check the highlighted fields.", field_errors=errors
        )

    with transaction.atomic():
        case = Case.objects.create(
            number=ticket_number_allocate(prefix=Case.NUMBER_PREFIX),
            organisation=organisation,
            caller=caller,
            opened_by=actor,
            category=category,
            short_description=short_description,
            description=description,
            party_id=party_id,
            no_party_id=no_party_id,
            unregistered_organisation_name=(unregistered_organisation_name or "").strip(),
            market_participant_id=(market_participant_id or "").strip(),
            cra_market_role=cra_market_role,
            requested_by=requested_by or actor.get_full_name() or actor.email,
            related_url=related_url,
            mpan=mpan,
            channel=channel,
        )
        for pending in pending_uploads:
            attachment_add_from_pending(ticket=case, pending=pending, uploaded_by=actor)
        for upload in uploads:
            attachment_add(ticket=case, upload=upload, uploaded_by=actor)
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Case raised through the {case.get_channel_display().lower()}.",
            author=actor,
        )
        ticket_created_announce(ticket=case, actor=actor)
    return case


def case_form_uploads_keep(*, actor, uploads, room: int) -> list:
    """Keep the files chosen on a raise-case form that came back with errors, for `actor`, so
    they need not be chosen again (`tickets.models.PendingUpload`): up to `room` of them; a
    file that fails the attachment checks is not kept (the form already says why)."""
    kept = []
    for upload in uploads:
        if len(kept) >= room:
            break
        try:
            kept.append(pending_upload_store(user=actor, upload=upload))
        except ValidationFailed:
            continue
    return kept


def case_form_upload_discard(*, actor, pending_id: int):
    """The raiser removes a kept file from the raise-case form; None if it is not theirs."""
    return pending_upload_discard(user=actor, pending_id=pending_id)


def case_comment_add(
    *,
    case: Case,
    actor,
    body: str,
    work_note: bool = False,
    reopen_resolved: bool = True,
    channel: str = Case.Channel.PORTAL,
) -> JournalEntry:
    """Add a comment. Desk comments notify the caller; work notes never leave the desk.

    A caller's comment on a case On Hold — Awaiting Caller puts it back In Progress (§5.12);
    on a Resolved case it reopens it, as rejecting the resolution does (§10.3; a reply by email
    passes `reopen_resolved=False`, its words decide); on a Closed case it asks the desk to
    reopen it (`cases.reopening`, §10.3).
    """
    by_desk = _is_desk(actor)
    if actor is not None and actor.is_staff and not by_desk:
        # A resolver's words reach the caller through the desk (Appendix G), and must not
        # count as the caller's reply.
        raise ActionNotPermitted(
            "Only the service desk comments on cases; add a work note on the incident instead."
        )
    if work_note and not by_desk:
        raise ActionNotPermitted("Only the service desk can add work notes.")
    participant_on_closed = not by_desk and case.state == Case.State.CLOSED
    if case.state in (Case.State.CLOSED, Case.State.CANCELLED) and not participant_on_closed:
        raise TransitionNotAllowed(
            f"{case.number} is {case.get_state_display().lower()}; raise a new case that refers to it."
        )
    kind = JournalEntry.Kind.WORK_NOTE if work_note else JournalEntry.Kind.COMMENT
    with transaction.atomic():
        if participant_on_closed:
            from .reopening import reopen_request_create

            return reopen_request_create(case=case, actor=actor, body=body, channel=channel)
        if not by_desk and reopen_resolved and case.state == Case.State.RESOLVED:
            return _comment_reopens(case=case, actor=actor, body=body)
        entry = journal_entry_add(ticket=case, kind=kind, body=body, author=actor)
        if work_note:
            return entry
        if by_desk:
            notifications.case_comment_added(case, by_desk=True)
        else:
            notifications.case_comment_added(case, by_desk=False, author=actor)
            if (
                case.state == Case.State.ON_HOLD
                and case.hold_reason == Case.HoldReason.AWAITING_CALLER
            ):
                ticket_transition(ticket=case, name="resume", actor=None)
    return entry


def _comment_reopens(*, case: Case, actor, body: str) -> JournalEntry:
    """A participant's comment on a Resolved case reopens it (§10.3 "reopening the case if
    further work is needed"): the lifecycle's `reject_resolution` with the comment as its note,
    so the resolution clock carries on and whoever works the case is told. Returns the
    comment."""
    if not (body or "").strip():
        raise ValidationFailed(
            "Write something before adding it.", field_errors={"body": ["This field is required."]}
        )
    reopened = ticket_transition(
        ticket=case, name="reject_resolution", actor=actor, note=body
    ).ticket
    return (
        JournalEntry.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Case),
            ticket_id=reopened.pk,
            kind=JournalEntry.Kind.COMMENT,
            author=actor,
        )
        .order_by("-id")
        .first()
    )


def case_attachment_add(*, case: Case, actor, upload):
    if case.state in (Case.State.CLOSED, Case.State.CANCELLED):
        raise TransitionNotAllowed(
            f"{case.number} is {case.get_state_display().lower()}; it takes no more files."
        )
    with transaction.atomic():
        return ticket_attachment_add(ticket=case, upload=upload, actor=actor)


def case_transition(
    *, case: Case, actor, name: str, expected_state: str | None = None, note: str = "", **arguments
) -> Case:
    """Run a lifecycle transition on a case and tell the caller (§10.2)."""
    with transaction.atomic():
        result = ticket_transition(
            ticket=case,
            name=name,
            actor=actor,
            expected_state=expected_state,
            note=note,
            **arguments,
        )
    return result.ticket


def case_confirm_resolution(*, case: Case, actor) -> Case:
    """The caller confirms the resolution and the case closes (§10.3)."""
    return case_transition(case=case, actor=actor, name="close")


def case_reject_resolution(*, case: Case, actor, reason: str) -> Case:
    """The caller says it is not fixed; the case reopens with their reason as a comment (§10.3)."""
    return case_transition(case=case, actor=actor, name="reject_resolution", note=reason)


def case_classify(*, case: Case, actor, impact: int, urgency: int) -> Case:
    """Impact and urgency are assessed by the desk only (§3.8)."""
    _require_desk(actor, "set impact and urgency")
    with transaction.atomic():
        return ticket_classify(ticket=case, impact=impact, urgency=urgency, actor=actor)


def _check_triage_open(case: Case) -> None:
    if case.state not in (Case.State.NEW, Case.State.IN_PROGRESS):
        raise TransitionNotAllowed(
            f"{case.number} is {case.get_state_display()}; only New or In Progress cases can be triaged."
        )
    if case.triage_outcome:
        raise TransitionNotAllowed(
            f"{case.number} has already been triaged ({case.get_triage_outcome_display()})."
        )


def _mark_triaged(case: Case, *, actor, outcome: str) -> None:
    case.triage_outcome = outcome
    case.triaged_at = timezone.now()
    case.triaged_by = actor


def case_reroute(*, case: Case, actor, desk: ServiceDesk, note: str = "") -> Case:
    """Triage: not for this desk. The raiser is told where to go and the case resolves (§4.1 step 2)."""
    _require_triage(actor, "re-route cases")
    if desk is None or not desk.active:
        raise ValidationFailed(
            "Choose a desk from the directory.", field_errors={"desk": ["Choose a desk."]}
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _check_triage_open(case)
        _mark_triaged(case, actor=actor, outcome=Case.TriageOutcome.REROUTED)
        case.rerouted_to = desk
        case.save(
            update_fields=[
                "triage_outcome",
                "triaged_at",
                "triaged_by",
                "rerouted_to",
                "updated_at",
            ]
        )
        advice = [
            f"This case is best handled by {desk.name}, who cover: {desk.query_types}.",
            "Please contact them:",
            *desk_contact_lines(desk),
        ]
        if note.strip():
            advice += ["", note.strip()]
        journal_entry_add(
            ticket=case, kind=JournalEntry.Kind.COMMENT, body="\n".join(advice), author=actor
        )
        result = ticket_transition(
            ticket=case,
            name="resolve",
            actor=actor,
            notes=f"Re-routed to {desk.name}.",
            code=REROUTED_CODE,
        )
    return result.ticket


def case_convert_to_request(*, case: Case, actor, request_type: str) -> Case:
    """Triage: a service request of a §7.2 type; every service request is P4 (§3.9)."""
    _require_triage(actor, "make cases into service requests")
    if request_type not in Case.RequestType.values:
        raise ValidationFailed(
            "Choose a request type.", field_errors={"request_type": ["Choose a request type."]}
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _check_triage_open(case)
        _mark_triaged(case, actor=actor, outcome=Case.TriageOutcome.REQUEST)
        case.request_type = request_type
        case.priority = Priority.P4
        case.save(
            update_fields=[
                "triage_outcome",
                "triaged_at",
                "triaged_by",
                "request_type",
                "priority",
                "updated_at",
            ]
        )
        ticket_changes_recorded(ticket=case)
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Triaged as a {case.get_request_type_display()} service request (P4).",
            author=actor,
        )
        if case.state == Case.State.NEW:
            case = ticket_transition(ticket=case, name="start", actor=actor).ticket
    return case


def case_raise_incident(*, case: Case, actor, assignment_group, impact: int, urgency: int):
    """Triage: an incident for the technical teams, linked to the case, which stays with the
    desk for communication (§4.1 step 4, Appendix G). Returns the new incident."""
    from incidents.services import incident_create

    _require_triage(actor, "raise incidents from cases")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _check_triage_open(case)
        incident = incident_create(
            actor=actor,
            short_description=case.short_description,
            description=case.description,
            category=case.category,
            organisation=case.organisation,
            caller=case.caller,
            assignment_group=assignment_group,
            impact=impact,
            urgency=urgency,
        )
        ticket_link(from_ticket=case, to_ticket=incident, kind="case_incident")
        _mark_triaged(case, actor=actor, outcome=Case.TriageOutcome.INCIDENT)
        case.save(update_fields=["triage_outcome", "triaged_at", "triaged_by", "updated_at"])
        ticket_classify(ticket=case, impact=impact, urgency=urgency, actor=actor)
        # Which incident and resolver group work it is the desk's business (Appendix G: the
        # case carries no technical communication between resolver teams): a work note.
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Incident {incident.number} raised and assigned to {incident.assignment_group}.",
            author=actor,
        )
        if case.state == Case.State.NEW:
            ticket_transition(ticket=case, name="start", actor=actor)
    return incident


# What the caller reads when their case is linked to a problem at triage (§6.4 steps 3–4).
PROBLEM_TRIAGE_MESSAGE = (
    "Thank you for your case. We have found that it comes from an underlying problem, which "
    "our technical teams are now investigating to find and fix its cause. We will post their "
    "progress here, and the service desk will stay in touch with you through this case."
)


def case_raise_problem(
    *,
    case: Case,
    actor,
    problem=None,
    assignment_group=None,
    impact: int | None = None,
    urgency: int | None = None,
):
    """Triage: a problem (§6.4 steps 1–4) — the agent raises a new problem from the case (its
    subject, description and category, for `assignment_group` at `impact` and `urgency`), or
    links the case to an existing open `problem`. The case stays with the desk, moves to In
    Progress and its caller is told in plain words; the problem's customer-visible updates
    and its resolution then reach them through the case (`cases.problem_updates`). Returns
    the problem."""
    from problems.models import Problem
    from problems.selectors import problem_list_for
    from problems.services import CASE_PROBLEM_LINK, problem_raise_from

    _require_triage(actor, "link cases to problems")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _check_triage_open(case)
        if problem is None:
            problem = problem_raise_from(
                actor=actor,
                source_label=f"case {case.number}",
                short_description=case.short_description,
                description=case.description,
                category=case.category,
                assignment_group=assignment_group,
                impact=impact,
                urgency=urgency,
            )
            what = f"Problem {problem.number} raised and assigned to {problem.assignment_group}."
        else:
            problem = problem_list_for(user=actor).filter(pk=problem.pk).first()
            if problem is None:
                raise ValidationFailed(
                    "That problem does not exist, or you may not see it.",
                    field_errors={"problem": ["Choose an open problem you may see."]},
                )
            if problem.state not in Problem.OPEN_STATES:
                raise ValidationFailed(
                    f"{problem.number} is {problem.get_state_display()}; link the case to an "
                    "open problem or raise a new one.",
                    field_errors={"problem": ["Choose an open problem."]},
                )
            what = f"Linked to problem {problem.number} ({problem.assignment_group})."
            journal_entry_add(
                ticket=problem,
                kind=JournalEntry.Kind.SYSTEM,
                body=f"Case {case.number} linked at triage.",
                author=actor,
            )
        ticket_link(from_ticket=case, to_ticket=problem, kind=CASE_PROBLEM_LINK)
        _mark_triaged(case, actor=actor, outcome=Case.TriageOutcome.PROBLEM)
        case.save(update_fields=["triage_outcome", "triaged_at", "triaged_by", "updated_at"])
        if impact and urgency:
            ticket_classify(ticket=case, impact=impact, urgency=urgency, actor=actor)
        # Which problem and resolver group is the desk's business (Appendix G): a work note.
        journal_entry_add(ticket=case, kind=JournalEntry.Kind.WORK_NOTE, body=what, author=actor)
        if case.state == Case.State.NEW:
            case = ticket_transition(ticket=case, name="start", actor=actor).ticket
        case_comment_add(case=case, actor=actor, body=PROBLEM_TRIAGE_MESSAGE)
    return problem


def case_participant_comment(ticket: Case, *, actor, body: str) -> JournalEntry:
    """The registry's comment service for cases (a reply by email is the caller's comment).
    On a Resolved case the reply's words decide (`comms.inbound.decision`: "not fixed" rejects
    the resolution, "confirmed" closes it); anything else is kept as a comment, so a thank-you
    by email does not reopen the case (§10.3 "confirm ... by responding to the email")."""
    return case_comment_add(
        case=ticket, actor=actor, body=body, reopen_resolved=False, channel=Case.Channel.EMAIL
    )


# What the caller reads when triage assigns their case to Change Management (§4.1 step 3).
CHANGE_TRIAGE_MESSAGE = (
    "Thank you for your case. What you ask for needs a change to our central systems, so we "
    "have passed it to our Change Management team, who will assess, approve and schedule it. "
    "The service desk will keep you updated through this case."
)


def case_raise_change(*, case: Case, actor, change_type: str = "normal", assignment_group=None):
    """Triage: a change (§4.1 step 3) — the case is assigned to Change Management: a change
    is raised from it as a draft (its subject, description and category; Normal unless the
    agent says Emergency, §8.1.2) for the change's owner to complete and submit (§8.3), and
    linked to the case. Triage ends here: the case stays with the desk, moves to In Progress
    and its caller is told in plain words; the change number is the desk's (a work note).
    Returns the change."""
    from changes.services import change_create

    _require_triage(actor, "assign cases to Change Management")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _check_triage_open(case)
        change = change_create(
            actor=actor,
            change_type=change_type,
            short_description=case.short_description,
            description=case.description,
            category=case.category,
            assignment_group=assignment_group,
            source_label=f"triage of case {case.number}",
        )
        ticket_link(from_ticket=case, to_ticket=change, kind="case_change")
        _mark_triaged(case, actor=actor, outcome=Case.TriageOutcome.CHANGE)
        case.save(update_fields=["triage_outcome", "triaged_at", "triaged_by", "updated_at"])
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Assigned to Change Management: change {change.number} raised.",
            author=actor,
        )
        if case.state == Case.State.NEW:
            case = ticket_transition(ticket=case, name="start", actor=actor).ticket
        case_comment_add(case=case, actor=actor, body=CHANGE_TRIAGE_MESSAGE)
    return change
