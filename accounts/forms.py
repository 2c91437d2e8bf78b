"""Forms of the organisation admin's members page (§10.1, §10.4)."""

from django import forms

from core.forms import DomainErrorFormMixin

from .models import Organisation, User
from .selectors import organisations_for_user
from .services import NOT_ATTACHABLE


class MemberAttachForm(DomainErrorFormMixin, forms.Form):
    """Attach a registered user, found by email, to one of the admin's organisations.

    An unknown address gets the same words as every refusal about the person in
    `user_attach_to_organisation` (`NOT_ATTACHABLE`), so the form tells nobody who has an
    account, who belongs to another organisation or who is desk staff.
    """

    email = forms.EmailField(
        label="Email address",
        help_text="The address they registered with on this portal.",
        error_messages={
            "required": "Enter the email address they registered with.",
            "invalid": "Enter an email address like name@example.com.",
        },
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Organisation",
        empty_label=None,
        error_messages={
            "required": "Choose the organisation to attach them to.",
            "invalid_choice": "You can only attach users to your own organisation or those below it.",
        },
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations_for_user(actor).order_by("name")
        if actor.organisation_id and "organisation" not in self.initial:
            self.initial["organisation"] = actor.organisation_id

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(NOT_ATTACHABLE)
        self.user = user
        return email


class ServiceDeskFilterForm(forms.Form):
    """Search and filter of the "Other service desks" page (§18.4, Appendix H)."""

    STATUS_CHOICES = [("", "Open or closed"), ("open", "Open now"), ("closed", "Closed now")]

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="A desk, organisation or kind of query, e.g. “smart metering” or “MPAN”.",
        error_messages={"max_length": "Keep the search to 100 characters or fewer."},
    )
    status = forms.ChoiceField(
        label="Show",
        required=False,
        choices=STATUS_CHOICES,
        error_messages={"invalid_choice": "Choose open now, closed now, or both."},
    )
