"""The one access policy: who may see which cases and do what to them.

Every "may this user do this" in the application is a named `Action`
decided by `may()`; the lists (the site's "my cases", the reviewers' queue,
the admin lists of letters, evidence and filings) come from the querysets
here, and views look cases and their rows up only through
`complaint_or_404()` and `row_or_404()`, which answer 404 for "missing" and
"not yours" alike. Nothing else in the application code asks `has_perm()`
or looks at `is_staff`/`is_superuser` (a test scans for it).

Two roles act on a case: its owner (the user who filed it) and reviewers
(active staff in the Reviewers group, with the model permissions the
migrations grant). A reviewer who owns a case holds both roles; the pages
say which role a move is made in (`workflow`).
"""

from __future__ import annotations

import enum
import logging
import uuid
from typing import Any, TypeAlias, TypeGuard, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import User

from .models import Complaint, Status

#: The acting user, typed the same way everywhere: an account, or the
#: anonymous user of a request.
Actor: TypeAlias = User | AnonymousUser

logger = logging.getLogger("casetracker.access")

R = TypeVar("R", bound=Model)

OWNER = "owner"
REVIEWER = "reviewer"


class Action(enum.StrEnum):
    """What a user may ask to do. Actions about one case take it as the
    object; the others (`REVIEW`, `VIEW_LETTERS`, ...) are asked without."""

    # Read the case, its evidence files and previews.
    VIEW = "view"
    # The owner changes the facts of the case, or its evidence.
    EDIT = "edit"
    CHANGE_EVIDENCE = "change_evidence"
    # A draft letter (watermarked, not stored) for the owner's own case.
    DRAFT_LETTER = "draft_letter"
    # Make the final (stored) letter versions.
    ISSUE_LETTER = "issue_letter"
    # Record a filing (a letter sent), or a body's answer to one.
    RECORD_FILING = "record_filing"
    # A message to the other side; an internal note (reviewers only).
    MESSAGE = "message"
    INTERNAL_NOTE = "internal_note"
    # Reviewer moves of the workflow, assignment, the queue's actions.
    REVIEW = "review"
    # Be made responsible for a case (the assignee).
    BE_ASSIGNED = "be_assigned"
    # A verdict on an evidence file.
    REVIEW_EVIDENCE = "review_evidence"
    # Enter a body's answer to a filing in admin.
    ANSWER_FILING = "answer_filing"
    # The admin's lists and downloads of stored letters.
    VIEW_LETTERS = "view_letters"
    # The queue's action that makes the letters of many cases at once.
    EXPORT_LETTERS = "export_letters"
    # The reviewers' dashboard and reports.
    VIEW_DASHBOARD = "view_dashboard"
    # Change reference data (institutions, brands, channels); delete filings.
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    DELETE_FILING = "delete_filing"


# Users may change the facts of their case only in these statuses.
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.NEEDS_INFO})
# The owner may write to the reviewers while the case is being handled.
MESSAGE_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.IN_REVIEW,
        Status.NEEDS_INFO,
        Status.ACCEPTED,
        Status.FILED,
        Status.RESOLVED,
    }
)
# A filing can be recorded once the case is submitted and until it is closed.
FILING_STATUSES = MESSAGE_STATUSES

# The model permission a reviewer needs for each reviewer action (on top of
# being a reviewer at all).
_REVIEWER_PERMISSIONS: dict[Action, tuple[str, ...]] = {
    Action.VIEW: (),
    Action.VIEW_DASHBOARD: (),
    Action.BE_ASSIGNED: (),
    Action.REVIEW: ("complaints.review_complaint",),
    Action.REVIEW_EVIDENCE: ("complaints.change_evidence",),
    Action.MESSAGE: ("complaints.add_message",),
    Action.INTERNAL_NOTE: ("complaints.add_message",),
    Action.ISSUE_LETTER: ("complaints.add_letter",),
    Action.EXPORT_LETTERS: (
        "complaints.review_complaint",
        "complaints.add_letter",
        "complaints.view_letter",
    ),
    Action.RECORD_FILING: ("complaints.add_filing",),
    Action.ANSWER_FILING: ("complaints.change_filing",),
}

# Actions that need only the model permission, not the Reviewers group: the
# rows shown are those of the cases the user may see anyway (staff with
# view_letter alone see the letters of their own cases).
_PERMISSION_ONLY: dict[Action, str] = {
    Action.VIEW_LETTERS: "complaints.view_letter",
}

# What an owner may do to their own case (the status rules below apply).
_OWNER_ACTIONS = frozenset(
    {
        Action.VIEW,
        Action.EDIT,
        Action.CHANGE_EVIDENCE,
        Action.DRAFT_LETTER,
        Action.ISSUE_LETTER,
        Action.RECORD_FILING,
        Action.MESSAGE,
    }
)
_SUPERUSER_ONLY = frozenset({Action.MANAGE_REFERENCE_DATA, Action.DELETE_FILING})


