"""Seed a PostgreSQL database with a running desk's worth of cases for the page benchmark.

`manage.py bench_seed --cases N` (and `make bench`, which calls it) fills a dedicated database
with N cases in the proportions of a desk that has been running for two years, so the pages
are measured against the data they will meet, not an empty table:

- an organisation tree (materialised path): ten top-level organisations "Bench Energy 01" …
  "10", each with four divisions and two sub-divisions under the first (seven per tree), and
  three people in each. Cases fall into the ten trees evenly, so the bench participant, in
  the root of tree 01, sees about 10% of them, plus about one in a thousand of the others,
  which they raised as caller for another organisation;
- states as a desk has them: 0.5% New (5,000 at a million), 3% In Progress, 1% On Hold,
  2% Resolved, 1.5% Cancelled, the rest Closed; categories, channels (85% portal),
  priorities, one in five triaged as a §7.2 service request;
- three journal entries per case (the system's "raised" line, a comment, a work note);
- the SLA clocks the engine would hold (`TicketSLA`, from the real `SLADefinition` rows): the
  acknowledgement and first-line triage clocks of portal cases (triage running while New,
  stopped otherwise), a request's response clock, and a resolution clock once prioritised —
  running, paused while On Hold, stopped when resolved — each with its `TicketSLAEvent`
  timeline (started, paused, stopped). About one in eight is breached, as it would be flagged
  by the sweeps up to a minute ago.

Everything is set-based: one `INSERT … SELECT generate_series` for the cases, then one
statement per kind of row reading the cases back (`core.bulk_seed`), then VACUUM ANALYZE. Per-case
variety comes from `hashint8extended(i, salt)`, so a seed is reproducible and each
statement can recompute a case's draws from its number. States take the exact shares from
`(i * 389) % 1000`, a permutation of the residues, so 0.5% New holds at any N ≥ 1,000.

Bench cases are numbered like real ones but with ten digits (`CS0000000001`): they match the
registry's `number_pattern` and the URL converters, and real numbering (seven digits, from
`TicketSequence`) does not reach ten digits before a billion cases, so the number alone tells
bench data from real data.
"""

# ruff: noqa: S608 - every statement here is built from constants and model meta; values from
# outside travel as parameters.

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from accounts import roles
from accounts.models import Organisation, User
from accounts.services import organisation_create
from cases.models import Case
from core.bulk_seed import insert_select_sql
from sla.models import SLADefinition, TicketSLA, TicketSLAEvent
from sla.services.machine import hold_label, stop_label
from tickets.models import Category, JournalEntry

DEFAULT_CASES = 20_000
NUMBER_DIGITS = 10
BENCH_NUMBER_REGEX = rf"^{Case.NUMBER_PREFIX}[0-9]{{{NUMBER_DIGITS}}}$"

TREES = 10
# Each tree: the root, four divisions, and two sub-divisions of the first division.
DIVISIONS = ("Supply", "Metering", "Trading", "Networks")
SUB_DIVISIONS = ("Supply North", "Supply South")
NODES_PER_TREE = 1 + len(DIVISIONS) + len(SUB_DIVISIONS)
PEOPLE_PER_ORGANISATION = 3

