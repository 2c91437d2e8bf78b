"""A paginator for lists that may hold a million rows (issue 9: counts that never scan).

Django's `Paginator` counts every row of the list to number its pages: at a million tickets that
`COUNT(*)` costs more than the page itself. `CappedPaginator` counts no further than it needs —
up to `cap` rows, or one page past the page asked for — so a page costs the same at any size.
Past the cap the total is shown as "1,000+" and the page links stop at "next".
"""

from functools import cached_property

from django.core.paginator import Paginator

# Past this page number nobody is paging by hand; the count would scan as far as the offset.
MAX_PAGE_NUMBER = 100_000


class CappedPaginator(Paginator):
    """Counts at most `max(cap, (page + 1) × per_page)` rows: enough to number the pages up to
    the one asked for and to know whether another follows.

    `capped` is True when there are more rows than were counted; `count` is then a lower bound
    and `count_display` reads "1,000+".
    """

    def __init__(self, object_list, per_page, *, cap: int = 1000, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        self.horizon = cap
        self.capped = False

    def look_ahead_to(self, number) -> None:
        """Count far enough to know whether page `number` and the one after it exist."""
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        number = min(max(number, 1), MAX_PAGE_NUMBER)
        horizon = max(self.cap, (number + 1) * self.per_page)
        if horizon != self.horizon:
            self.horizon = horizon
            self.__dict__.pop("count", None)
            self.__dict__.pop("num_pages", None)

    def get_page(self, number):
        self.look_ahead_to(number)
        return super().get_page(number)

    def page(self, number):
        self.look_ahead_to(number)
        return super().page(number)

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if hasattr(rows, "order_by"):
            rows = rows.order_by()  # counting needs no order; the planner picks the cheapest
        window = rows[: self.horizon + 1]
        seen = len(window) if isinstance(window, list | tuple) else window.count()
        self.capped = seen > self.horizon
        return min(seen, self.horizon)

    @property
    def count_display(self) -> str:
        """ "1,234" or, when there are more rows than were counted, "1,000+"."""
        count = self.count
        return f"{count:,}+" if self.capped else f"{count:,}"

    def get_elided_page_range(self, number=1, *, on_each_side=3, on_ends=2):
        """Django's elided range; when the total is not known, no last pages are offered
        (they would be a guess), just the first pages, those around this one and an ellipsis."""
        if not self.capped:
            return super().get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends)
        number = self.validate_number(number)
        first = max(1, number - on_each_side)
        last = min(self.num_pages, number + on_each_side)
        head = list(range(1, min(on_ends, first - 1) + 1))
        if head and head[-1] + 1 < first:
            head.append(self.ELLIPSIS)
        return [*head, *range(first, last + 1), self.ELLIPSIS]


def capped_count(queryset, cap: int = 1000) -> tuple[int, bool]:
    """How many rows, counting no further than `cap`: (count, True) when there are more."""
    seen = queryset[: cap + 1].count()
    return min(seen, cap), seen > cap
