"""Form and API fields for values that are meant to be MPANs (§10.5.5).

Both accept the 13-digit core or the 21-digit full MPAN, with spaces, hyphens or slashes
between groups and the printed form's leading "S", check the check digit (and the full form's
profile class) with `comms.mpan.validate_mpan`, and hand back the bare digits, so what is
stored and compared is always one canonical string. MPANs belong on the case in the portal,
never in email; these fields are where the portal takes them.
"""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .mpan import validate_mpan

# Room for a 21-digit MPAN written with separators and the "S" prefix.
MAX_WRITTEN_LENGTH = 40
HELP_TEXT = "The 13-digit MPAN core or the 21-digit full MPAN; spaces are fine."


class MpanFormField(forms.CharField):
    """A form field for one MPAN; cleans to its digits (13 or 21)."""

    default_error_messages = {"required": "Enter the MPAN."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_WRITTEN_LENGTH)
        kwargs.setdefault("help_text", HELP_TEXT)
        kwargs.setdefault("label", "MPAN")
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # Digits keypad on phones; browsers must not offer an MPAN typed into another form.
        attrs.update({"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"})
        return attrs

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        return validate_mpan(value)


class MpanSerializerField(serializers.CharField):
    """An API field for one MPAN; validates like the form field and returns the digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_WRITTEN_LENGTH)
        kwargs.setdefault("help_text", HELP_TEXT)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == "" and self.allow_blank:
            return value
        try:
            return validate_mpan(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from exc
