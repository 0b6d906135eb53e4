"""Read paths for cases: the "my cases" list, the reviewers' queue columns,
and everything the case page shows (the case with its rows in a fixed number of queries, the
timeline the user sees, the open information request, the stored letters).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .. import access
from ..access import Actor
from ..models import (
    Complaint,
    Evidence,
    Letter,
    LossItem,
    Message,
    Status,
    StatusChange,
)


def case_list(user: Actor) -> QuerySet[Complaint]:
    """The user's own cases, most recently changed first, with the total
    claimed (one query a page)."""
    return (
        access.own_complaints(user)
        .select_related("respondent_institution")
        .with_total_claimed()
        .order_by("-updated_at", "-pk")
    )


def with_queue_columns(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """The reviewers' queue columns: the total claimed, and since when the
    case has waited (its last status change, else its submission), each one
    subquery per row, never a join that multiplies rows."""
    last_change = (
        StatusChange.objects.filter(complaint=OuterRef("pk"))
        .order_by()
        .values("complaint")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    return queryset.with_total_claimed().annotate(
        waiting_since=Coalesce(Subquery(last_change), "submitted_at")
    )


def case_page_queryset() -> QuerySet[Complaint]:
    """A case with what its owner's page shows: losses, evidence (with the
    losses each supports), the status changes and messages the user may see
    (never internal notes), each in its order."""
    return (
        Complaint.objects.select_related("respondent_institution", "brand")
        .with_total_claimed()
        .prefetch_related(
            Prefetch(
                "loss_items", queryset=LossItem.objects.order_by("position", "pk")
            ),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.order_by(
                    "uploaded_at", "pk"
                ).prefetch_related("loss_items"),
            ),
            Prefetch(
                "status_changes",
                queryset=StatusChange.objects.filter(visible_to_user=True)
                .select_related("actor")
                .order_by("created_at", "pk"),
            ),
            Prefetch(
                "messages",
                queryset=Message.objects.filter(internal=False)
                .select_related("author")
                .order_by("created_at", "pk"),
            ),
        )
    )


def timeline(complaint: Complaint) -> list[dict[str, Any]]:
    """What the user sees happen to their case, oldest first: status changes
    visible to them and messages (never internal notes). Runs no query on a
    case from `case_page_queryset()`."""
    entries: list[dict[str, Any]] = [
        {"kind": "status", "at": change.created_at, "change": change}
        for change in complaint.status_changes.all()
        if change.visible_to_user
    ]
    entries += [
        {"kind": "message", "at": message.created_at, "message": message}
        for message in complaint.messages.all()
        if not message.internal
    ]
    return sorted(entries, key=lambda entry: entry["at"])


def information_request(complaint: Complaint) -> StatusChange | None:
    """The reviewers' latest request for information, while it is open."""
    if complaint.status != Status.NEEDS_INFO:
        return None
    requests = [
        c for c in complaint.status_changes.all() if c.to_status == Status.NEEDS_INFO
    ]
    return requests[-1] if requests else None


def case_letters(complaint: Complaint) -> QuerySet[Letter]:
    """The case's stored letter versions, in the plan's order."""
    return (
        Letter.objects.filter(complaint=complaint)
        .select_related("channel")
        .order_by("channel__position", "language", "-version")
    )
