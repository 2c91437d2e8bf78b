"""Who is told what, in one place (§3.1, §5.17, §7.3, §10.2, §10.3, Appendix G).

The kernel announces ticket events (`tickets.signals`) and `comms.ticket_events` sends each to
the handler the ticket type declares in its registry entry (`TicketType.notifications`):
cases declare the `case_*` functions, incidents `incident_assigned`, problems
`problem_assigned`. A type that declares none gets the defaults at the end of this matrix
(`ticket_raised`, `ticket_status_changed`, `ticket_comment_added`), which read only the
registry entry: whether participants may see the type, and where they read it
(`portal_url`).

The matrix (event → template → recipients):

To the raiser (a portal notification, and the email unless an optional one is switched off):
  case raised ........................ case_acknowledged
  status change ...................... case_status_changed (always emailed, §10.2)
  desk comment ....................... case_comment_added (optional)
  On Hold — Awaiting Caller .......... case_information_requested
  resolved ........................... case_resolved (invitation to confirm or reject)
  resolved by re-routing ............. case_rerouted (the other desk's contacts)
  auto-close reminder ................ case_resolution_reminder (optional)
  closed ............................. case_closed
  reopened at their request .......... case_reopened (also to a colleague who asked)
  new case for a request to reopen ... case_reopen_new_case → whoever asked
About a registration (§10.1), to the person who registered:
  approved (attached) ................ registration_approved
  refused (the reason is in the portal) registration_refused
To the desk:
  case raised ........................ case_new_alert → service management mailbox
  caller comment ..................... case_caller_replied → assignee, else the desk mailbox
  caller rejects a resolution ........ case_resolution_rejected → assignee, else the desk
                                       mailbox
  caller asks to reopen a closed case  case_reopen_requested → assignee, else the desk mailbox
  incident proposes an update ........ case_update_proposed → assignee, else the desk mailbox
                                       (the caller hears only what the desk then sends)
  triage not done in 15 / 30 minutes . case_triage_overdue → service management mailbox
  report request update due (§14.4) .. report_update_due → assignee, else the mailbox
  incident assigned / reassigned ..... incident_assigned / incident_reassigned → the group's
                                       mailbox, else each member; members always get the
                                       portal notification
  problem raised / reassigned ........ problem_assigned → the group's mailbox, else each
                                       member (as for an incident)
  problem's status, workaround or a .. problem_updated → whoever raised it (§6.4 step 7),
  progress update changes                unless they made the change themselves
  incident priority set or changed ... incident_priority_set → the group (mailbox, else each
                                       member), the product owners engaged and the incident
                                       managers (§5.17 "Priority Notification")
  someone engaged on an incident ..... incident_engaged → that person (§5.17 "Engagement
                                       Notice"; contacts outside the portal are reached by
                                       the desk)
  ticket assigned to a person ........ ticket_assigned_to_person → that person
  SLA at risk / breached ............. sla_at_risk / sla_breached → the assignee, else the
                                       group, plus the service management mailbox
  major-incident candidate proposed .. major_incident_candidate_proposed → each Major
                                       Incident Manager (§5.17 escalation)
  candidate promoted (§5.11 step 7) .. major_incident_promoted → its Major Incident Manager,
                                       triage lead and proposer
  candidate rejected (§5.11 step 6) .. major_incident_candidate_rejected → its proposer
About a major incident's communications (§5.19.1), by number and due time only:
  update due within minutes / now .... major_incident_comms_due → its manager, else the
                                       service management mailbox
  update late ........................ major_incident_comms_late → every desk lead (Service
                                       manager role)
About knowledge articles (§12), by number and version only:
  review due within the reminder days  knowledge_review_due → the article's owner (once per
                                       review date)
  review overdue ..................... knowledge_review_overdue → each knowledge manager (once
                                       per review date)
  version sent for review ............ knowledge_approval_requested → its named approvers
                                       (controlled document), else the knowledge managers
  version returned to its author ..... knowledge_version_returned → the author
  controlled document published ...... knowledge_controlled_document_published → owner,
                                       author and named approvers (optional)
Any other ticket type (the defaults, for a type that declares no `notifications`):
  raised ............................. ticket_acknowledged → the caller, when participants
                                       may see the type; ticket_assigned_to_group → its
                                       assignment group, if it has one
  status change ...................... ticket_status_changed (always emailed) → the caller, when
                                       participants may see the type; otherwise
                                       ticket_status_changed_staff (optional) → the assignee,
                                       else the assignment group
  desk comment ....................... ticket_comment_added (optional) → the caller, when
                                       participants may see the type
  caller comment ..................... ticket_caller_replied → the assignee, else the
                                       service management mailbox

Every email about a ticket carries its number, its status and a link to the portal — never the
description, comments, work notes or anything a user typed (§10.5.5); the outbox refuses a
message that would contain an MPAN all the same. Each function runs inside the caller's
transaction: rows are written now, delivery happens after commit.
"""

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from accounts.directory import desk_contact_lines
from core.dates import uk_date, uk_datetime
from tickets.registry import ticket_type_for

