"""The access module: which complaints a user may see and what they may do.
(The walk over every complaint URL is in test_views.py.)"""

import ast
import logging
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.http import Http404

from complaints import access
from complaints.access import Action
from complaints.models import Complaint, Filing, LossItem, Status
from tests.factories import (
    ComplaintFactory,
    FilingFactory,
    LossItemFactory,
    UserFactory,
)
from tests.reviewers import make_reviewer
from tests.scans import offences

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 costs ~0.2 s per factory user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(kind):
    """anonymous, user, staff (no permission), reviewer, inactive reviewer."""
    if kind == "anonymous":
        return AnonymousUser()
    user = UserFactory(
        is_staff=kind in ("staff", "reviewer", "inactive_reviewer"),
        is_active=kind != "inactive_reviewer",
    )
    if kind in ("reviewer", "inactive_reviewer"):
        user.user_permissions.add(Permission.objects.get(codename="view_complaint"))
        user = type(user).objects.get(pk=user.pk)  # fresh permission cache
    return user


@pytest.mark.parametrize(
    ("kind", "reviewer"),
    [
        ("anonymous", False),
        ("user", False),
        ("staff", False),
        ("reviewer", True),
        ("inactive_reviewer", False),
    ],
)
def test_is_reviewer_needs_staff_active_and_the_view_permission(kind, reviewer):
    assert access.is_reviewer(make_user(kind)) is reviewer


@pytest.mark.parametrize(
    ("kind", "sees"),
    [
        ("anonymous", "nothing"),
        ("user", "own"),
        ("staff", "own"),
        ("reviewer", "all"),
        ("inactive_reviewer", "own"),
    ],
)
def test_visible_complaints_by_kind_of_user(kind, sees):
    viewer = make_user(kind)
    own = ComplaintFactory(owner=viewer) if viewer.is_authenticated else None
    others = ComplaintFactory.create_batch(2)

    visible = set(access.visible_complaints(viewer))

    expected = {
        "nothing": set(),
        "own": {own},
        "all": {own, *others},
    }[sees]
    assert visible == expected


@pytest.mark.parametrize("kind", ["anonymous", "user", "reviewer"])
def test_own_complaints_are_only_ones_own_even_for_reviewers(kind):
    viewer = make_user(kind)
    own = ComplaintFactory(owner=viewer) if viewer.is_authenticated else None
    ComplaintFactory.create_batch(2)
    assert set(access.own_complaints(viewer)) == ({own} if own else set())


def test_get_own_complaint_returns_the_owners_case(user, complaint):
    assert access.complaint_or_404(user, complaint.public_id) == complaint


