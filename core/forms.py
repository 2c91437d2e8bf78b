"""Form pieces the portal pages of every app share."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from core.errors import DomainError


class DomainErrorFormMixin:
    """Put a service's DomainError onto the form: field errors next to their fields."""

    # Names the services use for a field, where the form calls it something else.
    service_field_names: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        placed = False
        for name, messages in exc.field_errors.items():
            field = self.service_field_names.get(name, name)
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


# --- fields drawn once (issue 9) -------------------------------------------------------------
#
# Django draws every widget through its form templates: a blank comment box or a ten-option
# select costs more than a page of table rows. A form class that sets `drawn_once = True`
# promises that its fields depend on nothing but the class (no choices, initial values or
# attributes set per request or per user); its blank fields are then drawn the first time and
# the markup reused by the process. A bound form (the user's input, errors) is always drawn
# afresh, and so is everything while DEBUG is on (templates being edited).

_drawn: dict[tuple, SafeString] = {}


def _drawn_once(field, kind: str, draw) -> SafeString:
    form = field.form
    if settings.DEBUG or form.is_bound or form.initial or not getattr(form, "drawn_once", False):
        return draw()
    key = (type(form), form.prefix, field.name, kind)
    markup = _drawn.get(key)
    if markup is None:
        markup = _drawn[key] = draw()
    return markup


def field_block(field) -> SafeString:
    """`_field.html` for a bound field: label, hint, errors and control."""
    return _drawn_once(field, "block", lambda: render_to_string("_field.html", {"field": field}))


def field_control(field) -> SafeString:
    """The field's control alone, as `{{ field }}` draws it."""
    return _drawn_once(field, "control", field.as_widget)
