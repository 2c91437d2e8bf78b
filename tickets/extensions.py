"""Where apps above the kernel add to every ticket type's console page and API.

The SLA engine shows its clocks on every ticket and serves `…/{number}/slas/` for every type;
the kernel does not import it. Such an app registers here once, in its AppConfig.ready, and
the kernel's console (`tickets.admin.TicketAdmin`) and the API router
(`mhhs_portal.api_urls`) ask for what has been registered.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class ConsoleExtension:
    """What an app adds to every ticket admin.

    - `annotate_rows(tickets)`: sets the app's column values on the tickets of one list page,
      in one query by their ids, so a column costs the page's rows at any size (issue 9);
    - `sort_annotate(queryset)`: the annotation a sortable column orders by, added only when
      the list is sorted by one of the app's columns (it reads every row it sorts);
    - `detail_context(ticket)`: extra context for the ticket's change page (a dict);
    - `columns`: {attribute name: callable(ticket) -> display value}, each with a
      `short_description` and, if it sorts, `admin_order_field`; the admin offers them as
      `list_display` entries under those names;
    - `panel_template`: a template included on the generic ticket page (types with their
      own page template include what they show themselves).
    """

    name: str
    annotate_rows: Callable[[list], None] | None = None
    sort_annotate: Callable[[QuerySet], QuerySet] | None = None
    detail_context: Callable[[object], dict] | None = None
    columns: tuple[tuple[str, Callable], ...] = ()
    panel_template: str = ""


# An API extension: `routes(ticket_type)` → URL patterns under the type's slug, e.g.
# `path("cases/<str:number>/slas/", …)`; the router includes them for every type with a slug.
ApiRoutes = Callable[[object], list]

_console: dict[str, ConsoleExtension] = {}
_api: dict[str, ApiRoutes] = {}


def register_console_extension(extension: ConsoleExtension) -> None:
    _console[extension.name] = extension


def console_extensions() -> list[ConsoleExtension]:
    return list(_console.values())


def register_api_routes(name: str, routes: ApiRoutes) -> None:
    _api[name] = routes


def api_routes_for(ticket_type) -> list:
    return [pattern for routes in _api.values() for pattern in routes(ticket_type)]
