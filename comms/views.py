"""Portal pages of communications (namespace `comms`): the notification centre, email
preferences, and asking to join or leave a distribution list (§5.21, §7.3, §10.2).

Views collect input and show results; the rules live in `comms.centre` and `comms.lists`.
A refused action is shown as a message or a form error, never a 500.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.views import portal_nav_context
from core.errors import DomainError, TicketNotFound
from core.forms import DomainErrorFormMixin
from core.pagination import CappedPaginator

from .centre import (
    notification_list_for,
    notification_mark_all_read,
    notification_open,
    notification_preferences_for,
    notification_preferences_update,
)
from .lists import (
    distribution_list_message_get_for,
    distribution_list_request_membership,
    distribution_lists_for,
    list_request_people_for,
    list_requests_for_others_of,
)
from .models import ListMembershipRequest

NOTIFICATIONS_PER_PAGE = 25


def _page(request, template: str, context: dict, *, current: str = "", status: int = 200):
    context = {**portal_nav_context(request.user), "nav_current": current, **context}
    return render(request, template, context, status=status)


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first, unread ones marked."""
    paginator = CappedPaginator(notification_list_for(request.user), NOTIFICATIONS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "notifications": page.object_list,
    }
    return _page(request, "comms/notification_list.html", context, current="notifications")


@login_required
@require_GET
def notification_open_view(request, pk: int):
    """Opening a notification marks it read and goes to what it is about."""
    try:
        notification = notification_open(user=request.user, notification_id=pk)
    except TicketNotFound as exc:
        raise Http404(exc.message) from exc
    link = notification.link
    if link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(link)
    return redirect("comms:notification_list")


@login_required
@require_POST
def notification_mark_all_read_view(request):
    count = notification_mark_all_read(user=request.user)
    if count:
        messages.success(
            request, f"{count} notification{'s' if count != 1 else ''} marked as read."
        )
    return redirect("comms:notification_list")


class PreferencesForm(forms.Form):
    """One checkbox per optional event. Mandatory events are no choice at all: the page lists
    them, with why each is always emailed, outside the form (§10.2)."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = [row for row in rows if not row.event.mandatory]
        for row in self.rows:
            self.fields[row.event.key] = forms.BooleanField(
                label=row.event.label, required=False, initial=row.email_enabled
            )

    def email_choices(self) -> dict[str, bool]:
        return {row.event.key: self.cleaned_data[row.event.key] for row in self.rows}


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    """Choose which optional notifications also arrive by email; the page says which are always
    emailed and why."""
    rows = notification_preferences_for(request.user)
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST, rows=rows)
        if form.is_valid():
            try:
                notification_preferences_update(
                    user=request.user, email_enabled=form.email_choices()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Your notification preferences are saved.")
                return redirect("comms:notification_preferences")
        status = 400
    else:
        form = PreferencesForm(rows=rows)
    return _page(
        request,
        "comms/notification_preferences.html",
        {"form": form, "always": [row.event for row in rows if row.event.mandatory]},
        current="notifications",
        status=status,
    )


class OthersRequestForm(DomainErrorFormMixin, forms.Form):
    """Ask for someone of the requester's organisation to be added to or removed from a list
    (§5.21); the choices are only the lists open to requests and the people of their tree."""

    distribution_list = forms.ModelChoiceField(
        queryset=None,
        label="List",
        empty_label="Choose a list",
        error_messages={"required": "Choose a list.", "invalid_choice": "Choose a list."},
    )
    person = forms.ModelChoiceField(
        queryset=None,
        label="Person",
        empty_label="Choose someone",
        help_text="People of your organisation who have an account on this portal.",
        error_messages={
            "required": "Choose who to add or remove.",
            "invalid_choice": "Choose someone of your organisation.",
        },
    )
    # "join"/"leave" rather than the request's own values, so this form's radios are never
    # mistaken for the page's per-list buttons.
    ACTIONS = {
        "join": ListMembershipRequest.Action.ADD,
        "leave": ListMembershipRequest.Action.REMOVE,
    }
    action = forms.ChoiceField(
        label="Ask to",
        choices=[("join", "Add them to the list"), ("leave", "Remove them from the list")],
        initial="join",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose add or remove.",
            "invalid_choice": "Choose add or remove.",
        },
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        lists, people = self.fields["distribution_list"], self.fields["person"]
        lists.queryset = distribution_lists_for(actor)
        people.queryset = list_request_people_for(actor).exclude(pk=actor.pk)
        # Drawn from one read of each (a model choice field reads its queryset on every
        # drawing); the querysets still check what is posted.
        self.list_choices = list(lists.queryset)
        self.people_choices = list(people.queryset)
        lists.choices = [("", lists.empty_label)] + [(d.pk, d.name) for d in self.list_choices]
        people.choices = [("", people.empty_label)] + [
            (p.pk, f"{p.full_name} ({p.email})" if p.full_name else p.email)
            for p in self.people_choices
        ]

    def clean_action(self) -> str:
        return self.ACTIONS[self.cleaned_data["action"]]


@login_required
@require_GET
def distribution_list_index(request):
    """The lists a user can join or leave, with where each of their requests stands (§5.21)."""
    context = {
        "lists": distribution_lists_for(request.user),
        "Action": ListMembershipRequest.Action,
        "attached": bool(request.user.organisation_id),
    }
    return _page(request, "comms/distribution_lists.html", context, current="lists")


@login_required
@require_http_methods(["GET", "POST"])
def distribution_list_request_for_others(request):
    """Ask for someone of the requester's organisation to be added to or removed from a list
    (§5.21): a service request for the desk to approve, like the requester's own; and where the
    requests made for others stand."""
    user = request.user
    if not user.organisation_id:
        messages.error(
            request, "You can ask about lists once your account is attached to your organisation."
        )
        return redirect("comms:list_index")
    form = OthersRequestForm(request.POST or None, actor=user)
    if request.method == "POST" and form.is_valid():
        try:
            membership_request = distribution_list_request_membership(
                actor=user,
                distribution_list=form.cleaned_data["distribution_list"],
                action=form.cleaned_data["action"],
                person=form.cleaned_data["person"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request,
                f"Your request is raised as {membership_request.case.number}. The service desk "
                "will approve it and you will hear through the case.",
            )
            return redirect("comms:list_request_others")
    context = {
        "form": form,
        "requests": list_requests_for_others_of(user)[:50],
        "Action": ListMembershipRequest.Action,
    }
    return _page(
        request,
        "comms/distribution_lists_others.html",
        context,
        current="lists",
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_GET
def distribution_list_message(request, pk: int):
    """A message sent to a list, for its members (and the desk)."""
    try:
        message = distribution_list_message_get_for(request.user, pk)
    except TicketNotFound as exc:
        raise Http404(exc.message) from exc
    return _page(request, "comms/list_message.html", {"message": message}, current="lists")


@login_required
@require_POST
def distribution_list_request(request, pk: int):
    """Ask to be added or removed: raises a service request for the desk to approve."""
    distribution_list = distribution_lists_for(request.user).filter(pk=pk).first()
    if distribution_list is None:
        raise Http404("There is no such list that you can join.")
    try:
        membership_request = distribution_list_request_membership(
            actor=request.user,
            distribution_list=distribution_list,
            action=request.POST.get("action", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Your request is raised as {membership_request.case.number}. The service desk will "
            "approve it and you will hear through the case.",
        )
    return redirect("comms:list_index")
