"""The figures of the reviewers' dashboard in admin: counts by status, money claimed and
recovered per institution and per province, and the oldest waiting cases.

Every figure is aggregated in the database with a fixed number of queries,
whatever the number of complaints (DESIGN.md section 11): one for the status
counts, two for each breakdown (cases and recovered amounts grouped on
Complaint; claimed amounts grouped on LossItem, so a complaint with several
loss items is never counted twice), one for the waiting cases. Python only
merges and orders the grouped rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Trim
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..models import Complaint, LossItem, Status
from ..regions import Province

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=16, decimal_places=2)

# Cases waiting for a reviewer or for the user's answer, oldest first.
WAITING_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO)
WAITING_LIMIT = 10
# Institutions beyond this many (free-text names can be many) are summed
# into one "other" row so the page stays readable and small.
INSTITUTION_ROWS = 20


@dataclass
class TotalsRow:
    key: str
    label: str
    cases: int = 0
    claimed: Decimal = ZERO
    recovered: Decimal = ZERO
    is_other: bool = False


@dataclass
class Breakdown:
    rows: list[TotalsRow] = field(default_factory=list)
    total: TotalsRow | None = None


def dashboard_complaints(user) -> QuerySet[Complaint]:
    """What the dashboard counts: every visible case except drafts."""
    return access.visible_complaints(user).exclude(status=Status.DRAFT)


def respondent_key(prefix: str = ""):
    """The institution's name when linked, else the trimmed free-text name.

    Grouping on the name means a free-text respondent spelled exactly like a
    listed institution is counted with it. An empty key means "unknown".
    """
    return Case(
        When(
            **{f"{prefix}respondent_institution__isnull": False},
            then=F(f"{prefix}respondent_institution__name"),
        ),
        default=Trim(F(f"{prefix}respondent_name")),
        output_field=CharField(),
    )


def _cents(value) -> Decimal:
    """SQLite sums decimals as floats: back to exact cents."""
    return Decimal(value).quantize(CENT)


def _sum(expression):
    return Coalesce(Sum(expression), Value(ZERO), output_field=MONEY)


def status_counts(complaints: QuerySet[Complaint]) -> list[dict]:
    """Every status but draft, in workflow order, zero counts included."""
    counted = dict(
        complaints.order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    changelist = reverse("admin:complaints_complaint_changelist")
    return [
        {
            "status": status.value,
            "label": status.label,
            "count": counted.get(status.value, 0),
            "url": f"{changelist}?status__exact={status.value}",
        }
        for status in Status
        if status != Status.DRAFT
    ]


def _breakdown(
    complaints: QuerySet[Complaint], complaint_key, loss_key, label_for
) -> dict[str, TotalsRow]:
    """Cases, recovered and claimed per group, in two grouped queries."""
    rows: dict[str, TotalsRow] = {}
    grouped = (
        complaints.order_by()
        .annotate(group_key=complaint_key)
        .values("group_key")
        .annotate(cases=Count("pk"), recovered=_sum("amount_recovered"))
    )
    for row in grouped:
        key = row["group_key"] or ""
        # Several raw keys may fall into one group (e.g. NULL and "").
        entry = rows.setdefault(key, TotalsRow(key=key, label=label_for(key)))
        entry.cases += row["cases"]
        entry.recovered += _cents(row["recovered"])
    claimed = (
        LossItem.objects.filter(complaint__in=complaints.order_by().values("pk"))
        .order_by()
        .annotate(group_key=loss_key)
        .values("group_key")
        .annotate(claimed=_sum("amount"))
    )
    for row in claimed:
        key = row["group_key"] or ""
        entry = rows.setdefault(key, TotalsRow(key=key, label=label_for(key)))
        entry.claimed += _cents(row["claimed"])
    return rows


def _total(rows) -> TotalsRow:
    total = TotalsRow(key="", label=_("Total"))
    for row in rows:
        total.cases += row.cases
        total.claimed += row.claimed
        total.recovered += row.recovered
    return total


def _ordered(rows: dict[str, TotalsRow]) -> list[TotalsRow]:
    """Largest claim first; "unknown" last; ties by name."""
    return sorted(
        rows.values(),
        key=lambda r: (r.key == "", -r.claimed, -r.recovered, -r.cases, r.label),
    )


def by_institution(complaints: QuerySet[Complaint]) -> Breakdown:
    unknown = _("Unknown")
    rows = _ordered(
        _breakdown(
            complaints,
            respondent_key(),
            respondent_key("complaint__"),
            lambda key: key or unknown,
        )
    )
    total = _total(rows)
    if len(rows) > INSTITUTION_ROWS + 1:
        shown, rest = rows[:INSTITUTION_ROWS], rows[INSTITUTION_ROWS:]
        other = _total(rest)
        other.label = _("Other (%(count)d more)") % {"count": len(rest)}
        other.is_other = True
        rows = [*shown, other]
    return Breakdown(rows=rows, total=total)


def by_province(complaints: QuerySet[Complaint]) -> Breakdown:
    labels = dict(Province.choices)
    unknown = _("Unknown")
    rows = _ordered(
        _breakdown(
            complaints,
            F("province"),
            F("complaint__province"),
            lambda key: str(labels.get(key, key)) if key else unknown,
        )
    )
    return Breakdown(rows=rows, total=_total(rows))


def oldest_waiting(complaints: QuerySet[Complaint], limit: int = WAITING_LIMIT):
    """The cases waiting longest since submission, with days waiting."""
    now = timezone.now()
    cases = list(
        complaints.filter(status__in=WAITING_STATUSES)
        .with_total_claimed()
        .select_related("respondent_institution")
        .only(
            "pk",
            "number",
            "status",
            "submitted_at",
            "respondent_name",
            "respondent_institution__name",
        )
        .order_by(F("submitted_at").asc(nulls_last=True), "pk")[:limit]
    )
    for case in cases:
        case.days_waiting = (
            (now - case.submitted_at).days if case.submitted_at else None
        )
        case.admin_url = reverse("admin:complaints_complaint_change", args=[case.pk])
    return cases


def _chart(breakdown: Breakdown) -> dict:
    return {
        "labels": [row.label for row in breakdown.rows],
        "claimed": [str(row.claimed) for row in breakdown.rows],
        "recovered": [str(row.recovered) for row in breakdown.rows],
    }


def dashboard_context(user) -> dict:
    complaints = dashboard_complaints(user)
    statuses = status_counts(complaints)
    institutions = by_institution(complaints)
    provinces = by_province(complaints)
    chart_data = {
        "labels": {
            "cases": _("Cases"),
            "claimed": _("Total claimed (CNY)"),
            "recovered": _("Total recovered (CNY)"),
        },
        "status": {
            "labels": [str(row["label"]) for row in statuses],
            "counts": [row["count"] for row in statuses],
        },
        "institutions": _chart(institutions),
        "provinces": _chart(provinces),
    }
    return {
        "statuses": statuses,
        "case_count": sum(row["count"] for row in statuses),
        "institutions": institutions,
        "provinces": provinces,
        "waiting": oldest_waiting(complaints),
        "chart_data": chart_data,
    }
