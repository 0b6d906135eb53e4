"""A paginator that never counts the whole table."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counts at most `CAP` rows, so a page view never counts the whole table.

    Chosen over PostgreSQL's `pg_class.reltuples` estimate because the queue
    is never the bare table (drafts are excluded, filters apply) and the
    estimate says nothing about a filtered set; a bounded
    `SELECT COUNT(*) FROM (… LIMIT CAP + 1)` is exact below the cap, cheap
    above it and the same on every database. Past the cap the list shows the
    first CAP rows; filters or search narrow it down.
    """

    CAP = 10_000
    # Whether the last count reached the cap (set when `count` is read).
    capped = False

    @cached_property
    def count(self):
        counted = self.object_list.order_by().values("pk")[: self.CAP + 1].count()
        self.capped = counted > self.CAP
        return min(counted, self.CAP)
