"""Writes that are not status changes: case numbers, creating and updating
complaints (consents, loss rows, idempotency, the edit lock)."""

import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from freezegun import freeze_time

from complaints import services
from complaints.models import CaseNumberCounter, Complaint, LossItem, Status
from tests.factories import ComplaintFactory, LossItemFactory, UserFactory

NUMBER_RE = re.compile(r"^WQ-(\d{4})-(\d{6})$")
THREADS = 10


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 costs ~0.2 s per factory user; these tests are not about passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seq(number: str) -> int:
    match = NUMBER_RE.match(number)
    assert match, number
    return int(match[2])


# --- Case numbers -------------------------------------------------------------------


@pytest.mark.django_db
def test_case_number_has_the_year_and_six_digits():
    with transaction.atomic():
        number = services.next_case_number()
    year = timezone.localdate().year
    assert number == f"WQ-{year}-000001"


@pytest.mark.django_db
def test_case_numbers_are_sequential_within_a_year():
    with transaction.atomic():
        numbers = [services.next_case_number(2026) for _ in range(3)]
    assert numbers == ["WQ-2026-000001", "WQ-2026-000002", "WQ-2026-000003"]
    assert CaseNumberCounter.objects.get(year=2026).last == 3


@pytest.mark.django_db
def test_each_year_has_its_own_sequence():
    with transaction.atomic():
        services.next_case_number(2026)
        services.next_case_number(2026)
        assert services.next_case_number(2027) == "WQ-2027-000001"
        assert services.next_case_number(2026) == "WQ-2026-000003"


@pytest.mark.django_db
def test_counter_continues_from_its_stored_value():
    CaseNumberCounter.objects.create(year=2026, last=122)
    with transaction.atomic():
        assert services.next_case_number(2026) == "WQ-2026-000123"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("utc_moment", "year"),
    [
        ("2026-12-31T15:59:59Z", 2026),  # 23:59:59 in Beijing
        ("2026-12-31T16:00:00Z", 2027),  # midnight in Beijing: a new year
    ],
)
def test_the_year_is_the_local_year_in_china(user, utc_moment, year):
    with freeze_time(utc_moment):
        complaint, _created = services.complaint_create(
            owner=user, complaint=Complaint()
        )
    assert complaint.number == f"WQ-{year}-000001"


@pytest.mark.django_db
def test_created_complaints_get_consecutive_numbers(user):
    numbers = [
        services.complaint_create(owner=user, complaint=Complaint())[0].number
        for _ in range(5)
    ]
    seqs = [_seq(n) for n in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 5))


@pytest.mark.django_db
def test_a_failed_creation_does_not_use_up_a_number(user):
    first, _ = services.complaint_create(owner=user, complaint=Complaint())
    with pytest.raises(ValidationError):
        services.complaint_create(
            owner=user,
            complaint=Complaint(),
            losses=[LossItem(category="fees", amount=Decimal("0"))],
        )
    second, _ = services.complaint_create(owner=user, complaint=Complaint())
    assert _seq(second.number) == _seq(first.number) + 1
    assert Complaint.objects.count() == 2
    assert LossItem.objects.count() == 0