EMAIL_DOMAIN = "bench.mhhs.example"
PARTICIPANT_EMAIL = f"participant@{EMAIL_DOMAIN}"
AGENT_EMAIL = f"agent@{EMAIL_DOMAIN}"
# A bench database is disposable and local; the password and TOTP secret are printed so a
# person can sign in to look at what was measured.
BENCH_PASSWORD = "bench-portal-password"
AGENT_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# Shares per mille of the state draw `(i * 389) % 1000`, in this order.
STATE_SHARES = (
    (Case.State.NEW, 5),
    (Case.State.IN_PROGRESS, 30),
    (Case.State.ON_HOLD, 10),
    (Case.State.RESOLVED, 20),
    (Case.State.CANCELLED, 15),
    (Case.State.CLOSED, 920),
)
REQUEST_SHARE = 0.2  # of triaged cases, made §7.2 service requests
FOREIGN_CALLER_SHARE = 0.001  # of other trees' cases, raised by the bench participant
# Request types seeded (Custom has no resolution target until agreed, so it is left out).
REQUEST_TYPES = (("standard", 0.6), ("complex", 0.25), ("high_priority", 0.15))
PRIORITIES = ((1, 0.02), (2, 0.10), (3, 0.50), (4, 0.38))
# Impact and urgency that give each priority (tickets.priority's matrix).
IMPACT_URGENCY = {1: (1, 1), 2: (2, 1), 3: (2, 2), 4: (3, 3)}
CHANNELS = (("portal", 0.85), ("email", 0.08), ("api", 0.05), ("phone", 0.02))
HOLD_REASONS = (
    ("awaiting_caller", 0.4),
    ("awaiting_vendor", 0.3),
    ("awaiting_change", 0.15),
    ("awaiting_problem", 0.15),
)
SUBJECTS = (
    "Settlement run missing half-hourly consumption",
    "DIP message rejected with schema error",
    "Cannot see MPAN registration in portal",
    "Request for access to the reporting service",
    "Late data submission for settlement date",
    "Duplicate readings received from data service",
    "Query on aggregation results for GSP group",
    "Certificate renewal for DIP connection",
    "Change of supplier flow not processed",
    "Reconciliation difference on volume allocation",
    "Market-wide data service timeout",
    "Incorrect market role shown on account",
)
DESCRIPTION = (
    "Seeded by bench_seed. Since the last settlement run our submissions for the affected "
    "metering points are not reflected in the aggregation output. We have checked the "
    "acknowledgements on our side and resubmitted once. Please investigate and advise whether "
    "further action is needed from us."
)
COMMENT_BY_DESK = (
    "Thank you for raising this. We are looking into it with the data service and will "
    "update the case as soon as we know more."
)
COMMENT_BY_CALLER = "Adding detail: the problem started after the overnight run."
WORK_NOTE = "Checked the DIP logs: the messages arrived; escalated to second line for analysis."
ACK_NOTE = "Acknowledgement sent"

# Salts of the per-case draws; each statement recomputes the draws it needs from the number.
SALT = {
    "tree": 1,
    "node": 2,
    "caller": 3,
    "foreign": 4,
    "channel": 5,
    "request": 6,
    "priority": 7,
    "request_type": 8,
    "category": 9,
    "subject": 10,
    "age": 11,
    "when": 12,
    "gap": 13,
    "triage": 14,
    "hold": 15,
    "ack": 16,
    "party": 17,
}
DAY = 86_400.0


def draw(name: str, i: str) -> str:
    """A uniform draw in [0, 1) for case `i`, the same in every statement that asks."""
    return f"((hashint8extended({i}, {SALT[name]}) & 2147483647)::float8 / 2147483648.0)"


def _pick(u: str, choices, *, quote: bool = True) -> str:
    """SQL choosing among (value, share) pairs by the uniform draw `u`."""
    shown = (lambda value: f"'{value}'") if quote else str
    parts, cumulative = [], 0.0
    for value, share in choices[:-1]:
        cumulative += share
        parts.append(f"WHEN {u} < {cumulative} THEN {shown(value)}")
    return f"(CASE {' '.join(parts)} ELSE {shown(choices[-1][0])} END)"


def _case_i(alias: str = "c") -> str:
    """A bench case's index, read back from its number."""
    return f"substr({alias}.number, {len(Case.NUMBER_PREFIX) + 1})::bigint"


def bench_cases():
    """Every bench case (ten-digit numbers); anything else in the table is someone's data."""
    return Case.objects.filter(number__regex=BENCH_NUMBER_REGEX)


def real_cases_exist() -> bool:
    return Case.objects.exclude(number__regex=BENCH_NUMBER_REGEX).exists()


def span_seconds(definition: SLADefinition) -> float:
    """The wall-clock span a definition's target usually covers: working time on the business
    calendar (9-hour days, five a week) is stretched to calendar time, so seeded deadlines
    fall about where the engine would put them."""
    seconds = definition.duration.total_seconds()
    if definition.calendar == "24x7":
        return seconds
    return seconds / (9 * 3600) * DAY * 7 / 5


# --- people ----------------------------------------------------------------------------------


@dataclass
class BenchPeople:
    participant: User
    agent: User
    # Organisation ids and their people, in tree order (tree 0 is the participant's).
    organisation_ids: list[int]
    caller_ids: list[int]


def _organisation(name: str, parent: Organisation | None) -> Organisation:
    found = Organisation.objects.filter(name=name).first()
    return found or organisation_create(name=name, parent=parent, party_id="")


def _person(email: str, *, group: str, password: str | None = None, **fields) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, **fields)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        user.groups.add(Group.objects.get(name=group))
    return user


