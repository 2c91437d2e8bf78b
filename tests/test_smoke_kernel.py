from tests.factories.cases import CaseFactory


def test_case_create_allocates_number_and_writes_outbox(org_user, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(caller=org_user)
    assert case.number.startswith("CS")
    assert len(mailoutbox) == 2
