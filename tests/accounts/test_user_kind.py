"""The kind of account is explicit (issue: account boundaries; §10.1, §10.5.2)."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User


@pytest.mark.django_db
def test_create_user_derives_the_kind_from_staff_status():
    assert User.objects.create_user("p@example.com").kind == User.Kind.PARTICIPANT
    assert User.objects.create_user("s@mhhs.example", is_staff=True).kind == User.Kind.STAFF
    assert User.objects.create_superuser("root@mhhs.example").kind == User.Kind.STAFF


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [User.Kind.PARTICIPANT, User.Kind.INTEGRATION])
def test_only_staff_accounts_may_be_console_staff(kind):
    """is_staff (console access, §10.5.2) on a participant or integration account is refused
    by the database, whatever path wrote it."""
    user = User.objects.create_user("x@example.com", kind=kind)
    user.is_staff = True
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()
