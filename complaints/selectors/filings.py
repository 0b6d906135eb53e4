"""Read paths for filings: the case page's filings with their deadlines and
next steps, and the "untimely bodies" report (who answers late, by body
and by institution) in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, DateField, F, Q, When
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import channels, clocks
from ..models import (
    Channel,
    Filing,
)


def filings_overview(complaint, plan, today):
    """Each filing with its deadlines, where it stands and what to do next,
    and the case's limitation period (for the case page)."""
    filings = list(
        Filing.objects.filter(complaint=complaint)
        .select_related("channel", "letter", "proof")
        .order_by("sent_on", "pk")
    )
    rows = []
    for filing in filings:
        clock = clocks.clock_for(filing)
        rows.append(
            {
                "filing": filing,
                "deadlines": [
                    {
                        "label": clocks.stage_label(d.stage),
                        "days": d.days,
                        "unit": d.unit,
                        "due": d.due,
                        "current": clock.current is not None and d == clock.current,
                        "extension": bool(
                            (filing.channel.clock_rules or [])[i].get("extension")
                        ),
                    }
                    for i, d in enumerate(clock.deadlines)
                ],
                "current": clock.current,
                "current_label": clocks.stage_label(clock.current.stage)
                if clock.current
                else "",
                "days_left": clock.days_left(today),
                "days_overdue": -clock.days_left(today) if clock.overdue(today) else 0,
                "overdue": clock.overdue(today),
                "approximate": clock.approximate,
                "next_steps": channels.next_steps(plan, filing, filings, today),
            }
        )
    limitation = clocks.case_limitation(complaint, filings)
    return {
        "rows": rows,
        "limitation": limitation,
        "limitation_days_left": limitation.days_left(today) if limitation else None,
        "limitation_warning": limitation.warning(today) if limitation else False,
        "limitation_expired": limitation.expired(today) if limitation else False,
    }


# Institutions beyond this many rows (typed names can be many) are summed
# into one "other" row.
UNTIMELY_INSTITUTION_ROWS = 50


def answered_on_expression():
    """The first sign of life from the body, in SQL: the earlier of
    `accepted_on` and `reply_on`, either of which may be missing.

    Spelled out as a CASE because the databases disagree on NULLs: SQLite's
    two-argument MIN() is NULL when either is, PostgreSQL's LEAST() skips
    NULLs. (`Filing.answered_on` is the same in Python.)"""
    return Case(
        When(accepted_on__isnull=True, then=F("reply_on")),
        When(reply_on__isnull=True, then=F("accepted_on")),
        When(accepted_on__lte=F("reply_on"), then=F("accepted_on")),
        default=F("reply_on"),
        output_field=DateField(),
    )


@dataclass
class TimelinessRow:
    key: object
    label: str
    url: str = ""
    filings: int = 0
    in_time: int = 0
    late: int = 0
    overdue: int = 0
    waiting: int = 0
    undated: int = 0
    no_deadline: int = 0
    days_late: int = 0  # summed over the answers given late
    is_other: bool = False

    COUNTS = (
        "filings",
        "in_time",
        "late",
        "overdue",
        "waiting",
        "undated",
        "no_deadline",
        "days_late",
    )

    def add(self, other) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def decided(self) -> int:
        """Filings whose timeliness is known: answered, or overdue now."""
        return self.in_time + self.late + self.overdue

    @property
    def share_late(self) -> float | None:
        """Answered late or overdue now, of the decided filings."""
        if not self.decided:
            return None
        return (self.late + self.overdue) / self.decided

    @property
    def share_late_percent(self) -> int | None:
        share = self.share_late
        return None if share is None else round(share * 100)

    @property
    def average_days_late(self) -> float | None:
        return self.days_late / self.late if self.late else None


def _timeliness_counts(today):
    """The buckets each filing falls in (exactly one)."""
    clock = Q(first_due_on__isnull=False)
    silent = clock & Q(answered__isnull=True)
    waiting_for_answer = silent & Q(outcome="")
    return {
        "filings": Count("pk"),
        "no_deadline": Count("pk", filter=Q(first_due_on__isnull=True)),
        "in_time": Count("pk", filter=clock & Q(answered__lte=F("first_due_on"))),
        "late": Count("pk", filter=clock & Q(answered__gt=F("first_due_on"))),
        # An outcome recorded without a date (accepted, day unknown).
        "undated": Count("pk", filter=silent & ~Q(outcome="")),
        "overdue": Count("pk", filter=waiting_for_answer & Q(first_due_on__lt=today)),
        "waiting": Count("pk", filter=waiting_for_answer & Q(first_due_on__gte=today)),
    }


def _timeliness(filings, key, label_for, url_for, today) -> dict:
    """Counts per group in one grouped query, days late in another (grouped
    by group and dates, so a thousand late answers on the same days are
    one row)."""
    filings = filings.order_by().annotate(
        group_key=key, answered=answered_on_expression()
    )
    rows: dict = {}
    for values in filings.values("group_key").annotate(**_timeliness_counts(today)):
        group = values.pop("group_key") or ""
        row = rows.get(group)
        if row is None:
            row = rows[group] = TimelinessRow(
                key=group, label=label_for(group), url=url_for(group)
            )
        row.add(TimelinessRow(key=group, label="", **values))
    late = (
        filings.filter(first_due_on__isnull=False, answered__gt=F("first_due_on"))
        .values("group_key", "answered", "first_due_on")
        .annotate(n=Count("pk"))
    )
    for values in late:
        row = rows.get(values["group_key"] or "")
        if row is not None:
            row.days_late += (
                values["answered"] - values["first_due_on"]
            ).days * values["n"]
    return rows


def _worst_first(rows) -> list[TimelinessRow]:
    def key(row):
        share = row.share_late
        return (share is None, -(share or 0), -row.filings, row.label)

    return sorted(rows, key=key)


def _total(rows, label) -> TimelinessRow:
    total = TimelinessRow(key=None, label=label)
    for row in rows:
        total.add(row)
    return total


@dataclass
class TimelinessTable:
    rows: list[TimelinessRow]
    total: TimelinessRow


def untimely_by_body(filings, today) -> TimelinessTable:
    changelist = reverse("admin:complaints_filing_changelist")
    found = _timeliness(
        filings,
        F("channel_id"),
        lambda key: "",
        lambda key: f"{changelist}?channel__id__exact={key}",
        today,
    )
    names = Channel.objects.in_bulk(list(found))
    for pk, row in found.items():
        channel = names.get(pk)
        row.label = channel.display_name if channel else str(pk)
    rows = _worst_first(found.values())
    return TimelinessTable(rows=rows, total=_total(rows, _("Total")))


def untimely_by_institution(filings, today) -> TimelinessTable:
    from .dashboard import respondent_key

    unknown = _("Unknown")
    found = _timeliness(
        filings.filter(channel__kind=Channel.Kind.INSTITUTION),
        respondent_key("complaint__"),
        lambda key: key or unknown,
        lambda key: "",
        today,
    )
    rows = _worst_first(found.values())
    total = _total(rows, _("Total"))
    if len(rows) > UNTIMELY_INSTITUTION_ROWS + 1:
        shown, rest = rows[:UNTIMELY_INSTITUTION_ROWS], rows[UNTIMELY_INSTITUTION_ROWS:]
        other = _total(rest, _("Other (%(count)d more)") % {"count": len(rest)})
        other.is_other = True
        rows = [*shown, other]
    return TimelinessTable(rows=rows, total=total)
