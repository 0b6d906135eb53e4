"""Filings: recording where a letter went, the due dates from the channel's
clock, the first filing moving the case to filed, the reply, the case page
(due dates, countdown, overdue, next steps, limitation), access from another
user's session, and the reminder command (each reminder once)."""

import datetime
import itertools
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import User
from complaints import channels, clocks, services, workflow
from complaints.models import Channel, Filing, Reminder, Status, StatusChange
from tests.factories import (
    ComplaintFactory,
    FilingFactory,
    LossItemFactory,
    UserFactory,
)
from tests.letter_factories import EvidenceRowFactory as EvidenceFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 10, 20)


def channel(code):
    return Channel.objects.get(code=code)


_owners = itertools.count(1)


def make_case(owner=None, status=Status.SUBMITTED, **kwargs):
    if owner is None:
        # The first owner of a test is owner@example.org (the reminder tests
        # look for it); later ones get addresses of their own.
        taken = User.objects.filter(email="owner@example.org").exists()
        owner = UserFactory(
            email=f"o{next(_owners)}@example.org" if taken else "owner@example.org"
        )
    complaint = ComplaintFactory(owner=owner, status=status, **kwargs)
    LossItemFactory(complaint=complaint)
    return complaint


SENT_12315 = D(2026, 9, 28)


def record(complaint, code="samr-12315", sent_on=SENT_12315, **kwargs):
    values = {"method": Filing.Method.ONLINE, "reference": "12315-1", **kwargs}
    return services.filing_record(
        actor=values.pop("actor", complaint.owner),
        complaint=complaint,
        channel=channel(code),
        sent_on=sent_on,
        **values,
    )


def page_text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- Recording ----------------------------------------------------------------------


def test_recording_stores_the_due_dates_from_the_channel_clock():
    filing = record(make_case())
    # 12315: 7 working days across National Day (see test_clocks).
    assert filing.first_due_on == D(2026, 10, 13)
    assert filing.due_on == D(2026, 10, 13)
    assert filing.due_stage == "accept_or_refuse"
    assert filing.due_approximate is False
    assert filing.recorded_by == filing.complaint.owner


def test_the_first_filing_moves_an_accepted_case_to_filed_and_says_so():
    complaint = make_case(status=Status.ACCEPTED)

    record(complaint, code="institution", method=Filing.Method.POST)

    complaint.refresh_from_db()
    assert complaint.status == Status.FILED
    change = StatusChange.objects.get(complaint=complaint, to_status=Status.FILED)
    assert change.actor == complaint.owner
    assert "2026" in change.note and change.visible_to_user

    # A second filing leaves the status alone.
    record(complaint, code="pboc")
    assert StatusChange.objects.filter(to_status=Status.FILED).count() == 1


def test_a_filing_before_acceptance_keeps_the_status_and_the_reviewer_can_mark_filed():
    from tests.test_workflow import make_reviewer

    complaint = make_case(status=Status.IN_REVIEW)
    record(complaint)
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_REVIEW

    reviewer = make_reviewer()
    complaint = workflow.transition(complaint, target=Status.ACCEPTED, actor=reviewer)
    complaint = workflow.transition(complaint, target=Status.FILED, actor=reviewer)
    assert complaint.status == Status.FILED


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.REJECTED, Status.WITHDRAWN, Status.CLOSED]
)
def test_no_filings_for_a_draft_or_a_finished_case(status):
    complaint = make_case(status=status)
    with pytest.raises(PermissionDenied):
        record(complaint)
    assert not Filing.objects.exists()


def test_another_user_cannot_record_a_filing():
    complaint = make_case()
    with pytest.raises(PermissionDenied):
        record(complaint, actor=UserFactory())
    assert not Filing.objects.exists()


def test_proof_must_be_evidence_of_the_same_case():
    complaint = make_case()
    foreign = EvidenceFactory(complaint=make_case())
    with pytest.raises(ValidationError) as error:
        record(complaint, proof=foreign)
    assert "proof" in error.value.message_dict
    assert not Filing.objects.exists()

    own = EvidenceFactory(complaint=complaint)
    assert record(complaint, proof=own).proof == own


def test_a_future_sending_date_is_refused():
    with pytest.raises(ValidationError) as error:
        record(make_case(), sent_on=D(2099, 1, 1))
    assert "sent_on" in error.value.message_dict