def bench_people_ensure() -> BenchPeople:
    """The organisation tree, three people per organisation, the participant and the agent;
    created once, found again on later runs (a few hundred rows: the ORM and services do)."""
    organisation_ids: list[int] = []
    caller_ids: list[int] = []
    participant = None
    for tree in range(1, TREES + 1):
        root = _organisation(f"Bench Energy {tree:02d}", None)
        nodes = [root]
        divisions = [_organisation(f"{root.name} {name}", root) for name in DIVISIONS]
        nodes += divisions
        nodes += [_organisation(f"{root.name} {name}", divisions[0]) for name in SUB_DIVISIONS]
        for node in nodes:
            organisation_ids.append(node.pk)
            for person in range(PEOPLE_PER_ORGANISATION):
                if tree == 1 and node is root and person == 0:
                    user = _person(
                        PARTICIPANT_EMAIL,
                        group=roles.SERVICE_USER,
                        password=BENCH_PASSWORD,
                        organisation=node,
                        full_name="Bench Participant",
                    )
                    participant = user
                else:
                    user = _person(
                        f"user-{node.pk}-{person}@{EMAIL_DOMAIN}",
                        group=roles.SERVICE_USER,
                        organisation=node,
                    )
                caller_ids.append(user.pk)
    agent = _person(
        AGENT_EMAIL,
        group=roles.SERVICE_DESK_AGENT,
        password=BENCH_PASSWORD,
        is_staff=True,
        full_name="Bench Agent",
    )
    # Staff must have a second factor (§10.5.2): without it every console page redirects.
    if not Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(agent, AGENT_TOTP_SECRET)
    return BenchPeople(participant, agent, organisation_ids, caller_ids)


# --- the statements --------------------------------------------------------------------------


@dataclass
class Reference:
    """What the statements read from the migrations' reference data, looked up once."""

    case_type: int
    categories: list[int]
    request_category: int
    acknowledgement: SLADefinition
    triage: SLADefinition
    resolution: dict[int, SLADefinition]  # by priority
    request_response: dict[str, SLADefinition]  # by request type
    request_resolution: dict[str, SLADefinition]


def reference_load() -> Reference:
    definitions = {d.name: d for d in SLADefinition.objects.all()}
    labels = {"standard": "Standard", "complex": "Complex", "high_priority": "High Priority"}
    return Reference(
        case_type=ContentType.objects.get_for_model(Case).pk,
        categories=list(
            Category.objects.filter(active=True, is_service_request=False).values_list(
                "pk", flat=True
            )
        ),
        request_category=Category.objects.filter(active=True, is_service_request=True)
        .values_list("pk", flat=True)
        .first(),
        acknowledgement=definitions["Acknowledgement"],
        triage=definitions["First-line triage"],
        resolution={p: definitions[f"Case P{p} resolution"] for p, _share in PRIORITIES},
        request_response={
            t: definitions[f"{labels[t]} request response"] for t, _ in REQUEST_TYPES
        },
        request_resolution={
            t: definitions[f"{labels[t]} request resolution"] for t, _ in REQUEST_TYPES
        },
    )


def _resolution_span_sql(ref: Reference, priority: str, request_type: str) -> str:
    by_type = " ".join(
        f"WHEN '{t}' THEN {span_seconds(d)}" for t, d in ref.request_resolution.items()
    )
    by_priority = " ".join(f"WHEN {p} THEN {span_seconds(d)}" for p, d in ref.resolution.items())
    return (
        f"(CASE WHEN {request_type} <> '' THEN (CASE {request_type} {by_type} END) "
        f"WHEN {priority} IS NULL THEN 0 ELSE (CASE {priority} {by_priority} END) END)"
    )


