"""The roles of DESIGN.md §9 as Django groups, with the permissions each needs.

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

_CASE_READ = ["cases.view_case", "cases.view_all_case"]
_INCIDENT_READ = ["incidents.view_incident", "incidents.view_all_incident"]
_JOURNAL = ["tickets.view_journalentry", "tickets.add_journalentry", "tickets.view_attachment"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SERVICE_USER: ["cases.add_case", "cases.view_case"],
    ORGANISATION_ADMIN: ["cases.add_case", "cases.view_case", "accounts.view_user"],
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
        "accounts.view_resolvergroup",
        "tickets.view_category",
        "comms.view_outboundmessage",
    ],
    RESOLVER: [
        "incidents.view_incident",
        "incidents.change_incident",
        "incidents.work_group_incident",
        "cases.view_case",
        "cases.work_group_case",
        *_JOURNAL,
        "accounts.view_resolvergroup",
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
    ],
    PROBLEM_MANAGER: [*_INCIDENT_READ, *_CASE_READ, *_JOURNAL],
    CHANGE_MANAGER: [*_INCIDENT_READ, *_CASE_READ, *_JOURNAL],
    CAB_MEMBER: [*_INCIDENT_READ, "tickets.view_journalentry"],
    KNOWLEDGE_MANAGER: [*_CASE_READ, "tickets.view_journalentry"],
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
        "comms.view_outboundmessage",
        "comms.change_outboundmessage",
    ],
}

STAFF_ROLES = [role for role in ROLE_PERMISSIONS if role not in (SERVICE_USER, ORGANISATION_ADMIN)]


def sync_role_permissions(group_model, permission_model) -> None:
    """Create each role group and give it exactly its permissions (idempotent)."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
