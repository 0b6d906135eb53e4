"""Who may see and do what with complaints. Views look complaints up only
through this module and answer 404 for "missing" and "not yours" alike.
"""

from __future__ import annotations

import logging
import uuid

from django.db.models import QuerySet
from django.http import Http404

from .models import Complaint, Status

logger = logging.getLogger("casetracker.access")

# Users may change the facts of their case only in these statuses.
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.NEEDS_INFO})


def is_reviewer(user) -> bool:
    """Staff with the view permission on complaints (the Reviewers group)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("complaints.view_complaint")
    )


def own_complaints(user) -> QuerySet[Complaint]:
    """The complaints shown on the user's own pages: theirs, nobody else's."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    return Complaint.objects.filter(owner=user)


def visible_complaints(user) -> QuerySet[Complaint]:
    """Every complaint this user may read: their own; all for reviewers."""
    if is_reviewer(user):
        return Complaint.objects.all()
    return own_complaints(user)


def get_own_complaint_or_404(
    user, public_id: uuid.UUID, queryset: QuerySet[Complaint] | None = None
) -> Complaint:
    """The user's own complaint by its public id, or Http404.

    A miss is logged with the user and the id (never personal data), so that
    attempts to read other people's cases can be noticed.
    """
    qs = own_complaints(user) if queryset is None else queryset & own_complaints(user)
    return _get_or_404(qs, user, public_id)


def _get_or_404(qs: QuerySet[Complaint], user, public_id: uuid.UUID) -> Complaint:
    try:
        return qs.get(public_id=public_id)
    except Complaint.DoesNotExist:
        logger.warning(
            "complaint lookup refused or missing: user=%s public_id=%s",
            getattr(user, "pk", None),
            public_id,
        )
        raise Http404("No such case.") from None


def may_edit(user, complaint: Complaint) -> bool:
    return complaint.owner_id == user.pk and complaint.status in EDITABLE_STATUSES


def may_view(user, complaint: Complaint) -> bool:
    return complaint.owner_id == user.pk or is_reviewer(user)


def get_visible_complaint_or_404(user, public_id: uuid.UUID) -> Complaint:
    """A complaint this user may read (owner, or a reviewer), or Http404."""
    return _get_or_404(visible_complaints(user), user, public_id)


def get_evidence_or_404(complaint: Complaint, evidence_id: uuid.UUID):
    """An evidence item of a complaint the caller already has access to."""
    from .models import Evidence

    try:
        return Evidence.objects.get(complaint=complaint, public_id=evidence_id)
    except Evidence.DoesNotExist:
        raise Http404("No such evidence.") from None


def may_change_evidence(user, complaint: Complaint) -> bool:
    """Upload, edit or delete evidence: the owner, while the case is editable."""
    return may_edit(user, complaint)