def _run_in_threads(count, target):
    """Run target(i) in `count` threads started together; each thread uses and
    then closes its own database connection. Returns results and errors."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def worker(i):
        try:
            close_old_connections()
            barrier.wait(timeout=30)
            results[i] = target(i)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "counter_exists", [False, True], ids=["first-of-year", "running"]
)
def test_concurrent_creations_get_unique_consecutive_numbers(counter_exists):
    users = [UserFactory() for _ in range(THREADS)]
    year = timezone.localdate().year
    if counter_exists:
        CaseNumberCounter.objects.create(year=year, last=41)

    def create(i):
        complaint, created = services.complaint_create(
            owner=users[i], complaint=Complaint(complainant_name=f"用户{i}")
        )
        assert created
        return complaint.number

    numbers, errors = _run_in_threads(THREADS, create)

    assert errors == []
    assert len(set(numbers)) == THREADS
    start = 42 if counter_exists else 1
    assert sorted(_seq(n) for n in numbers) == list(range(start, start + THREADS))
    assert all(n.startswith(f"WQ-{year}-") for n in numbers)
    assert CaseNumberCounter.objects.get(year=year).last == start + THREADS - 1
    assert Complaint.objects.count() == THREADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_with_one_token_make_one_complaint():
    user = UserFactory()
    token = uuid.uuid4()

    def create(i):
        complaint, created = services.complaint_create(
            owner=user, complaint=Complaint(), creation_token=token
        )
        return complaint.pk, created

    results, errors = _run_in_threads(5, create)

    assert errors == []
    assert Complaint.objects.count() == 1
    assert {pk for pk, _created in results} == {Complaint.objects.get().pk}
    assert sum(created for _pk, created in results) == 1


# --- complaint_create ------------------------------------------------------------------


@pytest.mark.django_db
def test_create_saves_a_draft_owned_by_the_user_with_its_losses(user):
    losses = [
        LossItem(category="frozen_funds", amount=Decimal("1234.50")),
        LossItem(category="deposit", amount=Decimal("299.00")),
    ]
    complaint, created = services.complaint_create(
        owner=user, complaint=Complaint(complainant_name="李四"), losses=losses
    )
    assert created
    complaint.refresh_from_db()
    assert complaint.owner == user
    assert complaint.status == Status.DRAFT
    assert complaint.submitted_at is None
    assert [(i.category, i.amount, i.position) for i in complaint.loss_items.all()] == [
        ("frozen_funds", Decimal("1234.50"), 0),
        ("deposit", Decimal("299.00"), 1),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("processing", "sensitive"),
    [(False, False), (True, False), (False, True), (True, True)],
)
def test_create_records_each_consent_with_its_time_and_notice_version(
    user, processing, sensitive
):
    complaint, _ = services.complaint_create(
        owner=user,
        complaint=Complaint(),
        consent_processing=processing,
        consent_sensitive=sensitive,
    )
    complaint.refresh_from_db()
    assert (complaint.consent_processing_at is not None) is processing
    assert (complaint.consent_sensitive_at is not None) is sensitive
    expected_version = (
        settings.PRIVACY_POLICY_VERSION if processing or sensitive else ""
    )
    assert complaint.consent_policy_version == expected_version


@pytest.mark.django_db
def test_create_with_a_used_token_returns_the_existing_case(user):
    token = uuid.uuid4()
    first, created_first = services.complaint_create(
        owner=user, complaint=Complaint(), creation_token=token
    )
    second, created_second = services.complaint_create(
        owner=user,
        complaint=Complaint(complainant_name="重复"),
        losses=[LossItem(category="fees", amount=Decimal("5"))],
        creation_token=token,
    )
    assert (created_first, created_second) == (True, False)
    assert second.pk == first.pk
    assert Complaint.objects.count() == 1
    assert LossItem.objects.count() == 0
    assert CaseNumberCounter.objects.get().last == 1


@pytest.mark.django_db
def test_create_without_token_always_creates(user):
    services.complaint_create(owner=user, complaint=Complaint())
    services.complaint_create(owner=user, complaint=Complaint())
    assert Complaint.objects.filter(owner=user).count() == 2


@pytest.mark.django_db
def test_a_token_is_scoped_to_its_owner(user, other_user):
    token = uuid.uuid4()
    mine, _ = services.complaint_create(
        owner=user, complaint=Complaint(), creation_token=token
    )
    theirs, created = services.complaint_create(
        owner=other_user, complaint=Complaint(), creation_token=token
    )
    assert created
    assert mine.pk != theirs.pk


@pytest.mark.django_db
def test_create_validates_the_facts_before_saving(user):
    with pytest.raises(ValidationError) as excinfo:
        services.complaint_create(
            owner=user, complaint=Complaint(merchant_number="123")
        )
    assert "merchant_number" in excinfo.value.message_dict
    assert not Complaint.objects.exists()
    assert not CaseNumberCounter.objects.filter(last__gt=0).exists()


# --- complaint_update -------------------------------------------------------------------


@pytest.mark.django_db
def test_update_saves_facts_and_loss_changes(user, complaint):
    kept = complaint.loss_items.get()
    removed = LossItemFactory(complaint=complaint, category="deposit")
    kept.amount = Decimal("10.10")
    added = LossItem(category="fees", amount=Decimal("0.90"))
    complaint.city = "黄浦区"

    services.complaint_update(
        actor=user,
        complaint=complaint,
        losses=[added, kept],
        deleted_losses=[removed],
        consent_processing=True,
        consent_sensitive=True,
    )

    complaint.refresh_from_db()
    assert complaint.city == "黄浦区"
    assert [(i.category, i.amount, i.position) for i in complaint.loss_items.all()] == [
        ("fees", Decimal("0.90"), 0),
        ("frozen_funds", Decimal("10.10"), 1),
    ]
    assert not LossItem.objects.filter(pk=removed.pk).exists()


@pytest.mark.django_db
def test_update_never_deletes_another_complaints_loss(user, complaint, other_user):
    foreign = LossItemFactory(complaint=ComplaintFactory(owner=other_user))
    services.complaint_update(
        actor=user,
        complaint=complaint,
        deleted_losses=[foreign],
        consent_processing=True,
        consent_sensitive=True,
    )
    assert LossItem.objects.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
def test_unticking_a_consent_withdraws_it_and_reticking_records_a_new_time(
    user, complaint
):
    first_time = complaint.consent_processing_at
    services.complaint_update(
        actor=user,
        complaint=complaint,
        consent_processing=False,
        consent_sensitive=True,
    )
    complaint.refresh_from_db()
    assert complaint.consent_processing_at is None
    assert complaint.consent_sensitive_at is not None

    services.complaint_update(
        actor=user, complaint=complaint, consent_processing=True, consent_sensitive=True
    )
    complaint.refresh_from_db()
    assert complaint.consent_processing_at is not None
    assert complaint.consent_processing_at > first_time
    assert complaint.consent_policy_version == settings.PRIVACY_POLICY_VERSION


@pytest.mark.django_db
def test_keeping_a_consent_keeps_its_original_time(user, complaint):
    given_at = complaint.consent_sensitive_at
    services.complaint_update(
        actor=user, complaint=complaint, consent_processing=True, consent_sensitive=True
    )
    complaint.refresh_from_db()
    assert complaint.consent_sensitive_at == given_at


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "allowed"),
    [(status, status in (Status.DRAFT, Status.NEEDS_INFO)) for status in Status],
)
def test_update_is_allowed_only_while_editable(user, status, allowed):
    complaint = ComplaintFactory(owner=user, status=status, city="旧")
    complaint.city = "新"
    if allowed:
        services.complaint_update(actor=user, complaint=complaint)
    else:
        with pytest.raises(PermissionDenied):
            services.complaint_update(actor=user, complaint=complaint)
    complaint.refresh_from_db()
    assert complaint.city == ("新" if allowed else "旧")
    assert complaint.status == status


@pytest.mark.django_db
def test_update_refuses_other_users(complaint, other_user):
    complaint.city = "被改"
    with pytest.raises(PermissionDenied):
        services.complaint_update(actor=other_user, complaint=complaint)
    complaint.refresh_from_db()
    assert complaint.city != "被改"


@pytest.mark.django_db
def test_update_rechecks_the_stored_status_not_the_stale_copy(user, complaint):
    """A case submitted in another tab stays unchanged."""
    stale = Complaint.objects.get(pk=complaint.pk)
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.SUBMITTED)
    stale.city = "被改"
    with pytest.raises(PermissionDenied):
        services.complaint_update(actor=user, complaint=stale)
    complaint.refresh_from_db()
    assert complaint.city != "被改"


TAMPERED = {
    "status": lambda other: Status.ACCEPTED,
    "number": lambda other: "WQ-1999-000001",
    "owner": lambda other: other,
    "assignee": lambda other: other,
    "outcome": lambda other: "full",
    "amount_recovered": lambda other: Decimal("500.00"),
    "submitted_at": lambda other: timezone.now(),
    "public_id": lambda other: uuid.uuid4(),
    "creation_token": lambda other: uuid.uuid4(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("field", list(TAMPERED))
def test_update_never_writes_workflow_or_ownership_fields(
    user, complaint, other_user, field
):
    """Only the user's facts are saved, whatever the instance carries."""
    before = getattr(Complaint.objects.get(pk=complaint.pk), field)
    setattr(complaint, field, TAMPERED[field](other_user))

    services.complaint_update(
        actor=user, complaint=complaint, consent_processing=True, consent_sensitive=True
    )

    assert getattr(Complaint.objects.get(pk=complaint.pk), field) == before


@pytest.mark.django_db
def test_a_bad_loss_rolls_back_the_whole_update(user, complaint):
    complaint.city = "不应保存"
    with pytest.raises(ValidationError):
        services.complaint_update(
            actor=user,
            complaint=complaint,
            losses=[LossItem(category="fees", amount=Decimal("-1"))],
            deleted_losses=list(complaint.loss_items.all()),
            consent_processing=True,
            consent_sensitive=True,
        )
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert fresh.city != "不应保存"
    assert fresh.loss_items.count() == 1