from .centre import notification_deliver
from .services import outbound_message_queue


def _ticket_context(ticket, *, link: str) -> dict:
    return {
        "number": ticket.number,
        "status": ticket.get_state_display(),
        "link": f"{settings.PORTAL_BASE_URL}{link}",
    }


def _case_link(case) -> str:
    return reverse("portal:case_detail", kwargs={"number": case.number})


def _console_link(ticket) -> str:
    meta = ticket._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[ticket.pk])


def _uk(moment: datetime) -> str:
    """The moment as the portal and the console show it (`core.dates`)."""
    return uk_datetime(moment)


class _Recipients:
    """Collects one event's recipients so nobody gets the same message twice."""

    def __init__(self, *, template: str, context: dict, link: str, ticket) -> None:
        self.template, self.context, self.link, self.ticket = template, context, link, ticket
        self._emailed: set[str] = set()
        self._told: set[int] = set()

    def user(self, user, *, email: bool = True) -> None:
        if user is None or user.pk in self._told:
            return
        self._told.add(user.pk)
        if email and user.email:
            if user.email.lower() in self._emailed:
                email = False
            self._emailed.add(user.email.lower())
        notification_deliver(
            user=user,
            event=self.template,
            context=self.context,
            link=self.link,
            ticket=self.ticket,
            email=email,
        )

    def mailbox(self, address: str) -> None:
        if not address or address.lower() in self._emailed:
            return
        self._emailed.add(address.lower())
        outbound_message_queue(
            template=self.template, to_email=address, context=self.context, ticket=self.ticket
        )

    def group(self, group) -> None:
        """A resolver group: its shared mailbox if it has one, else each member by email;
        every active member gets the portal notification either way."""
        if group is None:
            return
        self.mailbox(group.email)
        for member in group.members.filter(is_active=True).order_by("pk"):
            self.user(member, email=not group.email)


def _to_caller(case, template: str, **extra) -> None:
    link = _case_link(case)
    recipients = _Recipients(
        template=template,
        context={**_ticket_context(case, link=link), **extra},
        link=link,
        ticket=case,
    )
    recipients.user(case.caller)


def _to_desk(ticket, template: str, **extra) -> _Recipients:
    link = _console_link(ticket)
    return _Recipients(
        template=template,
        context={**_ticket_context(ticket, link=link), **extra},
        link=link,
        ticket=ticket,
    )


# --- to the raiser ---------------------------------------------------------------------------


def case_raised(case) -> None:
    """Acknowledgement to the raiser (§3.1) and an alert to service management (§5.17)."""
    _to_caller(case, "case_acknowledged")
    _to_desk(case, "case_new_alert").mailbox(settings.SERVICE_MANAGEMENT_EMAIL)


def case_status_changed(case, *, old_state: str) -> None:
    """The caller hears of every status change (§10.2); resolution invites confirmation and
    closure is confirmed (§10.3). A rejected resolution also tells whoever works the case."""
    State = type(case).State
    if case.state == old_state:
        return
    if case.state == State.RESOLVED:
        template = "case_rerouted" if case.triage_outcome == "rerouted" else "case_resolved"
        extra = {}
        if case.triage_outcome == "rerouted" and case.rerouted_to_id:
            desk = case.rerouted_to
            extra = {
                "desk_name": desk.name,
                "desk_contacts": desk_contact_lines(desk),
                "directory_link": f"{settings.PORTAL_BASE_URL}{reverse('portal:service_desks')}",
            }
        _to_caller(case, template, **extra)
    elif case.state == State.CLOSED:
        _to_caller(case, "case_closed")
    elif old_state == State.CLOSED:
        _to_caller(case, "case_reopened")
    elif case.state == State.ON_HOLD and case.hold_reason == type(case).HoldReason.AWAITING_CALLER:
        _to_caller(case, "case_information_requested")
    else:
        _to_caller(case, "case_status_changed", old_status=State(old_state).label)
    if old_state == State.RESOLVED and case.state == State.IN_PROGRESS:
        _case_worker(case, "case_resolution_rejected")


