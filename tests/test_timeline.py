"""The user's side of the workflow, through the pages: the timeline, the
information-request banner, the reply box, resubmission, withdrawal with
confirmation, and buttons that come from the transition table."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from complaints import workflow
from complaints.models import Complaint, Message, Status, StatusChange
from tests.factories import ComplaintFactory, LossItemFactory, UserFactory

REQUEST_TEXT = "请补充停机公告的截图以及客服工单号"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def en_client(owner_client):
    owner_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return owner_client


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
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def reviewer(db):
    return make_reviewer()


def case(owner, status=Status.DRAFT, **kwargs):
    complaint = ComplaintFactory(owner=owner, status=status, **kwargs)
    LossItemFactory(complaint=complaint)
    return complaint


def url(name, complaint):
    return reverse(f"complaints:{name}", args=[complaint.public_id])


def page(client, complaint):
    response = client.get(complaint.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def flashed(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def at(iso):
    return datetime.datetime.fromisoformat(iso)


def set_time(obj, iso):
    type(obj).objects.filter(pk=obj.pk).update(created_at=at(iso))


def stored(complaint):
    return Complaint.objects.get(pk=complaint.pk)


# --- The timeline ------------------------------------------------------------------


@pytest.mark.django_db
def test_timeline_shows_visible_changes_and_messages_oldest_first(
    en_client, user, reviewer
):
    complaint = case(user)
    complaint = workflow.transition(complaint, target=Status.SUBMITTED, actor=user)
    complaint = workflow.transition(
        complaint, target=Status.NEEDS_INFO, actor=reviewer, note=REQUEST_TEXT
    )
    submitted, asked = StatusChange.objects.filter(complaint=complaint)
    reply = Message.objects.create(
        complaint=complaint, author=user, body="回复一：截图已上传"
    )
    answer = Message.objects.create(
        complaint=complaint, author=reviewer, body="审核员：收到，谢谢"
    )
    internal = Message.objects.create(
        complaint=complaint, author=reviewer, body="内部备注不可见", internal=True
    )
    hidden = StatusChange.objects.create(
        complaint=complaint,
        from_status=Status.NEEDS_INFO,
        to_status=Status.NEEDS_INFO,
        actor=reviewer,
        note="隐藏的状态记录",
        visible_to_user=False,
    )
    # Stored times deliberately out of creation order.
    set_time(answer, "2026-01-03T02:00:00+00:00")
    set_time(submitted, "2026-01-01T16:30:00+00:00")
    set_time(reply, "2026-01-02T09:00:00+00:00")
    set_time(asked, "2026-01-02T01:00:00+00:00")
    set_time(internal, "2026-01-02T05:00:00+00:00")
    set_time(hidden, "2026-01-02T06:00:00+00:00")

    html = page(en_client, complaint)
    start = html.index('data-testid="timeline"')
    timeline = html[start : html.index("</ol>", start)]

    assert "内部备注不可见" not in html
    assert "隐藏的状态记录" not in html
    order = [
        timeline.index("Status: Submitted"),
        timeline.index(REQUEST_TEXT),
        timeline.index("回复一：截图已上传"),
        timeline.index("审核员：收到，谢谢"),
    ]
    assert order == sorted(order)
    assert timeline.count("<li") == 4


@pytest.mark.django_db
def test_timeline_times_are_china_time(client, user):
    client.force_login(user)  # default language: Chinese
    complaint = workflow.transition(case(user), target=Status.SUBMITTED, actor=user)
    set_time(complaint.status_changes.get(), "2026-01-01T16:30:00+00:00")

    html = page(client, complaint)

    assert 'datetime="2026-01-02T00:30:00+08:00"' in html
    assert "2026年1月2日 00:30" in html


@pytest.mark.django_db
def test_a_draft_has_an_empty_timeline_with_an_explanation(en_client, user):
    html = page(en_client, case(user))
    assert 'data-testid="timeline"' not in html
    assert "Nothing has happened yet" in html


# --- Information requested --------------------------------------------------------


@pytest.mark.django_db
def test_needs_info_shows_a_banner_with_the_latest_request(en_client, user, reviewer):
    complaint = workflow.transition(case(user), target=Status.SUBMITTED, actor=user)
    complaint = workflow.transition(
        complaint, target=Status.NEEDS_INFO, actor=reviewer, note="第一次要求"
    )
    complaint = workflow.transition(complaint, target=Status.SUBMITTED, actor=user)
    complaint = workflow.transition(
        complaint, target=Status.NEEDS_INFO, actor=reviewer, note=REQUEST_TEXT
    )

    html = page(en_client, complaint)

    banner = re.search(r'data-testid="needs-info-banner".*?</div>', html, re.S)
    assert banner is not None
    assert REQUEST_TEXT in banner.group(0)
    assert "第一次要求" not in banner.group(0)
    assert "needs more information from you" in banner.group(0)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.NEEDS_INFO])
def test_no_banner_unless_information_is_requested(en_client, user, status):
    assert 'data-testid="needs-info-banner"' not in page(en_client, case(user, status))


# --- Reply box --------------------------------------------------------------------

MESSAGE_STATUSES = [
    "submitted",
    "in_review",
    "needs_info",
    "accepted",
    "filed",
    "resolved",
]
NO_MESSAGE_STATUSES = [s for s in Status.values if s not in MESSAGE_STATUSES]


@pytest.mark.django_db
@pytest.mark.parametrize("status", MESSAGE_STATUSES)
def test_the_reply_box_posts_a_message_while_the_case_is_handled(
    en_client, user, status
):
    complaint = case(user, status)
    html = page(en_client, complaint)
    assert f'action="{url("message", complaint)}"' in html

    response = en_client.post(
        url("message", complaint), {"body": "  补充说明  "}, follow=True
    )

    (message,) = Message.objects.filter(complaint=complaint)
    assert (message.author, message.body, message.internal) == (user, "补充说明", False)
    assert "Your message was sent to the reviewers." in flashed(response)
    assert stored(complaint).status == status


@pytest.mark.django_db
@pytest.mark.parametrize("status", NO_MESSAGE_STATUSES)
def test_the_reply_box_is_refused_outside_the_handling_statuses(
    en_client, user, status
):
    complaint = case(user, status)
    assert f'action="{url("message", complaint)}"' not in page(en_client, complaint)

    response = en_client.post(
        url("message", complaint), {"body": "补充说明"}, follow=True
    )

    assert response.status_code == 200
    assert "Messages are not possible on this case now." in flashed(response)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_an_empty_reply_is_refused(en_client, user):
    complaint = case(user, Status.IN_REVIEW)
    response = en_client.post(url("message", complaint), {"body": "   "}, follow=True)
    assert flashed(response)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_a_posted_internal_flag_is_ignored(en_client, user):
    complaint = case(user, Status.IN_REVIEW)
    en_client.post(url("message", complaint), {"body": "你好", "internal": "on"})
    assert Message.objects.get(complaint=complaint).internal is False


# --- Resubmission -----------------------------------------------------------------


@pytest.mark.django_db
def test_resubmission_from_needs_info_through_the_submit_url(en_client, user, reviewer):
    complaint = workflow.transition(case(user), target=Status.SUBMITTED, actor=user)
    complaint = workflow.transition(
        complaint, target=Status.NEEDS_INFO, actor=reviewer, note=REQUEST_TEXT
    )
    html = page(en_client, complaint)
    assert 'data-testid="transition-submitted"' in html
    assert "Resubmit" in html

    response = en_client.post(
        url("submit", complaint), {"expected_status": "needs_info"}, follow=True
    )

    assert stored(complaint).status == Status.SUBMITTED
    last = StatusChange.objects.filter(complaint=complaint).last()
    assert (last.from_status, last.to_status, last.actor) == (
        Status.NEEDS_INFO,
        Status.SUBMITTED,
        user,
    )
    assert any("has been submitted" in m for m in flashed(response))


@pytest.mark.django_db
def test_an_incomplete_resubmission_is_refused_with_the_missing_list(en_client, user):
    complaint = case(user, Status.NEEDS_INFO, narrative="", contact_phone="")

    response = en_client.post(
        url("submit", complaint), {"expected_status": "needs_info"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Describe what happened." in html
    assert "Enter a contact phone number." in html
    assert stored(complaint).status == Status.NEEDS_INFO
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
def test_a_stale_submit_button_is_refused(en_client, user):
    complaint = case(user, Status.SUBMITTED)
    response = en_client.post(
        url("submit", complaint), {"expected_status": "needs_info"}, follow=True
    )
    assert any("changed by someone else" in m for m in flashed(response))
    assert not StatusChange.objects.exists()


# --- Withdrawal -------------------------------------------------------------------

WITHDRAWABLE = [
    t.source
    for t in workflow.TRANSITIONS
    if t.target == Status.WITHDRAWN and t.role == workflow.OWNER
]


@pytest.mark.django_db
@pytest.mark.parametrize("status", WITHDRAWABLE)
def test_withdrawal_asks_for_confirmation_first(en_client, user, status):
    complaint = case(user, status)

    response = en_client.get(url("withdraw", complaint))

    assert response.status_code == 200
    assert 'data-testid="confirm-withdraw"' in response.content.decode()
    assert stored(complaint).status == status
    assert not StatusChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "机构已经退还了押金"])
@pytest.mark.parametrize("status", WITHDRAWABLE)
def test_confirmed_withdrawal_withdraws_with_the_optional_reason(
    en_client, user, status, reason
):
    complaint = case(user, status)

    response = en_client.post(
        url("withdraw", complaint),
        {"expected_status": status, "reason": reason},
        follow=True,
    )

    assert stored(complaint).status == Status.WITHDRAWN
    (change,) = StatusChange.objects.filter(complaint=complaint)
    assert (change.from_status, change.to_status, change.actor, change.note) == (
        status,
        Status.WITHDRAWN,
        user,
        reason,
    )
    assert f"Case {complaint.number} has been withdrawn." in flashed(response)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("status", [s for s in Status.values if s not in WITHDRAWABLE])
def test_withdrawal_is_refused_once_the_case_is_over(en_client, user, status, method):
    complaint = case(user, status)

    response = getattr(en_client, method)(
        url("withdraw", complaint), {"expected_status": status}, follow=True
    )

    assert "This case can no longer be withdrawn." in flashed(response)
    assert stored(complaint).status == status
    assert not StatusChange.objects.exists()


# --- Buttons come from the table -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
def test_the_buttons_are_exactly_the_owners_moves_for_the_status(
    en_client, user, status
):
    complaint = case(user, status)
    expected = {
        t.target
        for t in workflow.TRANSITIONS
        if t.source == status and t.role == workflow.OWNER
    }

    shown = set(
        re.findall(r'data-testid="transition-([a-z_]+)"', page(en_client, complaint))
    )

    assert shown == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Status.SUBMITTED, Status.IN_REVIEW, Status.ACCEPTED]
)
def test_a_reviewer_who_owns_a_case_sees_only_owner_buttons_on_the_user_page(
    client, status
):
    both = make_reviewer()
    complaint = case(both, status)
    client.force_login(both)

    shown = set(
        re.findall(r'data-testid="transition-([a-z_]+)"', page(client, complaint))
    )

    # The owner's moves only (an accepted case: withdraw, or record the
    # letter sent, which marks it filed), never the reviewer's.
    assert shown == {
        t.target
        for t in workflow.TRANSITIONS
        if t.source == status and t.role == workflow.OWNER
    }


# --- Access ----------------------------------------------------------------------

WORKFLOW_URLS = [
    ("withdraw", "get"),
    ("withdraw", "post"),
    ("message", "post"),
    ("submit", "post"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), WORKFLOW_URLS)
def test_another_user_gets_404_and_changes_nothing(
    client, user, other_user, name, method
):
    complaint = case(user, Status.IN_REVIEW)
    client.force_login(other_user)

    response = getattr(client, method)(
        url(name, complaint), {"body": "hi", "reason": "x"}
    )

    assert response.status_code == 404
    assert stored(complaint).status == Status.IN_REVIEW
    assert not StatusChange.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), WORKFLOW_URLS)
def test_anonymous_visitors_are_sent_to_login(client, user, name, method):
    complaint = case(user, Status.IN_REVIEW)

    response = getattr(client, method)(url(name, complaint), {"body": "hi"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert stored(complaint).status == Status.IN_REVIEW
    assert not Message.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status",
    [
        s
        for s in Status.values
        if any(
            t.source == s and t.role == workflow.REVIEWER for t in workflow.TRANSITIONS
        )
    ],
)
def test_the_owner_cannot_make_reviewer_moves_through_any_user_url(client, status):
    # Even an owner who is also a reviewer: the user pages act as owner only.
    both = make_reviewer()
    complaint = case(both, status)
    client.force_login(both)
    tampered = {
        "expected_status": status,
        "target": Status.ACCEPTED,
        "status": Status.ACCEPTED,
        "to_status": Status.RESOLVED,
        "outcome": "full",
        "amount_recovered": "100",
        "body": "hi",
        "note": "x",
    }
    reviewer_targets = {
        t.target
        for t in workflow.TRANSITIONS
        if t.source == status and t.role == workflow.REVIEWER
    }

    for name in ("submit", "message", "edit", "detail"):
        client.post(url(name, complaint), tampered)

    after = stored(complaint).status
    assert after not in reviewer_targets
    assert not StatusChange.objects.filter(
        complaint=complaint, to_status__in=reviewer_targets
    ).exists()