def cases_sql(n: int, ref: Reference, people: BenchPeople, now: datetime) -> tuple[str, dict]:
    """One statement for N cases: draws (level a), kind of case (b), timings (c), columns."""
    u = {name: f"a.u_{name}" for name in SALT}
    draws = ", ".join(f"{draw(name, 's.i')} AS u_{name}" for name in SALT)
    thresholds, cumulative = [], 0
    for state, share in STATE_SHARES[:-1]:
        cumulative += share
        thresholds.append(f"WHEN a.bucket < {cumulative} THEN '{state}'")
    state = f"(CASE {' '.join(thresholds)} ELSE '{STATE_SHARES[-1][0]}' END)"
    untriaged = f"{state} IN ('new', 'cancelled')"
    request = f"(NOT {untriaged} AND {u['request']} < {REQUEST_SHARE})"
    priority = (
        f"(CASE WHEN {untriaged} THEN NULL WHEN {request} THEN 4 "
        f"ELSE {_pick(u['priority'], PRIORITIES, quote=False)} END)"
    )
    request_type = (
        f"(CASE WHEN {request} THEN {_pick(u['request_type'], REQUEST_TYPES)} ELSE '' END)"
    )
    level_b = (
        f"SELECT a.*, {state} AS state, {priority} AS priority, {request_type} AS request_type, "
        f"{_pick(u['channel'], CHANNELS)} AS channel, "
        f"floor({u['tree']} * {TREES})::int * {NODES_PER_TREE} "
        f"+ floor({u['node']} * {NODES_PER_TREE})::int AS slot "
        f"FROM (SELECT s.i, (s.i * 389) %% 1000 AS bucket, {draws} "
        f"FROM generate_series(1, {int(n)}) AS s(i) OFFSET 0) a OFFSET 0"
    )
    span = _resolution_span_sql(ref, "b.priority", "b.request_type")
    # Time to resolve: up to 1.15 target spans (about one in eight late), at least 20 minutes
    # so triage (within 18 minutes) came first.
    ttr = f"GREATEST(b.u_age * 1.15 * {span}, 1200)"
    closed = (
        f"(CASE b.state WHEN 'closed' THEN %(now)s - make_interval(secs => "
        f"{DAY / 2} + b.u_when * 730 * {DAY}) "
        f"WHEN 'cancelled' THEN %(now)s - make_interval(secs => b.u_when * 730 * {DAY}) END)"
    )
    resolved = (
        f"(CASE b.state WHEN 'resolved' THEN %(now)s - make_interval(secs => b.u_when * 5 * {DAY}) "
        f"WHEN 'closed' THEN {closed} - make_interval(secs => b.u_gap * 5 * {DAY}) END)"
    )
    opened = (
        f"(CASE b.state WHEN 'new' THEN %(now)s - make_interval(secs => b.u_age * 3600) "
        f"WHEN 'cancelled' THEN {closed} - make_interval(secs => GREATEST(b.u_age * 7200, 1200)) "
        f"WHEN 'resolved' THEN {resolved} - make_interval(secs => {ttr}) "
        f"WHEN 'closed' THEN {resolved} - make_interval(secs => {ttr}) "
        f"ELSE %(now)s - make_interval(secs => GREATEST(b.u_age * 1.3 * {span}, 1200)) END)"
    )
    source = (
        f"FROM (SELECT b.*, {opened} AS opened_at, {resolved} AS resolved_at, "
        f"{closed} AS closed_at FROM ({level_b}) b OFFSET 0) c"
    )
    triaged = "c.state NOT IN ('new', 'cancelled')"
    triage_at = "(c.opened_at + make_interval(secs => 60 + c.u_triage * 1020))"
    caller = (
        f"(CASE WHEN c.slot >= {NODES_PER_TREE} AND c.u_foreign < {FOREIGN_CALLER_SHARE} "
        f"THEN %(participant)s ELSE (%(callers)s::bigint[])"
        f"[1 + c.slot * {PEOPLE_PER_ORGANISATION} + floor(c.u_caller * {PEOPLE_PER_ORGANISATION})::int] END)"
    )
    impact = " ".join(f"WHEN {p} THEN {iu[0]}" for p, iu in IMPACT_URGENCY.items())
    urgency = " ".join(f"WHEN {p} THEN {iu[1]}" for p, iu in IMPACT_URGENCY.items())
    subjects = "ARRAY[" + ", ".join(f"'{s}'" for s in SUBJECTS) + "]"
    values = {
        "number": f"'{Case.NUMBER_PREFIX}' || lpad(c.i::text, {NUMBER_DIGITS}, '0')",
        "short_description": f"({subjects})[1 + floor(c.u_subject * {len(SUBJECTS)})::int]",
        "description": "%(description)s",
        "organisation": "(%(organisations)s::bigint[])[1 + c.slot]",
        "caller": caller,
        "opened_by": caller,
        "assigned_to": f"(CASE WHEN {triaged} THEN %(agent)s END)",
        "category": (
            "(CASE WHEN c.request_type <> '' THEN %(request_category)s ELSE "
            "(%(categories)s::bigint[])[1 + floor(c.u_category * %(category_count)s)::int] END)"
        ),
        "impact": f"(CASE c.priority {impact} END)",
        "urgency": f"(CASE c.priority {urgency} END)",
        "priority": "c.priority",
        "state": "c.state",
        "hold_reason": f"(CASE WHEN c.state = 'on_hold' THEN {_pick('c.u_hold', HOLD_REASONS)} ELSE '' END)",
        "resolution_code": "(CASE WHEN c.resolved_at IS NOT NULL THEN 'solved' ELSE '' END)",
        "resolution_notes": (
            "(CASE WHEN c.resolved_at IS NOT NULL THEN 'Resubmitted after the data service fix; "
            "settlement output confirmed.' ELSE '' END)"
        ),
        "cancel_reason": "(CASE WHEN c.state = 'cancelled' THEN 'raised_in_error' ELSE '' END)",
        "opened_at": "c.opened_at",
        "updated_at": "COALESCE(c.closed_at, c.resolved_at, %(now)s)",
        "resolved_at": "c.resolved_at",
        "closed_at": "c.closed_at",
        "active": "c.state NOT IN ('closed', 'cancelled')",
        "party_id": "(CASE WHEN c.u_party < 0.5 THEN 'BNCH' || (c.slot %% 97) ELSE '' END)",
        "no_party_id": "c.u_party >= 0.5",
        "channel": "c.channel",
        "triage_outcome": "(CASE WHEN c.request_type <> '' THEN 'request' ELSE '' END)",
        "triaged_at": f"(CASE WHEN c.request_type <> '' THEN {triage_at} END)",
        "triaged_by": "(CASE WHEN c.request_type <> '' THEN %(agent)s END)",
        "request_type": "c.request_type",
    }
    sql, params = insert_select_sql(Case, values, source=source)
    params.update(
        now=now,
        description=DESCRIPTION,
        organisations=people.organisation_ids,
        callers=people.caller_ids,
        participant=people.participant.pk,
        agent=people.agent.pk,
        categories=ref.categories,
        category_count=len(ref.categories),
        request_category=ref.request_category,
    )
    return sql, params