def case_comment_added(case, *, by_desk: bool, author=None) -> None:
    """A desk comment tells the caller (§10.2); a caller's comment tells whoever works the
    case, else service management (Appendix G). Work notes never come here."""
    if by_desk:
        _to_caller(case, "case_comment_added")
        return
    _case_worker(case, "case_caller_replied")


def _case_worker(case, template: str) -> None:
    """The caller's words go to whoever the case is assigned to, else the desk's mailbox."""
    recipients = _to_desk(case, template)
    if case.assigned_to_id:
        recipients.user(case.assigned_to)
    else:
        recipients.mailbox(settings.SERVICE_DESK_EMAIL)


def case_reopen_requested(request) -> None:
    """A participant asks to reopen a Closed case (§10.3): whoever works it, else the desk."""
    _case_worker(request.case, "case_reopen_requested")


def case_reopened(case, *, user) -> None:
    """The desk reopened a Closed case at `user`'s request (the caller hears through the
    status change)."""
    link = _case_link(case)
    _Recipients(
        template="case_reopened",
        context=_ticket_context(case, link=link),
        link=link,
        ticket=case,
    ).user(user)


def case_reopen_new_case(closed_case, *, new_case, user) -> None:
    """The desk answered a request to reopen `closed_case` with `new_case` (§10.3): the person
    who asked is told where to follow it. About the new case, so a reply lands there."""
    link = _case_link(new_case)
    _Recipients(
        template="case_reopen_new_case",
        context={**_ticket_context(new_case, link=link), "old_number": closed_case.number},
        link=link,
        ticket=new_case,
    ).user(user)


def case_update_proposed(case) -> None:
    """An incident's resolution or update awaits the desk's review before the caller hears
    of it (Appendix G): whoever works the case, else the desk's mailbox, is told."""
    _case_worker(case, "case_update_proposed")


def case_resolution_reminder(case, days_left: int) -> None:
    """Reminder from the auto-close sweep: confirm or reject before the case closes (§10.3)."""
    _to_caller(case, "case_resolution_reminder", days_left=days_left)


# --- to the desk -----------------------------------------------------------------------------


def triage_overdue(case, minutes: int) -> None:
    """First-line triage is due within 15 minutes (§4.1); service management hears at 15 and
    at 30 minutes of a case still untriaged."""
    _to_desk(case, "case_triage_overdue", minutes=minutes).mailbox(
        settings.SERVICE_MANAGEMENT_EMAIL
    )


def report_update_due(case, *, due_at: datetime) -> None:
    """A status update to a report request's requester is due (§14.4): whoever is assigned the
    case hears, else the service management mailbox."""
    recipients = _to_desk(case, "report_update_due", due=_uk(due_at))
    if case.assigned_to_id:
        recipients.user(case.assigned_to)
    else:
        recipients.mailbox(settings.SERVICE_MANAGEMENT_EMAIL)


def incident_assigned(incident) -> None:
    """The resolver group hears of a new assignment (§5.17 "Resolver Assignment Notification")."""
    group = incident.assignment_group
    if group is None:
        return
    _to_desk(incident, "incident_assigned", group=group.name).group(group)


def incident_reassigned(incident, old_group=None) -> None:
    """The incident moved between resolver groups (Appendix G); the new group is told."""
    group = incident.assignment_group
    if group is None:
        return
    if old_group is None:
        incident_assigned(incident)
        return
    _to_desk(incident, "incident_reassigned", group=group.name, old_group=old_group.name).group(
        group
    )


def problem_assigned(problem) -> None:
    """A problem is raised for, or moved to, a resolver group: the group is told, as for an
    incident (§5.17 "Resolver Assignment Notification", §6.4 step 6)."""
    group = problem.assignment_group
    if group is None:
        return
    _to_desk(problem, "problem_assigned", group=group.name).group(group)


