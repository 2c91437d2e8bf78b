"""Read queries for the participant portal's case pages (§10.2, §10.4).

Both selectors start from `tickets.selectors.visible_tickets`, so the organisation scoping of
§10.4 is applied in one place, and fetch every relation the pages show in the same query.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db.models import F, Q, QuerySet

from core.errors import TicketNotFound
from core.pagination import capped_count
from core.urls import reverse_fixed
from tickets.priority import Priority
from tickets.selectors import visible_ticket_parts, visible_tickets

from .models import Case

# The pseudo-state the filter offers for "anything not yet resolved".
OPEN = "open"

# My Cases' sortable columns: each order, both ways, is read through an index that holds the
# visibility columns too (`case_visible_newest`, `case_visible_updated`,
# `case_visible_priority`), so a sorted page reads only the rows it shows, as the newest-first
# one does (issue 9). Each key's first direction is the one its column header offers first.
ASCENDING, DESCENDING = "asc", "desc"
CASE_SORTS: dict[str, tuple[str, tuple, tuple]] = {
    # key: (first direction, order when descending, order when ascending)
    "opened": (DESCENDING, ("-opened_at", "-pk"), ("opened_at", "pk")),
    "updated": (DESCENDING, ("-updated_at", "-pk"), ("updated_at", "pk")),
    # P1 first, not yet prioritised last; newest first within a priority. Descending is the
    # exact reverse, so one index serves both, read backwards.
    "priority": (
        ASCENDING,
        (F("priority").desc(nulls_first=True), "opened_at", "pk"),
        (F("priority").asc(nulls_last=True), "-opened_at", "-pk"),
    ),
}
DEFAULT_SORT = "opened"
# The orders in words, each as the `sort` parameter names it: the key, "-" first when
# descending ("-opened", newest first, is the default).
CASE_SORT_CHOICES = (
    ("-opened", "Newest first"),
    ("opened", "Oldest first"),
    ("-updated", "Most recently updated first"),
    ("updated", "Least recently updated first"),
    ("priority", "Highest priority first"),
    ("-priority", "Lowest priority first"),
)
CASE_SORT_WORDS = dict(CASE_SORT_CHOICES)
DEFAULT_SORT_VALUE = "-opened"


def case_sort_value(sort: str, direction: str) -> str:
    """The `sort` parameter for a key and direction: "-updated", "priority"."""
    return f"-{sort}" if direction == DESCENDING else sort


def case_sort(value: str | None) -> tuple[str, str]:
    """A `sort` parameter as (key, direction); the default (newest first) for anything else."""
    value = value or ""
    key = value.removeprefix("-")
    if key not in CASE_SORTS:
        return DEFAULT_SORT, DESCENDING
    return key, DESCENDING if value.startswith("-") else ASCENDING


def _case_order(sort: str) -> tuple:
    key, direction = case_sort(sort)
    _, descending, ascending = CASE_SORTS[key]
    return descending if direction == DESCENDING else ascending


def case_state_filter_choices() -> list[tuple[str, str]]:
    """Choices for the My Cases state filter: all, every open state, then each state."""
    return [("", "All cases"), (OPEN, "All open cases"), *Case.State.choices]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One My Cases row as the list shows it, built from plain values: a page of 25 builds no
    model instances (issue 9). Reads like a case to the templates."""

    number: str
    short_description: str
    state: str
    priority: int | None
    opened_at: datetime
    updated_at: datetime
    organisation: str | None
    category: str | None
    caller: str | None
    url: str

    def get_state_display(self) -> str:
        return Case.State(self.state).label

    def get_priority_display(self) -> str | None:
        return None if self.priority is None else Priority(self.priority).label


CASE_ROW_VALUES = (
    "number",
    "short_description",
    "state",
    "priority",
    "opened_at",
    "updated_at",
    "organisation__name",
    "category__name",
    "caller__full_name",
    "caller__email",
)


def case_row(values: dict, *, url_template: str) -> CaseRow:
    """A `CaseRow`; `url_template` is `case_url_template()`, made once per page."""
    return CaseRow(
        number=values["number"],
        short_description=values["short_description"],
        state=values["state"],
        priority=values["priority"],
        opened_at=values["opened_at"],
        updated_at=values["updated_at"],
        organisation=values["organisation__name"],
        category=values["category__name"],
        # `User.__str__`: the full name, else the address.
        caller=values["caller__full_name"] or values["caller__email"],
        url=url_template.replace(URL_PLACEHOLDER, values["number"]),
    )


URL_PLACEHOLDER = "CS0000000"


def case_url_template(name: str = "case_detail") -> str:
    """The URL of the case page (or of one of its actions, `portal:<name>`) with a placeholder
    for the number: reversed once per process (`core.urls.reverse_fixed`) rather than once
    per row or link (case numbers are letters and digits, safe in a path)."""
    return reverse_fixed(f"portal:{name}", number=URL_PLACEHOLDER)


def _case_filter(state: str | None, q: str | None) -> Q:
    """My Cases' filter: by state (or every open state) and by number or subject."""
    condition = Q()
    if state == OPEN:
        condition &= Q(state__in=Case.OPEN_STATES)
    elif state in Case.State.values:
        condition &= Q(state=state)
    q = (q or "").strip()
    if q:
        condition &= Q(number__icontains=q) | Q(short_description__icontains=q)
    return condition


