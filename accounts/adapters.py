"""django-allauth hooks."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Self-registration (§10.1) can be switched off by ACCOUNT_ALLOW_REGISTRATION=0."""
        return settings.ACCOUNT_ALLOW_REGISTRATION
