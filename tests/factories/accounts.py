"""Factories for people and organisations; organisations go through the service that keeps paths."""

import factory
from django.contrib.auth.models import Group

from accounts.models import ResolverGroup, User
from accounts.services import organisation_create

DEMO_PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.Factory):
    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Organisation {n}")
    parent = None
    party_id = factory.Sequence(lambda n: f"PTY{n:04d}")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return organisation_create(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        return cls._create(model_class, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    organisation = None
    is_staff = False

    @classmethod
    def _create(cls, model_class, *args, roles=(), password=DEMO_PASSWORD, **kwargs):
        user = model_class.objects.create_user(password=password, **kwargs)
        if roles:
            user.groups.add(*Group.objects.filter(name__in=roles))
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        return user


class ResolverGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResolverGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Resolver group {n}")
    email = factory.Sequence(lambda n: f"resolvers{n}@example.com")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)
