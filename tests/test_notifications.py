"""Emails about cases: who gets one for which event, sent after commit, in
the recipient's language, carrying only the case number and a link; and
internal notes that no user ever sees."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from complaints import notifications, services, workflow
from complaints.models import Status
from tests.factories import (
    ComplaintFactory,
    FilingFactory,
    LossItemFactory,
    UserFactory,
)

SITE = "https://cases.example.org"
REQUEST_TEXT = "请补充停机公告的截图以及客服工单号"
REASON_TEXT = "不属于本平台受理范围的投诉事项"
OWNER_MESSAGE = "我已经上传了截图，工单号是 GD20250601"
REVIEWER_MESSAGE = "请确认冻结金额是否包含押金"
INTERNAL_NOTE = "内部备注：该机构已有多起同类投诉"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CASETRACKER_SITE_URL = SITE + "/"


def make_reviewer(**kwargs):
    group, _created = Group.objects.get_or_create(name="Reviewers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="complaints",
            codename__in=[
                "view_complaint",
                "review_complaint",
                "view_message",
                "add_message",
            ],
        )
    )
    kwargs.setdefault(
        "email", f"reviewer{UserFactory._meta.next_sequence()}@example.org"
    )
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.org", language="en")


@pytest.fixture
def reviewer(db):
    return make_reviewer(language="en")


def case(owner, status=Status.DRAFT, **kwargs):
    complaint = ComplaintFactory(owner=owner, status=status, **kwargs)
    LossItemFactory(complaint=complaint)
    return complaint


def move(capture, complaint, target, actor, **kwargs):
    """Run a transition and its after-commit callbacks; return the new state."""
    with capture(execute=True):
        return workflow.transition(complaint, target=target, actor=actor, **kwargs)


def post(capture, **kwargs):
    with capture(execute=True):
        return services.message_post(**kwargs)


def personal_data(complaint):
    return [
        complaint.complainant_name,
        complaint.id_number,
        complaint.contact_phone,
        complaint.address,
        complaint.narrative,
        complaint.terminal_sn,
        complaint.merchant_number,
        complaint.owner.phone,
        REQUEST_TEXT,
        REASON_TEXT,
        OWNER_MESSAGE,
        REVIEWER_MESSAGE,
        INTERNAL_NOTE,
    ]


def assert_no_personal_data(email, complaint):
    text = "\n".join([email.subject, email.body])
    leaked = [value for value in personal_data(complaint) if value and value in text]
    assert leaked == []


# --- To the owner: the reviewer's visible moves -----------------------------------

REVIEWER_MOVES = [
    (Status.SUBMITTED, Status.IN_REVIEW, {}),
    (Status.IN_REVIEW, Status.NEEDS_INFO, {"note": REQUEST_TEXT}),
    (Status.SUBMITTED, Status.NEEDS_INFO, {"note": REQUEST_TEXT}),
    (Status.IN_REVIEW, Status.ACCEPTED, {}),
    (Status.IN_REVIEW, Status.REJECTED, {"note": REASON_TEXT}),
    (Status.SUBMITTED, Status.REJECTED, {"note": REASON_TEXT}),
    (Status.ACCEPTED, Status.FILED, {"note": REQUEST_TEXT}),
    (
        Status.FILED,
        Status.RESOLVED,
        {"outcome": "partial", "amount_recovered": Decimal("300"), "note": REASON_TEXT},
    ),
    (Status.RESOLVED, Status.CLOSED, {}),
    (Status.NEEDS_INFO, Status.CLOSED, {"note": REASON_TEXT}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "target", "extra"), REVIEWER_MOVES)
def test_the_owner_is_emailed_when_a_reviewer_moves_the_case(
    django_capture_on_commit_callbacks, owner, reviewer, source, target, extra
):
    complaint = case(owner, source)
    if target == Status.FILED:
        FilingFactory(complaint=complaint)

    move(django_capture_on_commit_callbacks, complaint, target, reviewer, **extra)

    (email,) = mail.outbox
    assert email.to == ["owner@example.org"]
    assert complaint.number in email.subject
    assert complaint.number in email.body
    assert SITE + complaint.get_absolute_url() in email.body
    assert_no_personal_data(email, complaint)


@pytest.mark.django_db
def test_an_information_request_email_says_what_is_expected_without_the_request(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.IN_REVIEW)
    move(
        django_capture_on_commit_callbacks,
        complaint,
        Status.NEEDS_INFO,
        reviewer,
        note=REQUEST_TEXT,
    )
    (email,) = mail.outbox
    assert email.subject == f"Case {complaint.number}: status updated"
    assert "Information requested" in email.body
    assert "needs more information from you" in email.body
    assert REQUEST_TEXT not in email.body


@pytest.mark.django_db
def test_the_owner_is_not_emailed_about_their_own_submission(
    django_capture_on_commit_callbacks, owner
):
    move(django_capture_on_commit_callbacks, case(owner), Status.SUBMITTED, owner)
    assert mail.outbox == []


# --- To the assignee: the owner's moves and replies -----------------------------------


@pytest.mark.django_db
def test_the_assignee_is_emailed_when_the_owner_resubmits(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.NEEDS_INFO, assignee=reviewer)

    move(django_capture_on_commit_callbacks, complaint, Status.SUBMITTED, owner)

    (email,) = mail.outbox
    assert email.to == [reviewer.email]
    assert email.subject == f"Case {complaint.number}: the user acted"
    assert "Submitted" in email.body
    link = SITE + reverse("admin:complaints_complaint_change", args=[complaint.pk])
    assert link in email.body
    assert_no_personal_data(email, complaint)


@pytest.mark.django_db
def test_the_assignee_is_emailed_when_the_owner_withdraws_with_a_reason(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.IN_REVIEW, assignee=reviewer)

    move(
        django_capture_on_commit_callbacks,
        complaint,
        Status.WITHDRAWN,
        owner,
        note=REASON_TEXT,
    )

    (email,) = mail.outbox
    assert email.to == [reviewer.email]
    assert "Withdrawn" in email.body
    assert_no_personal_data(email, complaint)


@pytest.mark.django_db
def test_the_assignee_is_emailed_when_the_owner_replies(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.NEEDS_INFO, assignee=reviewer)

    post(
        django_capture_on_commit_callbacks,
        actor=owner,
        complaint=complaint,
        body=OWNER_MESSAGE,
    )

    (email,) = mail.outbox
    assert email.to == [reviewer.email]
    assert email.subject == f"Case {complaint.number}: the user replied"
    assert_no_personal_data(email, complaint)


@pytest.mark.django_db
def test_a_reviewers_message_emails_the_owner(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.IN_REVIEW, assignee=reviewer)

    post(
        django_capture_on_commit_callbacks,
        actor=reviewer,
        complaint=complaint,
        body=REVIEWER_MESSAGE,
    )

    (email,) = mail.outbox
    assert email.to == ["owner@example.org"]
    assert email.subject == f"Case {complaint.number}: new message from a reviewer"
    assert SITE + complaint.get_absolute_url() in email.body
    assert_no_personal_data(email, complaint)


# --- Internal notes ----------------------------------------------------------------


@pytest.mark.django_db
def test_an_internal_note_emails_nobody(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.IN_REVIEW, assignee=reviewer)
    other = make_reviewer()

    post(
        django_capture_on_commit_callbacks,
        actor=other,
        complaint=complaint,
        body=INTERNAL_NOTE,
        internal=True,
    )

    assert mail.outbox == []


@pytest.mark.django_db
def test_an_internal_note_never_appears_on_the_owners_pages_or_later_emails(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.SUBMITTED)
    complaint = move(
        django_capture_on_commit_callbacks, complaint, Status.IN_REVIEW, reviewer
    )
    post(
        django_capture_on_commit_callbacks,
        actor=reviewer,
        complaint=complaint,
        body=INTERNAL_NOTE,
        internal=True,
    )
    post(
        django_capture_on_commit_callbacks,
        actor=reviewer,
        complaint=complaint,
        body=REVIEWER_MESSAGE,
    )
    move(
        django_capture_on_commit_callbacks,
        complaint,
        Status.NEEDS_INFO,
        reviewer,
        note=REQUEST_TEXT,
    )
    client = Client()
    client.force_login(owner)

    page = client.get(complaint.get_absolute_url()).content.decode()

    assert INTERNAL_NOTE not in page
    assert REVIEWER_MESSAGE in page  # the timeline is there, just not the note
    assert REQUEST_TEXT in page
    for email in mail.outbox:
        assert INTERNAL_NOTE not in email.subject + email.body
    assert len(mail.outbox) == 3


# --- After commit, and never in the way ------------------------------------------


@pytest.mark.django_db
def test_emails_wait_for_the_commit(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.transition(complaint, target=Status.IN_REVIEW, actor=reviewer)
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_refused_transition_sends_nothing(
    django_capture_on_commit_callbacks, owner, reviewer
):
    complaint = case(owner, Status.IN_REVIEW)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(workflow.TransitionError),
    ):
        workflow.transition(complaint, target=Status.REJECTED, actor=reviewer)
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_failing_mail_server_does_not_break_the_transition(
    django_capture_on_commit_callbacks, monkeypatch, owner, reviewer
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    complaint = case(owner, Status.IN_REVIEW)

    result = move(
        django_capture_on_commit_callbacks, complaint, Status.ACCEPTED, reviewer
    )

    assert result.status == Status.ACCEPTED
    assert result.status_changes.count() == 1


@pytest.mark.django_db
def test_a_failing_mail_server_does_not_break_a_message(
    django_capture_on_commit_callbacks, monkeypatch, owner, reviewer
):
    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    complaint = case(owner, Status.IN_REVIEW, assignee=reviewer)

    message = post(
        django_capture_on_commit_callbacks,
        actor=owner,
        complaint=complaint,
        body=OWNER_MESSAGE,
    )

    assert message.pk is not None


@pytest.mark.django_db
def test_no_email_for_a_user_without_an_address(
    django_capture_on_commit_callbacks, reviewer
):
    phone_only = UserFactory(email="")
    complaint = case(phone_only, Status.IN_REVIEW)

    move(django_capture_on_commit_callbacks, complaint, Status.ACCEPTED, reviewer)
    post(
        django_capture_on_commit_callbacks,
        actor=reviewer,
        complaint=complaint,
        body=REVIEWER_MESSAGE,
    )

    assert mail.outbox == []


@pytest.mark.django_db
def test_no_email_to_a_deactivated_account(
    django_capture_on_commit_callbacks, reviewer
):
    gone = UserFactory(email="gone@example.org", is_active=False)
    complaint = case(gone, Status.IN_REVIEW)
    move(django_capture_on_commit_callbacks, complaint, Status.ACCEPTED, reviewer)
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_owner_reply_on_an_unassigned_case_emails_nobody(
    django_capture_on_commit_callbacks, owner
):
    complaint = case(owner, Status.SUBMITTED)
    post(
        django_capture_on_commit_callbacks,
        actor=owner,
        complaint=complaint,
        body=OWNER_MESSAGE,
    )
    assert mail.outbox == []


# --- Language ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("active", ["en", "zh-hans"])
def test_the_email_is_in_the_recipients_language_not_the_senders(
    django_capture_on_commit_callbacks, reviewer, active
):
    english = UserFactory(email="en@example.org", language="en")
    chinese = UserFactory(email="zh@example.org", language="zh-hans")
    first, second = case(english, Status.IN_REVIEW), case(chinese, Status.IN_REVIEW)

    with translation.override(active):
        move(django_capture_on_commit_callbacks, first, Status.ACCEPTED, reviewer)
        move(django_capture_on_commit_callbacks, second, Status.ACCEPTED, reviewer)

    by_recipient = {email.to[0]: email for email in mail.outbox}
    en_mail, zh_mail = by_recipient["en@example.org"], by_recipient["zh@example.org"]
    assert en_mail.subject == f"Case {first.number}: status updated"
    assert "The status of your case" in en_mail.body
    assert "Accepted" in en_mail.body
    with translation.override("zh-hans"):
        zh_subject = translation.gettext("Case %(number)s: status updated")
    if zh_subject != "Case %(number)s: status updated":  # the catalogue has it
        assert zh_mail.subject == zh_subject % {"number": second.number}
    assert zh_mail.subject != f"Case {second.number}: status updated"
    assert "The status of your case" not in zh_mail.body


@pytest.mark.django_db
def test_an_unset_language_falls_back_to_the_site_language(
    django_capture_on_commit_callbacks, settings, reviewer
):
    blank = UserFactory(email="blank@example.org", language="")
    complaint = case(blank, Status.IN_REVIEW)
    with translation.override("en"):
        move(django_capture_on_commit_callbacks, complaint, Status.ACCEPTED, reviewer)
    (email,) = mail.outbox
    with translation.override(settings.LANGUAGE_CODE):
        expected = translation.gettext("Case %(number)s: status updated")
    assert email.subject == expected % {"number": complaint.number}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_choosing_a_language_while_logged_in_stores_it_on_the_account(
    client, owner, language
):
    owner.language = "zh-hans" if language == "en" else "en"
    owner.save(update_fields=["language"])
    client.force_login(owner)

    response = client.post(reverse("set_language"), {"language": language, "next": "/"})

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.language == language


@pytest.mark.django_db
def test_an_unknown_language_is_not_stored(client, owner):
    client.force_login(owner)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    owner.refresh_from_db()
    assert owner.language == "en"


@pytest.mark.django_db
def test_choosing_a_language_anonymously_still_works(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