def _clock_values(
    *,
    definition: str,
    target_type: str,
    calendar: str,
    target: str,
    span: str,
    stop: str,
    pause: str,
    stop_reason: str,
) -> dict[str, str]:
    """A clock's columns from its instants: `stop` (NULL while open), `pause` (NULL unless
    paused), spans in seconds. Elapsed working time is the wall-clock share of the span scaled
    to the target; the flags are what the sweeps would have set up to a minute ago."""
    boundary = f"COALESCE({stop}, {pause})"
    deadline = f"(c.opened_at + make_interval(secs => {span}))"
    at_risk_at = f"(c.opened_at + make_interval(secs => 0.75 * {span}))"
    swept = "(%(now)s - interval '1 minute')"
    until = f"COALESCE({boundary}, {swept})"
    breached = f"({deadline} < {until})"
    elapsed = (
        f"(CASE WHEN {boundary} IS NULL THEN interval '0' ELSE make_interval(secs => "
        f"{target} * extract(epoch FROM {boundary} - c.opened_at) / {span}) END)"
    )
    return {
        "ticket_type_id": "%(case_type)s",
        "ticket_id": "c.id",
        "definition_id": definition,
        "replaces_id": "NULL",
        "target_type": target_type,
        "calendar": calendar,
        "target": f"make_interval(secs => {target})",
        "at_risk_percent": "75",
        "started_at": "c.opened_at",
        "deadline": deadline,
        "at_risk_at": at_risk_at,
        "running_since": f"(CASE WHEN {boundary} IS NULL THEN c.opened_at END)",
        "paused_since": f"(CASE WHEN {stop} IS NULL THEN {pause} END)",
        "stopped_at": stop,
        "stop_reason": f"COALESCE((CASE WHEN {stop} IS NOT NULL THEN {stop_reason} END), '')",
        "cancelled": "FALSE",
        "elapsed": elapsed,
        "paused_total": "interval '0'",
        "at_risk": f"({at_risk_at} <= {until})",
        "breached": breached,
        "breached_at": f"(CASE WHEN {breached} THEN {deadline} END)",
        "synced_history_id": "0",
        "created_at": "c.opened_at",
        "updated_at": "%(now)s",
    }


