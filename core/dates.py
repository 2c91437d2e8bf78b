"""One way to show a moment to people, in the portal, the console and emails alike: UK time,
"1 Jul 2026, 14:05" (a date alone "1 Jul 2026"; with the day's name where a timeline needs it,
"Thu 3 Dec 2026, 09:05"). The database stores UTC; people read Europe/London
(docs/conventions.md §4). Templates use the `uk_dates` library (`core.templatetags.uk_dates`).
"""

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.safestring import SafeString

from .markup import html_format

UK_TIME = ZoneInfo("Europe/London")


def _local(value: datetime, tz: tzinfo | None) -> datetime:
    return timezone.localtime(value, tz or UK_TIME)


def uk_datetime(value: datetime | None, *, weekday: bool = False, empty: str = "—", tz=None) -> str:
    """A stored (aware) datetime as people read it: "1 Jul 2026, 14:05" in UK time;
    `weekday` puts the day's name first ("Wed 1 Jul 2026, 14:05"); `empty` for None."""
    if value is None:
        return empty
    return _text(_local(value, tz), weekday)


def _text(local: datetime, weekday: bool) -> str:
    day = local.strftime("%a ") if weekday else ""
    return f"{day}{local.day} {local.strftime('%b %Y, %H:%M')}"


def uk_date(value: date | datetime | None, *, empty: str = "—") -> str:
    """A day as people read it: "1 Jul 2026" (a datetime is taken in UK time first)."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = _local(value, None)
    return f"{value.day} {value.strftime('%b %Y')}"


def time_html(
    value: datetime | None, empty: str = "—", *, weekday: bool = False, tz: tzinfo | None = None
) -> SafeString | str:
    """`uk_datetime` in a `<time>` element whose `datetime` is the ISO 8601 moment in UK time;
    `tz`, the zone to show when the caller has it already (a table asks once, not per row)."""
    if value is None:
        return empty
    local = _local(value, tz)
    return html_format('<time datetime="{}">{}</time>', local.isoformat(), _text(local, weekday))


def date_html(value: date | datetime | None, empty: str = "—") -> SafeString | str:
    """`uk_date` in a `<time>` element."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = _local(value, None).date()
    return html_format('<time datetime="{}">{}</time>', value.isoformat(), uk_date(value))
