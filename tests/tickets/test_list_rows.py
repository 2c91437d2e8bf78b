"""A ticket list's page read as plain rows (`tickets.admin_list.list_rows`, issue 9): each row
has the fields the columns read, a joined object shown as its model's `__str__` shows it, and
the model's `_meta` for what asks for the row's model (the SLA columns' content type)."""

from django.contrib.contenttypes.models import ContentType

from cases.models import Case
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory
from tickets.admin_list import ListRow, list_rows

FIELDS = (
    "number",
    "state",
    "organisation__name",
    "assigned_to__full_name",
    "assigned_to__email",
    "opened_at",
)


def _rows():
    return list_rows(Case.objects.order_by("number"), FIELDS)


def test_a_row_holds_the_fields_its_columns_read(org_user):
    case = CaseFactory(caller=org_user)
    [row] = _rows()
    assert isinstance(row, ListRow)
    assert (row.pk, row.id, row.number, row.state) == (case.pk, case.pk, case.number, case.state)
    assert row.opened_at == case.opened_at
    assert row.organisation == case.organisation.name == str(case.organisation)


def test_a_joined_person_is_shown_as_the_user_model_shows_them(org_user, agent):
    named, unnamed, unassigned = (CaseFactory(caller=org_user) for _ in range(3))
    unnamed_agent = UserFactory(email="no.name@mhhs.example", full_name="", is_staff=True)
    # Assignment itself is another test's subject: set here directly.
    Case.objects.filter(pk=named.pk).update(assigned_to=agent)
    Case.objects.filter(pk=unnamed.pk).update(assigned_to=unnamed_agent)
    by_number = {row.number: row for row in _rows()}
    assert by_number[named.number].assigned_to == str(agent) == agent.full_name
    assert by_number[unnamed.number].assigned_to == str(unnamed_agent) == "no.name@mhhs.example"
    assert by_number[unassigned.number].assigned_to is None


def test_a_row_answers_for_its_model(org_user):
    CaseFactory(caller=org_user)
    [row] = _rows()
    assert ContentType.objects.get_for_model(row) == ContentType.objects.get_for_model(Case)