def problem_updated(problem, *, what: str, actor=None) -> None:
    """§6.4 step 7: whoever raised the problem hears of its progress — a status change, a
    workaround recorded, a progress update — unless they made the change. `what` is fixed
    words from the service ("its status changed to Resolved"), never text someone typed."""
    raiser = problem.opened_by
    if raiser is None or not raiser.is_active or (actor is not None and raiser.pk == actor.pk):
        return
    _to_desk(problem, "problem_updated", what=what).user(raiser)


def incident_priority_set(
    incident, *, old_priority: str, product_owners=(), incident_managers=()
) -> None:
    """§5.17 "Priority Notification": the incident's priority was set or changed. The
    assigned resolver group, the product owners engaged on it and the incident managers hear
    the priority and the impact and urgency it comes from (fixed words, nothing typed)."""
    recipients = _to_desk(
        incident,
        "incident_priority_set",
        priority=incident.get_priority_display(),
        old_priority=old_priority or "none",
        impact=incident.get_impact_display(),
        urgency=incident.get_urgency_display(),
    )
    if incident.assignment_group_id:
        recipients.group(incident.assignment_group)
    for person in [*product_owners, *incident_managers]:
        recipients.user(person)


def incident_engaged(incident, *, person, role: str) -> None:
    """§5.17 "Engagement Notice": a person of the desk is engaged on the incident, in `role`
    (the engagement's role label: "Product owner", "Technical resolver")."""
    _to_desk(incident, "incident_engaged", role=role).user(person)


def ticket_assigned_to_person(ticket) -> None:
    """The person a ticket is assigned to is told, in the portal and by email."""
    if not ticket.assigned_to_id:
        return
    _to_desk(ticket, "ticket_assigned_to_person").user(ticket.assigned_to)


def _sla_alert(ticket, template: str, target_label: str, deadline: datetime) -> None:
    recipients = _to_desk(ticket, template, target=target_label, deadline=_uk(deadline))
    if ticket.assigned_to_id:
        recipients.user(ticket.assigned_to)
    elif ticket.assignment_group_id:
        recipients.group(ticket.assignment_group)
    recipients.mailbox(settings.SERVICE_MANAGEMENT_EMAIL)


def sla_at_risk(ticket, target_label: str, deadline: datetime) -> None:
    """An SLA target is close to its deadline: the assignee (else the assignment group) and
    the desk lead are warned."""
    _sla_alert(ticket, "sla_at_risk", target_label, deadline)


def sla_breached(ticket, target_label: str, deadline: datetime) -> None:
    """An SLA target has passed its deadline: the assignee (else the assignment group) and
    the desk lead are told."""
    _sla_alert(ticket, "sla_breached", target_label, deadline)


def major_incident_comms_due(*, number: str, due_at: datetime, late: bool, manager, link: str):
    """A major incident's next communication is due soon, now, or already late (§5.19.1): its
    manager is reminded, in the portal and by email; without a manager, the service
    management mailbox. The words say only the number and the due time."""
    context = {
        "number": number,
        "due": _uk(due_at),
        "late": late,
        "link": f"{settings.PORTAL_BASE_URL}{link}",
    }
    recipients = _Recipients(
        template="major_incident_comms_due", context=context, link=link, ticket=None
    )
    if manager is not None:
        recipients.user(manager)
    else:
        recipients.mailbox(settings.SERVICE_MANAGEMENT_EMAIL)


def major_incident_comms_late(*, number: str, due_at: datetime, desk_leads, link: str) -> None:
    """A major incident's communication is past due (§5.19.1): the desk lead (each active
    service manager) is alerted, in the portal and by email. The manager's name is typed by
    people, so the email names the war room rather than them (§10.5.5)."""
    context = {
        "number": number,
        "due": _uk(due_at),
        "link": f"{settings.PORTAL_BASE_URL}{link}",
    }
    recipients = _Recipients(
        template="major_incident_comms_late", context=context, link=link, ticket=None
    )
    for lead in desk_leads:
        recipients.user(lead)


# --- any other ticket type: the defaults -----------------------------------------------------


def _participant_link(ticket) -> str:
    """Where the caller reads the ticket: the type's portal page; a type without one is read
    in the caller's notification centre (participants never open the console)."""
    portal_url = ticket_type_for(ticket).portal_url
    if portal_url:
        return reverse(portal_url, kwargs={"number": ticket.number})
    return reverse("comms:notification_list")


