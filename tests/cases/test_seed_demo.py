"""`manage.py seed_demo` gives `make run` a portal with something in every state (docs/architecture.md §10)."""

from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts import roles
from accounts.models import Organisation, User
from accounts.selectors import pending_registrations_for
from cases.management.commands.seed_demo import DEMO_PASSWORD
from cases.models import Case, ProposedUpdate, ReopenRequest
from comms.models import OutboundMessage
from incidents.models import Incident
from tickets.models import JournalEntry


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "cases": Case.objects.count(),
        "incidents": Incident.objects.count(),
        "journal": JournalEntry.objects.count(),
        "outbox": OutboundMessage.objects.count(),
    }


def test_seed_demo_is_idempotent(db):
    """Running the seed twice adds nothing the second time."""
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert first["cases"] > 0


def test_seed_demo_has_a_case_in_every_state_and_triage_outcome(db):
    """Every lifecycle state of §5.12/§10.3 and every triage outcome of §4.1 is there to look at."""
    call_command("seed_demo")
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(Case.State.values)
    assert Case.objects.filter(state=Case.State.ON_HOLD).exclude(hold_reason="").exists()
    assert Case.objects.filter(reopen_count__gt=0).exists()
    outcomes = set(Case.objects.exclude(triage_outcome="").values_list("triage_outcome", flat=True))
    assert outcomes == set(Case.TriageOutcome.values)
    assert Case.objects.filter(
        triage_outcome=Case.TriageOutcome.REROUTED, rerouted_to__isnull=False
    ).exists()
    assert (
        Case.objects.filter(triage_outcome=Case.TriageOutcome.REQUEST)
        .exclude(request_type="")
        .exists()
    )
    assert Incident.objects.filter(assignment_group__isnull=False).exists()
    # An incident resolved by its resolver, its resolution awaiting the desk (Appendix G).
    assert ProposedUpdate.objects.filter(status=ProposedUpdate.Status.PENDING).exists()
    # §10.3: a request to reopen waits in the console's queue; a case is assigned to Ada.
    assert ReopenRequest.objects.filter(
        status=ReopenRequest.Status.PENDING, case__state=Case.State.CLOSED
    ).exists()
    assert Case.objects.filter(assigned_to__email="ada.agent@mhhs.example").exists()


def test_seed_demo_cases_were_built_through_the_services(db):
    """Journal and outbox rows exist as if people had done it: an acknowledgement per case (§3.1)."""
    call_command("seed_demo")
    for case in Case.objects.all():
        assert JournalEntry.objects.filter(ticket_id=case.pk, ticket_type__model="case").exists()
        assert OutboundMessage.objects.filter(
            ticket_id=case.pk, ticket_type__model="case", template="case_acknowledged"
        ).exists()


def test_seed_demo_has_a_user_for_every_role(db):
    """One demo account per role of §10 / docs/architecture.md §9; staff roles have console access."""
    call_command("seed_demo")
    for role in roles.ROLE_PERMISSIONS:
        members = User.objects.filter(groups__name=role)
        assert members.exists(), role
        if role in roles.STAFF_ROLES:
            assert members.filter(is_staff=True, kind=User.Kind.STAFF).exists(), role
        elif role == roles.INTEGRATION:
            assert members.filter(
                is_staff=False, organisation__isnull=True, kind=User.Kind.INTEGRATION
            ).exists(), role
        else:
            assert members.filter(
                is_staff=False, organisation__isnull=False, kind=User.Kind.PARTICIPANT
            ).exists(), role
    assert Group.objects.filter(name__in=roles.ROLE_PERMISSIONS).count() == len(
        roles.ROLE_PERMISSIONS
    )


def test_seed_demo_accounts_sign_in_with_the_printed_password(db, capsys):
    call_command("seed_demo")
    assert DEMO_PASSWORD in capsys.readouterr().out
    for user in User.objects.all():
        assert user.check_password(DEMO_PASSWORD), user.email
        assert user.emailaddress_set.filter(verified=True, primary=True).exists(), user.email


def test_seed_demo_organisation_tree(db):
    """A parent with two children and one unrelated organisation, for the §10.4 visibility rules."""
    call_command("seed_demo")
    parents = Organisation.objects.filter(parent__isnull=True)
    assert parents.count() == 2
    parent = next(org for org in parents if org.children.exists())
    assert parent.children.count() == 2
    assert all(child.path.startswith(parent.path) for child in parent.children.all())


def test_seed_demo_gives_the_organisation_admin_a_pending_registration(db):
    """§10.1: the demo shows an organisation admin someone waiting to be attached."""
    call_command("seed_demo")
    olivia = User.objects.get(email="olivia.admin@northernpower.example")
    pending = [user.email for user in pending_registrations_for(olivia)]
    assert pending == ["pat.pending@northernpower.example"]


def test_seed_demo_has_a_candidate_to_review_and_a_resolved_major_incident(db):
    """Ian finds a candidate waiting for review (§5.11 steps 3–5); the status page has a past
    major incident with its public update and circular, and its review is open (§5.23)."""
    from major_incidents.models import (
        IndustryCircular,
        MajorIncident,
        MajorIncidentCandidate,
        PostIncidentReview,
        PublicUpdate,
    )

    call_command("seed_demo")
    assert MajorIncidentCandidate.objects.filter(
        state=MajorIncidentCandidate.State.PROPOSED
    ).exists()
    major = MajorIncident.objects.get(state=MajorIncident.State.RESOLVED)
    assert PublicUpdate.objects.filter(major_incident=major).exists()
    assert IndustryCircular.objects.filter(
        major_incident=major, state=IndustryCircular.State.PUBLISHED
    ).exists()
    assert PostIncidentReview.objects.filter(major_incident=major).exists()


def test_seed_demo_has_changes_and_a_cab_agenda_to_look_at(db):
    """§8, §8.9: a change of each type, one waiting for its CAB, and that CAB's meeting with
    the change among its new proposals, so the CAB pages are not empty on `make run`."""
    from changes.cab_selectors import cab_agenda
    from changes.models import CabMeeting, Change

    call_command("seed_demo")
    assert set(Change.objects.values_list("change_type", flat=True)) == {
        "standard",
        "normal",
        "emergency",
    }
    waiting = Change.objects.get(state=Change.State.AUTHORISE, cab_required=True)
    meeting = CabMeeting.objects.get(kind=CabMeeting.Kind.CAB, meets_on=waiting.cab_date)
    proposals = cab_agenda(meeting).section("proposals")
    assert waiting in [item.obj for item in proposals.items]
