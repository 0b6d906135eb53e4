"""The state machine: every (from, to, role) triple against the table, its
guards and side effects, the buttons offered, two reviewers acting at once,
and a source check that nothing but `workflow.py` writes `status`."""

import ast
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import close_old_connections, connection
from django.utils import timezone, translation

from complaints import workflow
from complaints.models import MAX_AMOUNT, Complaint, Status, StatusChange
from complaints.submission import missing_for_submission
from tests.factories import (
    ComplaintFactory,
    FilingFactory,
    LossItemFactory,
    UserFactory,
)
from tests.scans import offences

REVIEWER_CODENAMES = [
    "view_complaint",
    "review_complaint",
    "view_message",
    "add_message",
]
ROLES = ("owner", "reviewer", "other", "anonymous", "staff_without_review")
# Which table role each kind of actor holds on a case it does not own.
TABLE_ROLE = {"owner": workflow.OWNER, "reviewer": workflow.REVIEWER}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 costs ~0.2 s per factory user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_reviewer(**kwargs):
    """Staff in the Reviewers group with the permissions migration 0006 grants.

    The group is (re)built here rather than trusted from the migration: a
    transactional test elsewhere in the run may have flushed it.
    """
    group, _created = Group.objects.get_or_create(name="Reviewers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="complaints", codename__in=REVIEWER_CODENAMES
        )
    )
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def make_staff_without_review():
    """Staff who may read cases in admin but not act on them."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    return type(user).objects.get(pk=user.pk)


def actor_for(role, complaint):
    return {
        "owner": lambda: complaint.owner,
        "reviewer": make_reviewer,
        "other": UserFactory,
        "anonymous": AnonymousUser,
        "staff_without_review": make_staff_without_review,
    }[role]()


def ready_case(**kwargs):
    """A case with every fact a submission needs and one loss."""
    complaint = ComplaintFactory(**kwargs)
    LossItemFactory(complaint=complaint)
    return complaint


def snapshot(complaint):
    """Every stored column of the case, read back from the database."""
    stored = Complaint.objects.get(pk=complaint.pk)
    return {
        f.attname: getattr(stored, f.attname) for f in Complaint._meta.concrete_fields
    }


def rule_for(source, target, role):
    table_role = TABLE_ROLE.get(role)
    for t in workflow.TRANSITIONS:
        if (t.source, t.target, t.role) == (source, target, table_role):
            return t
    return None


# Input that satisfies every guard, so refusals below come from the table alone.
FULL_INPUT = {
    "note": "审核意见：请补充停机通知截图",
    "outcome": Complaint.Outcome.PARTIAL,
    "amount_recovered": Decimal("500.00"),
}

TRIPLES = [
    pytest.param(source, target, role, id=f"{source}->{target}-{role}")
    for source in Status.values
    for target in Status.values
    for role in ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target", "role"), TRIPLES)
def test_every_move_by_every_role_follows_the_table(source, target, role):
    complaint = ready_case(status=source)
    # Every guard satisfied: a filing is recorded (accepted → filed needs one).
    FilingFactory(complaint=complaint)
    actor = actor_for(role, complaint)
    before = snapshot(complaint)
    rule = rule_for(source, target, role)

    if rule is None:
        with pytest.raises(workflow.TransitionError):
            workflow.transition(
                complaint,
                target=target,
                actor=actor,
                expected_status=source,
                **FULL_INPUT,
            )
        assert snapshot(complaint) == before
        assert not StatusChange.objects.filter(complaint=complaint).exists()
        return

    result = workflow.transition(
        complaint, target=target, actor=actor, expected_status=source, **FULL_INPUT
    )

    after = snapshot(complaint)
    assert result.status == after["status"] == target
    (change,) = StatusChange.objects.filter(complaint=complaint)
    assert (change.from_status, change.to_status, change.actor_id) == (
        source,
        target,
        actor.pk,
    )
    assert change.note == FULL_INPUT["note"]
    assert change.visible_to_user is rule.visible_to_user
    # Only the fields this move carries changed.
    expected_changes = {"status", "updated_at"}
    if target == Status.SUBMITTED:
        expected_changes.add("submitted_at")
    if rule.role == workflow.REVIEWER:
        expected_changes.add("assignee_id")
    if target == Status.RESOLVED:
        expected_changes |= {"outcome", "amount_recovered"}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == expected_changes


def test_every_rule_in_the_table_names_known_statuses_and_roles():
    for rule in workflow.TRANSITIONS:
        assert rule.source in Status.values
        assert rule.target in Status.values
        assert rule.role in (workflow.OWNER, workflow.REVIEWER)
        assert rule.source != rule.target


def test_the_table_has_no_duplicate_moves_and_nothing_leaves_a_final_status():
    keys = [(t.source, t.target, t.role) for t in workflow.TRANSITIONS]
    assert len(keys) == len(set(keys))
    assert not [t for t in workflow.TRANSITIONS if t.source in workflow.FINAL_STATUSES]


# --- Buttons: allowed_transitions offers exactly the table -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", Status.values)
def test_offered_moves_are_exactly_the_tables_moves_for_the_role(status, role):
    complaint = ready_case(status=status)
    actor = actor_for(role, complaint)
    table_role = TABLE_ROLE.get(role)
    expected = [
        (t.source, t.target)
        for t in workflow.TRANSITIONS
        if t.source == status and t.role == table_role
    ]

    offered = workflow.allowed_transitions(actor, complaint)

    assert [(t.source, t.target) for t in offered] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
def test_role_filters_the_moves_of_a_reviewer_who_owns_the_case(status):
    both = make_reviewer()
    complaint = ready_case(status=status, owner=both)

    def moves(role):
        return {
            (t.source, t.target, t.role)
            for t in workflow.allowed_transitions(both, complaint, role=role)
        }

    table = {(t.source, t.target, t.role) for t in workflow.TRANSITIONS}
    owner_moves = {m for m in table if m[0] == status and m[2] == workflow.OWNER}
    reviewer_moves = {m for m in table if m[0] == status and m[2] == workflow.REVIEWER}
    assert moves(workflow.OWNER) == owner_moves
    assert moves(workflow.REVIEWER) == reviewer_moves
    assert moves(None) == owner_moves | reviewer_moves


@pytest.mark.django_db
def test_role_limits_what_transition_allows():
    both = make_reviewer()
    complaint = ready_case(status=Status.IN_REVIEW, owner=both)

    with pytest.raises(workflow.TransitionError):
        workflow.transition(
            complaint, target=Status.ACCEPTED, actor=both, role=workflow.OWNER
        )
    assert snapshot(complaint)["status"] == Status.IN_REVIEW
    workflow.transition(
        complaint, target=Status.ACCEPTED, actor=both, role=workflow.REVIEWER
    )
    assert snapshot(complaint)["status"] == Status.ACCEPTED


@pytest.mark.django_db
def test_an_inactive_reviewer_has_no_reviewer_moves():
    gone = make_reviewer(is_active=False)
    complaint = ready_case(status=Status.SUBMITTED)
    assert workflow.allowed_transitions(gone, complaint) == []
    with pytest.raises(workflow.TransitionError):
        workflow.transition(complaint, target=Status.IN_REVIEW, actor=gone)
    assert not StatusChange.objects.exists()


# --- Guards ---------------------------------------------------------------------

NOTE_GUARDED = [
    (t.source, t.target)
    for t in workflow.TRANSITIONS
    if t.role == workflow.REVIEWER and t.needs == ("note",)
]


def test_the_note_guarded_moves_are_the_expected_ones():
    assert sorted(NOTE_GUARDED) == sorted(
        [
            (Status.SUBMITTED, Status.NEEDS_INFO),
            (Status.IN_REVIEW, Status.NEEDS_INFO),
            (Status.SUBMITTED, Status.REJECTED),
            (Status.IN_REVIEW, Status.REJECTED),
            (Status.NEEDS_INFO, Status.CLOSED),
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("note", ["", "   \n\t"])
@pytest.mark.parametrize(("source", "target"), NOTE_GUARDED)
def test_moves_that_need_a_note_refuse_without_one(source, target, note):
    complaint = ready_case(status=source)
    before = snapshot(complaint)

    with pytest.raises(workflow.TransitionError) as excinfo:
        workflow.transition(complaint, target=target, actor=make_reviewer(), note=note)

    assert [p.field for p in excinfo.value.problems] == ["note"]
    assert snapshot(complaint) == before
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome", "amount", "field"),
    [
        ("", Decimal("10"), "outcome"),
        ("bogus", Decimal("10"), "outcome"),
        (Complaint.Outcome.FULL, None, "amount_recovered"),
        (Complaint.Outcome.FULL, Decimal("-0.01"), "amount_recovered"),
        (Complaint.Outcome.FULL, MAX_AMOUNT + Decimal("0.01"), "amount_recovered"),
        (Complaint.Outcome.NONE, Decimal("0.01"), "amount_recovered"),
        (Complaint.Outcome.FULL, Decimal("0"), "amount_recovered"),
        (Complaint.Outcome.PARTIAL, Decimal("0.00"), "amount_recovered"),
    ],
)
@pytest.mark.parametrize("source", [Status.ACCEPTED, Status.FILED])
def test_resolution_refuses_a_missing_or_inconsistent_outcome(
    source, outcome, amount, field
):
    complaint = ready_case(status=source)
    before = snapshot(complaint)

    with pytest.raises(workflow.TransitionError) as excinfo:
        workflow.transition(
            complaint,
            target=Status.RESOLVED,
            actor=make_reviewer(),
            outcome=outcome,
            amount_recovered=amount,
            note="结案",
        )

    assert field in [p.field for p in excinfo.value.problems]
    assert snapshot(complaint) == before
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome", "amount"),
    [
        (Complaint.Outcome.NONE, Decimal("0")),
        (Complaint.Outcome.PARTIAL, Decimal("0.01")),
        (Complaint.Outcome.FULL, MAX_AMOUNT),
    ],
)
def test_resolution_stores_the_outcome_and_amount(outcome, amount):
    complaint = ready_case(status=Status.FILED)

    workflow.transition(
        complaint,
        target=Status.RESOLVED,
        actor=make_reviewer(),
        outcome=outcome,
        amount_recovered=amount,
    )

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.outcome, stored.amount_recovered) == (
        Status.RESOLVED,
        outcome,
        amount,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("source", [Status.DRAFT, Status.NEEDS_INFO])
def test_submission_guard_refuses_an_incomplete_case_and_lists_problems(source, user):
    complaint = ComplaintFactory(
        owner=user, status=source, narrative="", consent_sensitive_at=None
    )
    before = snapshot(complaint)

    with pytest.raises(workflow.TransitionError) as excinfo:
        workflow.transition(complaint, target=Status.SUBMITTED, actor=user)

    assert [p.field for p in excinfo.value.problems] == [
        "narrative",
        "consent_sensitive",
        "losses",
    ]
    assert snapshot(complaint) == before
    assert not StatusChange.objects.exists()


# --- Side effects -----------------------------------------------------------------


@pytest.mark.django_db
def test_submitted_at_is_set_on_the_first_submission_only(complaint, user):
    reviewer = make_reviewer()
    start = timezone.now()
    complaint = workflow.transition(complaint, target=Status.SUBMITTED, actor=user)
    first = Complaint.objects.get(pk=complaint.pk).submitted_at
    assert first >= start

    complaint = workflow.transition(
        complaint, target=Status.NEEDS_INFO, actor=reviewer, note="请补充截图"
    )
    workflow.transition(complaint, target=Status.SUBMITTED, actor=user)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == Status.SUBMITTED
    assert stored.submitted_at == first
    assert StatusChange.objects.filter(complaint=complaint).count() == 3


@pytest.mark.django_db
def test_the_first_reviewer_move_assigns_the_case_and_later_moves_keep_it(complaint):
    first, second = make_reviewer(), make_reviewer()
    complaint = workflow.transition(
        complaint, target=Status.SUBMITTED, actor=complaint.owner
    )
    assert Complaint.objects.get(pk=complaint.pk).assignee is None

    complaint = workflow.transition(complaint, target=Status.IN_REVIEW, actor=first)
    assert Complaint.objects.get(pk=complaint.pk).assignee == first

    workflow.transition(complaint, target=Status.ACCEPTED, actor=second)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.assignee) == (Status.ACCEPTED, first)


@pytest.mark.django_db
def test_the_owners_moves_never_assign(user):
    complaint = ready_case(owner=user, status=Status.SUBMITTED)
    workflow.transition(complaint, target=Status.WITHDRAWN, actor=user)
    assert Complaint.objects.get(pk=complaint.pk).assignee is None


@pytest.mark.django_db
def test_a_full_case_walk_leaves_one_row_per_move(complaint, user):
    reviewer = make_reviewer()
    steps = [
        (Status.SUBMITTED, user, {}),
        (Status.IN_REVIEW, reviewer, {}),
        (Status.NEEDS_INFO, reviewer, {"note": "请补充"}),
        (Status.SUBMITTED, user, {}),
        (Status.IN_REVIEW, reviewer, {}),
        (Status.ACCEPTED, reviewer, {}),
        (Status.FILED, reviewer, {"note": "已向人民银行投诉"}),
        (
            Status.RESOLVED,
            reviewer,
            {"outcome": "full", "amount_recovered": Decimal("1000")},
        ),
        (Status.CLOSED, reviewer, {}),
    ]
    for target, actor, extra in steps:
        if target == Status.FILED:
            FilingFactory(complaint=complaint)
        complaint = workflow.transition(complaint, target=target, actor=actor, **extra)

    rows = list(
        StatusChange.objects.filter(complaint=complaint).values_list(
            "from_status", "to_status"
        )
    )
    sources = [Status.DRAFT] + [target for target, _a, _e in steps[:-1]]
    assert rows == list(zip(sources, [t for t, _a, _e in steps], strict=True))


@pytest.mark.django_db
def test_a_stale_expected_status_is_refused_with_a_clear_message(complaint, user):
    stale = Complaint.objects.get(pk=complaint.pk)
    workflow.transition(complaint, target=Status.SUBMITTED, actor=user)
    before = snapshot(complaint)

    with pytest.raises(workflow.TransitionError) as excinfo:
        workflow.transition(
            stale, target=Status.WITHDRAWN, actor=user, expected_status=Status.DRAFT
        )

    assert snapshot(complaint) == before
    assert StatusChange.objects.filter(complaint=complaint).count() == 1
    with translation.override("en"):
        message = str(excinfo.value.message)
    assert "changed by someone else" in message
    # The status named in the message is in the reader's language too.
    assert "“Submitted”" in message


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


def _race(complaint, moves):
    """Run each (actor, target, note) at the same moment from its own thread
    and database connection; return [(target, "ok" | TransitionError)]."""
    barrier = threading.Barrier(len(moves))
    results, errors = [], []

    def run(actor, target, note):
        try:
            close_old_connections()
            copy = Complaint.objects.get(pk=complaint.pk)
            barrier.wait(timeout=30)
            workflow.transition(
                copy,
                target=target,
                actor=actor,
                expected_status=complaint.status,
                note=note,
            )
            results.append((target, "ok"))
        except workflow.TransitionError as error:
            results.append((target, error))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=move) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == len(moves)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_make_exactly_one_decision():
    first, second = make_reviewer(), make_reviewer()
    for _round in range(5):
        complaint = ready_case(status=Status.IN_REVIEW, assignee=first)

        results = _race(
            complaint,
            [
                (first, Status.ACCEPTED, ""),
                (second, Status.REJECTED, "不属于受理范围"),
            ],
        )

        winners = [target for target, outcome in results if outcome == "ok"]
        losers = [outcome for _t, outcome in results if outcome != "ok"]
        assert len(winners) == 1 and len(losers) == 1
        with translation.override("en"):
            assert "changed by someone else" in str(losers[0].message)
        (change,) = StatusChange.objects.filter(complaint=complaint)
        assert (change.from_status, change.to_status) == (Status.IN_REVIEW, winners[0])
        assert Complaint.objects.get(pk=complaint.pk).status == winners[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_make_one_status_change():
    complaint = ready_case()
    results = _race(
        complaint,
        [
            (complaint.owner, Status.SUBMITTED, ""),
            (complaint.owner, Status.SUBMITTED, ""),
        ],
    )
    assert sorted(outcome == "ok" for _t, outcome in results) == [False, True]
    assert StatusChange.objects.filter(complaint=complaint).count() == 1
    assert Complaint.objects.get(pk=complaint.pk).status == Status.SUBMITTED


# --- Only workflow.py writes `status` ------------------------------------------------

ALLOWED_WRITER = Path("complaints/workflow.py")
QUERY_WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}


def _mentions_status(node) -> bool:
    """A literal list/tuple/set of field names, or a dict, naming "status"."""
    if isinstance(node, ast.Constant):
        return node.value == "status"
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(_mentions_status(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(k is not None and _mentions_status(k) for k in node.keys)
    return False


def status_writes(tree) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and sub.attr == "status":
                    found.append((node.lineno, "assignment to .status"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (
            name == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "status"
        ):
            found.append((node.lineno, 'setattr(..., "status", ...)'))
        for keyword in node.keywords:
            if keyword.arg == "status" and (
                name in QUERY_WRITES or name == "Complaint"
            ):
                found.append((node.lineno, f"{name}(status=...)"))
            if keyword.arg in ("update_fields", "defaults", "create_defaults") and (
                _mentions_status(keyword.value)
            ):
                found.append((node.lineno, f"{keyword.arg} naming status"))
        if name == "bulk_update" and any(_mentions_status(a) for a in node.args[1:]):
            found.append((node.lineno, "bulk_update of status"))
    return found


def test_the_status_write_detector_finds_each_kind_of_write():
    source = "\n".join(
        [
            "c.status = 'closed'",
            "c.status += 'x'",
            "setattr(c, 'status', 'closed')",
            "Complaint.objects.filter(pk=1).update(status='closed')",
            "Complaint.objects.create(status='closed')",
            "Complaint(status='closed')",
            "c.save(update_fields=['status'])",
            "Complaint.objects.bulk_update(cs, ['status'])",
            "Complaint.objects.update_or_create(pk=1, defaults={'status': 'x'})",
            # Not writes:
            "status = c.status",
            "Complaint.objects.filter(status='draft')",
            "c.save(update_fields=['narrative'])",
        ]
    )
    assert [line for line, _kind in status_writes(ast.parse(source))] == list(
        range(1, 10)
    )


def test_nothing_but_the_workflow_writes_status():
    assert offences(status_writes, ALLOWED_WRITER) == []


@pytest.mark.django_db
@pytest.mark.parametrize("by_owner", [True, False])
def test_marking_a_case_filed_needs_a_recorded_filing(by_owner):
    complaint = ready_case(status=Status.ACCEPTED)
    actor = complaint.owner if by_owner else make_reviewer()

    with pytest.raises(workflow.TransitionError) as excinfo:
        workflow.transition(complaint, target=Status.FILED, actor=actor)
    assert [p.field for p in excinfo.value.problems] == ["filings"]
    assert Complaint.objects.get(pk=complaint.pk).status == Status.ACCEPTED

    FilingFactory(complaint=complaint)
    moved = workflow.transition(complaint, target=Status.FILED, actor=actor)
    assert moved.status == Status.FILED