def _ticket_words(ticket) -> dict:
    """What the generic templates call the ticket ("widget"): fixed words from its model."""
    return {"ticket_kind": ticket_type_for(ticket).verbose_name}


def _to_ticket_caller(ticket, template: str, **extra) -> None:
    link = _participant_link(ticket)
    recipients = _Recipients(
        template=template,
        context={**_ticket_context(ticket, link=link), **_ticket_words(ticket), **extra},
        link=link,
        ticket=ticket,
    )
    recipients.user(ticket.caller)


def _to_ticket_desk(ticket, template: str, **extra) -> _Recipients:
    return _to_desk(ticket, template, **_ticket_words(ticket), **extra)


def ticket_raised(ticket) -> None:
    """A new ticket of a type with default notifications: the caller is acknowledged when
    participants may see the type (§3.1), and its assignment group is told (§5.17)."""
    if ticket_type_for(ticket).participants_may_see:
        _to_ticket_caller(ticket, "ticket_acknowledged")
    group = ticket.assignment_group if ticket.assignment_group_id else None
    if group is not None:
        _to_ticket_desk(ticket, "ticket_assigned_to_group", group=group.name).group(group)


def ticket_status_changed(ticket, *, old_state: str) -> None:
    """A status change (§10.2): the caller hears of it when participants may see the type;
    for a staff-only type, whoever works it does (the assignee, else the group)."""
    if ticket.state == old_state:
        return
    old_status = type(ticket).State(old_state).label
    if ticket_type_for(ticket).participants_may_see:
        _to_ticket_caller(ticket, "ticket_status_changed", old_status=old_status)
        return
    recipients = _to_ticket_desk(ticket, "ticket_status_changed_staff", old_status=old_status)
    if ticket.assigned_to_id:
        recipients.user(ticket.assigned_to)
    elif ticket.assignment_group_id:
        recipients.group(ticket.assignment_group)


def ticket_comment_added(ticket, *, by_desk: bool, author=None) -> None:
    """A desk comment tells the caller, when participants may see the type (§10.2); a
    caller's comment tells the assignee, else service management (Appendix G). Work notes
    never come here."""
    if by_desk:
        if ticket_type_for(ticket).participants_may_see:
            _to_ticket_caller(ticket, "ticket_comment_added")
        return
    recipients = _to_ticket_desk(ticket, "ticket_caller_replied")
    if ticket.assigned_to_id:
        recipients.user(ticket.assigned_to)
    else:
        recipients.mailbox(settings.SERVICE_MANAGEMENT_EMAIL)


# --- about an account ------------------------------------------------------------------------


def account_security_notice(user, *, change: str) -> None:
    """A security-relevant change to an account (a second factor added or removed, a
    password changed); mandatory, so it cannot be switched off. `change` is fixed wording
    chosen by the caller, never user input."""
    link = reverse("account_change_password")
    context = {
        "change": change,
        "link": f"{settings.PORTAL_BASE_URL}{link}",
        "portal_base_url": settings.PORTAL_BASE_URL,
    }
    notification_deliver(user=user, event="account_security", context=context, link=link)


def registration_approved(registration) -> None:
    """A registration approved (§10.1): the person is attached and may now raise cases.
    Mandatory. Names neither the organisation nor anything typed (§10.5.5)."""
    _to_registrant(registration, "registration_approved", link=reverse("portal:home"))


def registration_refused(registration) -> None:
    """A registration refused (§10.1): the person is told there is an answer; the reason,
    typed by whoever refused it, is read in the portal, never emailed (§10.5.5). Mandatory."""
    _to_registrant(
        registration, "registration_refused", link=reverse("account_registration_status")
    )


def _to_registrant(registration, template: str, *, link: str) -> None:
    context = {"link": f"{settings.PORTAL_BASE_URL}{link}"}
    notification_deliver(user=registration.user, event=template, context=context, link=link)


# --- major-incident promotion (§5.11 steps 3–7, §5.17) ----------------------------------------


def major_incident_candidate_proposed(incident, *, recipients, link: str) -> None:
    """An incident is proposed as a major-incident candidate: each Major Incident Manager is
    told at once (§5.17: the escalation notifies the Incident Manager), with a link to the
    review page. The proposer's reason stays in the console."""
    told = _Recipients(
        template="major_incident_candidate_proposed",
        context=_ticket_context(incident, link=link),
        link=link,
        ticket=incident,
    )
    for user in recipients:
        told.user(user)