def test_the_reply_moves_the_deadline_to_the_next_stage_then_clears_it():
    filing = record(make_case())

    accepted = services.filing_reply(
        actor=filing.complaint.owner,
        filing=filing,
        accepted_on=D(2026, 9, 30),
        outcome=Filing.Outcome.ACCEPTED,
    )
    assert accepted.due_stage == "mediation"
    assert accepted.due_on == clocks.add_working_days(D(2026, 9, 30), 45).due
    assert accepted.first_due_on == D(2026, 10, 13)  # timeliness unchanged

    answered = services.filing_reply(
        actor=filing.complaint.owner,
        filing=filing,
        accepted_on=D(2026, 9, 30),
        reply_on=D(2026, 11, 5),
        reply_summary="调解成功，退还押金",
        outcome=Filing.Outcome.PARTIAL,
    )
    assert answered.due_on is None and answered.due_stage == ""


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"reply_on": D(2026, 9, 1), "outcome": "refused"}, "reply_on"),
        ({"accepted_on": D(2026, 9, 1)}, "accepted_on"),
        ({"outcome": "refused"}, "reply_on"),
        ({"outcome": "accepted"}, "accepted_on"),
    ],
)
def test_impossible_replies_are_refused_and_nothing_changes(values, field):
    filing = record(make_case())
    with pytest.raises(ValidationError) as error:
        services.filing_reply(actor=filing.complaint.owner, filing=filing, **values)
    assert field in error.value.message_dict
    stored = Filing.objects.get(pk=filing.pk)
    assert (stored.outcome, stored.reply_on, stored.accepted_on) == ("", None, None)


# --- Next steps and limitation --------------------------------------------------------


def test_a_late_institution_points_to_the_regulators_next():
    complaint = make_case()
    filing = record(complaint, code="institution", sent_on=D(2026, 9, 1))
    plan = channels.channel_plan(complaint)

    steps = channels.next_steps(plan, filing, [filing], TODAY)

    assert [e.channel.code for e in steps] == ["pboc", "pcac"]
    # Not yet late: nothing to suggest.
    assert channels.next_steps(plan, filing, [filing], D(2026, 9, 10)) == []


def test_a_refusal_points_on_and_skips_bodies_already_used():
    complaint = make_case()
    first = record(complaint, code="institution", sent_on=D(2026, 9, 1))
    second = record(complaint, code="pboc", sent_on=D(2026, 9, 2))
    second = services.filing_reply(
        actor=complaint.owner,
        filing=second,
        reply_on=D(2026, 9, 10),
        outcome=Filing.Outcome.REFUSED,
    )
    plan = channels.channel_plan(complaint)

    steps = channels.next_steps(plan, second, [first, second], D(2026, 9, 11))

    assert [e.channel.code for e in steps] == ["pcac", "samr-12315"]


def test_only_a_written_demand_to_the_institution_restarts_the_limitation():
    complaint = make_case(harm_known_on=D(2025, 6, 2))
    by_phone = record(
        complaint, code="institution", sent_on=D(2026, 1, 5), method="hotline"
    )
    to_regulator = record(complaint, code="pboc", sent_on=D(2026, 2, 2))
    assert (
        clocks.case_limitation(complaint, [by_phone, to_regulator]).restarted is False
    )

    by_post = record(
        complaint, code="institution", sent_on=D(2026, 3, 2), method="post"
    )
    period = clocks.case_limitation(complaint, [by_phone, to_regulator, by_post])
    assert period.restarted is True
    assert period.started_on == D(2026, 3, 2)
    assert period.ends_on == D(2029, 3, 2)


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.org")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@freeze_time("2026-10-20")
def test_the_case_page_shows_due_dates_countdown_and_overdue(owner_client, owner):
    complaint = make_case(owner)
    record(complaint, code="samr-12315", sent_on=D(2026, 9, 28))  # due 13 Oct
    record(complaint, code="institution", sent_on=D(2026, 10, 12), method="post")

    response = owner_client.get(complaint.get_absolute_url())

    html = response.content.decode()
    assert 'datetime="2026-10-13"' in html  # the 12315 acceptance deadline
    text = page_text(response)
    assert "已逾期 7 天" in text  # 12315: due 13 Oct, today 20 Oct
    # The institution: 15 days from 12 Oct = 27 Oct (a Tuesday), 7 days left.
    assert 'datetime="2026-10-27"' in html
    assert "还剩 7 天" in text
    assert 'data-testid="next-steps"' in html


@freeze_time("2026-10-20")
def test_the_limitation_warning_shows_from_90_days_before(owner_client, owner):
    # Learnt of the harm on 2 Dec 2023: the period ends 2 Dec 2026 (a Wednesday).
    complaint = make_case(owner, harm_known_on=D(2023, 12, 2))
    response = owner_client.get(complaint.get_absolute_url())
    block = response.content.decode().split('data-testid="limitation"')[1][:1500]
    assert (
        "alert-warning"
        in response.content.decode().split('data-testid="limitation"')[0][-200:]
    )
    assert "2026年12月2日" in block
    assert "90" in block


