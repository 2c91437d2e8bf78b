"""Read queries for the participant portal's case pages (§10.2, §10.4).

Both selectors start from `tickets.selectors.visible_tickets`, so the organisation scoping of
§10.4 is applied in one place, and fetch every relation the pages show in the same query.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.urls import reverse

from core.errors import TicketNotFound
from core.pagination import capped_count
from tickets.selectors import visible_tickets

from .models import Case

# The pseudo-state the filter offers for "anything not yet resolved".
OPEN = "open"


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
    opened_at: datetime
    organisation: str | None
    category: str | None
    caller: str | None
    url: str

    def get_state_display(self) -> str:
        return Case.State(self.state).label


CASE_ROW_VALUES = (
    "number",
    "short_description",
    "state",
    "opened_at",
    "organisation__name",
    "category__name",
    "caller__full_name",
    "caller__email",
)


def case_rows(cases: QuerySet) -> QuerySet:
    """`cases` as `CASE_ROW_VALUES` rows, for paging; `case_row` turns each into a `CaseRow`."""
    return cases.values(*CASE_ROW_VALUES)


def case_row(values: dict, *, url_template: str) -> CaseRow:
    """A `CaseRow`; `url_template` is `case_url_template()`, made once per page."""
    return CaseRow(
        number=values["number"],
        short_description=values["short_description"],
        state=values["state"],
        opened_at=values["opened_at"],
        organisation=values["organisation__name"],
        category=values["category__name"],
        # `User.__str__`: the full name, else the address.
        caller=values["caller__full_name"] or values["caller__email"],
        url=url_template.replace(URL_PLACEHOLDER, values["number"]),
    )


URL_PLACEHOLDER = "CS0000000"


def case_url_template() -> str:
    """The case page's URL with a placeholder for the number: one `reverse` for a page of
    rows rather than one per row (case numbers are letters and digits, safe in a path)."""
    return reverse("portal:case_detail", kwargs={"number": URL_PLACEHOLDER})


def case_list_for(user, state: str | None = None, q: str | None = None) -> QuerySet:
    """The cases `user` may see, newest first, optionally by state and by number or subject.

    One query for the page and one for its (capped) count at any size: organisation, category
    and caller come through the join. List pages read it as plain rows (`case_rows`).
    """
    cases = visible_tickets(Case.objects.all(), user=user).select_related(
        "organisation", "category", "caller"
    )
    if state == OPEN:
        cases = cases.filter(state__in=Case.OPEN_STATES)
    elif state in Case.State.values:
        cases = cases.filter(state=state)
    q = (q or "").strip()
    if q:
        cases = cases.filter(Q(number__icontains=q) | Q(short_description__icontains=q))
    return cases.order_by("-opened_at", "-pk")


def case_open_count_for(user) -> str:
    """How many of the cases `user` may see are still open (New, In Progress, On Hold), as
    shown: "12", or "1,000+" past the cap, so the home page never counts a whole desk."""
    count, more = capped_count(case_list_for(user, state=OPEN))
    return f"{count:,}+" if more else f"{count:,}"


def case_get_for(user, number: str) -> Case:
    """The case with this number if `user` may see it; otherwise TicketNotFound.

    A case outside the user's organisation tree is reported exactly like one that does not
    exist, so its number reveals nothing (§10.4).
    """
    case = (
        visible_tickets(Case.objects.all(), user=user)
        .select_related("organisation", "category", "caller", "rerouted_to")
        .filter(number=(number or "").strip().upper())
        .first()
    )
    if case is None:
        raise TicketNotFound(f"There is no case {number} that you can see.")
    return case
