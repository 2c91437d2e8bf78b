"""Demo data for `make run`: organisations, one user per role, resolver groups and cases in
every state, all built through the services so journal, history and outbox rows exist as in
production. Running it again changes nothing (anything already there is left alone)."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import roles
from accounts.models import Organisation, ResolverGroup, ServiceDesk, User
from accounts.services import organisation_create, user_attach_to_organisation
from cases.assessment import case_assign
from cases.models import Case
from cases.services import (
    case_classify,
    case_comment_add,
    case_confirm_resolution,
    case_convert_to_request,
    case_create,
    case_raise_change,
    case_raise_incident,
    case_raise_problem,
    case_reject_resolution,
    case_reroute,
    case_transition,
)
from changes.demo import demo_changes_seed
from comms.lists import distribution_list_member_add
from comms.models import DistributionList
from incidents.services import incident_transition
from knowledge.demo import KNOWN_ERROR_PROBLEM, demo_articles_seed
from major_incidents.circulars import circular_draft, circular_publish
from major_incidents.comms import comms_send
from major_incidents.models import CommsMessage, MajorIncident, ServiceImpact, ValidityCriterion
from major_incidents.promotion import candidate_accept, candidate_propose
from major_incidents.public import public_update_publish
from problems.known_errors import problem_known_error_publish
from problems.models import Problem
from problems.services import problem_create, problem_progress_update_add, problem_update
from tickets.models import Category, Service
from tickets.priority import Impact, Urgency

DEMO_PASSWORD = "mhhs-demo-2026!"

# (name, parent name, party id, CRA market role)
ORGANISATIONS = [
    ("Northern Power Group", None, "NPGP", Organisation.CraMarketRole.SUPPLIER),
    ("Northern Power Supply", "Northern Power Group", "NPSU", Organisation.CraMarketRole.SUPPLIER),
    (
        "Northern Power Metering",
        "Northern Power Group",
        "NPME",
        Organisation.CraMarketRole.METERING_AGENT,
    ),
    ("Brightwatt Energy", None, "BRWT", Organisation.CraMarketRole.SUPPLIER),
]

# (email, full name, role); desk staff first, because they attach the participants.
STAFF = [
    ("sean.service@mhhs.example", "Sean Service", roles.SERVICE_MANAGER),
    ("ada.agent@mhhs.example", "Ada Agent", roles.SERVICE_DESK_AGENT),
    ("rita.resolver@mhhs.example", "Rita Resolver", roles.RESOLVER),
    ("ian.incident@mhhs.example", "Ian Incident", roles.INCIDENT_MANAGER),
    ("priya.problem@mhhs.example", "Priya Problem", roles.PROBLEM_MANAGER),
    ("cora.change@mhhs.example", "Cora Change", roles.CHANGE_MANAGER),
    ("cal.cab@mhhs.example", "Cal CAB", roles.CAB_MEMBER),
    ("kim.knowledge@mhhs.example", "Kim Knowledge", roles.KNOWLEDGE_MANAGER),
]

INTEGRATION_EMAIL = "mail.gateway@mhhs.example"

# (email, full name, organisation, extra role beyond Service user)
PARTICIPANTS = [
    (
        "olivia.admin@northernpower.example",
        "Olivia Admin",
        "Northern Power Group",
        roles.ORGANISATION_ADMIN,
    ),
    ("sam.supplier@northernpower.example", "Sam Supplier", "Northern Power Supply", None),
    ("mo.metering@northernpower.example", "Mo Metering", "Northern Power Metering", None),
    ("bea.bright@brightwatt.example", "Bea Bright", "Brightwatt Energy", None),
]

# Email domains of the top-level organisations, so their admins see pending registrations.
EMAIL_DOMAINS = {
    "Northern Power Group": "northernpower.example",
    "Brightwatt Energy": "brightwatt.example",
}
# Registered and verified but attached to no organisation yet: Olivia's pending registration.
PENDING = ("pat.pending@northernpower.example", "Pat Pending")

# (name, shared mailbox, member emails)
RESOLVER_GROUPS = [
    ("DIP Technical Support", "dip.support@mhhs.example", ["rita.resolver@mhhs.example"]),
    ("Settlement Operations", "settlement.ops@mhhs.example", ["rita.resolver@mhhs.example"]),
]


class Command(BaseCommand):
    help = (
        "Create demo organisations, users (one per role), resolver groups and cases (idempotent)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            orgs = self._organisations()
            users = self._users(orgs)
            groups = self._resolver_groups(users)
            created = self._cases(orgs, users, groups)
            self._knowledge(users, groups)
            self._changes(users, groups)
        self._print_accounts(created)

    # --- reference data -------------------------------------------------------------------

    def _organisations(self) -> dict[str, Organisation]:
        orgs: dict[str, Organisation] = {}
        for name, parent, party_id, cra_role in ORGANISATIONS:
            org = Organisation.objects.filter(name=name).first()
            if org is None:
                org = organisation_create(
                    name=name,
                    parent=orgs[parent] if parent else None,
                    party_id=party_id,
                    cra_market_role=cra_role,
                    email_domains=EMAIL_DOMAINS.get(name, ""),
                )
            orgs[name] = org
        return orgs

    def _user(
        self,
        *,
        email: str,
        full_name: str,
        is_staff: bool,
        role: str | None,
        kind: str | None = None,
    ) -> User:
        """A demo account with a verified address (allauth requires one to sign in, §10.1)."""
        user = User.objects.filter(email=email).first()
        if user is None:
            extra = {"kind": kind} if kind else {}
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                is_staff=is_staff,
                **extra,
            )
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    def _users(self, orgs: dict[str, Organisation]) -> dict[str, User]:
        users = {
            email: self._user(email=email, full_name=name, is_staff=True, role=role)
            for email, name, role in STAFF
        }
        service_manager = users[STAFF[0][0]]
        for email, name, org_name, extra_role in PARTICIPANTS:
            user = self._user(
                email=email, full_name=name, is_staff=False, role=extra_role or roles.SERVICE_USER
            )
            if user.organisation_id is None:
                user = user_attach_to_organisation(
                    user=user, organisation=orgs[org_name], actor=service_manager
                )
            users[email] = user
        pending_email, pending_name = PENDING
        users[pending_email] = self._user(
            email=pending_email, full_name=pending_name, is_staff=False, role=None
        )
        # The account a mail server's pipe or another desk's system uses for inbound email
        # (§10.2): a token, no organisation, no console.
        users[INTEGRATION_EMAIL] = self._user(
            email=INTEGRATION_EMAIL,
            full_name="Mail gateway",
            is_staff=False,
            role=roles.INTEGRATION,
            kind=User.Kind.INTEGRATION,
        )
        return users

    def _resolver_groups(self, users: dict[str, User]) -> dict[str, ResolverGroup]:
        # Resolver groups are configuration kept in the console; there is no service for them.
        groups = {}
        for name, mailbox, members in RESOLVER_GROUPS:
            group, _ = ResolverGroup.objects.get_or_create(name=name, defaults={"email": mailbox})
            group.members.add(*(users[email] for email in members))
            groups[name] = group
        return groups

    # --- cases, each driven through the services to its state -------------------------------

    def _cases(self, orgs, users, groups) -> int:
        agent = users["ada.agent@mhhs.example"]
        sam = users["sam.supplier@northernpower.example"]
        olivia = users["olivia.admin@northernpower.example"]
        bea = users["bea.bright@brightwatt.example"]
        supply = orgs["Northern Power Supply"]

        def raise_case(
            subject, *, caller=sam, organisation=supply, category="Market Systems", description
        ):
            return case_create(
                actor=caller,
                organisation=organisation,
                category=Category.objects.get(name=category),
                short_description=subject,
                description=description,
                party_id=organisation.party_id,
                no_party_id=not organisation.party_id,
                market_participant_id=organisation.party_id,
                cra_market_role=organisation.cra_market_role,
            )

        def start(case, impact=Impact.LOW, urgency=Urgency.MEDIUM):
            case = case_classify(case=case, actor=agent, impact=impact, urgency=urgency)
            return case_transition(case=case, actor=agent, name="start")

        def resolved(case):
            case = start(case)
            return case_transition(
                case=case,
                actor=agent,
                name="resolve",
                code="solved",
                notes="The rejected messages were replayed after the certificate was renewed.",
            )

        def new(case):
            return case

        def in_progress(case):
            # Ada has taken it: "assigned to me" on the case list, the caller's replies to her.
            case = start(case, Impact.MEDIUM, Urgency.HIGH)
            return case_assign(case=case, actor=agent, assigned_to=agent)

        def on_hold(case):
            case = start(case)
            return case_transition(
                case=case,
                actor=agent,
                name="hold",
                reason=Case.HoldReason.AWAITING_CALLER,
                note="Please send the message IDs of two rejected D0010 flows.",
            )

        def closed(case):
            return case_confirm_resolution(case=resolved(case), actor=sam)

        def reopened(case):
            return case_reject_resolution(
                case=resolved(case),
                actor=sam,
                reason="The replay worked for 12 November but not for 13 November.",
            )

        def reopen_requested(case):
            # §10.3: a comment on the closed case waits in the console's reopen queue.
            case = closed(case)
            case_comment_add(
                case=case,
                actor=sam,
                body="The D0010 flows are late again since Monday; please reopen this case.",
            )
            return case

        def cancelled(case):
            return case_transition(
                case=case,
                actor=agent,
                name="cancel",
                reason=Case.CancelReason.DUPLICATE,
                note="Duplicate of the case about DIP schema rejections.",
            )

        def rerouted(case):
            desk = ServiceDesk.objects.get(name="Switching Service Desk (DCC)")
            return case_reroute(case=case, actor=agent, desk=desk)

        def service_request(case):
            return case_convert_to_request(
                case=case, actor=agent, request_type=Case.RequestType.STANDARD
            )

        def with_incident(case):
            case_raise_incident(
                case=case,
                actor=agent,
                assignment_group=groups["Settlement Operations"],
                impact=Impact.MEDIUM,
                urgency=Urgency.HIGH,
            )
            return case

        def awaiting_update(case):
            # The resolver resolves the incident; its notes wait for the desk (Appendix G).
            rita = users["rita.resolver@mhhs.example"]
            incident = case_raise_incident(
                case=case,
                actor=agent,
                assignment_group=groups["DIP Technical Support"],
                impact=Impact.MEDIUM,
                urgency=Urgency.MEDIUM,
            )
            incident = incident_transition(incident=incident, actor=rita, name="start")
            incident_transition(
                incident=incident,
                actor=rita,
                name="resolve",
                code="solved",
                notes="Restarted the DIP adaptor pods after an out-of-memory error; raised the "
                "heap limit and replayed the dead-letter queue.",
            )
            return case

        def candidate(case):
            # An agent proposes the incident as a major incident: it waits in Ian's review
            # queue (§5.11 steps 3–5).
            incident = case_raise_incident(
                case=case,
                actor=agent,
                assignment_group=groups["Settlement Operations"],
                impact=Impact.HIGH,
                urgency=Urgency.HIGH,
            )
            candidate_propose(
                incident=incident,
                actor=agent,
                reason="Several suppliers report the same gap; the settlement run is at risk.",
            )
            return case

        def major_incident(case):
            # A major incident run from promotion to resolution (§5.11): comms to the list,
            # the status page, a circular, and the post-incident review it leaves open.
            ian = users["ian.incident@mhhs.example"]
            sean = users["sean.service@mhhs.example"]
            comms_list = DistributionList.objects.get(name="Major Incident comms")
            if not comms_list.members.filter(user=sam).exists():
                distribution_list_member_add(distribution_list=comms_list, actor=sean, user=sam)
            incident = case_raise_incident(
                case=case,
                actor=agent,
                assignment_group=groups["DIP Technical Support"],
                impact=Impact.HIGH,
                urgency=Urgency.MEDIUM,
            )
            incident.services.add(Service.objects.get(code="dip"))
            proposed = candidate_propose(
                incident=incident, actor=agent, reason="No DIP message delivered for 40 minutes."
            )
            met = {
                ValidityCriterion.CRITICAL_PROCESS: "DIP message delivery to settlement stopped.",
                ValidityCriterion.DOWNTIME: "No messages delivered for 40 minutes.",
            }
            major = candidate_accept(
                candidate=proposed,
                actor=ian,
                assessments={
                    criterion: {"met": criterion in met, "evidence": met.get(criterion, "")}
                    for criterion in ValidityCriterion
                },
                manager=ian,
                triage_lead=agent,
                public_title="Data Integration Platform messages delayed",
                services=Service.objects.filter(code="dip"),
                service_status=ServiceImpact.Status.MAJOR_OUTAGE,
            )
            words = (
                "Messages sent through the Data Integration Platform are not being delivered. "
                "We are investigating and will update within the hour."
            )
            comms_send(
                major_incident=major,
                actor=ian,
                kind=CommsMessage.Kind.INITIAL,
                subject="Major incident: Data Integration Platform messages delayed",
                body=words,
            )
            public_update_publish(
                major_incident=major,
                actor=ian,
                status=MajorIncident.PublicStatus.INVESTIGATING,
                body=words,
            )
            circular = circular_draft(
                actor=ian,
                title="Data Integration Platform message delays",
                body="Messages through the Data Integration Platform were delayed. Messages "
                "queued during the delay have been delivered; no action is needed.",
                services=Service.objects.filter(code="dip"),
                major_incident=major,
            )
            circular_publish(circular=circular, actor=ian)
            incident_transition(
                incident=incident,
                actor=ian,
                name="resolve",
                code="solved",
                notes="The message broker was restarted and the queues drained.",
            )
            return case

        def with_problem(case):
            # Triage links the case to a problem (§6.4 steps 1–4); Priya shares progress with
            # the caller through the case (§6.4 step 7).
            problem = case_raise_problem(
                case=case,
                actor=agent,
                assignment_group=groups["DIP Technical Support"],
                impact=Impact.MEDIUM,
                urgency=Urgency.MEDIUM,
            )
            problem_progress_update_add(
                problem=problem,
                actor=users["priya.problem@mhhs.example"],
                body="We have traced the rejections to a schema validation rule and are testing "
                "a correction.",
                customer_visible=True,
            )
            return case

        def with_change(case):
            # Triage assigns the case to Change Management (§4.1 step 3).
            case_raise_change(
                case=case, actor=agent, assignment_group=groups["DIP Technical Support"]
            )
            return case

        plans = [
            ("DIP messages rejected with a schema error", new, {}),
            (
                "BM Unit volumes missing from the SF settlement run",
                in_progress,
                {"category": "Settlement Services"},
            ),
            ("Request to reprocess rejected D0010 flows", on_hold, {"category": "Data Submission"}),
            (
                "Load Shaping report download fails",
                resolved,
                {"category": "Data Aggregation and Reporting"},
            ),
            ("DIP certificate expired on the test environment", closed, {}),
            ("Replayed DIP messages still missing for 13 November", reopened, {}),
            (
                "D0010 flows late after the October fix",
                reopen_requested,
                {"category": "Data Submission"},
            ),
            ("DIP messages rejected (raised twice)", cancelled, {}),
            (
                "Customer switch stuck in the Central Switching Service",
                rerouted,
                {"category": "Participant Issues"},
            ),
            (
                "New DIP user certificate for our test environment",
                service_request,
                {"category": "MHHS Service Request"},
            ),
            (
                "Settlement data for 12 November missing from the portal",
                with_incident,
                {"category": "Settlement Services"},
            ),
            (
                "DIP acknowledgements arriving hours late",
                awaiting_update,
                {"category": "Market Systems"},
            ),
            (
                "Volume allocation figures missing for several suppliers",
                candidate,
                {"category": "Settlement Services"},
            ),
            ("No DIP messages delivered since 10:20", major_incident, {}),
            (
                "Metering agent cannot see appointment flows",
                new,
                {
                    "caller": olivia,
                    "organisation": orgs["Northern Power Metering"],
                    "category": "Market Systems",
                },
            ),
            (
                "Registration query for a new Brightwatt site",
                new,
                {
                    "caller": bea,
                    "organisation": orgs["Brightwatt Energy"],
                    "category": "Participant Issues",
                },
            ),
            (
                "DIP rejects our messages every night after the schema release",
                with_problem,
                {"category": "Market Systems"},
            ),
            (
                "Please add our new market participant ID to the DIP routing table",
                with_change,
                {"category": "Market Systems"},
            ),
        ]
        created = 0
        for subject, plan, options in plans:
            if Case.objects.filter(short_description=subject).exists():
                continue
            description = (
                f"Demo case: {subject.lower()}. Seen since 09:00 today; details to follow."
            )
            plan(raise_case(subject, description=description, **options))
            created += 1
        return created

    # --- knowledge articles (§11, §12) ----------------------------------------------------

    def _knowledge(self, users, groups) -> None:
        """Published demo articles (one staff-only, one controlled document due for review
        soon) and a known error published from a demo problem."""
        manager = users["kim.knowledge@mhhs.example"]
        demo_articles_seed(
            author=users["ada.agent@mhhs.example"],
            manager=manager,
            approvers=[users["sean.service@mhhs.example"], users["ian.incident@mhhs.example"]],
        )
        if Problem.objects.filter(short_description=KNOWN_ERROR_PROBLEM).exists():
            return
        priya = users["priya.problem@mhhs.example"]
        problem = problem_create(
            actor=priya,
            short_description=KNOWN_ERROR_PROBLEM,
            description=(
                "After the nightly certificate rotation, messages sent to the DIP between 00:00 "
                "and 02:00 are rejected with a signature error."
            ),
            category=Category.objects.get(name="Market Systems"),
            assignment_group=groups["DIP Technical Support"],
            impact=Impact.MEDIUM,
            urgency=Urgency.MEDIUM,
            service=Service.objects.get(code="dip"),
        )
        problem_update(
            problem=problem,
            actor=priya,
            workaround="Resend rejected messages after 02:00; they are accepted once the new "
            "certificate is active.",
        )
        problem.refresh_from_db()
        problem_known_error_publish(actor=manager, problem=problem)

    # --- changes (§8, §9) ---------------------------------------------------------------------

    def _changes(self, users, groups) -> None:
        """A change of each type at a different point of its lifecycle, a standard-change
        catalogue entry and an external change notification (`changes.demo`)."""
        demo_changes_seed(
            owner=users["sean.service@mhhs.example"],
            change_manager=users["cora.change@mhhs.example"],
            mim=users["ian.incident@mhhs.example"],
            group=groups["DIP Technical Support"],
            notifier=users["olivia.admin@northernpower.example"],
        )

    def _print_accounts(self, created: int) -> None:
        out = self.stdout
        out.write(
            self.style.SUCCESS(f"Demo data ready ({created} cases created; existing data kept).")
        )
        out.write(f"Every demo account signs in with the password: {DEMO_PASSWORD}")
        out.write(
            "Desk staff (console at /admin/; TOTP set-up is asked for at first sign-in, §10.5.2):"
        )
        for email, name, role in STAFF:
            out.write(f"  {email:<38} {name:<15} {role}")
        out.write("Participants (portal):")
        for email, name, org_name, extra_role in PARTICIPANTS:
            out.write(f"  {email:<38} {name:<15} {extra_role or roles.SERVICE_USER}, {org_name}")
        out.write(f"  {PENDING[0]:<38} {PENDING[1]:<15} registered, waiting to be attached")
