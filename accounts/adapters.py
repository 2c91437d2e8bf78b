"""django-allauth hooks."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings

from .mfa import is_first_enrolment_after_sign_in


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Self-registration (§10.1) can be switched off by ACCOUNT_ALLOW_REGISTRATION=0."""
        return settings.ACCOUNT_ALLOW_REGISTRATION

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """No second password prompt for setting up the first authenticator right after
        signing in (§10.5.2); every other sensitive change still asks (accounts/mfa.py)."""
        if app == "allauth.mfa" and is_first_enrolment_after_sign_in(context.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)