def _by(column: str, mapping: dict, value) -> str:
    """`CASE <column> WHEN key THEN value(definition) … END` over a definition mapping."""
    keys = " ".join(
        f"WHEN {key if isinstance(key, int) else repr(key)} THEN {value(d)}"
        for key, d in mapping.items()
    )
    return f"(CASE {column} {keys} END)"


def clocks_sql(ref: Reference, now: datetime) -> list[tuple[str, str, dict]]:
    """(label, statement, params) per kind of clock: each inserts the clocks of the bench cases
    that have one and, in the same statement, their timeline events."""
    i = _case_i()
    triage_at = f"(c.opened_at + make_interval(secs => 60 + {draw('triage', i)} * 1020))"
    ack_at = f"(c.opened_at + make_interval(secs => 1 + {draw('ack', i)} * 5))"
    pause_at = (
        f"(CASE WHEN c.state = 'on_hold' THEN GREATEST({triage_at}, "
        f"%(now)s - make_interval(secs => {draw('gap', i)} * 2 * {DAY})) END)"
    )
    bench = f"c.number ~ '{BENCH_NUMBER_REGEX}'"
    definition_note = "'“' || d.name || '” applied from ' || to_char(c.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'"
    ack, triage = ref.acknowledgement, ref.triage
    secs = lambda d: d.duration.total_seconds()  # noqa: E731
    kinds = [
        (
            "acknowledgement",
            _clock_values(
                definition=str(ack.pk),
                target_type=f"'{ack.target_type}'",
                calendar=f"'{ack.calendar}'",
                target=str(secs(ack)),
                span=str(span_seconds(ack)),
                stop=ack_at,
                pause="NULL::timestamptz",
                stop_reason="'acknowledged'",
            ),
            f"{bench} AND c.channel = 'portal'",
        ),
        (
            "triage",
            _clock_values(
                definition=str(triage.pk),
                target_type=f"'{triage.target_type}'",
                calendar=f"'{triage.calendar}'",
                target=str(secs(triage)),
                span=str(span_seconds(triage)),
                stop=(
                    f"(CASE c.state WHEN 'new' THEN NULL WHEN 'cancelled' THEN c.closed_at "
                    f"ELSE {triage_at} END)"
                ),
                pause="NULL::timestamptz",
                stop_reason=(
                    "(CASE WHEN c.state = 'cancelled' THEN 'cancelled' "
                    "WHEN c.triage_outcome = 'request' THEN 'triaged' ELSE 'in_progress' END)"
                ),
            ),
            f"{bench} AND c.channel = 'portal'",
        ),
        (
            "request response",
            _clock_values(
                definition=_by("c.request_type", ref.request_response, lambda d: d.pk),
                target_type="'response'",
                calendar=_by("c.request_type", ref.request_response, lambda d: f"'{d.calendar}'"),
                target=_by("c.request_type", ref.request_response, secs),
                span=_by("c.request_type", ref.request_response, span_seconds),
                stop=triage_at,
                pause="NULL::timestamptz",
                stop_reason="'in_progress'",
            ),
            f"{bench} AND c.request_type <> ''",
        ),
        (
            "resolution",
            _clock_values(
                definition=(
                    f"(CASE WHEN c.request_type <> '' THEN "
                    f"{_by('c.request_type', ref.request_resolution, lambda d: d.pk)} "
                    f"ELSE {_by('c.priority', ref.resolution, lambda d: d.pk)} END)"
                ),
                target_type="'resolution'",
                calendar=(
                    f"(CASE WHEN c.request_type <> '' THEN "
                    f"{_by('c.request_type', ref.request_resolution, lambda d: repr(d.calendar))} "
                    f"ELSE {_by('c.priority', ref.resolution, lambda d: repr(d.calendar))} END)"
                ),
                target=(
                    f"(CASE WHEN c.request_type <> '' THEN "
                    f"{_by('c.request_type', ref.request_resolution, secs)} "
                    f"ELSE {_by('c.priority', ref.resolution, secs)} END)"
                ),
                span=_resolution_span_sql(ref, "c.priority", "c.request_type"),
                stop="c.resolved_at",
                pause=pause_at,
                stop_reason="'resolved'",
            ),
            f"{bench} AND c.priority IS NOT NULL",
        ),
    ]
    stopped = {
        reason: stop_label(reason, target_type)
        for reason, target_type in (
            ("acknowledged", "acknowledgement"),
            ("triaged", "triage"),
            ("in_progress", "response"),
            ("cancelled", "triage"),
            ("resolved", "resolution"),
        )
    }
    stopped_detail = (
        "(CASE k.stop_reason "
        + " ".join(f"WHEN '{reason}' THEN '{label}'" for reason, label in stopped.items())
        + " ELSE k.stop_reason END)"
    )
    paused_detail = (
        "(CASE c.hold_reason "
        + " ".join(f"WHEN '{r}' THEN '{hold_label(r)}'" for r, _share in HOLD_REASONS)
        + " END)"
    )
    paused_detail = f"'On Hold — ' || {paused_detail}"
    statements = []
    for label, values, where in kinds:
        insert, params = insert_select_sql(
            TicketSLA,
            values,
            source=f"FROM {Case._meta.db_table} c WHERE {where}",
            fill_defaults=False,
        )
        # The engine notes when a definition that applies only after triage took effect.
        note = "''" if label in ("acknowledgement", "triage") else definition_note
        events = (
            f"WITH k AS ({insert} RETURNING *) "
            f"INSERT INTO {TicketSLAEvent._meta.db_table} "
            f"(clock_id, kind, at, counted, excluded, elapsed, detail, note, created_at) "
            f"SELECT k.id, e.kind, e.at, e.elapsed, interval '0', e.elapsed, e.detail, e.note, "
            f"%(now)s FROM k JOIN {Case._meta.db_table} c ON c.id = k.ticket_id "
            f"JOIN {SLADefinition._meta.db_table} d ON d.id = k.definition_id "
            f"CROSS JOIN LATERAL (VALUES "
            f"('started', k.started_at, interval '0', 'Counted from when the ticket was raised', "
            f"{note}), "
            f"('paused', k.paused_since, k.elapsed, {paused_detail}, ''), "
            f"('stopped', k.stopped_at, k.elapsed, {stopped_detail}, '')"
            f") AS e(kind, at, elapsed, detail, note) WHERE e.at IS NOT NULL"
        )
        params.update(now=now, case_type=ref.case_type)
        statements.append((label, events, params))
    return statements