def case_list_for(user, state: str | None = None, q: str | None = None) -> QuerySet:
    """The cases `user` may see, newest first, optionally by state and by number or subject.

    One query for the page and one for its (capped) count at any size: organisation, category
    and caller come through the join. List pages read the same cases as plain rows
    (`case_rows_for`) and count them by `case_count_parts_for`.
    """
    cases = visible_tickets(Case.objects.all(), user=user).select_related(
        "organisation", "category", "caller"
    )
    return cases.filter(_case_filter(state, q)).order_by("-opened_at", "-pk")


# The list pages read the same query shape for everyone: its columns, joins and order are
# built once per process (never evaluated, only narrowed; see `tickets.selectors`).
@cache
def _case_rows() -> QuerySet:
    return Case.objects.order_by("-opened_at", "-pk").values(*CASE_ROW_VALUES)


def case_rows_for(
    user,
    state: str | None = None,
    q: str | None = None,
    *,
    sort: str = DEFAULT_SORT_VALUE,
) -> QuerySet:
    """`case_list_for(user, state, q)` as `CASE_ROW_VALUES` rows, for My Cases and the home
    page: newest first, or in another `CASE_SORT_CHOICES` order; a page of them builds no
    model instances (`case_row` makes each a `CaseRow`)."""
    rows = visible_tickets(_case_rows(), user=user)
    condition = _case_filter(state, q)
    rows = rows.filter(condition) if condition else rows
    if case_sort(sort) != case_sort(DEFAULT_SORT_VALUE):
        rows = rows.order_by(*_case_order(sort))
    return rows


def case_count_parts_for(user, state: str | None = None, q: str | None = None) -> list[QuerySet]:
    """`case_list_for(user, state, q)` as disjoint parts (the organisation tree, then the
    user's own cases outside it), for `CappedPaginator(counting=…)` and `capped_count`: each
    part is counted through its own index and the count stops at the cap (issue 9)."""
    condition = _case_filter(state, q)
    return [
        part.filter(condition).order_by("-opened_at", "-pk")
        for part in visible_ticket_parts(Case.objects.all(), user=user)
    ]


def case_open_count_for(user) -> str:
    """How many of the cases `user` may see are still open (New, In Progress, On Hold), as
    shown: "12", or "1,000+" past the cap, so the home page never counts a whole desk."""
    count, more = capped_count(case_count_parts_for(user, state=OPEN))
    return f"{count:,}+" if more else f"{count:,}"


# The case page shows the case's relations by name only: read through the joins as plain
# values, so the page builds no organisation, category, user or desk instance (issue 9).
CASE_NAMES = {
    "organisation_name": F("organisation__name"),
    "category_name": F("category__name"),
    "caller_full_name": F("caller__full_name"),
    "caller_email": F("caller__email"),
    "rerouted_to_name": F("rerouted_to__name"),
}


@cache
def _case_with_names() -> QuerySet:
    return Case.objects.annotate(**CASE_NAMES)


def case_get_for(user, number: str, *, with_related: bool = True) -> Case:
    """The case with this number if `user` may see it; otherwise TicketNotFound.

    A case outside the user's organisation tree is reported exactly like one that does not
    exist, so its number reveals nothing (§10.4). The names of its organisation, category,
    caller and re-route desk come through the joins (`CASE_NAMES`); with `with_related`, for
    an action, the related instances too. Numbers are unique, so the row is read unordered.
    """
    cases = visible_tickets(_case_with_names(), user=user)
    if with_related:
        cases = cases.select_related("organisation", "category", "caller", "rerouted_to")
    case = next(iter(cases.filter(number=(number or "").strip().upper()).order_by()[:1]), None)
    if case is None:
        raise TicketNotFound(f"There is no case {number} that you can see.")
    return case


def case_resolutions_for(case: Case) -> list[dict]:
    """Every resolution the case has had, oldest first: when, with which code and summary
    (§10.3: the resolution stays in the case's history, each time it is resolved).

    Read from the case's own history rows, one per save, so a case resolved, reopened and
    resolved again shows both resolutions, whichever way each was made. A case never resolved
    costs no query.
    """
    if case.resolved_at is None and not case.reopen_count:
        return []
    return list(
        Case.history.filter(id=case.pk, state=Case.State.RESOLVED, resolved_at__isnull=False)
        .order_by("resolved_at")
        .values("resolved_at", "resolution_code", "resolution_notes")
        .distinct()
    )


def case_timeline_with_resolutions(entries, resolutions: list[dict]) -> list[dict]:
    """The participant's history: journal rows (`journal_rows_for`) with each resolution
    summary (`case_resolutions_for`) in its place by time, as a "resolution" entry."""
    items = list(entries)
    items += [
        {
            "pk": f"resolution-{index}",
            "kind": "resolution",
            "body": resolution["resolution_notes"],
            "created_at": resolution["resolved_at"],
            "author_id": None,
            "author__full_name": "",
            "author__email": "",
            "author__is_staff": True,
        }
        for index, resolution in enumerate(resolutions, start=1)
    ]
    return sorted(items, key=lambda item: item["created_at"]) if resolutions else items
