"""The form that creates an access token, on the account page and in the console."""

from django import forms
from django.conf import settings

from core.forms import DomainErrorFormMixin

from .scopes import default_scopes, scope_choices

NEVER = "never"


def expiry_choices(*, allow_never: bool) -> list[tuple[str, str]]:
    days = sorted({30, settings.API_TOKEN_DEFAULT_DAYS, 180, settings.API_TOKEN_MAX_DAYS})
    choices = [(str(d), f"{d} days") for d in days if 1 <= d <= settings.API_TOKEN_MAX_DAYS]
    if allow_never:
        choices.append((NEVER, "Never (integration accounts only)"))
    return choices


class AccessTokenForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, so you recognise it later: e.g. 'CRM case sync'.",
        error_messages={"required": "Say what the token is for."},
    )
    scopes = forms.MultipleChoiceField(
        label="Scopes",
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Read, write or both, and the areas the token may use. Give it no more than "
        "the job needs.",
        error_messages={"required": "Choose the scopes the token needs."},
    )
    expires_in_days = forms.ChoiceField(
        label="Expires after",
        help_text="You can revoke the token at any time before then.",
    )

    def __init__(self, *args, allow_never: bool = False, scopes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if scopes is not None:
            labels = dict(scope_choices())
            self.fields["scopes"].choices = [(scope, labels[scope]) for scope in scopes]
        self.fields["expires_in_days"].choices = expiry_choices(allow_never=allow_never)
        self.fields["expires_in_days"].initial = str(settings.API_TOKEN_DEFAULT_DAYS)
        if not self.is_bound:
            self.initial.setdefault("scopes", default_scopes())

    def clean_expires_in_days(self) -> int | None:
        value = self.cleaned_data["expires_in_days"]
        return None if value == NEVER else int(value)
