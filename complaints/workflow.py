"""The case state machine: the only code that writes `Complaint.status`.

`TRANSITIONS` lists each allowed move with the role that may make it and its
guard; `allowed_transitions()` feeds the buttons (user pages and admin),
`transition()` enforces the same table, so what is shown and what is allowed
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .access import OWNER, REVIEWER, roles_of
from .models import MAX_AMOUNT, Complaint, Status, StatusChange
from .submission import Problem, missing_for_submission

# Statuses from which nothing moves on.
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.WITHDRAWN})


class TransitionError(Exception):
    """A transition was refused; `problems` says why, in the user's language.

    Nothing was changed when this is raised.
    """

    def __init__(self, message, problems=()):
        super().__init__(str(message))
        self.message = message
        self.problems = list(problems)


@dataclass(frozen=True)
class Context:
    """What the actor supplies with a transition."""

    note: str = ""
    outcome: str = ""
    amount_recovered: Decimal | None = None


Guard = Callable[[Complaint, Context], list[Problem]]


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    role: str
    label: object
    guard: Guard | None = None
    # Which inputs the form for this move asks for.
    needs: tuple[str, ...] = field(default=())
    # Shown to the user in the timeline (reviewer notes on these moves are
    # addressed to the user).
    visible_to_user: bool = True
    # Buttons that need a confirmation step.
    confirm: bool = False
    style: str = "primary"


def _complete(complaint: Complaint, ctx: Context) -> list[Problem]:
    return missing_for_submission(complaint)


def _note_required(message):
    def guard(complaint: Complaint, ctx: Context) -> list[Problem]:
        return [] if ctx.note.strip() else [Problem("note", message)]

    return guard


_reason_required = _note_required(_("Give the reason; the user will see it."))
_request_required = _note_required(
    _("Say what information or evidence the user must add.")
)


def _has_filing(complaint: Complaint, ctx: Context) -> list[Problem]:
    if complaint.filings.exists():
        return []
    return [
        Problem(
            "filings",
            _("Record the filing first: where, when and how the letter was sent."),
        )
    ]


def _resolution(complaint: Complaint, ctx: Context) -> list[Problem]:
    from .models import Complaint as C

    problems = []
    if ctx.outcome not in C.Outcome.values:
        problems.append(Problem("outcome", _("Choose the outcome.")))
    amount = ctx.amount_recovered
    if amount is None:
        problems.append(
            Problem("amount_recovered", _("Enter the amount recovered (0 if none)."))
        )
    elif amount < 0 or amount > MAX_AMOUNT:
        problems.append(
            Problem("amount_recovered", _("The amount recovered is out of range."))
        )
    elif ctx.outcome == C.Outcome.NONE and amount > 0:
        problems.append(
            Problem(
                "amount_recovered",
                _("With no relief, the amount recovered must be 0."),
            )
        )
    elif ctx.outcome in (C.Outcome.FULL, C.Outcome.PARTIAL) and amount <= 0:
        problems.append(
            Problem(
                "amount_recovered",
                _("With full or partial relief, enter the amount recovered."),
            )
        )
    return problems


_OPEN_FOR_WITHDRAWAL = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.IN_REVIEW,
    Status.NEEDS_INFO,
    Status.ACCEPTED,
    Status.FILED,
)

TRANSITIONS: tuple[Transition, ...] = (
    # The user
    Transition(Status.DRAFT, Status.SUBMITTED, OWNER, _("Submit"), _complete),
    Transition(Status.NEEDS_INFO, Status.SUBMITTED, OWNER, _("Resubmit"), _complete),
    *(
        Transition(
            source,
            Status.WITHDRAWN,
            OWNER,
            _("Withdraw the case"),
            needs=("note",),
            confirm=True,
            style="outline-danger",
        )
        for source in _OPEN_FOR_WITHDRAWAL
    ),
    # Reviewers
    Transition(
        Status.SUBMITTED, Status.IN_REVIEW, REVIEWER, _("Start review (assign to me)")
    ),
    *(
        Transition(
            source,
            Status.NEEDS_INFO,
            REVIEWER,
            _("Request information"),
            _request_required,
            needs=("note",),
        )
        for source in (Status.SUBMITTED, Status.IN_REVIEW)
    ),
    Transition(Status.IN_REVIEW, Status.ACCEPTED, REVIEWER, _("Accept")),
    *(
        Transition(
            source,
            Status.REJECTED,
            REVIEWER,
            _("Reject"),
            _reason_required,
            needs=("note",),
            style="danger",
        )
        for source in (Status.SUBMITTED, Status.IN_REVIEW)
    ),
    # Recording the first filing makes this move (services.filing_record),
    # for the owner or a reviewer. The owner's button leads to the filing
    # form; the reviewer's covers filings recorded before the case was
    # accepted.
    Transition(
        Status.ACCEPTED,
        Status.FILED,
        OWNER,
        _("Record the letter you sent"),
        _has_filing,
    ),
    Transition(
        Status.ACCEPTED,
        Status.FILED,
        REVIEWER,
        _("Mark as filed"),
        _has_filing,
    ),
    *(
        Transition(
            source,
            Status.RESOLVED,
            REVIEWER,
            _("Record the resolution"),
            _resolution,
            needs=("outcome", "amount_recovered", "note"),
        )
        for source in (Status.ACCEPTED, Status.FILED)
    ),
    Transition(Status.RESOLVED, Status.CLOSED, REVIEWER, _("Close")),
    Transition(
        Status.NEEDS_INFO,
        Status.CLOSED,
        REVIEWER,
        _("Close (no answer from the user)"),
        _reason_required,
        needs=("note",),
        style="outline-danger",
    ),
)


def allowed_transitions(user, complaint: Complaint, role: str | None = None):
    """The moves this user may offer on this complaint now (guards not run).

    `role` limits the list to one role (the user pages show owner moves, the
    admin reviewer moves, even for a reviewer who owns a case).
    """
    roles = roles_of(user, complaint)
    if role is not None:
        roles &= {role}
    return [t for t in TRANSITIONS if t.source == complaint.status and t.role in roles]


def find(source: str, target: str, roles: set[str]) -> Transition | None:
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
    outcome: str = "",
    amount_recovered: Decimal | None = None,
    role: str | None = None,
) -> Complaint:
    """Move `complaint` to `target` on behalf of `actor`.

    In one transaction with the row locked: refuses (TransitionError, nothing
    changed) when the status is no longer `expected_status` (someone else
    acted first), when the move is not in the table for the actor's role, or
    when its guard finds problems. Otherwise writes the new status, the
    fields the move carries (submitted_at, assignee, outcome, amount), and
    exactly one StatusChange. Notifications are sent after commit. Returns
    the updated complaint.
    """
    from . import notifications

    ctx = Context(
        note=(note or "").strip(),
        outcome=outcome or "",
        amount_recovered=amount_recovered,
    )
    expected = expected_status or complaint.status
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if locked.status != expected:
            status = Status(locked.status).label  # lazy: the reader's language
            # Lazy, so the message is rendered in the language of whoever reads it.
            message = lazy(
                lambda: (
                    str(
                        _(
                            "This case was changed by someone else in the meantime "
                            "(it is now “%(status)s”). Reload the page and try again."
                        )
                    )
                    % {"status": str(status)}
                ),
                str,
            )()
            raise TransitionError(message)
        roles = roles_of(actor, locked)
        if role is not None:
            roles &= {role}
        rule = find(locked.status, target, roles)
        if rule is None:
            raise TransitionError(_("This action is not possible for this case now."))
        if rule.guard is not None:
            problems = rule.guard(locked, ctx)
            if problems:
                raise TransitionError(
                    _("The case cannot be submitted yet.")
                    if target == Status.SUBMITTED
                    else _("The action could not be completed."),
                    problems=problems,
                )
        source = locked.status
        locked.status = target
        fields = ["status", "updated_at"]
        now = timezone.now()
        if target == Status.SUBMITTED and locked.submitted_at is None:
            locked.submitted_at = now
            fields.append("submitted_at")
        if rule.role == REVIEWER and locked.assignee_id is None:
            locked.assignee = actor
            fields.append("assignee")
        if target == Status.RESOLVED:
            locked.outcome = ctx.outcome
            locked.amount_recovered = ctx.amount_recovered
            fields += ["outcome", "amount_recovered"]
        locked.save(update_fields=fields)
        change = StatusChange.objects.create(
            complaint=locked,
            from_status=source,
            to_status=target,
            actor=actor,
            note=ctx.note,
            visible_to_user=rule.visible_to_user,
        )
        transaction.on_commit(lambda: notifications.status_changed(change.pk))
    return locked
