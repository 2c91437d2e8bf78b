"""Forms of registration (§10.1) and of the organisation admin's members page (§10.1, §10.4)."""

from allauth.account.forms import SignupForm
from django import forms
from django.db import transaction

from core.forms import DomainErrorFormMixin

from .models import Organisation, User
from .selectors import organisations_for_user
from .services import NOT_ATTACHABLE, registration_request_create

NOT_LISTED = "not-listed"


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


class RegistrationSignupForm(SignupForm):
    """allauth's sign-up form with what §10.1 asks of a new participant: their full name and
    the organisation they work for — one of the registered organisations, or "My organisation
    is not listed" with its name. The account and its registration request are made in one
    transaction (`accounts.services.registration_request_create`)."""

    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your full name."},
    )
    organisation = forms.ChoiceField(
        label="Organisation",
        help_text="The organisation you raise cases for. Its organisation admin, or the service "
        "desk, approves your registration.",
        error_messages={
            "required": "Choose your organisation, or “My organisation is not listed”.",
            "invalid_choice": "Choose your organisation from the list.",
        },
    )
    organisation_name = forms.CharField(
        label="Organisation name, if it is not listed",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        help_text="Only if you chose “My organisation is not listed”: the service desk checks "
        "it with you.",
    )

    field_order = [
        "full_name",
        "email",
        "organisation",
        "organisation_name",
        "password1",
        "password2",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        registered = Organisation.objects.filter(active=True).order_by("name")
        self.fields["organisation"].choices = [
            ("", "Choose your organisation"),
            *((str(pk), name) for pk, name in registered.values_list("pk", "name")),
            (NOT_LISTED, "My organisation is not listed"),
        ]

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("organisation")
        if choice == NOT_LISTED:
            if not (cleaned.get("organisation_name") or "").strip():
                self.add_error(
                    "organisation_name",
                    "Enter your organisation's name, or choose it from the list.",
                )
        elif choice:
            cleaned["organisation_name"] = ""
        return cleaned

    def chosen_organisation(self) -> Organisation | None:
        choice = self.cleaned_data.get("organisation")
        if not choice or choice == NOT_LISTED:
            return None
        return Organisation.objects.get(pk=int(choice))

    def try_save(self, request):
        """The account, its address and its registration request together, or none of them."""
        with transaction.atomic():
            return super().try_save(request)

    def custom_signup(self, request, user) -> None:
        super().custom_signup(request, user)
        registration_request_create(
            user=user,
            full_name=self.cleaned_data["full_name"],
            organisation=self.chosen_organisation(),
            organisation_name=self.cleaned_data.get("organisation_name", ""),
        )


class RegistrationApproveForm(forms.Form):
    """The organisation to attach an approved registration to (§10.1): the one they named,
    or another the approver may attach to."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Attach to",
        empty_label=None,
        error_messages={
            "required": "Choose the organisation to attach them to.",
            "invalid_choice": "You can only attach users to your own organisation or those below it.",
        },
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class RegistrationRefuseForm(DomainErrorFormMixin, forms.Form):
    """Why a registration is refused (§10.1): the person reads it when they sign in."""

    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The person reads this when they sign in; it is not emailed.",
        error_messages={
            "required": "Give the reason: the person reads it when they sign in.",
            "max_length": "Keep the reason to 1,000 characters or fewer.",
        },
    )