def major_incident_promoted(incident, *, major_number: str, recipients) -> None:
    """The candidate is promoted (§5.11 step 7): its Major Incident Manager, triage lead and
    proposer are told, each once."""
    told = _to_desk(incident, "major_incident_promoted", major_number=major_number)
    for user in recipients:
        told.user(user)


def major_incident_candidate_rejected(incident, *, recipient) -> None:
    """The candidate is not a major incident (§5.11 step 6): the proposer is told; the reason
    is on the incident's journal in the console."""
    _to_desk(incident, "major_incident_candidate_rejected").user(recipient)


# --- post major incident reviews (§5.23, Appendix E) -----------------------------------------


def _review_link(review) -> str:
    return reverse("admin:major_incidents_postincidentreview_change", args=[review.pk])


def _review_recipients(review, template: str, *, ticket, **extra) -> _Recipients:
    link = _review_link(review)
    context = {
        "number": review.incident_report_ref or review.incident_ref,
        "link": f"{settings.PORTAL_BASE_URL}{link}",
        **extra,
    }
    return _Recipients(template=template, context=context, link=link, ticket=ticket)


def review_milestone_due(
    review, *, milestone_title: str, due_at: datetime, overdue: bool, manager, ticket=None
) -> None:
    """A §5.23 milestone of a post-incident review is due within the hour or overdue: the
    Major Incident Manager is reminded (once per milestone), else the service management
    mailbox. The milestone's title is fixed wording; nothing typed is emailed."""
    recipients = _review_recipients(
        review,
        "review_milestone_due",
        ticket=ticket,
        target=milestone_title,
        due=_uk(due_at),
        deadline="overdue" if overdue else "due soon",
    )
    if manager is not None and manager.is_active:
        recipients.user(manager)
    else:
        recipients.mailbox(settings.SERVICE_MANAGEMENT_EMAIL)


def review_action_assigned(review, *, owner, due_on, ticket=None) -> None:
    """A follow-up action of a post-incident review was given to `owner` (Appendix E "Owner /
    Action / Due"): the owner is told, with the review and the due date — not the action's
    words, which are read in the console."""
    _review_recipients(review, "review_action_assigned", ticket=ticket, due=uk_date(due_on)).user(
        owner
    )


# --- knowledge articles (§11, §12) ------------------------------------------------------------


def _knowledge_recipients(template: str, *, number: str, link: str, **extra) -> _Recipients:
    context = {"number": number, "link": f"{settings.PORTAL_BASE_URL}{link}", **extra}
    return _Recipients(template=template, context=context, link=link, ticket=None)


def knowledge_review_due(*, number: str, due_on, owner, link: str) -> None:
    """An article's three-monthly review falls due soon (§12): its owner is reminded, once
    per review date."""
    _knowledge_recipients(
        "knowledge_review_due", number=number, link=link, due=uk_date(due_on)
    ).user(owner)


def knowledge_review_overdue(*, number: str, due_on, recipients, link: str) -> None:
    """An article's review date has passed (§12): each knowledge manager is told, once per
    review date."""
    told = _knowledge_recipients(
        "knowledge_review_overdue", number=number, link=link, due=uk_date(due_on)
    )
    for user in recipients:
        told.user(user)


def knowledge_approval_requested(*, number: str, version: str, recipients, link: str) -> None:
    """A version was sent for review: whoever decides on it is told — the named approvers of a
    controlled document, else the knowledge managers (§12 approval workflow)."""
    told = _knowledge_recipients(
        "knowledge_approval_requested", number=number, link=link, version=version
    )
    for user in recipients:
        told.user(user)


def knowledge_version_returned(*, number: str, version: str, author, link: str) -> None:
    """A version sent for review was returned to its author; the comment is read in the
    console."""
    _knowledge_recipients(
        "knowledge_version_returned", number=number, link=link, version=version
    ).user(author)


def knowledge_controlled_document_published(*, number: str, version: str, recipients, link: str):
    """A new version of a controlled document is published (§12): its owner, author and named
    approvers are told, each once. The summary of changes is typed by people, so it is read on
    the article's console page with the comparison, not carried by the email (§10.5.5)."""
    told = _knowledge_recipients(
        "knowledge_controlled_document_published", number=number, link=link, version=version
    )
    for user in recipients:
        told.user(user)
