"""The bell's unread count for every page, portal and console alike."""

from functools import cached_property

from .centre import notification_unread_count_for


class NotificationBell:
    """Counts lazily: a page that never draws the bell runs no query, one that does runs one."""

    def __init__(self, user) -> None:
        self._user = user

    @cached_property
    def unread(self) -> int:
        return notification_unread_count_for(self._user)


def notifications(request) -> dict:
    return {"notification_bell": NotificationBell(getattr(request, "user", None))}
