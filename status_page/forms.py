"""The subscription form of the status page (§5.21). Shapes only; the rules are in
`status_page.subscriptions`."""

from django import forms


class SubscribeForm(forms.Form):
    email = forms.CharField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    services = forms.MultipleChoiceField(
        label="Services",
        help_text="Choose the services you want to hear about.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one of the services listed."},
    )

    def __init__(self, *args, services=(), **kwargs):
        """`services`: the status page's rows already read, so the form costs no query."""
        super().__init__(*args, **kwargs)
        self.fields["services"].choices = [(row.code, row.name) for row in services]
