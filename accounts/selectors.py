"""Read queries about people and organisations."""

from django.db.models import QuerySet, Subquery

from .models import Organisation


def organisations_for_user(user) -> QuerySet:
    """The organisations a user may raise cases for: their own and every descendant (§10.4)."""
    if not (user and user.is_authenticated and user.organisation_id):
        return Organisation.objects.none()
    own_path = Organisation.objects.filter(pk=user.organisation_id).values("path")[:1]
    return Organisation.objects.filter(path__startswith=Subquery(own_path), active=True)


def organisation_descendants(organisation: Organisation) -> QuerySet:
    return Organisation.objects.filter(path__startswith=organisation.path).exclude(
        pk=organisation.pk
    )
