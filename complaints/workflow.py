"""The case state machine: the only code that writes `Complaint.status`.

`TRANSITIONS` lists each allowed move with the role that may make it and its
guard; `allowed_transitions()` feeds the buttons, `transition()` enforces the
same table, so what is shown and what is allowed cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Complaint, Status, StatusChange
from .submission import missing_for_submission

OWNER = "owner"
REVIEWER = "reviewer"


class TransitionError(Exception):
    """A transition was refused; `problems` says why, in the user's language."""

    def __init__(self, message, problems=()):
        super().__init__(str(message))
        self.message = message
        self.problems = list(problems)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    role: str
    label: object
    guard: Callable[[Complaint], list] | None = None


def _submission_guard(complaint: Complaint) -> list:
    return missing_for_submission(complaint)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.DRAFT, Status.SUBMITTED, OWNER, _("Submit"), _submission_guard),
)


def roles_of(user, complaint: Complaint) -> set[str]:
    from .access import is_reviewer

    roles = set()
    if complaint.owner_id == user.pk:
        roles.add(OWNER)
    if is_reviewer(user):
        roles.add(REVIEWER)
    return roles


def allowed_transitions(user, complaint: Complaint) -> list[Transition]:
    """The moves this user may offer on this complaint now (guards not run)."""
    roles = roles_of(user, complaint)
    return [t for t in TRANSITIONS if t.source == complaint.status and t.role in roles]


def _find(source: str, target: str, roles: set[str]) -> Transition | None:
    for t in TRANSITIONS:
        if t.source == source and t.target == target and t.role in roles:
            return t
    return None


def transition(
    complaint: Complaint,
    *,
    target: str,
    actor,
    expected_status: str | None = None,
    note: str = "",
    visible_to_user: bool = True,
) -> Complaint:
    """Move `complaint` to `target` on behalf of `actor`.

    Runs in one transaction with the row locked; refuses (TransitionError,
    nothing changed) when the status is no longer `expected_status` (another
    person acted first), when the move is not in the table for the actor's
    role, or when its guard finds problems. Writes one StatusChange row.
    Returns the refreshed complaint.
    """
    expected = expected_status or complaint.status
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if locked.status != expected:
            raise TransitionError(
                _(
                    "This case was changed by someone else in the meantime. "
                    "Reload the page and try again."
                )
            )
        rule = _find(locked.status, target, roles_of(actor, locked))
        if rule is None:
            raise TransitionError(_("This action is not possible for this case now."))
        if rule.guard is not None:
            problems = rule.guard(locked)
            if problems:
                raise TransitionError(
                    _("The case cannot be submitted yet."), problems=problems
                )
        source = locked.status
        locked.status = target
        update_fields = ["status", "updated_at"]
        if target == Status.SUBMITTED and locked.submitted_at is None:
            locked.submitted_at = timezone.now()
            update_fields.append("submitted_at")
        locked.save(update_fields=update_fields)
        StatusChange.objects.create(
            complaint=locked,
            from_status=source,
            to_status=target,
            actor=actor,
            note=note,
            visible_to_user=visible_to_user,
        )
    return locked
