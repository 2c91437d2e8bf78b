"""Reference data read on every console list, kept per process (issue 9).

The categories (§5.16) are the choices of the "By category" filter on every ticket list, and
with the services (§1.4) the filters of the knowledge search: one query each per page view for
tables the desk changes a few times a year. They are kept in this
process and dropped when a category is saved or deleted here (connected in `TicketsConfig.ready`); another
process sees a change within `REFERENCE_TTL_SECONDS`, which only delays a new category's
appearance in the filter — tickets themselves are always read from the database. Services are
kept the same way.
"""

import threading
import time

REFERENCE_TTL_SECONDS = 60
# The clock the TTL is read on (a test moves it).
clock = time.monotonic

_lock = threading.Lock()
_categories: tuple[float, list[tuple[int, str, bool]]] | None = None
_services: tuple[float, list[tuple[str, str, bool]]] | None = None


def _category_rows() -> list[tuple[int, str, bool]]:
    global _categories
    held = _categories
    if held is not None and clock() - held[0] < REFERENCE_TTL_SECONDS:
        return held[1]
    from .models import Category

    rows = [
        (category.pk, str(category), category.active)
        for category in Category.objects.only("name", "active")
    ]
    with _lock:
        _categories = (clock(), rows)
    return rows


def category_choices(*, active_only: bool = False) -> list[tuple[int, str]]:
    """Every category (or the active ones, which new choices may pick) as (id, name), in the
    categories' own order."""
    return [(pk, name) for pk, name, active in _category_rows() if active or not active_only]


def category_choices_forget(**_signal_kwargs) -> None:
    """A category was saved or deleted in this process: read them again next time."""
    global _categories
    with _lock:
        _categories = None


def _service_rows() -> list[tuple[str, str, bool]]:
    global _services
    held = _services
    if held is not None and clock() - held[0] < REFERENCE_TTL_SECONDS:
        return held[1]
    from .models import Service

    rows = [
        (service.code, str(service), service.active)
        for service in Service.objects.only("name", "abbreviation", "code", "active").order_by(
            "name"
        )
    ]
    with _lock:
        _services = (clock(), rows)
    return rows


def service_choices(*, active_only: bool = False) -> list[tuple[str, str]]:
    """Every service (or the active ones) as (code, name as the model shows it), by name."""
    return [(code, name) for code, name, active in _service_rows() if active or not active_only]


def service_choices_forget(**_signal_kwargs) -> None:
    """A service was saved or deleted in this process: read them again next time."""
    global _services
    with _lock:
        _services = None
