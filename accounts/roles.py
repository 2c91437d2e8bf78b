"""The roles of docs/architecture.md §9 as Django groups, with the permissions each needs.

A data migration creates them; `sync_role_permissions` can be re-run when a later issue adds
permissions. Staff roles also need `User.is_staff` (console access, with MFA, §10.5.2).
"""

SERVICE_USER = "Service user"
ORGANISATION_ADMIN = "Organisation admin"
SERVICE_DESK_AGENT = "Service desk agent"
RESOLVER = "Resolver"
INCIDENT_MANAGER = "Incident manager"
PROBLEM_MANAGER = "Problem manager"
CHANGE_MANAGER = "Change manager"
CAB_MEMBER = "CAB member"
KNOWLEDGE_MANAGER = "Knowledge manager"
SERVICE_MANAGER = "Service manager"
INTEGRATION = "Integration account"

_CASE_READ = ["cases.view_case", "cases.view_all_case"]
_INCIDENT_READ = ["incidents.view_incident", "incidents.view_all_incident"]
_JOURNAL = ["tickets.view_journalentry", "tickets.add_journalentry", "tickets.view_attachment"]
# Every agent may propose a major-incident candidate (§5.11 step 3) and follow the war room.
_MAJOR_INCIDENT_READ = [
    "major_incidents.view_majorincident",
    "major_incidents.view_majorincidentcandidate",
    "major_incidents.add_majorincidentcandidate",
    "major_incidents.view_industrycircular",
    "major_incidents.view_postincidentreview",
]
# Problems (§6): the desk, incident managers and service managers see and raise them (§5.5
# step 17, §5.23); the problem manager works them.
_PROBLEM_RAISE = ["problems.view_problem", "problems.view_all_problem", "problems.add_problem"]
# Changes (§8.2): Elexon service owners, project managers and service providers raise them
# (and propose standard changes, §8.9.6); the desk raises them from triage (§4.1 step 3).
_CHANGE_RAISE = [
    "changes.view_change",
    "changes.view_all_change",
    "changes.add_change",
    "changes.change_change",
    "changes.view_changeapproval",
    "changes.view_standardchangetemplate",
    "changes.add_standardchangetemplate",
]
_LISTS_READ = ["comms.view_distributionlist", "comms.view_listmembershiprequest"]
# Knowledge (§11, §12): every staff role reads staff-only articles and may draft one; the
# knowledge manager approves, publishes, retires and keeps the review cycle.
_KNOWLEDGE_AUTHOR = [
    "knowledge.view_article",
    "knowledge.view_internal_article",
    "knowledge.add_article",
    "knowledge.view_articleversion",
    "knowledge.add_articleversion",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SERVICE_USER: ["cases.add_case", "cases.view_case"],
    ORGANISATION_ADMIN: [
        "cases.add_case",
        "cases.view_case",
        "accounts.view_user",
        # A participant organisation tells the Change Team of its changes (§8.12).
        "changes.add_externalchangenotification",
    ],
    SERVICE_DESK_AGENT: [
        *_CASE_READ,
        "cases.add_case",
        "cases.change_case",
        "cases.triage_case",
        *_INCIDENT_READ,
        "incidents.add_incident",
        "incidents.change_incident",
        *_JOURNAL,
        "accounts.view_servicedesk",
        "accounts.view_organisation",
        "accounts.view_user",
        "accounts.change_user",
        # Registrations waiting for approval (§10.1): approved or refused in the console.
        "accounts.view_registrationrequest",
        "accounts.change_registrationrequest",
        "accounts.view_resolvergroup",
        "tickets.view_category",
        "comms.view_outboundmessage",
        "comms.view_inboundemail",
        *_LISTS_READ,
        "sla.view_ticketsla",
        *_MAJOR_INCIDENT_READ,
        "tickets.view_service",
        *_PROBLEM_RAISE,
        "tickets.view_subcategory",
        *_KNOWLEDGE_AUTHOR,
        *_CHANGE_RAISE,
    ],
    RESOLVER: [
        "incidents.view_incident",
        "incidents.change_incident",
        "incidents.work_group_incident",
        "cases.view_case",
        "cases.work_group_case",
        *_JOURNAL,
        "accounts.view_resolvergroup",
        "sla.view_ticketsla",
        *_MAJOR_INCIDENT_READ,
        "tickets.view_service",
        # Problems assigned to their groups: seen and worked (§6.4 step 6).
        "problems.view_problem",
        "problems.change_problem",
        "problems.work_group_problem",
        *_KNOWLEDGE_AUTHOR,
        *_CHANGE_RAISE,
    ],
    INCIDENT_MANAGER: [
        *_INCIDENT_READ,
        "incidents.add_incident",
        "incidents.change_incident",
        *_CASE_READ,
        "cases.change_case",
        *_JOURNAL,
        "accounts.view_resolvergroup",
        "accounts.view_servicedesk",
        "comms.view_outboundmessage",
        *_LISTS_READ,
        "comms.send_distributionlist",
        "sla.view_ticketsla",
        # Major incidents (§5.6–5.24): the Major Incident Manager reviews candidates, runs the
        # war room, sends the comms and circulars, and writes the post-incident review.
        *_MAJOR_INCIDENT_READ,
        "major_incidents.review_majorincidentcandidate",
        "major_incidents.add_majorincident",
        "major_incidents.change_majorincident",
        "major_incidents.manage_majorincident",
        "major_incidents.add_industrycircular",
        "major_incidents.change_industrycircular",
        "major_incidents.publish_industrycircular",
        "major_incidents.change_postincidentreview",
        "tickets.view_service",
        *_PROBLEM_RAISE,
        *_KNOWLEDGE_AUTHOR,
        *_CHANGE_RAISE,
        # The Major Incident Manager sits on the Emergency CAB and, out of hours, authorises
        # emergency changes alone (§9.4.3).
        "changes.add_changeapproval",
    ],
    PROBLEM_MANAGER: [
        *_INCIDENT_READ,
        *_CASE_READ,
        *_JOURNAL,
        *_PROBLEM_RAISE,
        "problems.change_problem",
        "accounts.view_resolvergroup",
        "tickets.view_service",
        "sla.view_ticketsla",
        *_KNOWLEDGE_AUTHOR,
        "knowledge.publish_known_error",
        *_CHANGE_RAISE,
    ],
    CHANGE_MANAGER: [
        *_INCIDENT_READ,
        *_CASE_READ,
        *_JOURNAL,
        *_KNOWLEDGE_AUTHOR,
        # §8.7, §8.9: assesses, authorises Low/Low changes, records CAB decisions, keeps the
        # standard-change catalogue, the review items and the external notifications (§8.12).
        *_CHANGE_RAISE,
        "changes.manage_change",
        "changes.approve_change",
        "changes.add_changeapproval",
        "changes.change_standardchangetemplate",
        "changes.view_changereviewitem",
        "changes.change_changereviewitem",
        "changes.view_externalchangenotification",
        "changes.change_externalchangenotification",
        "problems.view_problem",
        "problems.view_all_problem",
        "tickets.view_service",
        "tickets.view_category",
    ],
    CAB_MEMBER: [
        *_INCIDENT_READ,
        "tickets.view_journalentry",
        *_KNOWLEDGE_AUTHOR,
        # §8.9.5: reviews changes, records CAB decisions and post-implementation reviews.
        "changes.view_change",
        "changes.view_all_change",
        "changes.approve_change",
        "changes.view_changeapproval",
        "changes.add_changeapproval",
        "changes.view_standardchangetemplate",
        "changes.view_changereviewitem",
        "changes.change_changereviewitem",
    ],
    KNOWLEDGE_MANAGER: [
        *_CASE_READ,
        "tickets.view_journalentry",
        *_KNOWLEDGE_AUTHOR,
        "knowledge.change_article",
        "knowledge.approve_article",
        "knowledge.change_articleversion",
        "knowledge.publish_known_error",
        "tickets.view_category",
        "tickets.view_service",
        # The glossary (§11.2.1) and the self-help deflection report (§11.2.2).
        "knowledge.view_glossaryentry",
        "knowledge.add_glossaryentry",
        "knowledge.change_glossaryentry",
        "knowledge.delete_glossaryentry",
        "knowledge.view_selfhelp_report",
        # To publish a problem's known error from its page.
        "problems.view_problem",
        "problems.view_all_problem",
    ],
    SERVICE_MANAGER: [
        *_CASE_READ,
        "cases.change_case",
        "cases.triage_case",
        *_INCIDENT_READ,
        "incidents.change_incident",
        *_JOURNAL,
        "tickets.add_category",
        "tickets.change_category",
        "tickets.view_category",
        "tickets.add_subcategory",
        "tickets.change_subcategory",
        "tickets.view_subcategory",
        "tickets.add_service",
        "tickets.change_service",
        "tickets.view_service",
        # The desk lead: alerted when major-incident comms are late (§5.19.1); signs off
        # post-incident reviews (§5.23).
        *_MAJOR_INCIDENT_READ,
        "major_incidents.review_majorincidentcandidate",
        "major_incidents.change_majorincident",
        "major_incidents.manage_majorincident",
        "major_incidents.change_postincidentreview",
        "major_incidents.signoff_postincidentreview",
        *_PROBLEM_RAISE,
        "accounts.add_servicedesk",
        "accounts.change_servicedesk",
        "accounts.view_servicedesk",
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.view_organisation",
        "accounts.add_resolvergroup",
        "accounts.change_resolvergroup",
        "accounts.view_resolvergroup",
        "accounts.view_user",
        "accounts.change_user",
        "accounts.view_registrationrequest",
        "accounts.change_registrationrequest",
        "accounts.view_securityevent",
        "comms.view_outboundmessage",
        "comms.change_outboundmessage",
        "comms.view_inboundemail",
        # Retrying a reply by email that failed (a poison message, §10.2).
        "comms.change_inboundemail",
        *_LISTS_READ,
        "comms.add_distributionlist",
        "comms.change_distributionlist",
        "comms.send_distributionlist",
        "sla.view_sladefinition",
        "sla.add_sladefinition",
        "sla.change_sladefinition",
        "sla.view_ticketsla",
        # Integration accounts' access tokens are issued and revoked in the console (§10.5.2).
        "access.view_accesstoken",
        "access.add_accesstoken",
        "access.revoke_accesstoken",
        *_KNOWLEDGE_AUTHOR,
        # How often self-help suggestions spare the desk a case (§11.2.2).
        "knowledge.view_selfhelp_report",
        *_CHANGE_RAISE,
        # Queues, backlogs and periodic tasks (issue 14).
        "ops.view_system_status",
    ],
    # A mail gateway or another desk's system posting inbound email over the API (§10.2); a
    # monitoring tool or another desk raising and reading incidents (§5.7, §13). Which of
    # these an account uses is its token's areas (`access.permissions.ApiAccess`): only a
    # token with the "incidents" scope reaches the incident endpoints.
    INTEGRATION: [
        "comms.add_inboundemail",
        "cases.view_case",
        "incidents.add_incident",
        "incidents.view_incident",
        "incidents.view_all_incident",
        # Other parties' change notifications (§8.12).
        "changes.add_externalchangenotification",
    ],
}

STAFF_ROLES = [
    role for role in ROLE_PERMISSIONS if role not in (SERVICE_USER, ORGANISATION_ADMIN, INTEGRATION)
]


def sync_role_permissions(group_model, permission_model, *, only_existing: bool = False) -> None:
    """Create each role group and give it exactly its permissions (idempotent).

    `only_existing` skips permissions of models that a later migration creates.
    """
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None:
                if only_existing:
                    continue
                raise LookupError(f"role {role!r} names a permission that does not exist: {dotted}")
            wanted.append(found)
        group.permissions.set(wanted)
