"""The access module: which complaints a user may see and what they may do.
(The walk over every complaint URL is in test_views.py.)"""

import logging
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.http import Http404

from complaints import access
from complaints.models import Complaint, Status
from tests.factories import ComplaintFactory, UserFactory

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
    assert access.get_own_complaint_or_404(user, complaint.public_id) == complaint


@pytest.mark.parametrize("who", ["other", "reviewer", "anonymous"])
def test_get_own_complaint_is_404_for_anyone_else(complaint, who):
    viewer = {
        "other": lambda: UserFactory(),
        "reviewer": lambda: make_user("reviewer"),
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(Http404):
        access.get_own_complaint_or_404(viewer, complaint.public_id)


def test_get_own_complaint_is_404_for_a_missing_case(user):
    with pytest.raises(Http404):
        access.get_own_complaint_or_404(user, uuid.uuid4())


def test_missing_and_forbidden_look_the_same(user, other_user):
    theirs = ComplaintFactory(owner=other_user)
    with pytest.raises(Http404) as forbidden:
        access.get_own_complaint_or_404(user, theirs.public_id)
    with pytest.raises(Http404) as missing:
        access.get_own_complaint_or_404(user, uuid.uuid4())
    assert str(forbidden.value) == str(missing.value)


def test_a_refused_lookup_is_logged_without_personal_data(user, other_user, caplog):
    theirs = ComplaintFactory(owner=other_user)
    with (
        caplog.at_level(logging.WARNING, logger="casetracker.access"),
        pytest.raises(Http404),
    ):
        access.get_own_complaint_or_404(user, theirs.public_id)
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
    found = access.get_own_complaint_or_404(user, complaint.public_id, queryset)
    assert found.total_claimed == sum(i.amount for i in complaint.loss_items.all())


def test_the_callers_queryset_cannot_widen_access(user, other_user):
    theirs = ComplaintFactory(owner=other_user)
    with pytest.raises(Http404):
        access.get_own_complaint_or_404(user, theirs.public_id, Complaint.objects.all())


@pytest.mark.parametrize(
    ("status", "editable"),
    [(status, status in (Status.DRAFT, Status.NEEDS_INFO)) for status in Status],
)
def test_owner_may_edit_only_in_draft_and_needs_info(user, status, editable):
    complaint = ComplaintFactory(owner=user, status=status)
    assert access.may_edit(user, complaint) is editable


@pytest.mark.parametrize("status", [Status.DRAFT, Status.NEEDS_INFO])
@pytest.mark.parametrize("kind", ["user", "reviewer", "anonymous"])
def test_nobody_else_may_edit_a_users_case(user, status, kind):
    complaint = ComplaintFactory(owner=user, status=status)
    assert access.may_edit(make_user(kind), complaint) is False


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
    assert access.may_view(viewer, complaint) is may_view