@pytest.mark.parametrize("who", ["other", "reviewer", "anonymous"])
def test_get_own_complaint_is_404_for_anyone_else(complaint, who):
    viewer = {
        "other": lambda: UserFactory(),
        "reviewer": lambda: make_user("reviewer"),
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(Http404):
        access.complaint_or_404(viewer, complaint.public_id)


def test_get_own_complaint_is_404_for_a_missing_case(user):
    with pytest.raises(Http404):
        access.complaint_or_404(user, uuid.uuid4())


def test_missing_and_forbidden_look_the_same(user, other_user):
    theirs = ComplaintFactory(owner=other_user)
    with pytest.raises(Http404) as forbidden:
        access.complaint_or_404(user, theirs.public_id)
    with pytest.raises(Http404) as missing:
        access.complaint_or_404(user, uuid.uuid4())
    assert str(forbidden.value) == str(missing.value)


def test_a_refused_lookup_is_logged_without_personal_data(user, other_user, caplog):
    theirs = ComplaintFactory(owner=other_user)
    with (
        caplog.at_level(logging.WARNING, logger="casetracker.access"),
        pytest.raises(Http404),
    ):
        access.complaint_or_404(user, theirs.public_id)
    (record,) = caplog.records
    message = record.getMessage()
    assert str(theirs.public_id) in message
    assert f"user={user.pk}" in message
    for personal in (
        theirs.number,
        theirs.id_number,
        theirs.contact_phone,
        theirs.complainant_name,
        user.phone,
    ):
        assert personal not in message


def test_get_own_complaint_keeps_the_callers_queryset(user, complaint):
    queryset = Complaint.objects.with_total_claimed().select_related("brand")
    found = access.complaint_or_404(user, complaint.public_id, queryset=queryset)
    assert found.total_claimed == sum(i.amount for i in complaint.loss_items.all())


def test_the_callers_queryset_cannot_widen_access(user, other_user):
    theirs = ComplaintFactory(owner=other_user)
    with pytest.raises(Http404):
        access.complaint_or_404(
            user, theirs.public_id, queryset=Complaint.objects.all()
        )


@pytest.mark.parametrize(
    ("status", "editable"),
    [(status, status in (Status.DRAFT, Status.NEEDS_INFO)) for status in Status],
)
def test_owner_may_edit_only_in_draft_and_needs_info(user, status, editable):
    complaint = ComplaintFactory(owner=user, status=status)
    assert access.may(user, Action.EDIT, complaint) is editable


@pytest.mark.parametrize("status", [Status.DRAFT, Status.NEEDS_INFO])
@pytest.mark.parametrize("kind", ["user", "reviewer", "anonymous"])
def test_nobody_else_may_edit_a_users_case(user, status, kind):
    complaint = ComplaintFactory(owner=user, status=status)
    assert access.may(make_user(kind), Action.EDIT, complaint) is False


@pytest.mark.parametrize(
    ("who", "may_view"),
    [
        ("owner", True),
        ("user", False),
        ("staff", False),
        ("reviewer", True),
        ("anonymous", False),
    ],
)
def test_may_view(user, who, may_view):
    complaint = ComplaintFactory(owner=user)
    viewer = user if who == "owner" else make_user(who)
    assert access.may(viewer, Action.VIEW, complaint) is may_view


# --- The policy as a table: (action, who, status) -> allowed -------------------

# Who asks: the case's owner, another user, a reviewer with the Reviewers
# group's permissions, the same reviewer without one permission, staff with no
# permission, a superuser with no group, an anonymous visitor.
WHO = (
    "owner",
    "other",
    "reviewer",
    "reviewer_owner",
    "staff",
    "superuser",
    "anonymous",
)
FINAL = (Status.CLOSED, Status.REJECTED, Status.WITHDRAWN)
# Submitted and not yet final: the case is being handled.
HANDLED = tuple(s for s in Status if s != Status.DRAFT and s not in FINAL)


def _rule(owner, reviewer, statuses_owner=None, statuses_all=None):
    """Expected answers for each (who, status) from who may and when."""

    def allowed(who, status):
        if statuses_all is not None and status not in statuses_all:
            return False
        as_owner = who in ("owner", "reviewer_owner") and owner
        if as_owner and statuses_owner is not None:
            as_owner = status in statuses_owner
        as_reviewer = who in ("reviewer", "reviewer_owner") and reviewer
        return bool(as_owner or as_reviewer)

    return allowed


EXPECTED = {
    Action.VIEW: _rule(owner=True, reviewer=True),
    Action.EDIT: _rule(
        owner=True, reviewer=False, statuses_owner=(Status.DRAFT, Status.NEEDS_INFO)
    ),
    Action.CHANGE_EVIDENCE: _rule(
        owner=True, reviewer=False, statuses_owner=(Status.DRAFT, Status.NEEDS_INFO)
    ),
    Action.DRAFT_LETTER: _rule(owner=True, reviewer=False),
    Action.ISSUE_LETTER: _rule(
        owner=True, reviewer=True, statuses_all=(*HANDLED, *FINAL)
    ),
    Action.RECORD_FILING: _rule(owner=True, reviewer=True, statuses_all=HANDLED),
    Action.MESSAGE: _rule(owner=True, reviewer=True, statuses_owner=HANDLED),
    Action.INTERNAL_NOTE: _rule(owner=False, reviewer=True),
    Action.REVIEW: _rule(owner=False, reviewer=True),
    Action.REVIEW_EVIDENCE: _rule(owner=False, reviewer=True),
}


def make_actor(kind, owner):
    if kind == "owner":
        return owner
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "other":
        return UserFactory()
    if kind == "staff":
        return UserFactory(is_staff=True)
    if kind == "superuser":
        return UserFactory(is_staff=False, is_superuser=True, is_active=True)
    return make_reviewer()


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("who", WHO)
def test_the_policy_table(who, status):
    owner = UserFactory()
    if who == "reviewer_owner":
        owner = make_reviewer()
    actor = make_actor("owner" if who == "reviewer_owner" else who, owner)
    complaint = ComplaintFactory(owner=owner, status=status)

    answers = {action: access.may(actor, action, complaint) for action in EXPECTED}

    # A superuser without the Reviewers group is not a reviewer: "superuser"
    # in WHO expects nothing, like "staff".
    expected = {action: rule(who, status) for action, rule in EXPECTED.items()}
    assert answers == expected


@pytest.mark.parametrize(
    ("action", "without", "allowed"),
    [
        (Action.REVIEW, "review_complaint", False),
        (Action.REVIEW_EVIDENCE, "change_evidence", False),
        (Action.MESSAGE, "add_message", False),
        (Action.INTERNAL_NOTE, "add_message", False),
        (Action.ISSUE_LETTER, "add_letter", False),
        (Action.EXPORT_LETTERS, "view_letter", False),
        (Action.EXPORT_LETTERS, "add_letter", False),
        (Action.RECORD_FILING, "add_filing", False),
        (Action.ANSWER_FILING, "change_filing", False),
        (Action.VIEW_DASHBOARD, "add_message", True),
        (Action.BE_ASSIGNED, "review_complaint", True),
    ],
)
def test_each_reviewer_action_needs_its_permission(action, without, allowed):
    assert access.may(make_reviewer(), action) is True
    assert access.may(make_reviewer(without=(without,)), action) is allowed


@pytest.mark.parametrize("action", [Action.MANAGE_REFERENCE_DATA, Action.DELETE_FILING])
def test_only_superusers_manage_reference_data_and_delete_filings(action):
    assert access.may(UserFactory(is_superuser=True), action) is True
    assert access.may(make_reviewer(), action) is False
    assert access.may(UserFactory(is_superuser=True, is_active=False), action) is False
    assert access.may(AnonymousUser(), action) is False


@pytest.mark.parametrize("action", list(Action))
def test_inactive_and_anonymous_users_may_nothing(action):
    inactive = make_reviewer()
    inactive.is_active = False
    complaint = ComplaintFactory(owner=inactive, status=Status.SUBMITTED)
    assert access.may(inactive, action, complaint) is False
    assert access.may(AnonymousUser(), action, complaint) is False


def test_roles_follow_the_policy():
    reviewer = make_reviewer()
    own = ComplaintFactory(owner=reviewer)
    other = ComplaintFactory()
    assert access.roles_of(reviewer, own) == {access.OWNER, access.REVIEWER}
    assert access.roles_of(reviewer, other) == {access.REVIEWER}
    assert access.roles_of(other.owner, other) == {access.OWNER}
    assert access.roles_of(make_reviewer(without=("review_complaint",)), other) == set()
    assert access.roles_of(AnonymousUser(), other) == set()


def test_the_queue_never_shows_drafts():
    draft = ComplaintFactory(status=Status.DRAFT)
    submitted = ComplaintFactory(status=Status.SUBMITTED)
    assert set(access.reviewer_queue(make_reviewer())) == {submitted}
    assert set(access.reviewer_queue(draft.owner)) == set()


def test_rows_of_visible_cases_only():
    mine, theirs = ComplaintFactory(), ComplaintFactory()
    own_row = LossItemFactory(complaint=mine)
    their_row = LossItemFactory(complaint=theirs)
    rows = LossItem.objects.all()
    assert set(access.of_visible_cases(rows, mine.owner)) == {own_row}
    assert set(access.of_visible_cases(rows, make_reviewer())) == {own_row, their_row}
    # A reviewer's list gets no semi-join over every case.
    assert "IN (SELECT" not in str(access.of_visible_cases(rows, make_reviewer()).query)


def test_row_lookup_is_404_for_a_row_of_another_case(user):
    mine = ComplaintFactory(owner=user, status=Status.SUBMITTED)
    theirs = FilingFactory()
    with pytest.raises(Http404):
        access.row_or_404(mine, Filing, theirs.public_id)
    own = FilingFactory(complaint=mine)
    assert access.row_or_404(mine, Filing.objects.all(), own.public_id) == own


# --- Nothing else decides access ----------------------------------------------

POLICY = Path("complaints/access.py")
PERMISSION_CALLS = {"has_perm", "has_perms", "has_module_perms"}
STAFF_ATTRIBUTES = {"is_staff", "is_superuser"}
STAFF_DECORATORS = {"staff_member_required", "permission_required", "user_passes_test"}


def access_checks(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for each permission call, staff check or permission
    decorator in a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in PERMISSION_CALLS:
                found.append((node.lineno, f"{node.func.attr}()"))
        elif isinstance(node, ast.Attribute) and node.attr in STAFF_ATTRIBUTES:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Name) and node.id in STAFF_DECORATORS:
            found.append((node.lineno, node.id))
    return sorted(found)


def test_the_access_check_detector_finds_each_kind_of_check():
    source = "\n".join(
        [
            "request.user.has_perm('complaints.view_letter')",
            "user.has_perms(['a', 'b'])",
            "if request.user.is_superuser: pass",
            "ok = user.is_staff and True",
            "@staff_member_required\ndef view(request): pass",
            # Not checks:
            "fields = ('is_staff', 'is_superuser')",
            "access.may(user, Action.REVIEW)",
        ]
    )
    assert [what for _line, what in access_checks(ast.parse(source))] == [
        "has_perm()",
        "has_perms()",
        ".is_superuser",
        ".is_staff",
        "staff_member_required",
    ]


def test_nothing_but_the_access_policy_decides_access():
    assert offences(access_checks, POLICY) == []
