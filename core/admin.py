"""Console helpers every app's admin shares: UK time, and a service's refusal shown on a form."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.http import HttpResponseRedirect

from .dates import uk_datetime
from .errors import DomainError
from .pagination import CappedPaginator


def uk_time(value) -> str:
    """A stored UTC datetime as the desk reads it: UK local time, in the portal's format
    ("1 Jul 2026, 14:05", `core.dates`); "-" for none, as the console marks an empty value."""
    return uk_datetime(value, empty="-")


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal on a form: each field error on its field when the form has
    it, otherwise at the top of the form; a refusal without field errors as its message."""
    if not error.field_errors:
        form.add_error(None, error.message)
    for field, field_messages in error.field_errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def error_fits_form(form: forms.Form, error: DomainError) -> bool:
    return any(field in form.fields for field in error.field_errors)


class ServiceFormAdminMixin:
    """For model admins whose save calls a service.

    A DomainError raised while saving escapes the admin's transaction (so the save rolls back);
    the same POST is then shown again with the service's words on the form, input kept.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            if getattr(request, "_console_refusal", None) is not None:
                self.message_user(request, refusal.message, messages.ERROR)
                return HttpResponseRedirect(request.path)
            request._console_refusal = refusal
            self.message_user(request, refusal.message, messages.ERROR)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_console_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                add_domain_error(self, refusal)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm


class CappedCountAdminMixin:
    """For changelists over tables that grow without bound (tickets, clocks, the outbox, the
    security log): no count of the whole table, and the filtered list counted no further than
    the page asked for needs — "1,000+" beyond (issue 9). Nor the filters' facet counts
    (`?_facets`): one full count per filter choice, over the whole table."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_count_cap = 1000

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = CappedPaginator(
            queryset,
            per_page,
            cap=self.list_count_cap,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )
        paginator.look_ahead_to(request.GET.get(PAGE_VAR, 1))
        return paginator


class NoAddDeleteAdminMixin:
    """Records that only services make and keep (raised from a page, an action, the API): the
    console lists and shows them but neither adds nor deletes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