def journal_sql(ref: Reference, people: BenchPeople, now: datetime) -> tuple[str, dict]:
    """Three entries per case: raised (system), a comment (the desk's, or the caller's while
    New), and a work note."""
    channel = " ".join(
        f"WHEN '{value}' THEN 'Case raised through the {label.lower()}.'"
        for value, label in Case.Channel.choices
    )
    values = {
        "ticket_type_id": "%(case_type)s",
        "ticket_id": "c.id",
        "kind": "e.kind",
        "author_id": "e.author",
        "body": "e.body",
        "created_at": "LEAST(e.at, %(now)s)",
    }
    source = (
        f"FROM {Case._meta.db_table} c CROSS JOIN LATERAL (VALUES "
        f"('system', c.caller_id, (CASE c.channel {channel} END), c.opened_at), "
        f"('comment', (CASE WHEN c.state = 'new' THEN c.caller_id ELSE %(agent)s END), "
        f"(CASE WHEN c.state = 'new' THEN %(by_caller)s ELSE %(by_desk)s END), "
        f"c.opened_at + interval '2 minutes'), "
        f"('work_note', %(agent)s, %(work_note)s, c.opened_at + interval '5 minutes')"
        f") AS e(kind, author, body, at) WHERE c.number ~ '{BENCH_NUMBER_REGEX}'"
    )
    sql, params = insert_select_sql(JournalEntry, values, source=source, fill_defaults=False)
    params.update(
        now=now,
        case_type=ref.case_type,
        agent=people.agent.pk,
        by_caller=COMMENT_BY_CALLER,
        by_desk=COMMENT_BY_DESK,
        work_note=WORK_NOTE,
    )
    return sql, params


# --- the whole seed --------------------------------------------------------------------------


@dataclass
class SeedReport:
    cases: int
    removed: int
    timings: dict[str, float]  # step → seconds
    rows: dict[str, int]  # step → rows its statement inserted (a clock step: the events)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


def bench_remove() -> int:
    """Delete earlier bench cases with their journal and clocks (events cascade with the clocks
    in the database only through Django, so they are deleted explicitly first)."""
    case_type = ContentType.objects.get_for_model(Case).pk
    cases = f"SELECT id FROM {Case._meta.db_table} WHERE number ~ %s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TicketSLAEvent._meta.db_table} WHERE clock_id IN "
            f"(SELECT id FROM {TicketSLA._meta.db_table} WHERE ticket_type_id = %s "
            f"AND ticket_id IN ({cases}))",
            [case_type, BENCH_NUMBER_REGEX],
        )
        for model in (TicketSLA, JournalEntry):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE ticket_type_id = %s "
                f"AND ticket_id IN ({cases})",
                [case_type, BENCH_NUMBER_REGEX],
            )
        cursor.execute(
            f"DELETE FROM {Case._meta.db_table} WHERE number ~ %s",
            [BENCH_NUMBER_REGEX],
        )
        return cursor.rowcount