def _active(user: Actor | None) -> TypeGuard[User]:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_reviewer(user: Actor | None) -> bool:
    """Active staff with the view permission on complaints (the Reviewers
    group)."""
    return (
        _active(user) and user.is_staff and user.has_perm("complaints.view_complaint")
    )


def _reviewer_may(user: User, action: Action) -> bool:
    permissions = _REVIEWER_PERMISSIONS.get(action)
    if permissions is None:
        return False
    return is_reviewer(user) and all(user.has_perm(p) for p in permissions)


def may(user: Actor | None, action: Action, complaint: Complaint | None = None) -> bool:
    """May `user` do `action` (to `complaint`, for the actions about a case)?

    The one place every access decision is made. Asked without a complaint,
    an action about a case means "as a reviewer, to any case": the admin
    asks so before it shows a list, a button or an action.
    """
    if not _active(user):
        return False
    if action in _SUPERUSER_ONLY:
        return user.is_superuser
    if action in _PERMISSION_ONLY:
        return user.has_perm(_PERMISSION_ONLY[action])
    as_reviewer = _reviewer_may(user, action)
    if complaint is None:
        return as_reviewer
    as_owner = complaint.owner_id == user.pk and action in _OWNER_ACTIONS
    status = complaint.status
    if action in (Action.EDIT, Action.CHANGE_EVIDENCE):
        return as_owner and status in EDITABLE_STATUSES
    if action == Action.MESSAGE:
        return as_reviewer or (as_owner and status in MESSAGE_STATUSES)
    if action == Action.ISSUE_LETTER:
        return status != Status.DRAFT and (as_owner or as_reviewer)
    if action == Action.RECORD_FILING:
        return status in FILING_STATUSES and (as_owner or as_reviewer)
    return as_owner or as_reviewer


def roles_of(user: Actor | None, complaint: Complaint) -> set[str]:
    """The workflow roles `user` holds on `complaint`: owner, reviewer,
    both or none."""
    roles: set[str] = set()
    if not _active(user):
        return roles
    if complaint.owner_id == user.pk:
        roles.add(OWNER)
    if may(user, Action.REVIEW):
        roles.add(REVIEWER)
    return roles


# --- Which cases and rows a user sees -----------------------------------------


def own_complaints(user: Actor | None) -> QuerySet[Complaint]:
    """The complaints shown on the user's own pages: theirs, nobody else's."""
    if user is None or not user.is_authenticated:
        return Complaint.objects.none()
    return Complaint.objects.filter(owner=user)


def visible_complaints(user: Actor | None) -> QuerySet[Complaint]:
    """Every complaint this user may read: their own; all for reviewers."""
    if is_reviewer(user):
        return Complaint.objects.all()
    return own_complaints(user)


def reviewer_queue(user: Actor | None) -> QuerySet[Complaint]:
    """The reviewers' queue: the visible cases, without drafts (a draft is
    the user's private work, not yet for review)."""
    return visible_complaints(user).exclude(status=Status.DRAFT)


def of_visible_cases(queryset: QuerySet[R], user: Actor | None) -> QuerySet[R]:
    """Rows of a case (letters, evidence, filings) limited to the cases this
    user may see. A reviewer sees every case, so no semi-join over all of
    them is added to their lists."""
    visible = visible_complaints(user)
    if visible.query.has_filters():
        queryset = queryset.filter(complaint__in=visible)
    return queryset


# --- Lookups: the object, or 404 ---------------------------------------------

# The site's pages show a case to its owner only (reviewers work in admin);
# evidence files and previews are served to reviewers too, from admin links.
_SITE_SCOPE_VISIBLE = frozenset({Action.VIEW})


def complaint_or_404(
    user: Actor | None,
    public_id: uuid.UUID,
    *,
    action: Action | None = None,
    queryset: QuerySet[Complaint] | None = None,
) -> Complaint:
    """The complaint with this public id that the user may open, or Http404.

    Without `action`, the owner's own case (the site's case pages); with
    `Action.VIEW`, any case the user may read (file downloads, which
    reviewers open from admin). `queryset` adds what the page needs
    (select_related, prefetches). A miss is logged with the user and the id
    (never personal data), so that attempts to read other people's cases
    can be noticed.
    """
    scope = (
        visible_complaints(user)
        if action in _SITE_SCOPE_VISIBLE
        else own_complaints(user)
    )
    qs = scope if queryset is None else queryset & scope
    try:
        return qs.get(public_id=public_id)
    except Complaint.DoesNotExist:
        logger.warning(
            "complaint lookup refused or missing: user=%s public_id=%s",
            getattr(user, "pk", None),
            public_id,
        )
        raise Http404("No such case.") from None


def row_or_404(complaint: Complaint, rows: type[R] | QuerySet[R], public_id: Any) -> R:
    """A row (evidence, letter, filing) of a complaint the caller already
    looked up through `complaint_or_404`, by its public id, or Http404."""
    queryset = rows if isinstance(rows, QuerySet) else rows._default_manager.all()
    try:
        return queryset.get(complaint=complaint, public_id=public_id)
    except queryset.model.DoesNotExist:
        raise Http404("No such item.") from None