@freeze_time("2026-10-20")
def test_recording_a_filing_through_the_page(owner_client, owner):
    complaint = make_case(owner, status=Status.ACCEPTED)
    url = reverse("complaints:filing_create", args=[complaint.public_id])

    form = owner_client.get(url + "?channel=institution")
    assert form.status_code == 200
    assert form.context["form"].initial["channel"] == channel("institution")

    response = owner_client.post(
        url,
        {
            "channel": channel("institution").pk,
            "sent_on": "2026-10-12",
            "method": "post",
            "reference": "EMS1234",
        },
    )

    assert response.status_code == 302
    assert response.url.endswith("#filings")
    filing = Filing.objects.get(complaint=complaint)
    assert (filing.reference, filing.due_on) == ("EMS1234", D(2026, 10, 27))
    complaint.refresh_from_db()
    assert complaint.status == Status.FILED


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"sent_on": "2099-01-01"}, "sent_on", "晚于今天"),
        ({"sent_on": "20261012"}, "sent_on", "有效日期"),
        ({"channel": ""}, "channel", "必填"),
        ({"method": "pigeon"}, "method", "选择"),
    ],
)
@freeze_time("2026-10-20")
def test_bad_filing_input_gets_a_message_and_keeps_what_was_typed(
    owner_client, owner, data, field, message
):
    complaint = make_case(owner)
    values = {
        "channel": channel("institution").pk,
        "sent_on": "2026-10-12",
        "method": "post",
        "reference": "EMS-KEEP-ME",
        **data,
    }

    response = owner_client.post(
        reverse("complaints:filing_create", args=[complaint.public_id]), values
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert "EMS-KEEP-ME" in response.content.decode()
    assert not Filing.objects.exists()


def test_a_proof_of_another_case_cannot_be_chosen_in_the_form(owner_client, owner):
    complaint = make_case(owner)
    foreign = EvidenceFactory(complaint=make_case())
    response = owner_client.post(
        reverse("complaints:filing_create", args=[complaint.public_id]),
        {
            "channel": channel("institution").pk,
            "sent_on": "2026-10-12",
            "method": "post",
            "proof": foreign.pk,
        },
    )
    assert response.status_code == 200
    assert "proof" in response.context["form"].errors
    assert not Filing.objects.exists()


def test_recording_the_answer_through_the_page(owner_client, owner):
    complaint = make_case(owner)
    filing = record(complaint)
    url = reverse(
        "complaints:filing_reply", args=[complaint.public_id, filing.public_id]
    )

    assert owner_client.get(url).status_code == 200
    bad = owner_client.post(url, {"reply_on": "2026-09-01", "outcome": "refused"})
    assert bad.status_code == 200
    # One message for the date given, not also "enter the date".
    assert bad.context["form"].errors["reply_on"] == ["不能早于寄出的日期。"]
    undated = owner_client.post(url, {"outcome": "accepted"})
    assert undated.context["form"].errors["accepted_on"] == ["请填写受理日期。"]

    response = owner_client.post(
        url,
        {"reply_on": "2026-10-09", "outcome": "refused", "reply_summary": "不予受理"},
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert (filing.outcome, filing.due_on) == ("refused", None)


def test_a_draft_case_is_sent_back_to_the_case_page(owner_client, owner):
    complaint = make_case(owner, status=Status.DRAFT)
    response = owner_client.get(
        reverse("complaints:filing_create", args=[complaint.public_id])
    )
    assert response.status_code == 302
    assert response.url.endswith("#filings")


def test_another_users_session_gets_404_for_every_filing_page(client, owner):
    complaint = make_case(owner)
    filing = record(complaint)
    other_case_filing = record(make_case())
    client.force_login(UserFactory())
    urls = [
        reverse("complaints:filing_create", args=[complaint.public_id]),
        reverse(
            "complaints:filing_reply", args=[complaint.public_id, filing.public_id]
        ),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.post(url, {"outcome": "refused"}).status_code == 404
    filing.refresh_from_db()
    assert filing.outcome == ""

    # The owner cannot reach another case's filing through their own case.
    client.force_login(owner)
    url = reverse(
        "complaints:filing_reply",
        args=[complaint.public_id, other_case_filing.public_id],
    )
    assert client.get(url).status_code == 404


# --- Reminders --------------------------------------------------------------------------------


def remind(today, *args):
    out = StringIO()
    call_command("send_deadline_reminders", "--today", today, *args, stdout=out)
    return out.getvalue()


def test_reminders_are_sent_once_even_when_run_twice():
    reviewer = UserFactory(email="reviewer@example.org", is_staff=True)
    complaint = make_case(assignee=reviewer)
    record(complaint)  # due 13 Oct

    first = remind("2026-10-11")
    second = remind("2026-10-12")

    assert "2 sent" in first and "0 sent" in second and "2 already sent" in second
    assert sorted(m.to[0] for m in mail.outbox) == [
        "owner@example.org",
        "reviewer@example.org",
    ]
    owner_mail = next(m for m in mail.outbox if m.to == ["owner@example.org"])
    assert complaint.number in owner_mail.subject
    assert "2026年10月13日" in owner_mail.body
    assert complaint.get_absolute_url() + "#filings" in owner_mail.body
    # No personal data beyond the number: not the name, not the ID number.
    assert complaint.complainant_name not in owner_mail.body
    assert Reminder.objects.count() == 2


def test_overdue_gets_its_own_reminder_and_a_moved_deadline_a_new_one():
    complaint = make_case()
    filing = record(complaint)

    remind("2026-10-12")  # due soon
    remind("2026-10-14")  # overdue
    remind("2026-10-15")  # nothing new
    assert [r.kind for r in Reminder.objects.order_by("pk")] == ["due_soon", "overdue"]
    assert len(mail.outbox) == 2

    services.filing_reply(
        actor=complaint.owner,
        filing=filing,
        accepted_on=D(2026, 10, 9),
        outcome=Filing.Outcome.ACCEPTED,
    )
    filing.refresh_from_db()
    remind((filing.due_on - datetime.timedelta(days=1)).isoformat())
    assert len(mail.outbox) == 3  # the mediation deadline is a new one


def test_answered_filings_and_closed_cases_get_no_reminders():
    answered = record(make_case())
    services.filing_reply(
        actor=answered.complaint.owner,
        filing=answered,
        reply_on=D(2026, 10, 1),
        outcome=Filing.Outcome.RESOLVED,
    )
    closed = make_case()
    FilingFactory(complaint=closed, due_on=D(2026, 10, 13))
    closed.status = Status.WITHDRAWN
    closed.save(update_fields=["status"])

    remind("2026-10-14")
    assert mail.outbox == []


def test_a_phone_only_owner_gets_no_email_and_it_is_counted():
    complaint = make_case(owner=UserFactory(email=""))
    record(complaint)
    assert "1 recipients without email" in remind("2026-10-14")
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_the_limitation_reminder_goes_once_in_the_last_90_days():
    complaint = make_case(harm_known_on=D(2023, 12, 2))  # ends 2 Dec 2026

    remind("2026-08-01")  # too early
    assert mail.outbox == []
    remind("2026-09-10")
    remind("2026-09-11")
    assert len(mail.outbox) == 1
    assert "2026年12月2日" in mail.outbox[0].body
    assert Reminder.objects.get().kind == Reminder.Kind.LIMITATION

    # A written demand restarts the period: no more warnings for this one.
    record(complaint, code="institution", sent_on=D(2026, 9, 12), method="post")
    remind("2026-11-20")
    assert len(mail.outbox) == 1 or all(
        "limitation" not in m.subject for m in mail.outbox[1:]
    )
    assert Reminder.objects.filter(kind=Reminder.Kind.LIMITATION).count() == 1


def test_a_failed_email_is_tried_again_on_the_next_run(monkeypatch):
    complaint = make_case()
    record(complaint)
    from complaints import notifications

    monkeypatch.setattr(notifications, "deadline_reminder", lambda *a, **k: False)
    assert "1 failed" in remind("2026-10-14")
    assert not Reminder.objects.exists()

    monkeypatch.undo()
    assert "1 sent" in remind("2026-10-14")


def test_dry_run_sends_and_records_nothing():
    record(make_case())
    out = remind("2026-10-14", "--dry-run")
    assert "would send overdue" in out
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_a_bad_date_is_a_clear_error():
    with pytest.raises(CommandError, match="--today"):
        remind("14/10/2026")


def test_stored_due_dates_are_refreshed_when_a_channel_clock_changes():
    filing = record(make_case())
    clock_channel = filing.channel
    clock_channel.clock_rules = [
        {"stage": "accept_or_refuse", "days": 10, "unit": "working"}
    ]
    clock_channel.save()

    out = remind("2026-09-29")

    filing.refresh_from_db()
    assert filing.due_on == clocks.add_working_days(D(2026, 9, 28), 10).due
    assert "due dates updated: 1" in out
