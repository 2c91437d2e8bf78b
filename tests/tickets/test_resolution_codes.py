"""Resolution codes come from a list (issue 10, point 18; §10.3, §6.5); the codes written as
free text before are read as a person would and moved onto the list by the data migrations."""

import importlib

import pytest

from cases.models import Case
from incidents.models import Incident
from tests.factories.cases import CaseFactory
from tickets.models import Ticket
from tickets.resolution_codes import code_for, migrate_free_text_codes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("fixed", "solved"),
        ("Solved", "solved"),
        ("  RESOLVED ", "solved"),
        ("Work-around", "workaround"),
        ("Known Error", "known_error"),
        ("NFF", "no_fault_found"),
        ("working as designed", "no_fault_found"),
        ("re-routed", "rerouted"),
        ("rerouted", "rerouted"),
        ("Request fulfilled", "request_fulfilled"),
        ("question answered", "advice"),
        ("Fixed by a change", "change"),
        ("asked Bob", ""),
        ("", ""),
    ],
)
def test_free_text_codes_are_read_as_a_person_would(text, code):
    assert code_for(text) == code


def test_every_code_of_the_list_reads_as_itself_and_by_its_label():
    for value, label in Ticket.ResolutionCode.choices:
        assert code_for(value) == value
        assert code_for(label) == value


def test_migration_moves_free_text_codes_onto_the_list(org_user):
    cases = [CaseFactory(caller=org_user) for _ in range(4)]
    for case, old in zip(cases, ("fixed", "Work-around", "asked Bob", "solved"), strict=True):
        Case.objects.filter(pk=case.pk).update(resolution_code=old)

    migrate_free_text_codes(Case)

    codes = dict(Case.objects.values_list("pk", "resolution_code"))
    assert [codes[case.pk] for case in cases] == ["solved", "workaround", "", "solved"]


@pytest.mark.parametrize(
    ("module", "model"),
    [
        ("cases.migrations.0010_resolution_code_choices", Case),
        ("incidents.migrations.0003_resolution_code_choices", Incident),
    ],
)
def test_each_ticket_app_migrates_its_codes(module, model, db):
    migration = importlib.import_module(module)

    class Apps:
        def get_model(self, app_label, model_name):
            assert (app_label, model_name) == (model._meta.app_label, model.__name__)
            return model

    migration.codes_from_the_list(Apps(), None)  # nothing to move: runs without error
    assert any(
        getattr(operation, "code", None) is migration.codes_from_the_list
        for operation in migration.Migration.operations
    )
