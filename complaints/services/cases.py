"""Writes to a case that are not status changes: case numbers, creating and
updating a complaint with its losses, messages, assignment.

Each function takes the acting user, validates with `full_clean()` and runs
in one transaction. Status is never written here (see `workflow.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import access
from ..access import Action
from ..models import CaseNumberCounter, Complaint, LossItem


def next_case_number(year: int | None = None) -> str:
    """Hand out the next `WQ-<year>-<6 digits>` number.

    Must run inside a transaction: the counter row stays locked until it
    commits, so concurrent callers queue on it and never share a number.
    """
    if year is None:
        year = timezone.localdate().year
    updated = CaseNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
    if not updated:
        try:
            # The first case of a year creates the row; a concurrent first
            # caller loses the race on the primary key and retries the update.
            with transaction.atomic():
                CaseNumberCounter.objects.create(year=year, last=1)
        except IntegrityError:
            CaseNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = CaseNumberCounter.objects.values_list("last", flat=True).get(year=year)
    return f"WQ-{year}-{last:06d}"


def _apply_consents(complaint: Complaint, *, processing: bool, sensitive: bool) -> None:
    """Record consent times; unticking a box withdraws that consent."""
    now = timezone.now()
    changed = False
    if processing and complaint.consent_processing_at is None:
        complaint.consent_processing_at = now
        changed = True
    elif not processing:
        complaint.consent_processing_at = None
    if sensitive and complaint.consent_sensitive_at is None:
        complaint.consent_sensitive_at = now
        changed = True
    elif not sensitive:
        complaint.consent_sensitive_at = None
    if changed:
        complaint.consent_policy_version = settings.PRIVACY_POLICY_VERSION


def _save_losses(
    complaint: Complaint,
    losses: Iterable[LossItem],
    deleted: Iterable[LossItem],
) -> None:
    for item in deleted:
        if item.pk and item.complaint_id == complaint.pk:
            item.delete()
    for position, item in enumerate(losses):
        item.complaint = complaint
        item.position = position
        item.full_clean()
        item.save()


def complaint_create(
    *,
    owner,
    complaint: Complaint,
    losses: Iterable[LossItem] = (),
    consent_processing: bool = False,
    consent_sensitive: bool = False,
    creation_token: uuid.UUID | None = None,
) -> tuple[Complaint, bool]:
    """Save a new draft with its case number and loss items.

    `complaint` is an unsaved instance carrying the facts. When the same
    `creation_token` was already used by this owner (a double-click or a
    retried POST), nothing is created and the existing case is returned.
    Returns (complaint, created).
    """

    def earlier() -> Complaint | None:
        if creation_token is None:
            return None
        return Complaint.objects.filter(
            owner=owner, creation_token=creation_token
        ).first()

    if (existing := earlier()) is not None:
        return existing, False
    try:
        with transaction.atomic():
            complaint.owner = owner
            complaint.creation_token = creation_token
            complaint.number = next_case_number()
            _apply_consents(
                complaint, processing=consent_processing, sensitive=consent_sensitive
            )
            complaint.full_clean()
            complaint.save()
            _save_losses(complaint, losses, ())
    except (IntegrityError, ValidationError):
        # A concurrent request with the same token won: full_clean() sees its
        # committed row (ValidationError) or the insert hits the constraint.
        if (existing := earlier()) is not None:
            return existing, False
        raise
    return complaint, True


def complaint_update(
    *,
    actor,
    complaint: Complaint,
    losses: Iterable[LossItem] = (),
    deleted_losses: Iterable[LossItem] = (),
    consent_processing: bool = False,
    consent_sensitive: bool = False,
) -> Complaint:
    """Save the user's changes to their editable complaint and its losses.

    Refuses (PermissionDenied) when the actor may not edit it, checked again
    under a row lock so that a case submitted in another tab stays unchanged.
    """
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if not access.may(actor, Action.EDIT, locked):
            raise PermissionDenied("complaint not editable")
        _apply_consents(
            complaint, processing=consent_processing, sensitive=consent_sensitive
        )
        complaint.full_clean()
        # Everything the user can edit; never status, owner or number.
        complaint.save(
            update_fields=[
                f.name
                for f in Complaint._meta.concrete_fields
                if f.editable and not f.primary_key and f.name != "owner"
            ]
            + [
                "consent_processing_at",
                "consent_sensitive_at",
                "consent_policy_version",
                "updated_at",
            ]
        )
        _save_losses(complaint, losses, deleted_losses)
    return complaint


def message_post(*, actor, complaint: Complaint, body: str, internal: bool = False):
    """Add a message (or, for reviewers, an internal note) to a case.

    The owner may write while the case is being handled; reviewers may always
    write. Internal notes are for reviewers only. The other side is emailed
    after commit (never for internal notes).
    """
    from .. import notifications
    from ..models import Message

    if internal and not access.may(actor, Action.INTERNAL_NOTE, complaint):
        raise PermissionDenied("only reviewers write internal notes")
    if not access.may(actor, Action.MESSAGE, complaint):
        raise PermissionDenied("messages are not possible on this case now")
    with transaction.atomic():
        message = Message(
            complaint=complaint, author=actor, body=body.strip(), internal=internal
        )
        message.full_clean()
        message.save()
        transaction.on_commit(lambda: notifications.message_posted(message.pk))
    return message


def complaint_assign(*, actor, complaint: Complaint, assignee) -> Complaint:
    """Make `assignee` (a reviewer) responsible for the case.

    Not a status change; the case's timeline is unaffected.
    """
    if not access.may(actor, Action.REVIEW, complaint):
        raise PermissionDenied("only reviewers assign cases")
    if assignee is not None and not access.may(assignee, Action.BE_ASSIGNED):
        raise ValidationError("assignee must be a reviewer")
    Complaint.objects.filter(pk=complaint.pk).update(
        assignee=assignee, updated_at=timezone.now()
    )
    complaint.assignee = assignee
    return complaint