def deadline_mirror_sql() -> list[tuple[str, str, dict]]:
    """The deadlines the SLA engine keeps on the case (`sla_deadline_fields`: the running
    triage clock's deadline in `triage_due_at`, which orders the triage queue)."""
    steps = []
    for target_type, field_name in Case.TICKET_TYPE.sla_deadline_fields.items():
        column = Case._meta.get_field(field_name).column
        steps.append(
            (
                f"{field_name} from clocks",
                f"UPDATE {Case._meta.db_table} AS c SET {column} = t.deadline "  # noqa: S608 - names from model meta
                f"FROM {TicketSLA._meta.db_table} AS t "
                "WHERE t.ticket_type_id = %(case_type)s AND t.ticket_id = c.id "
                "AND t.target_type = %(target_type)s AND t.stopped_at IS NULL "
                "AND NOT t.cancelled AND t.deadline IS NOT NULL",
                {
                    "case_type": ContentType.objects.get_for_model(Case).pk,
                    "target_type": target_type,
                },
            )
        )
    return steps


def bench_seed(n: int, *, people: BenchPeople, now: datetime | None = None) -> SeedReport:
    """Replace the bench cases with N new ones and everything that hangs off them."""
    now = now or timezone.now()
    timings: dict[str, float] = {}
    rows: dict[str, int] = {}

    started = time.perf_counter()
    removed = bench_remove() if bench_cases().exists() else 0
    timings["remove earlier"] = time.perf_counter() - started
    ref = reference_load()
    with transaction.atomic(), connection.cursor() as cursor:
        # A bench database is disposable: no need to wait for the WAL flush at commit.
        cursor.execute("SET LOCAL synchronous_commit = off")
        steps = [("cases", *cases_sql(n, ref, people, now))]
        steps += clocks_sql(ref, now)
        steps += deadline_mirror_sql()
        steps.append(("journal", *journal_sql(ref, people, now)))
        for label, sql, params in steps:
            started = time.perf_counter()
            cursor.execute(sql, params)
            timings[label] = time.perf_counter() - started
            rows[label] = cursor.rowcount
        started = time.perf_counter()
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL checks the rows of
    # every statement above at COMMIT, which at a million cases is a good part of the seed.
    timings["commit"] = time.perf_counter() - started
    started = time.perf_counter()
    bench_tables_vacuum()
    timings["analyze"] = time.perf_counter() - started
    return SeedReport(cases=n, removed=removed, timings=timings, rows=rows)


def bench_tables_vacuum() -> None:
    """VACUUM ANALYZE the tables the pages read, as autovacuum would on a running desk: it sets
    the visibility map, so index-only scans need no table reads, and refreshes the planner's
    statistics. Needed after seeding, and after a migration that rewrote the cases (a data
    migration updating every row leaves every page unmarked, and the plans of the lists change
    until autovacuum has passed). Inside a transaction (the tests) only ANALYZE is possible."""
    analyze = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in (Case, JournalEntry, TicketSLA, TicketSLAEvent, Organisation, User):
            cursor.execute(f"{analyze} {model._meta.db_table}")


def bench_census() -> dict[str, int]:
    """Counts that show the seed's proportions (printed after seeding, checked by the tests)."""
    case_type = ContentType.objects.get_for_model(Case).pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE state = 'new'), "
            f"count(*) FILTER (WHERE state = 'closed') FROM {Case._meta.db_table} "
            f"WHERE number ~ %s",
            [BENCH_NUMBER_REGEX],
        )
        cases, new, closed = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE stopped_at IS NULL), "
            f"count(*) FILTER (WHERE breached) FROM {TicketSLA._meta.db_table} "
            f"WHERE ticket_type_id = %s",
            [case_type],
        )
        clocks, open_clocks, breached = cursor.fetchone()
    return {
        "cases": cases,
        "new": new,
        "closed": closed,
        "clocks": clocks,
        "open clocks": open_clocks,
        "breached clocks": breached,
    }


def elapsed_text(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))
