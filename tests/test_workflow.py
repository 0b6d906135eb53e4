"""The state machine: the transition table by (status, role), its guards, the
audit row, and two people acting at once."""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import close_old_connections, connection
from django.utils import timezone, translation

from complaints import workflow
from complaints.models import Complaint, Status, StatusChange
from complaints.submission import missing_for_submission
from tests.factories import ComplaintFactory, LossItemFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 costs ~0.2 s per factory user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def reviewer():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    return type(user).objects.get(pk=user.pk)


def actor_for(role, complaint):
    return {
        "owner": lambda: complaint.owner,
        "other": UserFactory,
        "reviewer": reviewer,
    }[role]()


def ready_case(**kwargs):
    complaint = ComplaintFactory(**kwargs)
    LossItemFactory(complaint=complaint)
    return complaint


# The table, as a user sees it: (from, role) → may submit?
SUBMIT_TABLE = [
    (status, role, status in (Status.DRAFT, Status.NEEDS_INFO) and role == "owner")
    for status in Status
    for role in ("owner", "other", "reviewer")
]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "role", "allowed"), SUBMIT_TABLE)
def test_submit_transition_by_status_and_role(status, role, allowed):
    complaint = ready_case(status=status)
    actor = actor_for(role, complaint)

    if allowed:
        result = workflow.transition(complaint, target=Status.SUBMITTED, actor=actor)
        assert result.status == Status.SUBMITTED
        change = StatusChange.objects.get(complaint=complaint)
        assert (change.from_status, change.to_status, change.actor) == (
            status,
            Status.SUBMITTED,
            actor,
        )
    else:
        with pytest.raises(workflow.TransitionError):
            workflow.transition(complaint, target=Status.SUBMITTED, actor=actor)
        assert not StatusChange.objects.filter(complaint=complaint).exists()
    complaint.refresh_from_db()
    assert complaint.status == (Status.SUBMITTED if allowed else status)


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "role", "allowed"), SUBMIT_TABLE)
def test_offered_buttons_come_from_the_same_table(status, role, allowed):
    complaint = ready_case(status=status)
    offered = workflow.allowed_transitions(actor_for(role, complaint), complaint)
    submits = [(t.source, t.target) for t in offered if t.target == Status.SUBMITTED]
    assert submits == ([(status, Status.SUBMITTED)] if allowed else [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", [s for s in Status if s not in (Status.SUBMITTED, Status.WITHDRAWN)]
)
def test_moves_not_in_the_table_are_refused(target):
    complaint = ready_case()
    with pytest.raises(workflow.TransitionError):
        workflow.transition(complaint, target=target, actor=complaint.owner)
    complaint.refresh_from_db()
    assert complaint.status == Status.DRAFT
    assert not StatusChange.objects.exists()


def test_every_transition_in_the_table_names_known_statuses_and_roles():
    for rule in workflow.TRANSITIONS:
        assert rule.source in Status.values
        assert rule.target in Status.values
        assert rule.role in (workflow.OWNER, workflow.REVIEWER)


@pytest.mark.django_db
def test_submission_sets_submitted_at_once_and_writes_one_row(complaint, user):
    before = timezone.now()
    result = workflow.transition(
        complaint, target=Status.SUBMITTED, actor=user, note="请审核"
    )
    assert result.submitted_at >= before
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.submitted_at == result.submitted_at
    assert stored.status == Status.SUBMITTED
    (change,) = StatusChange.objects.filter(complaint=complaint)
    assert change.note == "请审核"
    assert change.visible_to_user is True


@pytest.mark.django_db
def test_submission_guard_refuses_and_lists_problems(user):
    complaint = ComplaintFactory(owner=user, narrative="", consent_sensitive_at=None)
    with pytest.raises(workflow.TransitionError) as excinfo:
        workflow.transition(complaint, target=Status.SUBMITTED, actor=user)
    assert [p.field for p in excinfo.value.problems] == [
        "narrative",
        "consent_sensitive",
        "losses",
    ]
    complaint.refresh_from_db()
    assert complaint.status == Status.DRAFT
    assert complaint.submitted_at is None
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
def test_a_stale_expected_status_is_refused_with_a_clear_message(complaint, user):
    stale = Complaint.objects.get(pk=complaint.pk)
    workflow.transition(complaint, target=Status.SUBMITTED, actor=user)

    with pytest.raises(workflow.TransitionError) as excinfo:
        workflow.transition(
            stale,
            target=Status.SUBMITTED,
            actor=user,
            expected_status=Status.DRAFT,
        )
    with translation.override("en"):
        assert "changed by someone else" in str(excinfo.value.message)
    assert StatusChange.objects.filter(complaint=complaint).count() == 1


# --- What a submission needs ---------------------------------------------------------

MISSING_FIELDS = [
    ({"complainant_type": ""}, "complainant_type"),
    ({"complainant_name": ""}, "complainant_name"),
    ({"id_number": ""}, "id_number"),
    ({"contact_phone": ""}, "contact_phone"),
    ({"address": ""}, "address"),
    ({"province": ""}, "province"),
    ({"deactivated_on": None}, "deactivated_on"),
    ({"harm_known_on": None}, "harm_known_on"),
    ({"narrative": ""}, "narrative"),
    ({"narrative": "太短了"}, "narrative"),
    ({"respondent_institution": None, "respondent_name": ""}, "respondent_institution"),
    ({"terminal_sn": "", "terminal_number": "", "merchant_number": ""}, "terminal_sn"),
    ({"claims": [], "claims_other": ""}, "claims"),
    ({"consent_processing_at": None}, "consent_processing"),
    ({"consent_sensitive_at": None}, "consent_sensitive"),
    (
        {"complainant_type": "enterprise", "id_number": "91110000600037341L"},
        "representative_name",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("blank", "field"), MISSING_FIELDS)
def test_each_missing_fact_is_named(blank, field):
    complaint = ready_case(**blank)
    assert [p.field for p in missing_for_submission(complaint)] == [field]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "enough",
    [
        {"respondent_institution": None, "respondent_name": "某支付有限公司"},
        {"terminal_sn": "", "merchant_number": "", "terminal_number": "T0001"},
        {"claims": [], "claims_other": "书面道歉"},
        {
            "complainant_type": "enterprise",
            "id_number": "91110000600037341L",
            "representative_name": "赵六",
        },
    ],
)
def test_alternatives_satisfy_the_submission_check(enough):
    assert missing_for_submission(ready_case(**enough)) == []


@pytest.mark.django_db
def test_a_case_without_losses_is_not_ready(user):
    complaint = ComplaintFactory(owner=user)
    assert [p.field for p in missing_for_submission(complaint)] == ["losses"]


# --- Two people at once (PostgreSQL row locks) -----------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_make_one_status_change():
    complaint = ready_case()
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def submit():
        try:
            close_old_connections()
            copy = Complaint.objects.get(pk=complaint.pk)
            barrier.wait(timeout=30)
            workflow.transition(
                copy,
                target=Status.SUBMITTED,
                actor=complaint.owner,
                expected_status=Status.DRAFT,
            )
            outcomes.append("ok")
        except workflow.TransitionError:
            outcomes.append("refused")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(outcomes) == ["ok", "refused"]
    assert StatusChange.objects.filter(complaint=complaint).count() == 1
    assert Complaint.objects.get(pk=complaint.pk).status == Status.SUBMITTED
