"""django-allauth hooks."""

from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.urls import reverse

from .mfa import signed_in_recently

SERVICE_NAME = "MHHS Service Desk"


@dataclass(frozen=True)
class ServiceSite:
    """What allauth's emails call "the site". Without django.contrib.sites allauth names the
    request's host and port ("127.0.0.1:8000 — Thank you for using 127.0.0.1:8000!"); people
    know the service by its name."""

    name: str = SERVICE_NAME
    domain: str = SERVICE_NAME


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Self-registration (§10.1) can be switched off by ACCOUNT_ALLOW_REGISTRATION=0."""
        return settings.ACCOUNT_ALLOW_REGISTRATION

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """No second password prompt right after signing in: a sign-in within allauth's
        reauthentication window counts as a recent authentication (accounts/mfa.py); after
        it, every sensitive change asks again."""
        if signed_in_recently(context.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_login_redirect_url(self, request) -> str:
        """Desk staff start in the console, participants on the portal's home page (a `next`
        in the request still wins, as allauth does)."""
        if request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's emails (address confirmation, password reset) name the service, not the
        host and port the request came to."""
        super().send_mail(template_prefix, email, {**context, "current_site": ServiceSite()})
